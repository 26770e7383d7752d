package kafkacli

import (
	"context"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// describeConsumerGroup describes name as a KIP-848 consumer group (the
// "consumer" group protocol of Kafka 4), as the real tool does for a group
// of that type: state, assignor, coordinator and members with their
// assignments. ok is false when the broker does not know such a group, or
// cannot say (a broker without the ConsumerGroupDescribe API, or one that
// leaves out assigned topics' names).
func describeConsumerGroup(ctx context.Context, adm *kadm.Client, name string) (v groupView, ok bool) {
	described, err := adm.DescribeConsumerGroups(ctx, name)
	if err != nil {
		return v, false
	}
	d, found := described[name]
	if !found || d.Err != nil || d.State == "" || strings.EqualFold(d.State, "dead") {
		return v, false
	}
	v.state = groupStateName(d.State)
	v.protocol = d.AssignorName
	v.coordinator = d.Coordinator
	for _, m := range d.Members {
		gm := groupMember{id: m.MemberID, host: clientHost(m.ClientHost), clientID: m.ClientID}
		for topic, parts := range m.Assignment {
			if topic == "" {
				// A broker that names assigned topics by id only
				// (kfake): fall back on the classic view.
				return groupView{}, false
			}
			for p := range parts {
				gm.parts = append(gm.parts, topicPartition{topic, p})
			}
		}
		slices.SortFunc(gm.parts, func(a, b topicPartition) int {
			if c := strings.Compare(a.topic, b.topic); c != 0 {
				return c
			}
			return int(a.partition - b.partition)
		})
		v.members = append(v.members, gm)
	}
	return v, true
}

// groupStateName spells a ConsumerGroupDescribe state ("stable",
// "reconciling", ...) as the Java tool prints it ("Stable").
func groupStateName(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}
