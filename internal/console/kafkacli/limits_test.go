package kafkacli_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// policy is the two lines kafka-topics prints for a refusal by the
// sandbox's limits.
func policy(msg string) string {
	return "Error while executing topic command : " + msg +
		"\nERROR org.apache.kafka.common.errors.PolicyViolationException: " + msg
}

// sendFailure is the console producer's ERROR line for a record it could
// not send.
func sendFailure(topic, key string, valueBytes int, exception string) string {
	return fmt.Sprintf("ERROR Error when sending message to topic %s with key: %s, value: %d bytes with error: %s",
		topic, key, valueBytes, exception)
}

// tooLarge is the Java producer's RecordTooLargeException for a record of
// size serialized bytes against a max.request.size of max.
func tooLarge(size, max int) string {
	return fmt.Sprintf("org.apache.kafka.common.errors.RecordTooLargeException: The message is %d bytes when serialized which is larger than %d, which is the value of the max.request.size configuration.", size, max)
}

// wantRefused runs a line that a limit must refuse with exactly text and
// no output.
func wantRefused(t *testing.T, b kafkacli.Broker, line, text string) {
	t.Helper()
	out, err := run(t, b, line)
	if err == nil {
		t.Fatalf("%s: succeeded, want refusal %q", line, text)
	}
	if !errors.Is(err, kafkacli.ErrLimit) {
		t.Errorf("%s: error %v does not wrap ErrLimit", line, err)
	}
	if err.Error() != text {
		t.Fatalf("%s:\n got error %q\nwant error %q", line, err.Error(), text)
	}
	if out != "" {
		t.Errorf("%s: printed %q before the refusal", line, out)
	}
}

// topicState is every topic with its partition count and messages, as a
// string to compare before and after a refusal.
func topicState(t *testing.T, b kafkacli.Broker) string {
	t.Helper()
	var s []string
	for _, name := range lines(mustRun(t, b, "kafka-topics --list")) {
		if name == "" {
			continue
		}
		d := describeTopic(t, b, name)
		s = append(s, fmt.Sprintf("%s:%v:%v", name, d["partitions"], d["messages"]))
	}
	return strings.Join(s, " ")
}

