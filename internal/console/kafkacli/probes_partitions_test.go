package kafkacli_test

import "testing"

// TestDescribeTopicPartitionMessages: records with one key land in one
// partition, the one Kafka's murmur2 partitioner picks, and the probe
// counts each partition's records.
func TestDescribeTopicPartitionMessages(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic orders --partitions 6")
	m := describeTopic(t, b, "orders")
	for p := range 6 {
		if got := m["messages."+string(rune('0'+p))]; got != 0 {
			t.Errorf("empty topic: messages.%d = %#v, want 0", p, got)
		}
	}
	mustRun(t, b, `kafka-console-producer --topic orders --property parse.key=true --property key.separator=: --message order-1001:created --message order-1001:paid --message order-1001:shipped --message order-1003:created --message order-1003:paid`)
	m = describeTopic(t, b, "orders")
	// murmur2("order-1001") and murmur2("order-1003"), made positive,
	// modulo 6, as the Java client computes them: 0 and 4.
	want := map[string]any{"messages": 5, "messages.0": 3, "messages.1": 0, "messages.2": 0, "messages.3": 0, "messages.4": 2, "messages.5": 0}
	total := 0
	for p := range 6 {
		k := "messages." + string(rune('0'+p))
		n, ok := m[k].(int)
		if !ok {
			t.Fatalf("%s = %#v, want an int", k, m[k])
		}
		total += n
		if n != want[k] {
			t.Errorf("%s = %d, want %d", k, n, want[k])
		}
	}
	if total != want["messages"] || m["messages"] != 5 {
		t.Errorf("partition counts add up to %d, messages = %#v; want 5", total, m["messages"])
	}
	if _, ok := m["messages.6"]; ok {
		t.Error("messages.6 exists on a 6-partition topic")
	}
}
