package kafkacli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// The replication report options of kafka-topics --describe, as
// TopicsCommand.Reports holds them. They print only the partitions they select
// and no topic lines, as TopicCommand does; given together, a partition
// any of them selects is printed once (Kafka 4.1's kafka-topics.sh
// accepts several in one run).
const (
	ReportUnderReplicated = "under-replicated-partitions" // ISR smaller than the replica list
	ReportUnavailable     = "unavailable-partitions"      // no leader, or a leader that is not a live broker
	ReportUnderMinISR     = "under-min-isr-partitions"    // ISR smaller than min.insync.replicas, or no leader
	ReportAtMinISR        = "at-min-isr-partitions"       // ISR exactly min.insync.replicas
)

// reportOptions are the report options in the order TopicCommand lists
// them.
var reportOptions = []string{ReportUnderReplicated, ReportUnavailable, ReportUnderMinISR, ReportAtMinISR}

// parseReports sets cmd.Reports from the report options: they go only
// with --describe, and any number of them together.
func (cmd *TopicsCommand) parseReports(s scanned) error {
	fail := func(text string) error { return usageError(ToolTopics+" --"+cmd.Action, text) }
	var given []string
	for _, name := range reportOptions {
		if s.has(name) {
			given = append(given, name)
		}
	}
	if len(given) == 0 {
		return nil
	}
	if cmd.Action != ActionDescribe {
		return fail(cantUseWith(given[0], cmd.Action))
	}
	cmd.Reports = given
	return nil
}

// describeReport prints the partition lines of the matching topics that
// any of cmd.Reports selects, each once, computed from the same metadata a plain --describe
// shows: the replica list, the ISR, the leader, the live brokers and each
// topic's min.insync.replicas.
func describeReport(ctx context.Context, adm *kadm.Client, cmd *TopicsCommand, all kadm.TopicDetails, names []string, out io.Writer) error {
	overrides, err := topicOverrides(ctx, adm, names...)
	if err != nil {
		return err
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		return fmt.Errorf("list brokers: %w", err)
	}
	live := brokers.NodeIDs()
	var b strings.Builder
	for _, name := range names {
		minISR := topicMinISR(overrides[name])
		for _, p := range all[name].Partitions.Sorted() {
			hasLeader := p.Leader >= 0
			show := false
			for _, report := range cmd.Reports {
				switch report {
				case ReportUnderReplicated:
					show = show || len(p.ISR) < len(p.Replicas)
				case ReportUnavailable:
					show = show || !hasLeader || !slices.Contains(live, p.Leader)
				case ReportUnderMinISR:
					show = show || !hasLeader || len(p.ISR) < minISR
				case ReportAtMinISR:
					show = show || len(p.ISR) == minISR
				}
			}
			if !show {
				continue
			}
			leader := "none"
			if hasLeader {
				leader = strconv.Itoa(int(p.Leader))
			}
			fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\tElr: \tLastKnownElr: \n",
				name, p.Partition, leader, joinIDs(p.Replicas), joinIDs(p.ISR))
		}
	}
	_, err = io.WriteString(out, b.String())
	return err
}

// topicMinISR is a topic's min.insync.replicas: its override, or else the
// default.
func topicMinISR(overrides map[string]string) int {
	v, ok := overrides["min.insync.replicas"]
	if !ok {
		if d, found := LookupTopicConfig("min.insync.replicas"); found {
			v = d.Default
		}
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 1
	}
	return n
}
