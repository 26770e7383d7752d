package kafkacli_test

import (
	"errors"
	"regexp"
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// topicID matches the TopicId column, which is random.
var topicID = regexp.MustCompile(`TopicId: [A-Za-z0-9_-]{22}`)

func TestTopicsCreateListDescribe(t *testing.T) {
	b := newBroker(t)
	line := "kafka-topics --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --replication-factor 1"
	wantOutput(t, line, mustRun(t, b, line), "Created topic orders.\n")
	line = "kafka-topics.sh --create --topic my.events --config cleanup.policy=compact --config retention.ms=1000"
	wantOutput(t, line, mustRun(t, b, line),
		"WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.\n"+
			"Created topic my.events.\n")

	line = "kafka-topics --list"
	wantOutput(t, line, mustRun(t, b, line), "my.events\norders\n")
	line = "kafka-topics --list --topic ord.*"
	wantOutput(t, line, mustRun(t, b, line), "orders\n")

	line = "kafka-topics --describe --topic orders"
	got := topicID.ReplaceAllString(mustRun(t, b, line), "TopicId: ID")
	wantOutput(t, line, got,
		"Topic: orders\tTopicId: ID\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: min.insync.replicas=1\n"+
			"\tTopic: orders\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n"+
			"\tTopic: orders\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n"+
			"\tTopic: orders\tPartition: 2\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n")

	line = "kafka-topics --describe"
	got = topicID.ReplaceAllString(mustRun(t, b, line), "TopicId: ID")
	wantOutput(t, line, got,
		"Topic: my.events\tTopicId: ID\tPartitionCount: 1\tReplicationFactor: 1\tConfigs: min.insync.replicas=1,cleanup.policy=compact,retention.ms=1000\n"+
			"\tTopic: my.events\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n"+
			"Topic: orders\tTopicId: ID\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: min.insync.replicas=1\n"+
			"\tTopic: orders\tPartition: 0\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n"+
			"\tTopic: orders\tPartition: 1\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n"+
			"\tTopic: orders\tPartition: 2\tLeader: 0\tReplicas: 0\tIsr: 0\tElr: \tLastKnownElr: \n")

	wantError(t, b, "kafka-topics --create --topic orders --partitions 3", "Error while executing topic command : Topic 'orders' already exists.")
	line = "kafka-topics --create --topic orders --partitions 3 --if-not-exists"
	wantOutput(t, line, mustRun(t, b, line), "")
	wantError(t, b, "kafka-topics --create --topic my_events", "Error while executing topic command : Topic 'my_events' collides with existing topic: my.events")
	wantError(t, b, "kafka-topics --create --topic t1 --partitions 1 --replication-factor 3",
		"Error while executing topic command : Unable to replicate the partition 3 time(s): The target replication factor of 3 cannot be reached because only 1 broker(s) are registered.")
	wantError(t, b, "kafka-topics --describe --topic nope", "Error while executing topic command : Topic 'nope' does not exist as expected")
	line = "kafka-topics --describe --topic nope --if-exists"
	wantOutput(t, line, mustRun(t, b, line), "")
}

func TestTopicsEmptyList(t *testing.T) {
	b := newBroker(t)
	line := "kafka-topics --list"
	wantOutput(t, line, mustRun(t, b, line), "\n")
}

func TestTopicsAlterAndDelete(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic orders --partitions 3")
	wantError(t, b, "kafka-topics --alter --topic orders --partitions 2",
		"Error while executing topic command : The topic orders currently has 3 partition(s); 2 would not be an increase.")
	wantError(t, b, "kafka-topics --alter --topic orders --partitions 3",
		"Error while executing topic command : Topic already has 3 partition(s).")
	wantError(t, b, "kafka-topics --alter --topic nope --partitions 5",
		"Error while executing topic command : Topic 'nope' does not exist as expected")
	line := "kafka-topics --alter --topic orders --partitions 5"
	wantOutput(t, line, mustRun(t, b, line), "")
	if got := describeTopic(t, b, "orders")["partitions"]; got != 5 {
		t.Errorf("partitions after --alter = %v, want 5", got)
	}

	_, err := run(t, b, "kafka-topics --delete --topic nope")
	if !errors.Is(err, kafkacli.ErrTopicNotFound) || err.Error() != "Error while executing topic command : Topic 'nope' does not exist as expected" {
		t.Errorf("delete of a missing topic: %v", err)
	}
	line = "kafka-topics --delete --topic orders"
	wantOutput(t, line, mustRun(t, b, line), "")
	line = "kafka-topics --list"
	wantOutput(t, line, mustRun(t, b, line), "\n")
}

func TestToolVersionAndHelp(t *testing.T) {
	b := newBroker(t)
	line := "kafka-topics --version"
	wantOutput(t, line, mustRun(t, b, line), "4.1.0\n")
	out := mustRun(t, b, "kafka-consumer-groups --help")
	if !regexp.MustCompile(`(?m)^  --reset-offsets$`).MatchString(out) || regexp.MustCompile(`delete-offsets`).MatchString(out) {
		t.Errorf("help lists the wrong options:\n%s", out)
	}
}
