package kafkacli_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

func TestProduceConsume(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic events --partitions 1")
	line := `kafka-console-producer --bootstrap-server localhost:9092 --topic events --message a --message "b c" --message ''`
	wantOutput(t, line, mustRun(t, b, line), "")
	line = "kafka-console-producer.sh --topic events --property parse.key=true --property key.separator=: --message k1:v1 --message k2:v:2"
	wantOutput(t, line, mustRun(t, b, line), "")

	line = "kafka-console-consumer --topic events --from-beginning --max-messages 5"
	wantOutput(t, line, mustRun(t, b, line), "a\nb c\n\nv1\nv:2\nProcessed a total of 5 messages\n")
	line = "kafka-console-consumer --topic events --from-beginning --max-messages 10 --timeout-ms 500 --property print.key=true"
	wantOutput(t, line, mustRun(t, b, line), "null\ta\nnull\tb c\nnull\t\nk1\tv1\nk2\tv:2\nProcessed a total of 5 messages\n")
	line = "kafka-console-consumer --topic events --from-beginning --max-messages 2 --property print.key=true --property key.separator=="
	wantOutput(t, line, mustRun(t, b, line), "null=a\nnull=b c\nProcessed a total of 2 messages\n")
	line = "kafka-console-consumer --topic events --from-beginning --max-messages 1 --property print.partition=true --property print.offset=true --property print.value=false"
	wantOutput(t, line, mustRun(t, b, line), "Partition:0\tOffset:0\nProcessed a total of 1 messages\n")
	line = "kafka-console-consumer --topic events --from-beginning --max-messages 1 --property print.timestamp=true"
	if out := mustRun(t, b, line); !regexp.MustCompile(`^CreateTime:\d{13}\ta\nProcessed a total of 1 messages\n$`).MatchString(out) {
		t.Errorf("%s: %q", line, out)
	}
	line = "kafka-console-consumer --topic events --partition 0 --offset 3 --max-messages 1"
	wantOutput(t, line, mustRun(t, b, line), "v1\nProcessed a total of 1 messages\n")
	line = "kafka-console-consumer --topic events --partition 0 --offset earliest --max-messages 1"
	wantOutput(t, line, mustRun(t, b, line), "a\nProcessed a total of 1 messages\n")

	// Without --from-beginning a consumer starts at the end.
	line = "kafka-console-consumer --topic events --max-messages 1 --timeout-ms 300"
	wantOutput(t, line, mustRun(t, b, line), "Processed a total of 0 messages\n")
	line = "kafka-console-consumer --topic events --max-messages 0"
	wantOutput(t, line, mustRun(t, b, line), "Processed a total of 0 messages\n")

	// A consumer without --group leaves no group behind.
	line = "kafka-consumer-groups --list"
	wantOutput(t, line, mustRun(t, b, line), "")
}

func TestProducerKeySeparatorError(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic events")
	wantError(t, b, "kafka-console-producer --topic events --property parse.key=true --property key.separator=: --message k:1 --message novalue --message k:3",
		"org.apache.kafka.common.KafkaException: No key separator found on line number 2: 'novalue'")
	if got := describeTopic(t, b, "events")["messages"]; got != 1 {
		t.Errorf("messages after the failed line = %v, want the 1 record before it", got)
	}
	mustRun(t, b, "kafka-console-producer --topic events --property parse.key=true --property ignore.error=true --message novalue")
	if got := describeTopic(t, b, "events")["messages"]; got != 2 {
		t.Errorf("messages with ignore.error = %v, want 2", got)
	}
}

func TestAutoCreateTopic(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-console-producer --topic fresh --message hello")
	m := describeTopic(t, b, "fresh")
	if m["partitions"] != 1 || m["messages"] != 1 {
		t.Errorf("auto-created topic = %v", m)
	}
	mustRun(t, b, "kafka-console-consumer --topic other --max-messages 1 --timeout-ms 200")
	if got := describeTopic(t, b, "other")["partitions"]; got != 1 {
		t.Errorf("topic auto-created by the consumer has %v partitions", got)
	}
	wantError(t, b, "kafka-console-producer --topic 'bad name' --message hi",
		"ERROR Error when sending message to topic bad name with key: null, value: 2 bytes with error: org.apache.kafka.common.errors.InvalidTopicException: Invalid topics: [bad name]")
}

