package kafkacli

import (
	"context"
	"fmt"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
)

// DescribeTopic returns what the exercise probe `kafka: describe topic T`
// yields: "partitions" (int), "replication_factor" (int), "messages"
// (int, the records the topic holds: the sum over partitions of log-end
// minus log-start offset), "messages.<partition>" (int, the same for one
// partition), "config.<name>" (string) and "config_source.<name>"
// (string) for every config the topic has; also "unstable_offsets" and
// "acl.<principal>" (see describeTopicTxnsAndACLs). A missing topic gives
// an *Error wrapping ErrTopicNotFound, worded as kafka-topics words it.
//
// The configs are what `kafka-configs --describe --all` shows for the
// topic (topicConfigEntries): on a Kafka broker its own DescribeConfigs
// answer, so a value the broker takes from its settings (the sandbox's
// log.retention.bytes, say) is that value, not Kafka's default; the
// source is the name kafka-configs prints (DYNAMIC_TOPIC_CONFIG for the
// topic's own setting, STATIC_BROKER_CONFIG, DEFAULT_CONFIG, ...). A
// sensitive or unset value is "null", as kafka-configs prints it.
func DescribeTopic(ctx context.Context, b Broker, topic string) (map[string]any, error) {
	op := "describe topic " + topic
	cl, err := b.client()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	d, err := probedTopic(ctx, adm, op, topic)
	if err != nil {
		return nil, err
	}
	parts := d.Partitions.Sorted()
	rf := 0
	if len(parts) > 0 {
		rf = len(parts[0].Replicas)
	}
	entries, _, err := topicConfigEntries(ctx, cl, topic, false)
	if err != nil {
		return nil, fmt.Errorf("%s: describe configs: %w", op, err)
	}
	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("%s: list start offsets: %w", op, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("%s: list end offsets: %w", op, err)
	}
	messages := int64(0)
	perPartition := make(map[int32]int64, len(parts))
	for _, p := range parts {
		s, ok1 := starts.Lookup(topic, p.Partition)
		e, ok2 := ends.Lookup(topic, p.Partition)
		perPartition[p.Partition] = 0
		if ok1 && ok2 && s.Err == nil && e.Err == nil && e.Offset > s.Offset {
			messages += e.Offset - s.Offset
			perPartition[p.Partition] = e.Offset - s.Offset
		}
	}
	out := map[string]any{
		"partitions":         len(parts),
		"replication_factor": rf,
		"messages":           int(messages),
	}
	addPartitionMessages(out, perPartition)
	for _, e := range entries {
		out["config."+e.Name] = javaString(e.Value)
		out["config_source."+e.Name] = sourceName(e.Source)
	}
	if err := describeTopicTxnsAndACLs(ctx, b, adm, topic, ends, out); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// DescribeGroup returns what the exercise probe `kafka: describe group G`
// yields: "state" (string, such as Stable or Empty), "members" (int),
// "lag" (int, the total lag) and "lag.<topic>" (int) for every topic the
// group has committed offsets on. Lag counts, for each partition with a
// committed offset, the log-end offset minus that offset. A group the
// broker does not know and that has no committed offsets gives an *Error
// wrapping ErrGroupNotFound, worded as Kafka 4.1 words it.
func DescribeGroup(ctx context.Context, b Broker, group string) (map[string]any, error) {
	op := "describe group " + group
	adm, err := b.admin()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer adm.Close()
	v, err := loadGroup(ctx, adm, group)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if !v.exists {
		return nil, &Error{Op: op, Text: fmt.Sprintf("Group %s not found.", group), Err: ErrGroupNotFound}
	}
	out := map[string]any{
		"state":   v.state,
		"members": len(v.members),
	}
	total := 0
	perTopic := map[string]int{}
	for tp, cur := range v.committed {
		lag := 0
		if end, ok := v.logEnd[tp]; ok && end > cur {
			lag = int(end - cur)
		}
		perTopic[tp.topic] += lag
		total += lag
	}
	for topic, lag := range perTopic {
		out["lag."+topic] = lag
	}
	out["lag"] = total
	return out, nil
}

// ListTopics returns what the probe `kafka: list topics` yields: the
// names of the broker's topics, sorted, internal topics left out.
func ListTopics(ctx context.Context, b Broker) ([]string, error) {
	adm, err := b.admin()
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	defer adm.Close()
	all, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	names := []string{}
	for name, d := range all {
		if !isInternalTopic(name, d) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// ListGroups returns what the probe `kafka: list groups` yields: the ids
// of the broker's groups, sorted.
func ListGroups(ctx context.Context, b Broker) ([]string, error) {
	adm, err := b.admin()
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer adm.Close()
	names, err := groupNames(ctx, adm)
	if err != nil {
		return nil, err
	}
	if names == nil {
		names = []string{}
	}
	return names, nil
}

// probedTopic returns the metadata of the topic a probe of op asks
// about; a missing topic gives an *Error wrapping ErrTopicNotFound,
// worded as kafka-topics words it.
func probedTopic(ctx context.Context, adm *kadm.Client, op, topic string) (kadm.TopicDetail, error) {
	topics, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return kadm.TopicDetail{}, fmt.Errorf("%s: %w", op, err)
	}
	d, ok := topics[topic]
	if !ok || d.Err != nil {
		return kadm.TopicDetail{}, &Error{Op: op, Text: fmt.Sprintf("Topic '%s' does not exist as expected", topic), Err: ErrTopicNotFound}
	}
	return d, nil
}
