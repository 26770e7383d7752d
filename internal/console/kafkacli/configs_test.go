package kafkacli_test

import (
	"strings"
	"testing"
)

func TestConfigsDescribeAndAlter(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic orders --partitions 1")

	line := "kafka-configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --describe"
	wantOutput(t, line, mustRun(t, b, line), "Dynamic configs for topic orders are:\n")

	line = "kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=86400000,cleanup.policy=compact"
	wantOutput(t, line, mustRun(t, b, line), "Completed updating config for topic orders.\n")
	line = "kafka-configs --entity-type topics --entity-name orders --describe"
	wantOutput(t, line, mustRun(t, b, line), "Dynamic configs for topic orders are:\n"+
		"  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}\n"+
		"  retention.ms=86400000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=86400000}\n")

	line = "kafka-configs --topic orders --alter --add-config min.insync.replicas=1,unclean.leader.election.enable=TRUE"
	mustRun(t, b, line)
	line = "kafka-configs --entity-type topics --entity-name orders --describe"
	out := mustRun(t, b, line)
	for _, want := range []string{
		"  min.insync.replicas=1 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:min.insync.replicas=1, DYNAMIC_DEFAULT_BROKER_CONFIG:min.insync.replicas=1, DEFAULT_CONFIG:min.insync.replicas=1}\n",
		"  unclean.leader.election.enable=true sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:unclean.leader.election.enable=true, DEFAULT_CONFIG:unclean.leader.election.enable=false}\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("%s: output lacks %q:\n%s", line, want, out)
		}
	}

	line = "kafka-configs --entity-type topics --entity-name orders --alter --delete-config retention.ms,min.insync.replicas,unclean.leader.election.enable"
	wantOutput(t, line, mustRun(t, b, line), "Completed updating config for topic orders.\n")
	wantError(t, b, "kafka-configs --entity-type topics --entity-name orders --alter --delete-config retention.ms,retention.bytes",
		"Invalid config(s): retention.ms,retention.bytes")

	line = "kafka-configs --entity-type topics --entity-name orders --describe --all"
	out = mustRun(t, b, line)
	got := lines(out)
	if got[0] != "All configs for topic orders are:" || len(got) != 34 {
		t.Fatalf("%s: %d lines, first %q:\n%s", line, len(got), got[0], out)
	}
	for _, want := range []string{
		"  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}",
		"  compression.gzip.level=-1 sensitive=false synonyms={DEFAULT_CONFIG:compression.gzip.level=-1}",
		"  flush.ms=9223372036854775807 sensitive=false synonyms={}",
		"  follower.replication.throttled.replicas= sensitive=false synonyms={}",
		"  min.insync.replicas=1 sensitive=false synonyms={DYNAMIC_DEFAULT_BROKER_CONFIG:min.insync.replicas=1, DEFAULT_CONFIG:min.insync.replicas=1}",
		"  retention.ms=604800000 sensitive=false synonyms={}",
		"  segment.bytes=1073741824 sensitive=false synonyms={DEFAULT_CONFIG:log.segment.bytes=1073741824}",
		"  unclean.leader.election.enable=false sensitive=false synonyms={DEFAULT_CONFIG:unclean.leader.election.enable=false}",
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("%s: output lacks %q", line, want)
		}
	}

	line = "kafka-configs --entity-type topics --entity-name nope --describe"
	wantOutput(t, line, mustRun(t, b, line), "The topic 'nope' doesn't exist and doesn't have dynamic config.\n")
	wantError(t, b, "kafka-configs --entity-type topics --entity-name nope --alter --add-config retention.ms=1000",
		"Error while executing config command with args '--entity-type topics --entity-name nope --alter --add-config retention.ms=1000'\n"+
			"java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.UnknownTopicOrPartitionException: ")
	wantError(t, b, "kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=abc",
		"Error while executing config command with args '--entity-type topics --entity-name orders --alter --add-config retention.ms=abc'\n"+
			"java.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidConfigurationException: Invalid value abc for configuration retention.ms: Not a number of type LONG")

	mustRun(t, b, "kafka-topics --create --topic audit")
	line = "kafka-configs --entity-type topics --describe"
	wantOutput(t, line, mustRun(t, b, line), "Dynamic configs for topic audit are:\n"+
		"Dynamic configs for topic orders are:\n"+
		"  cleanup.policy=compact sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:cleanup.policy=compact, DEFAULT_CONFIG:log.cleanup.policy=delete}\n")
}
