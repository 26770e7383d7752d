package kafkacli_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{`a b  c`, []string{"a", "b", "c"}},
		{`--message "hello world"`, []string{"--message", "hello world"}},
		{`--message 'it''s'`, []string{"--message", "its"}},
		{`--message 'say "hi"'`, []string{"--message", `say "hi"`}},
		{`--message "say \"hi\" \\ \$x \n"`, []string{"--message", `say "hi" \ $x \n`}},
		{`--message hello\ world`, []string{"--message", "hello world"}},
		{`--message ""`, []string{"--message", ""}},
		{`a"b"'c'`, []string{"abc"}},
		{"\t a \t", []string{"a"}},
		{``, nil},
	}
	for _, tt := range tests {
		got, err := kafkacli.Tokenize(tt.line)
		if err != nil {
			t.Fatalf("Tokenize(%q): %v", tt.line, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
	for _, bad := range []string{`a "b`, `a 'b`} {
		if _, err := kafkacli.Tokenize(bad); err == nil {
			t.Errorf("Tokenize(%q) succeeded, want an unterminated quote error", bad)
		}
	}
}

// as returns cmd as the tool's command type T, or fails the test.
func as[T kafkacli.Command](t *testing.T, cmd kafkacli.Command) T {
	t.Helper()
	c, ok := cmd.(T)
	if !ok {
		t.Fatalf("command is %T, want %T", cmd, c)
	}
	return c
}

func TestParseCommands(t *testing.T) {
	tests := []struct {
		line  string
		check func(t *testing.T, c kafkacli.Command)
	}{
		{"kafka-topics --bootstrap-server localhost:9092 --create --topic orders --partitions 3 --replication-factor 1 --config retention.ms=1000 --config cleanup.policy=compact", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.TopicsCommand](t, cmd)
			want := []kafkacli.KeyValue{{Name: "retention.ms", Value: "1000"}, {Name: "cleanup.policy", Value: "compact"}}
			if c.Tool != kafkacli.ToolTopics || c.Action != kafkacli.ActionCreate || c.Topic != "orders" ||
				c.Partitions != 3 || c.ReplicationFactor != 1 || !reflect.DeepEqual(c.Configs, want) {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-topics.sh --list --bootstrap-server=anything", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.TopicsCommand](t, cmd)
			if c.Tool != kafkacli.ToolTopics || c.Action != kafkacli.ActionList {
				t.Errorf("got %+v", c)
			}
		}},
		{"/opt/kafka/bin/kafka-topics.sh --describe", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.TopicsCommand](t, cmd)
			if c.Action != kafkacli.ActionDescribe || c.Topic != "" {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-topics --alter --topic=orders --partitions=6", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.TopicsCommand](t, cmd)
			if c.Action != kafkacli.ActionAlter || c.Partitions != 6 || c.Topic != "orders" {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-topics --delete --topic orders", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.TopicsCommand](t, cmd)
			if c.Action != kafkacli.ActionDelete {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-configs --entity-type topics --entity-name orders --alter --add-config 'retention.ms=1000, cleanup.policy=[compact,delete]'", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConfigsCommand](t, cmd)
			want := []kafkacli.KeyValue{{Name: "retention.ms", Value: "1000"}, {Name: "cleanup.policy", Value: "compact,delete"}}
			if c.Tool != kafkacli.ToolConfigs || c.Action != kafkacli.ActionAlter || !reflect.DeepEqual(c.Configs, want) {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-configs.sh --bootstrap-server x:1 --topic orders --alter --delete-config retention.ms,segment.ms", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConfigsCommand](t, cmd)
			if c.Topic != "orders" || !reflect.DeepEqual(c.DeleteConfigs, []string{"retention.ms", "segment.ms"}) {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-configs --entity-type topics --entity-name orders --describe --all", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConfigsCommand](t, cmd)
			if c.Action != kafkacli.ActionDescribe || !c.AllConfigs {
				t.Errorf("got %+v", c)
			}
		}},
		{`kafka-console-producer --topic orders --property parse.key=true --property key.separator=: --message "k1:v 1" --message k2:v2`, func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ProducerCommand](t, cmd)
			if c.Tool != kafkacli.ToolProducer || c.Action != kafkacli.ActionProduce || !reflect.DeepEqual(c.Messages, []string{"k1:v 1", "k2:v2"}) ||
				len(c.Properties) != 2 || c.Properties[1] != (kafkacli.KeyValue{Name: "key.separator", Value: ":"}) {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-console-consumer --topic orders --group g --from-beginning --max-messages 5 --timeout-ms 1000 --property print.key=true", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConsumerCommand](t, cmd)
			if c.Action != kafkacli.ActionConsume || !reflect.DeepEqual(c.Groups, []string{"g"}) || !c.FromBeginning ||
				c.MaxMessages != 5 || c.TimeoutMs != 1000 || c.Partition != -1 {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-console-consumer --topic orders", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConsumerCommand](t, cmd)
			if c.MaxMessages != -1 || c.TimeoutMs != 0 || c.Groups != nil {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-console-consumer --topic orders --consumer-property group.id=g2", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConsumerCommand](t, cmd)
			if !reflect.DeepEqual(c.Groups, []string{"g2"}) {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-console-consumer --topic orders --partition 1 --offset earliest", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.ConsumerCommand](t, cmd)
			if c.Partition != 1 || c.Offset != "earliest" {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-consumer-groups --list", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.GroupsCommand](t, cmd)
			if c.Tool != kafkacli.ToolGroups || c.Action != kafkacli.ActionList {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-consumer-groups --describe --group a --group b", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.GroupsCommand](t, cmd)
			if c.Action != kafkacli.ActionDescribe || !reflect.DeepEqual(c.Groups, []string{"a", "b"}) || c.GroupView != kafkacli.ViewOffsets {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-consumer-groups --describe --all-groups --members", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.GroupsCommand](t, cmd)
			if !c.AllGroups || c.GroupView != kafkacli.ViewMembers {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-consumer-groups --delete --group g", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.GroupsCommand](t, cmd)
			if c.Action != kafkacli.ActionDelete {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-consumer-groups --reset-offsets --group g --topic orders:0,2 --shift-by -2 --execute", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.GroupsCommand](t, cmd)
			if c.Action != kafkacli.ActionResetOffsets || c.Topic != "orders" || !reflect.DeepEqual(c.TopicPartitions, []int32{0, 2}) ||
				c.Reset != kafkacli.ResetShiftBy || c.ResetValue != -2 || !c.Execute || c.DryRun {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-consumer-groups --reset-offsets --group g --all-topics --to-latest --dry-run", func(t *testing.T, cmd kafkacli.Command) {
			c := as[*kafkacli.GroupsCommand](t, cmd)
			if !c.AllTopics || c.Reset != kafkacli.ResetToLatest || !c.DryRun {
				t.Errorf("got %+v", c)
			}
		}},
		{"kafka-topics --version", func(t *testing.T, c kafkacli.Command) {
			if c.Line().Action != kafkacli.ActionVersion {
				t.Errorf("got %+v", c)
			}
		}},
	}
	for _, tt := range tests {
		c, err := kafkacli.Parse(tt.line)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.line, err)
			continue
		}
		tt.check(t, c)
	}
}

// TestParseErrors checks that Parse refuses what the real tools refuse,
// with their wording (as Apache Kafka 4.1's tools print it, checked
// against the real tools).
func TestParseErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"", "empty command line"},
		{"kafka-foo --list", "kafka-foo: command not found (the kafka console runs kafka-topics, kafka-configs, kafka-console-producer, kafka-console-consumer, kafka-consumer-groups, kafka-acls and kafka-transactions)"},
		{`kafka-topics --topic "orders`, "unexpected end of line while looking for matching `\"'"},

		// kafka-topics
		{"kafka-topics", "Create, delete, describe, or change a topic."},
		{"kafka-topics --bootstrap-server x", "Command must include exactly one action: --list, --describe, --create, --alter or --delete"},
		{"kafka-topics --list --create", "Command must include exactly one action: --list, --describe, --create, --alter or --delete"},
		{"kafka-topics --list --bogus", "bogus is not a recognized option\njoptsimple.UnrecognizedOptionException: bogus is not a recognized option"},
		{"kafka-topics --create --topic t --partition 2", "partition is not a recognized option\njoptsimple.UnrecognizedOptionException: partition is not a recognized option"},
		{"kafka-topics --create --topic t --partitions", "Option partitions requires an argument\njoptsimple.OptionMissingRequiredArgumentException: Option partitions requires an argument"},
		{"kafka-topics --create --partitions 1", `Missing required argument "[topic]"`},
		{"kafka-topics --delete", `Missing required argument "[topic]"`},
		{"kafka-topics --alter --topic orders", `Missing required argument "[partitions]"`},
		{"kafka-topics --alter --topic orders --partitions 6 --config retention.ms=5", `Option combination "[[bootstrap-server], [config]]" can't be used with option "[alter]" (To alter topic configurations, the kafka-configs tool can be used.)`},
		{"kafka-topics --list --partitions 3", `Option "[partitions]" can't be used with option "[list]"`},
		{"kafka-topics --list --replication-factor 1", `Option "[replication-factor]" can't be used with option "[list]"`},
		{"kafka-topics --describe --config a=b", `Option "[config]" can't be used with option "[describe]"`},
		{"kafka-topics --create --topic t --partitions abc", "Error while executing topic command : Cannot parse argument 'abc' of option partitions"},
		{"kafka-topics --create --topic t --partitions 0", "Error while executing topic command : The partitions must be greater than 0"},
		{"kafka-topics --create --topic t --partitions -1", "Error while executing topic command : The partitions must be greater than 0"},
		{"kafka-topics --create --topic t --partitions 1 --replication-factor 0", "Error while executing topic command : The replication factor must be between 1 and 32767 inclusive"},
		{"kafka-topics --create --topic t --partitions 1 --config retention.ms=abc", "Error while executing topic command : Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{"kafka-topics --create --topic t --partitions 1 --config no.such.config=1", "Error while executing topic command : Unknown topic config name: no.such.config"},
		{"kafka-topics --create --topic t --partitions 1 --config retention.ms", `Error while executing topic command : requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".`},
		{"kafka-topics --create --topic t --config a=b=c", `Error while executing topic command : requirement failed: Invalid topic config: all configs to be added must be in the format "key=val".`},
		{"kafka-topics --create --topic 'bad name' --partitions 1", "Error while executing topic command : Topic name is invalid: 'bad name' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"},
		{"kafka-topics --create --topic .. --partitions 1", "Error while executing topic command : Topic name is invalid: '..' is not allowed"},
		{"kafka-topics --create --topic '' --partitions 1", "Error while executing topic command : The given topic name '' cannot be represented in a request."},
		{"kafka-topics --create --topic t --replica-assignment 0:1", "kafka-topics: option --replica-assignment is not supported in this console"},

		// kafka-configs
		{"kafka-configs --entity-type topics --entity-name orders", "Command must include exactly one action: --describe, --alter"},
		{"kafka-configs --entity-type topics --entity-name orders --describe --bogus", "bogus is not a recognized option"},
		{"kafka-configs --entity-type topic --entity-name orders --describe", "Invalid entity type topic, the entity type must be one of topics, clients, users, brokers, ips, client-metrics, groups, broker-loggers with a --bootstrap-server or --bootstrap-controller argument"},
		{"kafka-configs --entity-name orders --describe", "At least one entity type must be specified"},
		{"kafka-configs --entity-type topics --alter --add-config retention.ms=1", "An entity name must be specified with --alter of topics"},
		{"kafka-configs --entity-type topics --entity-name orders --alter", "At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter"},
		{"kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms", `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val" or  "key=[val1,val2]" to group values which contain commas.`},
		{"kafka-configs --entity-type topics --entity-name orders --alter --add-config cleanup.policy=compact,delete", `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val" or  "key=[val1,val2]" to group values which contain commas.`},
		{"kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=abc",
			"Error while executing config command with args '--entity-type topics --entity-name orders --alter --add-config retention.ms=abc'\njava.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidConfigurationException: Invalid value abc for configuration retention.ms: Not a number of type LONG"},
		{"kafka-configs --bootstrap-server localhost:9092 --entity-type topics --entity-name orders --alter --add-config no.such.config=1",
			"Error while executing config command with args '--bootstrap-server localhost:9092 --entity-type topics --entity-name orders --alter --add-config no.such.config=1'\njava.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidConfigurationException: Unknown topic config name: no.such.config"},
		{"kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=7000 --delete-config retention.ms",
			"Error while executing config command with args '--entity-type topics --entity-name orders --alter --add-config retention.ms=7000 --delete-config retention.ms'\njava.util.concurrent.ExecutionException: org.apache.kafka.common.errors.InvalidRequestException: Error due to duplicate config keys"},

		// kafka-console-producer
		{"kafka-console-producer --bogus", "bogus is not a recognized option"},
		{"kafka-console-producer --message a", `Missing required argument "[topic]"`},
		{"kafka-console-producer --topic orders", "kafka-console-producer: type the records on the lines after the command, one per line, and end them with a line holding only . (or Ctrl-D); or pipe them in: echo \"record\" | kafka-console-producer --bootstrap-server localhost:9092 --topic orders"},
		{"kafka-console-producer --topic orders --message hello world", "kafka-console-producer: unexpected argument 'world': the records are the lines after the command (or piped in: echo \"record\" | kafka-console-producer …)"},

		// kafka-console-consumer
		{"kafka-console-consumer --topic orders --bogus", "bogus is not a recognized option"},
		{"kafka-console-consumer --max-messages 1", "Exactly one of --include/--topic is required. "},
		{"kafka-console-consumer --topic orders --timeout-ms abc", `Exception in thread "main" joptsimple.OptionArgumentConversionException: Cannot parse argument 'abc' of option timeout-ms`},
		{"kafka-console-consumer --topic orders --group g --partition 0", "Options group and partition cannot be specified together."},
		{"kafka-console-consumer --topic orders --offset 5", "The partition is required when offset is specified."},
		{"kafka-console-consumer --topic orders --partition 0 --offset 5 --from-beginning", "Options from-beginning and offset cannot be specified together."},
		{"kafka-console-consumer --topic orders --partition 0 --offset x", "The provided offset value 'x' is incorrect. Valid values are 'earliest', 'latest', or a non-negative long."},
		{"kafka-console-consumer --topic orders --group a --consumer-property group.id=b", "The group ids provided in different places (directly using '--group', via '--consumer-property', or via '--consumer.config') do not match. Detected group ids: 'a', 'b'"},

		// kafka-consumer-groups
		{"kafka-consumer-groups", "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets, --validate-regex"},
		{"kafka-consumer-groups --list --bogus", `Exception in thread "main" joptsimple.UnrecognizedOptionException: bogus is not a recognized option`},
		{"kafka-consumer-groups --describe --group", `Exception in thread "main" joptsimple.OptionMissingRequiredArgumentException: Option group requires an argument`},
		{"kafka-consumer-groups --describe", "Option [describe] takes one of these options: [all-groups], [group]"},
		{"kafka-consumer-groups --list --describe", "Option [describe] takes one of these options: [all-groups], [group]"},
		{"kafka-consumer-groups --delete", "Option [delete] takes one of these options: [all-groups], [group]"},
		{"kafka-consumer-groups --delete --group g --topic orders", "The consumer does not support topic-specific offset deletion from a consumer group."},
		{"kafka-consumer-groups --describe --group g --topic orders", `Option "[topic]" can't be used with option "[describe]"`},
		{"kafka-consumer-groups --list --group g", `Option "[group]" can't be used with option "[list]"`},
		{"kafka-consumer-groups --describe --group g --members --state", "Option [describe] takes at most one of these options: [members], [offsets], [state]"},
		{"kafka-consumer-groups --reset-offsets --group g --topic orders --to-earliest --dry-run --execute", "Option [reset-offsets] only accepts one of [execute] and [dry-run]"},
		{"kafka-consumer-groups --reset-offsets --topic orders --to-earliest --dry-run", "Option [reset-offsets] takes one of these options: [all-groups], [group]"},
		{"kafka-consumer-groups --reset-offsets --group g --topic orders --to-earliest --to-latest --dry-run", `Option "[to-earliest]" can't be used with option "[to-latest]"`},
		{"kafka-consumer-groups --reset-offsets --group g --topic orders --dry-run", "Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [to-current], [to-datetime], [from-file], [by-duration], [to-earliest], [to-latest], [shift-by]]"},
		{"kafka-consumer-groups --reset-offsets --group g --to-earliest --dry-run", "One of the reset scopes should be defined: --all-topics, --topic."},
		{"kafka-consumer-groups --reset-offsets --group g --topic orders --to-offset abc --execute", "Error: Executing consumer group command failed due to Cannot parse argument 'abc' of option to-offset"},
		{"kafka-consumer-groups --delete-offsets --group g --topic t", "kafka-consumer-groups: option --delete-offsets is not supported in this console"},
	}
	for _, tt := range tests {
		_, err := kafkacli.Parse(tt.line)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want error %q", tt.line, tt.want)
			continue
		}
		if !errors.Is(err, kafkacli.ErrUsage) {
			t.Errorf("Parse(%q) error %v does not wrap ErrUsage", tt.line, err)
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q)\n got: %q\nwant: %q", tt.line, err.Error(), tt.want)
		}
	}
}