// TestConsumerGroupCommits checks that a consumer with --group commits,
// for every partition it holds, the offset after what it printed or where
// it started, so the next run goes on from there, as the real tool does.
func TestConsumerGroupCommits(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic orders --partitions 3")
	var msgs []string
	for i := range 9 {
		msgs = append(msgs, fmt.Sprintf("--message k%d:v%d", i, i))
	}
	mustRun(t, b, "kafka-console-producer --topic orders --property parse.key=true --property key.separator=: "+strings.Join(msgs, " "))

	first := lines(mustRun(t, b, "kafka-console-consumer --topic orders --group g --from-beginning --max-messages 4"))
	if len(first) != 5 || first[4] != "Processed a total of 4 messages" {
		t.Fatalf("first run printed %q", first)
	}
	g := describeGroup(t, b, "g")
	if g["lag"] != 5 || g["state"] != "Empty" {
		t.Errorf("after 4 of 9 records the group is %v, want lag 5", g)
	}
	out := mustRun(t, b, "kafka-consumer-groups --describe --group g")
	if n := strings.Count(out, "\ng               orders"); n != 3 {
		t.Errorf("describe shows %d partition rows, want all 3 committed:\n%s", n, out)
	}

	// --from-beginning only matters without committed offsets.
	second := lines(mustRun(t, b, "kafka-console-consumer --topic orders --group g --from-beginning --max-messages 10 --timeout-ms 1000"))
	if len(second) != 6 || second[5] != "Processed a total of 5 messages" {
		t.Fatalf("second run printed %q", second)
	}
	all := append(first[:4], second[:5]...)
	slices.Sort(all)
	want := []string{"v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8"}
	if !slices.Equal(all, want) {
		t.Errorf("the two runs printed %v, want every record once", all)
	}
	if g := describeGroup(t, b, "g"); g["lag"] != 0 {
		t.Errorf("lag after reading everything = %v", g["lag"])
	}

	// A group reading from the end commits the end offsets.
	mustRun(t, b, "kafka-console-consumer --topic orders --group late --max-messages 1 --timeout-ms 1500")
	if g := describeGroup(t, b, "late"); g["lag"] != 0 || g["lag.orders"] != 0 {
		t.Errorf("group started at the end = %v", g)
	}
}

// TestConsumerStopsAtContext checks that a consumer without
// --max-messages ends when its context does, still printing its summary.
func TestConsumerStopsAtContext(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-console-producer --topic events --message one --message two")
	cmd, err := kafkacli.Parse("kafka-console-consumer --topic events --from-beginning --group g")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	start := time.Now()
	if err := kafkacli.Run(ctx, b, cmd, &out); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("consumer took %v to notice its deadline", time.Since(start))
	}
	wantOutput(t, "consumer until deadline", out.String(), "one\ntwo\nProcessed a total of 2 messages\n")
	if g := describeGroup(t, b, "g"); g["lag"] != 0 {
		t.Errorf("offsets not committed at the deadline: %v", g)
	}

	// Commands other than the consumer report the interruption.
	cmd, _ = kafkacli.Parse("kafka-topics --list")
	cancel()
	if err := kafkacli.Run(ctx, b, cmd, &out); err == nil {
		t.Error("kafka-topics --list with a done context succeeded")
	}
}

// TestOutputCap checks that Run cuts output off at MaxOutput.
func TestOutputCap(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic big")
	value := strings.Repeat("x", 1000)
	var msgs []string
	for range 100 {
		msgs = append(msgs, "--message "+value)
	}
	mustRun(t, b, "kafka-console-producer --topic big "+strings.Join(msgs, " "))
	out := mustRun(t, b, "kafka-console-consumer --topic big --from-beginning --max-messages 100")
	if len(out) > kafkacli.MaxOutput+len(kafkacli.TruncatedLine)+1 || !strings.HasSuffix(out, "\n"+kafkacli.TruncatedLine) {
		t.Errorf("output of %d bytes ends %q", len(out), out[max(0, len(out)-40):])
	}
}