func TestTopicLimits(t *testing.T) {
	small := kafkacli.Limits{MaxPartitionsPerTopic: 4, MaxPartitions: 6, MaxTopics: 3}
	for _, tc := range []struct {
		name  string
		setup []string
		line  string
		want  string
	}{
		{
			name: "create over the per-topic limit",
			line: "kafka-topics --create --topic orders --partitions 5",
			want: policy("Topic creation was rejected: 5 partitions is over this sandbox's limit of 4 partitions per topic."),
		},
		{
			name: "create with a huge count",
			line: "kafka-topics --create --topic orders --partitions 2147483647 --replication-factor 1",
			want: policy("Topic creation was rejected: 2147483647 partitions is over this sandbox's limit of 4 partitions per topic."),
		},
		{
			name:  "create over the topic limit",
			setup: []string{"kafka-topics --create --topic a", "kafka-topics --create --topic b", "kafka-topics --create --topic c"},
			line:  "kafka-topics --create --topic d",
			want:  policy("Topic creation was rejected: this sandbox is at its limit of 3 topics."),
		},
		{
			name:  "create over the sandbox's partitions",
			setup: []string{"kafka-topics --create --topic a --partitions 4"},
			line:  "kafka-topics --create --topic b --partitions 3",
			want:  policy("Topic creation was rejected: 3 partitions would bring this sandbox to 7, over its limit of 6 partitions."),
		},
		{
			name:  "create one partition over the sandbox's partitions",
			setup: []string{"kafka-topics --create --topic a --partitions 4", "kafka-topics --create --topic b --partitions 2"},
			line:  "kafka-topics --create --topic c",
			want:  policy("Topic creation was rejected: 1 partition would bring this sandbox to 7, over its limit of 6 partitions."),
		},
		{
			name:  "alter over the per-topic limit",
			setup: []string{"kafka-topics --create --topic a --partitions 2"},
			line:  "kafka-topics --alter --topic a --partitions 5000",
			want:  policy("Partition creation was rejected: 5000 partitions is over this sandbox's limit of 4 partitions per topic."),
		},
		{
			name:  "alter of several topics over the sandbox's partitions",
			setup: []string{"kafka-topics --create --topic a --partitions 3", "kafka-topics --create --topic b --partitions 2"},
			line:  "kafka-topics --alter --topic a|b --partitions 4",
			want:  policy("Partition creation was rejected: 3 more partitions would bring this sandbox to 8, over its limit of 6 partitions."),
		},
		{
			name:  "producer auto-creation over the topic limit",
			setup: []string{"kafka-topics --create --topic a", "kafka-topics --create --topic b", "kafka-topics --create --topic c"},
			line:  "kafka-console-producer --topic d --message hello",
			want: sendFailure("d", "null", 5,
				"org.apache.kafka.common.errors.PolicyViolationException: Topic creation was rejected: this sandbox is at its limit of 3 topics."),
		},
		{
			name:  "producer auto-creation over the sandbox's partitions",
			setup: []string{"kafka-topics --create --topic a --partitions 4", "kafka-topics --create --topic b --partitions 2"},
			line:  "kafka-console-producer --topic c --property parse.key=true --property key.separator=: --message k:hello",
			want: sendFailure("c", "1 bytes", 5,
				"org.apache.kafka.common.errors.PolicyViolationException: Topic creation was rejected: 1 partition would bring this sandbox to 7, over its limit of 6 partitions."),
		},
		{
			name:  "consumer auto-creation over the topic limit",
			setup: []string{"kafka-topics --create --topic a", "kafka-topics --create --topic b", "kafka-topics --create --topic c"},
			line:  "kafka-console-consumer --topic d --from-beginning --timeout-ms 100",
			want: "ERROR Error processing message, terminating consumer process: " +
				"org.apache.kafka.common.errors.PolicyViolationException: Topic creation was rejected: this sandbox is at its limit of 3 topics.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t)
			b.Limits = small
			for _, line := range tc.setup {
				mustRun(t, b, line)
			}
			before := topicState(t, b)
			wantRefused(t, b, tc.line, tc.want)
			if after := topicState(t, b); after != before {
				t.Errorf("refused %q changed the topics:\nbefore %s\n after %s", tc.line, before, after)
			}
		})
	}
}

// TestTopicLimitsAllowUpToTheLimit checks that every limit lets a learner
// reach it exactly.
func TestTopicLimitsAllowUpToTheLimit(t *testing.T) {
	b := newBroker(t)
	b.Limits = kafkacli.Limits{MaxPartitionsPerTopic: 4, MaxPartitions: 6, MaxTopics: 3}
	mustRun(t, b, "kafka-topics --create --topic a --partitions 3")
	mustRun(t, b, "kafka-topics --alter --topic a --partitions 4")
	mustRun(t, b, "kafka-console-producer --topic b --message x")
	wantRefused(t, b, "kafka-topics --create --topic c --partitions 2",
		policy("Topic creation was rejected: 2 partitions would bring this sandbox to 7, over its limit of 6 partitions."))
	mustRun(t, b, "kafka-console-consumer --topic c --timeout-ms 100")
	if got := topicState(t, b); got != "a:4:0 b:1:1 c:1:0" {
		t.Errorf("topics = %s", got)
	}
	wantRefused(t, b, "kafka-topics --create --topic d",
		policy("Topic creation was rejected: this sandbox is at its limit of 3 topics."))
	wantRefused(t, b, "kafka-topics --alter --topic b --partitions 2",
		policy("Partition creation was rejected: 1 more partition would bring this sandbox to 7, over its limit of 6 partitions."))
}

