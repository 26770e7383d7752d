package kafkacli

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// settleTimeout bounds how long a command waits for its change to show in
// the broker's metadata.
const settleTimeout = 10 * time.Second

// awaitTopics waits, at most settleTimeout, until the metadata of every
// broker of the cluster shows every topic of names with a leader for each
// partition (present) or none of them (!present). A real broker answers
// CreateTopics and DeleteTopics once the controller has committed the
// change, before each broker's metadata cache has applied it (and the
// brokers apply it one by one), so a describe, a produce or a re-create
// right after, on any broker, would see the old state; kfake is always
// caught up. Waiting here makes the next command of a setup, a solution or
// a learner see what the last one did, on whichever broker it asks. It
// gives up silently: the change was accepted, only not yet visible.
func awaitTopics(ctx context.Context, cl *kgo.Client, present bool, partitions int, names ...string) {
	if len(names) == 0 {
		return
	}
	settle(ctx, func(ctx context.Context) bool { return topicsSettled(ctx, cl, present, partitions, names) })
}

// settle calls done until it reports true, backing off from 10 ms to
// 200 ms between calls, for at most settleTimeout or until ctx ends. A
// real broker answers a change (topics, configs, quotas, ACLs) once the
// controller has committed it, before the broker's own metadata image has
// applied it; settle is how a command waits for its change to show before
// it returns. It gives up silently: the change was accepted, only not yet
// visible.
func settle(ctx context.Context, done func(context.Context) bool) {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	delay := 10 * time.Millisecond
	for {
		if done(ctx) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// topicsSettled reports whether every broker's metadata shows names as
// awaitTopics wants; partitions, when positive, is the partition count
// each must have.
func topicsSettled(ctx context.Context, cl *kgo.Client, present bool, partitions int, names []string) bool {
	brokers, err := kadm.NewClient(cl).ListBrokers(ctx)
	if err != nil || len(brokers) == 0 {
		return false
	}
	for _, b := range brokers {
		req := kmsg.NewPtrMetadataRequest()
		req.AllowAutoTopicCreation = false // asking must never create one
		for _, name := range names {
			t := kmsg.NewMetadataRequestTopic()
			t.Topic = kmsg.StringPtr(name)
			req.Topics = append(req.Topics, t)
		}
		resp, err := req.RequestWith(ctx, cl.Broker(int(b.NodeID)))
		if err != nil || !metadataShows(resp, present, partitions, names) {
			return false
		}
	}
	return true
}

// metadataShows reports whether one broker's metadata answer shows every
// topic of names as awaitTopics wants.
func metadataShows(resp *kmsg.MetadataResponse, present bool, partitions int, names []string) bool {
	byName := map[string]kmsg.MetadataResponseTopic{}
	for _, t := range resp.Topics {
		if t.Topic != nil {
			byName[*t.Topic] = t
		}
	}
	for _, name := range names {
		t, ok := byName[name]
		exists := ok && t.ErrorCode == 0
		if exists != present {
			return false
		}
		if !present {
			continue
		}
		if partitions > 0 && len(t.Partitions) != partitions {
			return false
		}
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 || p.Leader < 0 {
				return false
			}
		}
	}
	return true
}

// awaitTopicConfigs waits until the topic's dynamic configs show every
// value of set and none of the names in deleted.
func awaitTopicConfigs(ctx context.Context, adm *kadm.Client, topic string, set []KeyValue, deleted []string) {
	settle(ctx, func(ctx context.Context) bool {
		overrides, err := topicOverrides(ctx, adm, topic)
		if err != nil {
			return false
		}
		return valuesSettled(overrides[topic], set, deleted)
	})
}

// valuesSettled reports whether have holds every value of set, exactly,
// and none of the names in deleted.
func valuesSettled(have map[string]string, set []KeyValue, deleted []string) bool {
	for _, kv := range set {
		if v, ok := have[kv.Name]; !ok || v != kv.Value {
			return false
		}
	}
	for _, name := range deleted {
		if _, ok := have[name]; ok {
			return false
		}
	}
	return true
}

// awaitQuotas waits until the quota entity q names shows every value of
// q.Add and none of the keys in q.Delete.
func awaitQuotas(ctx context.Context, adm *kadm.Client, q *QuotaCommand) {
	settle(ctx, func(ctx context.Context) bool {
		described, err := adm.DescribeClientQuotas(ctx, true, q.describeComponents())
		if err != nil {
			return false
		}
		have := map[string]float64{}
		if len(described) > 0 {
			for _, v := range described[0].Values {
				have[v.Key] = v.Value
			}
		}
		for _, kv := range q.Add {
			want, _ := strconv.ParseFloat(kv.Value, 64)
			if v, ok := have[kv.Name]; !ok || v != want {
				return false
			}
		}
		for _, name := range q.Delete {
			if _, ok := have[name]; ok {
				return false
			}
		}
		return true
	})
}

// awaitACLs waits until the broker holds every binding of added and none
// of removed.
func awaitACLs(ctx context.Context, cl *kgo.Client, added, removed []ACLBinding) {
	if len(added) == 0 && len(removed) == 0 {
		return
	}
	settle(ctx, func(ctx context.Context) bool {
		all, err := describeACLs(ctx, cl)
		if err != nil {
			return false
		}
		for _, bd := range added {
			if !slices.Contains(all, bd) {
				return false
			}
		}
		for _, bd := range removed {
			if slices.Contains(all, bd) {
				return false
			}
		}
		return true
	})
}
