package kafkacli_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

func TestTransactionsHangingDrill(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic payments --partitions 1")
	mustRun(t, b, "kafka-console-producer --topic payments --message p1 --message p2")
	out := mustRun(t, b, "opslab-drill abandon-transaction --topic payments --transactional-id payments-writer --message t1 --message t2 --message t3")
	if !strings.HasPrefix(out, "Left a transaction open on payments-0: transactional id payments-writer, producer id ") {
		t.Fatalf("drill output: %q", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := kafkacli.DescribeTopic(ctx, b, "payments")
	if err != nil {
		t.Fatal(err)
	}
	if d["unstable_offsets"] != 3 || d["messages"] != 5 {
		t.Fatalf("unstable_offsets %v, messages %v; want 3 and 5", d["unstable_offsets"], d["messages"])
	}

	out = mustRun(t, b, "kafka-transactions --bootstrap-server localhost:9092 list")
	if !regexp.MustCompile(`^TransactionalId\s*\tCoordinator\tProducerId\s*\tTransactionState\t\npayments-writer\t0\s+\t\d+\s*\tOngoing\s*\t\n$`).MatchString(out) {
		t.Fatalf("list: %q", out)
	}
	out = mustRun(t, b, "kafka-transactions describe --transactional-id payments-writer")
	if !strings.Contains(out, "\tOngoing") || !strings.Contains(out, "\t900000") || !strings.Contains(out, "payments-0     \t\n") {
		t.Fatalf("describe: %q", out)
	}
	out = mustRun(t, b, "kafka-transactions describe-producers --topic payments --partition 0")
	rows := lines(out)
	if len(rows) != 2 || !strings.HasPrefix(rows[0], "ProducerId") || !strings.HasSuffix(rows[1], "\t2                            \t") {
		t.Fatalf("describe-producers: %q", out)
	}
	// The coordinator still knows the transaction: it is open, not hanging.
	out = mustRun(t, b, "kafka-transactions find-hanging --topic payments --max-transaction-timeout 0")
	if len(lines(out)) != 1 {
		t.Fatalf("find-hanging: %q", out)
	}

	// A read_committed consumer stops at the last stable offset.
	out = mustRun(t, b, "kafka-console-consumer --topic payments --group settlement --from-beginning --isolation-level read_committed --timeout-ms 1500")
	wantOutput(t, "read_committed consumer", out, "p1\np2\nProcessed a total of 2 messages\n")
	g, err := kafkacli.DescribeGroup(ctx, b, "settlement")
	if err != nil || g["lag"] != 3 {
		t.Fatalf("settlement lag %v, %v; want 3", g["lag"], err)
	}

	wantError(t, b, "kafka-transactions abort --topic payments --partition 0 --start-offset 1",
		"Could not find any open transactions starting at offset 1 on partition payments-0")
	wantOutput(t, "abort", mustRun(t, b, "kafka-transactions abort --topic payments --partition 0 --start-offset 2"), "")

	d, err = kafkacli.DescribeTopic(ctx, b, "payments")
	if err != nil || d["unstable_offsets"] != 0 || d["messages"] != 6 {
		t.Fatalf("after abort: unstable_offsets %v, messages %v, %v; want 0 and 6", d["unstable_offsets"], d["messages"], err)
	}
	out = mustRun(t, b, "kafka-transactions describe-producers --topic payments --partition 0")
	if !strings.HasSuffix(lines(out)[1], "\tNone                         \t") {
		t.Fatalf("describe-producers after abort: %q", out)
	}
	mustRun(t, b, "kafka-console-producer --topic payments --message p3")
	out = mustRun(t, b, "kafka-console-consumer --topic payments --group settlement --isolation-level read_committed --timeout-ms 1500")
	wantOutput(t, "read_committed consumer after abort", out, "p3\nProcessed a total of 1 messages\n")
	g, err = kafkacli.DescribeGroup(ctx, b, "settlement")
	if err != nil || g["lag"] != 0 {
		t.Fatalf("settlement lag after abort %v, %v; want 0", g["lag"], err)
	}
	// read_uncommitted (the default) shows the aborted records too.
	out = mustRun(t, b, "kafka-console-consumer --topic payments --from-beginning --timeout-ms 1500")
	wantOutput(t, "read_uncommitted consumer", out, "p1\np2\nt1\nt2\nt3\np3\nProcessed a total of 6 messages\n")
}

func TestTransactionsParseErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"kafka-transactions --bootstrap-server x", "kafka-transactions.sh: error: too few arguments"},
		{"kafka-transactions lists", "kafka-transactions.sh: error: argument COMMAND: invalid choice: 'lists' (choose from 'list', 'describe', 'describe-producers', 'abort', 'find-hanging')"},
		{"kafka-transactions describe", "kafka-transactions.sh: error: argument --transactional-id is required"},
		{"kafka-transactions abort --topic t", "kafka-transactions.sh: error: argument --partition is required"},
		{"kafka-transactions list --topic t", "kafka-transactions.sh: error: unrecognized arguments: '--topic'"},
		{"kafka-transactions abort --topic t --partition x", "kafka-transactions.sh: error: argument --partition: could not convert 'x' to Integer (For input string: \"x\")"},
		{"opslab-drill abandon-transaction --topic t --message m", "opslab-drill: abandon-transaction needs --transactional-id"},
		{"kafka-console-consumer --topic t --isolation-level committed", `Exception in thread "main" org.apache.kafka.common.config.ConfigException: Invalid value committed for configuration isolation.level: String must be one of: read_committed, read_uncommitted`},
	} {
		_, err := kafkacli.Parse(c.line)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.line, err, c.want)
		}
	}
	b := newBroker(t)
	wantError(t, b, "kafka-transactions abort --topic t --partition 0",
		"The transaction to abort must be identified either with --start-offset (for brokers on 3.0 or above) or with --producer-id, --producer-epoch, and --coordinator-epoch (for older brokers)")
	wantError(t, b, "kafka-transactions find-hanging", "The `find-hanging` command requires either --topic or --broker-id to limit the scope of the search")
	wantError(t, b, "kafka-transactions describe --transactional-id nope",
		"Failed to describe transaction state of transactional-id `nope`: The transactionalId could not be found.. Enable debug logging for additional detail.")
}

func TestDrillRestartProducerFences(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic ledger")
	mustRun(t, b, "opslab-drill abandon-transaction --topic ledger --transactional-id ledger-writer --message a --message b")
	out := mustRun(t, b, "opslab-drill restart-producer --transactional-id ledger-writer")
	if !strings.Contains(out, "epoch 1.") {
		t.Fatalf("restart: %q", out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d, err := kafkacli.DescribeTopic(ctx, b, "ledger")
	if err != nil || d["unstable_offsets"] != 0 || d["messages"] != 3 {
		t.Fatalf("after restart: unstable_offsets %v, messages %v, %v; want 0 and 3", d["unstable_offsets"], d["messages"], err)
	}
	out = mustRun(t, b, "kafka-transactions list")
	if !strings.Contains(out, "\tEmpty") {
		t.Fatalf("list after restart: %q", out)
	}
}