// TestDefaultLimits checks the defaults that a zero Limits stands for.
func TestDefaultLimits(t *testing.T) {
	b := newBroker(t) // Limits is the zero value
	wantRefused(t, b, "kafka-topics --create --topic wide --partitions 65",
		policy("Topic creation was rejected: 65 partitions is over this sandbox's limit of 64 partitions per topic."))
	for i := range 4 {
		mustRun(t, b, fmt.Sprintf("kafka-topics --create --topic wide%d --partitions 64", i))
	}
	wantRefused(t, b, "kafka-topics --create --topic one",
		policy("Topic creation was rejected: 1 partition would bring this sandbox to 257, over its limit of 256 partitions."))

	b = newBroker(t)
	for i := range 100 {
		mustRun(t, b, fmt.Sprintf("kafka-topics --create --topic t%03d", i))
	}
	wantRefused(t, b, "kafka-topics --create --topic t100",
		policy("Topic creation was rejected: this sandbox is at its limit of 100 topics."))

	// max.request.size: a value of 1048489 bytes serializes to exactly
	// 1048576 (61 + 21 + 1 + 3 + 1048489 + 1), one byte more crosses it.
	mustRun(t, b, "kafka-console-producer --topic t000 --message "+strings.Repeat("v", 1048489))
	wantRefused(t, b, "kafka-console-producer --topic t000 --message "+strings.Repeat("v", 1048490),
		sendFailure("t000", "null", 1048490, tooLarge(1048577, 1048576)))
	if got := describeTopic(t, b, "t000")["messages"]; got != 1 {
		t.Errorf("messages after the refusal = %v, want 1", got)
	}
}

