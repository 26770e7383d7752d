package kafkacli_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// TestParseProducerInput covers the three ways a shell user gives
// kafka-console-producer its records: lines typed after the command, a
// pipe from echo or printf, and a here-document.
func TestParseProducerInput(t *testing.T) {
	const p = "kafka-console-producer --bootstrap-server localhost:9092 --topic orders"
	cases := []struct {
		entry string
		want  []string
	}{
		// Typed after the command, ended by "." or by the entry's end (Ctrl-D).
		{p + "\norder-1\norder-2\n.", []string{"order-1", "order-2"}},
		{p + "\norder-1\r\norder-2\n", []string{"order-1", "order-2"}},
		{p + "\n.", nil},
		{p + "\n\n.", []string{""}},
		{p + " \\\n  --property parse.key=true\nk:v\n.", []string{"k:v"}},
		// Pipes.
		{`echo "a b" | ` + p, []string{"a b"}},
		{`echo -n a | ` + p, []string{"a"}},
		{`echo 'a\nb' | ` + p, []string{`a\nb`}},
		{`echo -e 'a\nb' | ` + p, []string{"a", "b"}},
		{`printf 'a\nb\n' | ` + p, []string{"a", "b"}},
		{`printf '%s\n' x y 'z w' | ` + p, []string{"x", "y", "z w"}},
		{`printf 'k:%d\n' 1 2 | ` + p, []string{"k:1", "k:2"}},
		{`printf '' | ` + p, nil},
		{`echo "a|b" | ` + p, []string{"a|b"}},
		// Here-documents.
		{p + " <<EOF\na\nb c\nEOF", []string{"a", "b c"}},
		{p + " <<'EOF'\n{\"price\": \"$5\"}\nEOF\n", []string{`{"price": "$5"}`}},
		{p + ` <<"END"` + "\n`x`\nEND", []string{"`x`"}},
		{p + " << EOF\na\nEOF", []string{"a"}},
		{p + " <<-EOF\n\ta\n\tEOF", []string{"a"}},
		{"kafka-console-producer <<EOF --topic orders\na\nEOF", []string{"a"}},
		{p + " <<EOF\nEOF", nil},
	}
	for _, c := range cases {
		parsed, err := kafkacli.Parse(c.entry)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.entry, err)
			continue
		}
		cmd := as[*kafkacli.ProducerCommand](t, parsed)
		if !cmd.InputGiven || !slices.Equal(cmd.Input, c.want) || cmd.Topic != "orders" {
			t.Errorf("Parse(%q): input %q (given %v), topic %q; want %q", c.entry, cmd.Input, cmd.InputGiven, cmd.Topic, c.want)
		}
	}

	// A "|" after anything but echo or printf stays a character of a
	// word, as before this console read pipes (a topic regex).
	// (Parse refuses standard input for every tool but the producer, so
	// a kafka-topics line that parses was given none.)
	if cmd, err := kafkacli.Parse("kafka-topics --describe --topic a|b"); err != nil || as[*kafkacli.TopicsCommand](t, cmd).Topic != "a|b" {
		t.Errorf("topic regex with |: %+v, %v", cmd, err)
	}

	// Without input the command says how to give it.
	if cmd, err := kafkacli.Parse(p + " --message a"); err != nil || as[*kafkacli.ProducerCommand](t, cmd).InputGiven || !slices.Equal(as[*kafkacli.ProducerCommand](t, cmd).Messages, []string{"a"}) {
		t.Errorf("--message shortcut: %+v, %v", cmd, err)
	}

	bad := []struct{ entry, text string }{
		{p + " <<EOF\na", "the here-document does not end: add a line holding only EOF"},
		{p + " <<EOF\n$HOME\nEOF", "a shell would expand $ and ` in this here-document: quote its delimiter (<<'EOF') to send the lines as typed"},
		{p + " <<EOF", "the here-document has no lines"},
		{p + " <<EOF\na\nEOF\nkafka-topics --list", "nothing may follow the here-document's closing EOF"},
		{p + "\na\n.\nb", `more lines follow it`},
		{p + " < records.txt", "no files to redirect from"},
		{p + " <<< a", "no here-strings"},
		{"echo a | " + p + " | cat", "one pipe at most"},
		{"echo a | " + p + "\nb", "a piped command takes no lines after it"},
		{"echo a | " + p + " <<EOF\nb\nEOF", "a pipe or a here-document"},
		{"echo a || " + p, "|| is not supported"},
		{"kafka-topics --list\nb", "kafka-topics reads no standard input"},
		{"echo a | kafka-topics --list", "kafka-topics reads no standard input"},
		{`printf '%x' 1 | ` + p, "printf: %x"},
	}
	for _, c := range bad {
		_, err := kafkacli.Parse(c.entry)
		if err == nil || !strings.Contains(err.Error(), c.text) || !errors.Is(err, kafkacli.ErrUsage) {
			t.Errorf("Parse(%q) = %v, want an ErrUsage containing %q", c.entry, err, c.text)
		}
	}
}

// TestProducerHelp: --help shows the real forms and hides the shortcut.
func TestProducerHelp(t *testing.T) {
	cmd, err := kafkacli.Parse("kafka-console-producer --help")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := kafkacli.Run(t.Context(), kafkacli.Broker{}, cmd, &b); err != nil {
		t.Fatal(err)
	}
	if out := b.String(); strings.Contains(out, "--message") || !strings.Contains(out, "<<EOF") || !strings.Contains(out, "--topic") {
		t.Errorf("help: %q", out)
	}
}

// TestProduceInput sends records in each form, keys included, and reads
// them back.
func TestProduceInput(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic events --partitions 1")
	const keyed = "kafka-console-producer --bootstrap-server localhost:9092 --topic events --property parse.key=true --property key.separator=:"
	for _, entry := range []string{
		keyed + "\nk1:typed\n.",
		`echo "k2:piped" | ` + keyed,
		`printf 'k3:%s\n' one two | ` + keyed,
		keyed + " <<'EOF'\nk4:{\"tier\":\"gold\"}\nEOF",
	} {
		wantOutput(t, entry, mustRun(t, b, entry), "")
	}
	line := "kafka-console-consumer --topic events --from-beginning --max-messages 5 --property print.key=true --property key.separator=="
	wantOutput(t, line, mustRun(t, b, line), "k1=typed\nk2=piped\nk3=one\nk3=two\nk4={\"tier\":\"gold\"}\nProcessed a total of 5 messages\n")

	wantError(t, b, "printf 'k5:a\\nnovalue\\n' | "+keyed,
		"org.apache.kafka.common.KafkaException: No key separator found on line number 2: 'novalue'")
}
