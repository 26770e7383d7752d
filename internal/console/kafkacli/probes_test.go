package kafkacli_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// describeTopic runs the topic probe and fails the test on error.
func describeTopic(t *testing.T, b kafkacli.Broker, topic string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := kafkacli.DescribeTopic(ctx, b, topic)
	if err != nil {
		t.Fatalf("DescribeTopic(%s): %v", topic, err)
	}
	return m
}

// describeGroup runs the group probe and fails the test on error.
func describeGroup(t *testing.T, b kafkacli.Broker, group string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := kafkacli.DescribeGroup(ctx, b, group)
	if err != nil {
		t.Fatalf("DescribeGroup(%s): %v", group, err)
	}
	return m
}

func TestProbes(t *testing.T) {
	b := newBroker(t)
	ctx := context.Background()

	topics, err := kafkacli.ListTopics(ctx, b)
	if err != nil || topics == nil || len(topics) != 0 {
		t.Fatalf("ListTopics on an empty broker = %#v, %v; want an empty list", topics, err)
	}
	groups, err := kafkacli.ListGroups(ctx, b)
	if err != nil || groups == nil || len(groups) != 0 {
		t.Fatalf("ListGroups on an empty broker = %#v, %v; want an empty list", groups, err)
	}

	mustRun(t, b, "kafka-topics --create --topic orders --partitions 3 --config retention.ms=86400000")
	mustRun(t, b, "kafka-topics --create --topic audit --partitions 1")
	mustRun(t, b, `kafka-console-producer --topic orders --property parse.key=true --property key.separator=: --message a:1 --message b:2 --message c:3 --message d:4`)

	m := describeTopic(t, b, "orders")
	for k, want := range map[string]any{
		"partitions": 3, "replication_factor": 1, "messages": 4,
		"config.retention.ms": "86400000", "config.cleanup.policy": "delete", "config.min.insync.replicas": "1",
	} {
		if m[k] != want {
			t.Errorf("describe topic orders: %s = %#v, want %#v", k, m[k], want)
		}
	}
	mustRun(t, b, "kafka-configs --entity-type topics --entity-name orders --alter --add-config cleanup.policy=compact")
	if got := describeTopic(t, b, "orders")["config.cleanup.policy"]; got != "compact" {
		t.Errorf("config.cleanup.policy after alter = %v", got)
	}

	_, err = kafkacli.DescribeTopic(ctx, b, "nope")
	if !errors.Is(err, kafkacli.ErrTopicNotFound) || err.Error() != "Topic 'nope' does not exist as expected" {
		t.Errorf("DescribeTopic(nope) error = %v", err)
	}

	topics, err = kafkacli.ListTopics(ctx, b)
	if err != nil || !reflect.DeepEqual(topics, []string{"audit", "orders"}) {
		t.Errorf("ListTopics = %v, %v", topics, err)
	}

	mustRun(t, b, "kafka-console-consumer --topic orders --group g1 --from-beginning --max-messages 1 --timeout-ms 5000")
	mustRun(t, b, "kafka-consumer-groups --reset-offsets --group g2 --topic audit --to-earliest --execute")
	g := describeGroup(t, b, "g1")
	if g["state"] != "Empty" || g["members"] != 0 || g["lag"] != 3 || g["lag.orders"] != 3 {
		t.Errorf("describe group g1 = %v; want Empty, 0 members, lag 3 on orders", g)
	}
	g = describeGroup(t, b, "g2")
	if g["state"] != "Empty" || g["lag"] != 0 || g["lag.audit"] != 0 {
		t.Errorf("describe group g2 = %v", g)
	}
	groups, err = kafkacli.ListGroups(ctx, b)
	if err != nil || !reflect.DeepEqual(groups, []string{"g1", "g2"}) {
		t.Errorf("ListGroups = %v, %v", groups, err)
	}
	_, err = kafkacli.DescribeGroup(ctx, b, "nope")
	if !errors.Is(err, kafkacli.ErrGroupNotFound) || err.Error() != "Group nope not found." {
		t.Errorf("DescribeGroup(nope) error = %v", err)
	}
}
