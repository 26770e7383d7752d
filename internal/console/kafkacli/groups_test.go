package kafkacli_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// seedGroup makes topic orders with 3 partitions holding 4, 0 and 1
// records, and group g with committed offsets 3, 0 and 0.
func seedGroup(t *testing.T, b kafkacli.Broker) {
	t.Helper()
	mustRun(t, b, "kafka-topics --create --topic orders --partitions 3")
	for _, m := range []string{"a", "b", "c", "d"} {
		produceTo(t, b, "orders", 0, m)
	}
	mustRun(t, b, "kafka-consumer-groups --reset-offsets --group g --topic orders:0 --to-offset 3 --execute")
	mustRun(t, b, "kafka-consumer-groups --reset-offsets --group g --topic orders:1,2 --to-earliest --execute")
	produceTo(t, b, "orders", 2, "e")
}

// produceTo writes one record to a given partition with an independent
// franz-go client.
func produceTo(t *testing.T, b kafkacli.Broker, topic string, partition int32, value string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Seeds...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: partition, Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatalf("produce to %s-%d: %v", topic, partition, err)
	}
}

func TestGroupsDescribeEmpty(t *testing.T) {
	b := newBroker(t)
	seedGroup(t, b)
	header := "GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID"
	line := "kafka-consumer-groups --bootstrap-server localhost:9092 --describe --group g"
	wantOutput(t, line, mustRun(t, b, line), "\nConsumer group 'g' has no active members.\n\n"+header+"\n"+
		"g               orders          0          3               4               1               -               -               -\n"+
		"g               orders          1          0               0               0               -               -               -\n"+
		"g               orders          2          0               1               1               -               -               -\n")

	line = "kafka-consumer-groups --describe --group g --state"
	out := mustRun(t, b, line)
	port := strings.Split(b.Seeds[0], ":")[1]
	coord := fmt.Sprintf("127.0.0.1:%s  (0)", port)
	wantOutput(t, line, out, "\nConsumer group 'g' has no active members.\n\n"+
		fmt.Sprintf("GROUP           %-25s ASSIGNMENT-STRATEGY  STATE                #MEMBERS\n", "COORDINATOR (ID)")+
		fmt.Sprintf("g               %-25s -                    Empty                0\n", coord))

	line = "kafka-consumer-groups --describe --group g --members"
	wantOutput(t, line, mustRun(t, b, line), "\nConsumer group 'g' has no active members.\n")

	line = "kafka-consumer-groups --list"
	wantOutput(t, line, mustRun(t, b, line), "g\n")

	wantError(t, b, "kafka-consumer-groups --describe --group nope",
		"Error: Executing consumer group command failed due to org.apache.kafka.common.errors.GroupIdNotFoundException: Group nope not found.")
}

func TestGroupsResetOffsets(t *testing.T) {
	b := newBroker(t)
	seedGroup(t, b)
	table := func(rows ...string) string {
		s := "\nGROUP                          TOPIC                          PARTITION  NEW-OFFSET     "
		for _, r := range rows {
			s += "\n" + r
		}
		return s + "\n"
	}
	row := func(p, off int) string {
		return fmt.Sprintf("%-30s %-30s %-10d %-15d", "g", "orders", p, off)
	}

	line := "kafka-consumer-groups --reset-offsets --group g --topic orders --to-earliest --dry-run"
	wantOutput(t, line, mustRun(t, b, line), table(row(0, 0), row(1, 0), row(2, 0)))
	if g := describeGroup(t, b, "g"); g["lag"] != 2 {
		t.Errorf("--dry-run changed the offsets: %v", g)
	}
	line = "kafka-consumer-groups --reset-offsets --group g --topic orders --to-latest"
	wantOutput(t, line, mustRun(t, b, line), "WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n"+
		table(row(0, 4), row(1, 0), row(2, 1)))
	if g := describeGroup(t, b, "g"); g["lag"] != 2 {
		t.Errorf("a reset without --execute changed the offsets: %v", g)
	}

	line = "kafka-consumer-groups --reset-offsets --group g --topic orders --to-earliest --execute"
	wantOutput(t, line, mustRun(t, b, line), table(row(0, 0), row(1, 0), row(2, 0)))
	if g := describeGroup(t, b, "g"); g["lag"] != 5 {
		t.Errorf("after --to-earliest --execute: %v", g)
	}
	line = "kafka-consumer-groups --reset-offsets --group g --topic orders --shift-by 2 --execute"
	wantOutput(t, line, mustRun(t, b, line),
		"WARN New offset (2) is higher than latest offset for topic partition orders-1. Value will be set to 0\n"+
			"WARN New offset (2) is higher than latest offset for topic partition orders-2. Value will be set to 1\n"+
			table(row(0, 2), row(1, 0), row(2, 1)))
	line = "kafka-consumer-groups --reset-offsets --group g --topic orders:0 --shift-by -5 --execute"
	wantOutput(t, line, mustRun(t, b, line),
		"WARN New offset (-3) is lower than earliest offset for topic partition orders-0. Value will be set to 0\n"+table(row(0, 0)))
	line = "kafka-consumer-groups --reset-offsets --group g --topic orders:0 --to-offset 3 --execute"
	wantOutput(t, line, mustRun(t, b, line), table(row(0, 3)))
	line = "kafka-consumer-groups --reset-offsets --group g --all-topics --to-current --dry-run"
	wantOutput(t, line, mustRun(t, b, line), table(row(0, 3), row(1, 0), row(2, 1)))
	if g := describeGroup(t, b, "g"); g["lag"] != 1 || g["lag.orders"] != 1 {
		t.Errorf("after the resets: %v", g)
	}

	wantError(t, b, "kafka-consumer-groups --reset-offsets --group fresh --topic orders --shift-by 1 --dry-run",
		"Cannot shift offset for partition orders-0 since there is no current committed offset")
	wantError(t, b, "kafka-consumer-groups --reset-offsets --group g --topic nope --to-earliest --dry-run",
		"Error: Executing consumer group command failed due to This server does not host this topic-partition.")

	// Resetting a group that does not exist yet creates it, as in Kafka.
	mustRun(t, b, "kafka-consumer-groups --reset-offsets --group newgroup --topic orders --to-offset 1 --execute")
	if g := describeGroup(t, b, "newgroup"); g["state"] != "Empty" || g["lag"] != 3 {
		t.Errorf("new group after reset: %v", g)
	}
}

