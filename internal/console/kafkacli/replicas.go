package kafkacli

import (
	"context"
	"fmt"
	"strconv"
)

// TopicReplicas returns the replication view of a topic for the probe
// `kafka: describe topic T`, beside DescribeTopic's fields:
// "partition.<n>.leader" (int), "partition.<n>.replicas" and
// "partition.<n>.isr" (lists of broker ids), "min_isr" (int, the smallest
// ISR over the partitions) and "under_replicated_partitions" (int, those
// whose ISR is smaller than their replica list). A missing topic gives an
// *Error wrapping ErrTopicNotFound.
func TopicReplicas(ctx context.Context, b Broker, topic string) (map[string]any, error) {
	op := "describe topic " + topic
	adm, err := b.admin()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer adm.Close()
	d, err := probedTopic(ctx, adm, op, topic)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	minISR, under := -1, 0
	for _, p := range d.Partitions.Sorted() {
		prefix := "partition." + strconv.Itoa(int(p.Partition)) + "."
		out[prefix+"leader"] = int(p.Leader)
		out[prefix+"replicas"] = ids(p.Replicas)
		out[prefix+"isr"] = ids(p.ISR)
		if minISR < 0 || len(p.ISR) < minISR {
			minISR = len(p.ISR)
		}
		if len(p.ISR) < len(p.Replicas) {
			under++
		}
	}
	out["min_isr"] = max(minISR, 0)
	out["under_replicated_partitions"] = under
	return out, nil
}

func ids(list []int32) []any {
	out := make([]any, len(list))
	for i, id := range list {
		out[i] = int(id)
	}
	return out
}
