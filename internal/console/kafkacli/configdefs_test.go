package kafkacli_test

import (
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// TestValidateTopicConfig checks the rules and messages against what a
// Kafka 4.1 broker answered for the same values.
func TestValidateTopicConfig(t *testing.T) {
	tests := []struct {
		name, value, stored, err string
	}{
		{"retention.ms", "86400000", "86400000", ""},
		{"retention.ms", " 100", "100", ""},
		{"retention.ms", "+5", "5", ""},
		{"retention.ms", "-1", "-1", ""},
		{"retention.ms", "abc", "", "Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{"retention.ms", "1.5", "", "Invalid value 1.5 for configuration retention.ms: Not a number of type LONG"},
		{"retention.ms", "0x10", "", "Invalid value 0x10 for configuration retention.ms: Not a number of type LONG"},
		{"retention.ms", "99999999999999999999", "", "Invalid value 99999999999999999999 for configuration retention.ms: Not a number of type LONG"},
		{"retention.ms", "-5", "", "Invalid value -5 for configuration retention.ms: Value must be at least -1"},
		{"retention.bytes", "-100", "-100", ""},
		{"no.such.config", "1", "", "Unknown topic config name: no.such.config"},
		{"message.downconversion.enable", "true", "", "Unknown topic config name: message.downconversion.enable"},
		{"message.format.version", "3.0", "", "Unknown topic config name: message.format.version"},
		{"cleanup.policy", "compact", "compact", ""},
		{"cleanup.policy", "compact,delete", "compact,delete", ""},
		{"cleanup.policy", "", "", ""},
		{"cleanup.policy", "foo", "", "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete"},
		{"cleanup.policy", "compact,foo", "", "Invalid value foo for configuration cleanup.policy: String must be one of: compact, delete"},
		{"compression.type", "zstd", "zstd", ""},
		{"compression.type", "GZIP", "", "Invalid value GZIP for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer"},
		{"compression.gzip.level", "0", "", "Invalid value 0 for configuration compression.gzip.level: Value must be between 1 and 9 or equal to -1"},
		{"compression.gzip.level", "-1", "-1", ""},
		{"compression.lz4.level", "18", "", "Invalid value 18 for configuration compression.lz4.level: Value must be no more than 17"},
		{"compression.lz4.level", "0", "", "Invalid value 0 for configuration compression.lz4.level: Value must be at least 1"},
		{"compression.zstd.level", "99", "", "Invalid value 99 for configuration compression.zstd.level: Value must be no more than 22"},
		{"compression.zstd.level", "-200000", "", "Invalid value -200000 for configuration compression.zstd.level: Value must be at least -131072"},
		{"min.cleanable.dirty.ratio", "0.1", "0.1", ""},
		{"min.cleanable.dirty.ratio", "1e-1", "1e-1", ""},
		{"min.cleanable.dirty.ratio", "2", "", "Invalid value 2.0 for configuration min.cleanable.dirty.ratio: Value must be no more than 1"},
		{"min.cleanable.dirty.ratio", "-0.5", "", "Invalid value -0.5 for configuration min.cleanable.dirty.ratio: Value must be at least 0"},
		{"min.cleanable.dirty.ratio", "abc", "", "Invalid value abc for configuration min.cleanable.dirty.ratio: Not a number of type DOUBLE"},
		{"segment.bytes", "10", "", "Invalid value 10 for configuration segment.bytes: Value must be at least 1048576"},
		{"segment.bytes", "1048575", "", "Invalid value 1048575 for configuration segment.bytes: Value must be at least 1048576"},
		{"max.message.bytes", "99999999999", "", "Invalid value 99999999999 for configuration max.message.bytes: Not a number of type INT"},
		{"max.message.bytes", "-1", "", "Invalid value -1 for configuration max.message.bytes: Value must be at least 0"},
		{"preallocate", "maybe", "", "Invalid value maybe for configuration preallocate: Expected value to be either true or false"},
		{"preallocate", "yes", "", "Invalid value yes for configuration preallocate: Expected value to be either true or false"},
		{"unclean.leader.election.enable", "TRUE", "true", ""},
		{"message.timestamp.type", "Foo", "", "Invalid value Foo for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime"},
		{"message.timestamp.type", "LogAppendTime", "LogAppendTime", ""},
		{"local.retention.ms", "-3", "", "Invalid value -3 for configuration local.retention.ms: Value must be at least -2"},
		{"min.insync.replicas", "0", "", "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1"},
		{"flush.messages", "0", "", "Invalid value 0 for configuration flush.messages: Value must be at least 1"},
		{"segment.ms", "0", "", "Invalid value 0 for configuration segment.ms: Value must be at least 1"},
		{"segment.index.bytes", "1", "", "Invalid value 1 for configuration segment.index.bytes: Value must be at least 4"},
		{"segment.jitter.ms", "-1", "", "Invalid value -1 for configuration segment.jitter.ms: Value must be at least 0"},
		{"max.compaction.lag.ms", "0", "", "Invalid value 0 for configuration max.compaction.lag.ms: Value must be at least 1"},
		{"leader.replication.throttled.replicas", "*", "*", ""},
		{"leader.replication.throttled.replicas", "0:1,1:1", "0:1,1:1", ""},
		{"leader.replication.throttled.replicas", "abc", "", "Invalid value [abc] for configuration leader.replication.throttled.replicas: leader.replication.throttled.replicas must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."},
		{"remote.storage.enable", "true", "", "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."},
		{"remote.storage.enable", "false", "false", ""},
	}
	for _, tt := range tests {
		got, err := kafkacli.ValidateTopicConfig(tt.name, tt.value)
		switch {
		case tt.err != "" && err == nil:
			t.Errorf("%s=%s: accepted, want %q", tt.name, tt.value, tt.err)
		case tt.err != "" && err.Error() != tt.err:
			t.Errorf("%s=%s:\n got %q\nwant %q", tt.name, tt.value, err.Error(), tt.err)
		case tt.err == "" && err != nil:
			t.Errorf("%s=%s: %v", tt.name, tt.value, err)
		case tt.err == "" && got != tt.stored:
			t.Errorf("%s=%s: stored %q, want %q", tt.name, tt.value, got, tt.stored)
		}
	}
}

// TestTopicConfigDefaults checks the table's defaults against what
// kafka-configs --describe --all printed for a topic on a Kafka 4.1 broker.
func TestTopicConfigDefaults(t *testing.T) {
	want := map[string]string{
		"cleanup.policy": "delete", "compression.gzip.level": "-1", "compression.lz4.level": "9",
		"compression.type": "producer", "compression.zstd.level": "3", "delete.retention.ms": "86400000",
		"file.delete.delay.ms": "60000", "flush.messages": "9223372036854775807", "flush.ms": "9223372036854775807",
		"follower.replication.throttled.replicas": "", "index.interval.bytes": "4096",
		"leader.replication.throttled.replicas": "", "local.retention.bytes": "-2", "local.retention.ms": "-2",
		"max.compaction.lag.ms": "9223372036854775807", "max.message.bytes": "1048588",
		"message.timestamp.after.max.ms": "3600000", "message.timestamp.before.max.ms": "9223372036854775807",
		"message.timestamp.type": "CreateTime", "min.cleanable.dirty.ratio": "0.5", "min.compaction.lag.ms": "0",
		"min.insync.replicas": "1", "preallocate": "false", "remote.log.copy.disable": "false",
		"remote.log.delete.on.disable": "false", "remote.storage.enable": "false", "retention.bytes": "-1",
		"retention.ms": "604800000", "segment.bytes": "1073741824", "segment.index.bytes": "10485760",
		"segment.jitter.ms": "0", "segment.ms": "604800000", "unclean.leader.election.enable": "false",
	}
	defs := kafkacli.TopicConfigDefs()
	if len(defs) != len(want) {
		t.Errorf("%d configs, want %d", len(defs), len(want))
	}
	for i, d := range defs {
		if i > 0 && defs[i-1].Name >= d.Name {
			t.Errorf("configs not sorted at %s", d.Name)
		}
		if w, ok := want[d.Name]; !ok || w != d.Default {
			t.Errorf("%s: default %q, want %q (known %v)", d.Name, d.Default, w, ok)
		}
		if _, err := kafkacli.ValidateTopicConfig(d.Name, d.Default); err != nil && d.Name != "remote.storage.enable" {
			t.Errorf("%s: its default %q does not validate: %v", d.Name, d.Default, err)
		}
	}
}