// joinGroup starts an independent franz-go group consumer on topic and
// waits until it holds partitions; it leaves the group when the test ends.
func joinGroup(t *testing.T, b kafkacli.Broker, group, topic string) *kgo.Client {
	t.Helper()
	assigned := make(chan struct{}, 1)
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(b.Seeds...),
		kgo.ClientID("test-client"),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) {
			select {
			case assigned <- struct{}{}:
			default:
			}
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	go func() {
		for {
			if cl.PollFetches(context.Background()).IsClientClosed() {
				return
			}
		}
	}()
	select {
	case <-assigned:
	case <-time.After(15 * time.Second):
		t.Fatal("group consumer was never assigned partitions")
	}
	return cl
}

func TestGroupsActiveMember(t *testing.T) {
	b := newBroker(t)
	seedGroup(t, b)
	joinGroup(t, b, "g", "orders")
	waitStable(t, b, "g")

	out := mustRun(t, b, "kafka-consumer-groups --describe --group g")
	rows := lines(out)
	if len(rows) != 5 || rows[0] != "" {
		t.Fatalf("describe of an active group:\n%s", out)
	}
	fields := strings.Fields(rows[2])
	member := fields[6]
	if !strings.HasPrefix(member, "test-client-") {
		t.Fatalf("consumer id %q", member)
	}
	width := max(15, len(member))
	want := fmt.Sprintf("\n%-15s %-15s %-10s %-15s %-15s %-15s %-*s %-15s %s\n", "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", width, "CONSUMER-ID", "HOST", "CLIENT-ID")
	for p, cur := range []string{"3", "0", "0"} {
		end := []string{"4", "0", "1"}[p]
		lag := []string{"1", "0", "1"}[p]
		want += fmt.Sprintf("%-15s %-15s %-10d %-15s %-15s %-15s %-*s %-15s %s\n", "g", "orders", p, cur, end, lag, width, member, "/127.0.0.1", "test-client")
	}
	wantOutput(t, "describe active group", out, want)

	line := "kafka-consumer-groups --describe --group g --members"
	wantOutput(t, line, mustRun(t, b, line), fmt.Sprintf("\n%-15s %-*s %-15s %-15s %-15s \n%-15s %-*s %-15s %-15s %-15s \n",
		"GROUP", width, "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS",
		"g", width, member, "/127.0.0.1", "test-client", "3"))
	if st := mustRun(t, b, "kafka-consumer-groups --describe --group g --state"); !strings.Contains(st, " Stable ") || !strings.Contains(st, " 1\n") {
		t.Errorf("--state of an active group:\n%s", st)
	}
	if g := describeGroup(t, b, "g"); g["state"] != "Stable" || g["members"] != 1 {
		t.Errorf("probe of an active group = %v", g)
	}

	wantError(t, b, "kafka-consumer-groups --reset-offsets --group g --topic orders --to-earliest --execute",
		"Error: Assignments can only be reset if the group 'g' is inactive, but the current state is Stable.")
	wantError(t, b, "kafka-consumer-groups --delete --group g",
		"Error: Deletion of some consumer groups failed:\n* Group 'g' could not be deleted due to: org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty.")
}

// waitStable waits until a group is Stable.
func waitStable(t *testing.T, b kafkacli.Broker, group string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		g, err := kafkacli.DescribeGroup(context.Background(), b, group)
		if err == nil && g["state"] == "Stable" {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("group %s never became Stable", group)
}

func TestGroupsDelete(t *testing.T) {
	b := newBroker(t)
	seedGroup(t, b)
	mustRun(t, b, "kafka-consumer-groups --reset-offsets --group h --topic orders --to-latest --execute")
	line := "kafka-consumer-groups --describe --all-groups"
	out := mustRun(t, b, line)
	if !strings.HasPrefix(out, "\nConsumer group 'g' has no active members.\n\nGROUP") || !strings.Contains(out, "\nConsumer group 'h' has no active members.\n\nGROUP") {
		t.Errorf("%s:\n%s", line, out)
	}

	line = "kafka-consumer-groups --delete --group g"
	wantOutput(t, line, mustRun(t, b, line), "Deletion of requested consumer groups ('g') was successful.\n")
	wantError(t, b, "kafka-consumer-groups --delete --group g",
		"Error: Deletion of some consumer groups failed:\n* Group 'g' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.")
	wantError(t, b, "kafka-consumer-groups --delete --group nope --group h",
		"Error: Deletion of some consumer groups failed:\n* Group 'nope' could not be deleted due to: org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist.\n\nThese consumer groups were deleted successfully: 'h', '")
	line = "kafka-consumer-groups --list"
	wantOutput(t, line, mustRun(t, b, line), "")
}