// logBytes returns what DescribeLogDirs says the sandbox's partitions
// hold, as the console counts it.
func logBytes(t *testing.T, b kafkacli.Broker) int64 {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	dirs, err := kadm.NewClient(cl).DescribeAllLogDirs(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	dirs.Each(func(d kadm.DescribedLogDir) { total += d.Size() })
	return total
}

func TestRecordLimits(t *testing.T) {
	mib := strings.Repeat("x", 1<<20)
	for _, tc := range []struct {
		name   string
		limits kafkacli.Limits
		setup  []string
		line   string
		want   func(held int64) string
	}{
		{
			// The Java producer printed exactly this for a 1 MiB line
			// (Kafka 4.1.0 against a real broker).
			name: "a 1 MiB value",
			line: "kafka-console-producer --topic big --message " + mib,
			want: func(int64) string { return sendFailure("big", "null", 1<<20, tooLarge(1048664, 1048576)) },
		},
		{
			name:  "a large record after small ones sends none of them",
			setup: []string{"kafka-topics --create --topic big"},
			line:  "kafka-console-producer --topic big --message small --message " + mib + " --message after",
			want:  func(int64) string { return sendFailure("big", "null", 1<<20, tooLarge(1048664, 1048576)) },
		},
		{
			name:   "the key counts",
			limits: kafkacli.Limits{MaxRecordBytes: 200},
			line:   "kafka-console-producer --topic keyed --property parse.key=true --property key.separator=: --message " + strings.Repeat("k", 100) + ":" + strings.Repeat("v", 20),
			// 61 + 21 + (2 + 100) + (1 + 20) + 1
			want: func(int64) string { return sendFailure("keyed", "100 bytes", 20, tooLarge(206, 200)) },
		},
		{
			name:   "total bytes of an empty sandbox",
			limits: kafkacli.Limits{MaxTotalBytes: 500},
			line:   "kafka-console-producer --topic bulk --message " + strings.Repeat("a", 100) + " --message " + strings.Repeat("b", 100) + " --message " + strings.Repeat("c", 100),
			// 186 bytes each: 61 + 21 + 1 + (2 + 100) + 1
			want: func(int64) string {
				return sendFailure("bulk", "null", 100, "org.apache.kafka.common.errors.PolicyViolationException: Producing was rejected: 558 more bytes would bring this sandbox to 558, over its limit of 500 bytes.")
			},
		},
		{
			// What the sandbox holds is what the broker stores (franz-go
			// compresses batches), and the records to send count at
			// their uncompressed size, as max.request.size counts them.
			name:   "total bytes with records already held",
			limits: kafkacli.Limits{MaxTotalBytes: 300},
			setup:  []string{"kafka-console-producer --topic bulk --message " + strings.Repeat("a", 100)},
			line:   "kafka-console-producer --topic bulk --message " + strings.Repeat("b", 100) + " --message " + strings.Repeat("c", 100),
			want: func(held int64) string {
				if held == 0 || held+186 > 300 {
					return fmt.Sprintf("the test expects to hold between 1 and 114 bytes, not %d", held)
				}
				return sendFailure("bulk", "null", 100, fmt.Sprintf("org.apache.kafka.common.errors.PolicyViolationException: Producing was rejected: 372 more bytes would bring this sandbox to %d, over its limit of 300 bytes.", held+372))
			},
		},
		{
			name:   "opslab-drill record size",
			limits: kafkacli.Limits{MaxRecordBytes: 100},
			setup:  []string{"kafka-topics --create --topic payments"},
			line:   "opslab-drill abandon-transaction --topic payments --transactional-id w --message " + strings.Repeat("p", 20),
			want:   func(int64) string { return "opslab-drill: produce: " + tooLarge(105, 100) },
		},
		{
			name:   "opslab-drill total bytes",
			limits: kafkacli.Limits{MaxTotalBytes: 100},
			setup:  []string{"kafka-topics --create --topic payments"},
			line:   "opslab-drill abandon-transaction --topic payments --transactional-id w --message " + strings.Repeat("p", 20),
			want: func(int64) string {
				return "opslab-drill: produce: org.apache.kafka.common.errors.PolicyViolationException: Producing was rejected: 105 more bytes would bring this sandbox to 105, over its limit of 100 bytes."
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBroker(t)
			b.Limits = tc.limits
			for _, line := range tc.setup {
				mustRun(t, b, line)
			}
			before, held := topicState(t, b), logBytes(t, b)
			wantRefused(t, b, tc.line, tc.want(held))
			if after := topicState(t, b); after != before {
				t.Errorf("refused command changed the topics:\nbefore %s\n after %s", before, after)
			}
		})
	}
}

// TestRecordLimitsAllowUpToTheLimit produces right up to the total bytes
// limit, which DescribeLogDirs then reports.
func TestRecordLimitsAllowUpToTheLimit(t *testing.T) {
	b := newBroker(t)
	b.Limits = kafkacli.Limits{MaxTotalBytes: 1000}
	line := "kafka-console-producer --topic bulk --message " + strings.Repeat("a", 100)
	for logBytes(t, b)+186 <= 1000 {
		mustRun(t, b, line)
	}
	held := logBytes(t, b)
	if held == 0 || held > 1000 {
		t.Fatalf("held %d bytes", held)
	}
	wantRefused(t, b, line, sendFailure("bulk", "null", 100, fmt.Sprintf(
		"org.apache.kafka.common.errors.PolicyViolationException: Producing was rejected: 186 more bytes would bring this sandbox to %d, over its limit of 1000 bytes.", held+186)))
}

// TestBootstrapServerIsIgnored proves that --bootstrap-server never makes
// the console connect anywhere but the sandbox's seeds: a listener the
// test owns, named in every command, must see no connection.
func TestBootstrapServerIsIgnored(t *testing.T) {
	b := newBroker(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu       sync.Mutex
		accepted []string
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			accepted = append(accepted, c.RemoteAddr().String())
			mu.Unlock()
			c.Close()
		}
	}()
	other := ln.Addr().String()
	for _, line := range []string{
		"kafka-topics --bootstrap-server " + other + " --list",
		"kafka-topics --bootstrap-server=" + other + " --create --topic orders --partitions 2",
		"kafka-topics --describe --topic orders --bootstrap-server " + other,
		"kafka-topics --bootstrap-server " + other + " --alter --topic orders --partitions 3",
		"kafka-console-producer --bootstrap-server " + other + " --topic orders --message hello",
		"kafka-console-producer --bootstrap-server " + other + " --topic fresh --message hello",
		"kafka-console-consumer --bootstrap-server " + other + " --topic orders --from-beginning --max-messages 1 --group g",
		"kafka-consumer-groups --bootstrap-server " + other + " --describe --group g",
		"kafka-consumer-groups --bootstrap-server " + other + " --list",
		"kafka-configs --bootstrap-server " + other + " --describe --entity-type topics --entity-name orders",
		"kafka-acls --bootstrap-server " + other + " --list",
		"kafka-transactions --bootstrap-server " + other + " list",
		"opslab-drill abandon-transaction --bootstrap-server " + other + " --topic orders --transactional-id w --message m",
	} {
		mustRun(t, b, line)
	}
	ln.Close()
	<-done
	if len(accepted) > 0 {
		t.Fatalf("the console connected to --bootstrap-server %s (from %v)", other, accepted)
	}
	if got := topicState(t, b); got != "fresh:1:1 orders:3:2" {
		t.Errorf("the commands did not reach the sandbox: %s", got)
	}
}
