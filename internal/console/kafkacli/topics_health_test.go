package kafkacli_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// newCluster starts a three-broker kfake cluster, as the kafka-cluster
// sandbox runs.
func newCluster(t *testing.T) kafkacli.Broker {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.Ports(0, 0, 0))
	if err != nil {
		t.Fatalf("start kfake cluster: %v", err)
	}
	t.Cleanup(c.Close)
	return kafkacli.Broker{Seeds: c.ListenAddrs()}
}

func TestTopicsDescribeReports(t *testing.T) {
	b := newCluster(t)
	mustRun(t, b, "kafka-topics --create --topic safe --partitions 2 --replication-factor 3 --config min.insync.replicas=2")
	mustRun(t, b, "kafka-topics --create --topic tight --partitions 1 --replication-factor 3 --config min.insync.replicas=3")
	mustRun(t, b, "kafka-topics --create --topic broken --partitions 2 --replication-factor 1 --config min.insync.replicas=2")

	// Every partition has a leader and its whole replica list in the ISR.
	for _, line := range []string{
		"kafka-topics --describe --under-replicated-partitions",
		"kafka-topics --describe --unavailable-partitions",
	} {
		wantOutput(t, line, mustRun(t, b, line), "")
	}

	// broken's ISR (1) is below its min.insync.replicas (2): only its
	// partitions, no topic line.
	line := "kafka-topics --describe --under-min-isr-partitions"
	got := lines(mustRun(t, b, line))
	if len(got) != 2 {
		t.Fatalf("%s: got %q, want broken's 2 partitions", line, got)
	}
	for i, l := range got {
		want := "\tTopic: broken\tPartition: " + string(rune('0'+i)) + "\tLeader: "
		if len(l) < len(want) || l[:len(want)] != want {
			t.Fatalf("%s: line %d is %q, want it to start %q", line, i, l, want)
		}
	}

	// tight's ISR (3) equals its min.insync.replicas (3).
	line = "kafka-topics --describe --at-min-isr-partitions"
	got = lines(mustRun(t, b, line))
	if len(got) != 1 || len(got[0]) < 30 || got[0][:29] != "\tTopic: tight\tPartition: 0\tLe" {
		t.Fatalf("%s: got %q, want tight's partition 0", line, got)
	}
	line = "kafka-topics --describe --topic safe --at-min-isr-partitions"
	wantOutput(t, line, mustRun(t, b, line), "")

	// Several report options in one run, as kafka-topics.sh 4.1 accepts:
	// a partition any of them selects, once, topics in kafka-topics' own
	// order (describeOrder).
	line = "kafka-topics --describe --at-min-isr-partitions --under-min-isr-partitions --unavailable-partitions"
	got = lines(mustRun(t, b, line))
	var heads []string
	for _, l := range got {
		heads = append(heads, strings.Join(strings.Split(l, "\t")[1:3], " "))
	}
	if want := "Topic: broken Partition: 0|Topic: broken Partition: 1|Topic: tight Partition: 0"; strings.Join(heads, "|") != want {
		t.Fatalf("%s: got %q, want the partitions %s", line, got, want)
	}

	// Once the replication factor is raised (here: the topic recreated,
	// as kfake cannot reassign), the report is empty.
	mustRun(t, b, "kafka-topics --delete --topic broken")
	mustRun(t, b, "kafka-topics --create --topic broken --partitions 2 --replication-factor 3 --config min.insync.replicas=2")
	line = "kafka-topics --describe --under-min-isr-partitions"
	wantOutput(t, line, mustRun(t, b, line), "")
}

func TestTopicsReportOptionErrors(t *testing.T) {
	for line, want := range map[string]string{
		"kafka-topics --list --under-replicated-partitions":                          `Option "[under-replicated-partitions]" can't be used with option "[list]"`,
		"kafka-topics --create --topic x --under-min-isr-partitions":                 `Option "[under-min-isr-partitions]" can't be used with option "[create]"`,
		"kafka-topics --list --under-replicated-partitions --unavailable-partitions": `Option "[under-replicated-partitions]" can't be used with option "[list]"`,
	} {
		_, err := kafkacli.Parse(line)
		if err == nil || err.Error() != want {
			t.Errorf("%s: got error %v, want %q", line, err, want)
		}
	}
	reports := func(line string) ([]string, error) {
		cmd, err := kafkacli.Parse(line)
		if err != nil {
			return nil, err
		}
		return as[*kafkacli.TopicsCommand](t, cmd).Reports, nil
	}
	got, err := reports("kafka-topics --describe --topic orders --under-min-isr")
	if err != nil || !slices.Equal(got, []string{kafkacli.ReportUnderMinISR}) {
		t.Fatalf("--under-min-isr prefix: got %+v, %v", got, err)
	}
	got, err = reports("kafka-topics --describe --at-min-isr-partitions --under-replicated-partitions")
	if want := []string{kafkacli.ReportUnderReplicated, kafkacli.ReportAtMinISR}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("two report options: got %+v, %v; want %v", got, err, want)
	}
}
