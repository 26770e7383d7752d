package kafkacli

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Config types, named as Kafka's ConfigDef names them in its messages.
const (
	TypeLong    = "LONG"
	TypeInt     = "INT"
	TypeDouble  = "DOUBLE"
	TypeBoolean = "BOOLEAN"
	TypeString  = "STRING"
	TypeList    = "LIST"
)

// TopicConfigDef describes one topic-level config of Apache Kafka 4.1: its
// type, default, valid values and the broker-level config it defaults to.
type TopicConfigDef struct {
	Name    string
	Type    string // one of the Type constants
	Default string // the value a topic has without an override
	// BrokerSynonym is the broker config Kafka lists as the
	// DEFAULT_CONFIG synonym of this config, or "" when it lists none.
	BrokerSynonym string
	// ClusterDefault is set when the cluster holds a dynamic default for
	// this config (DYNAMIC_DEFAULT_BROKER_CONFIG), as a freshly formatted
	// Kafka 4.1 cluster does for min.insync.replicas.
	ClusterDefault bool

	hasMin, hasMax bool
	min, max       float64
	oneOf          []string            // allowed strings, for STRING and LIST
	check          func(string) string // a special rule; returns the complaint or ""
}

// atLeast sets the smallest value a number config accepts.
func (d TopicConfigDef) atLeast(n float64) TopicConfigDef {
	d.hasMin, d.min = true, n
	return d
}

// between sets the range a number config accepts.
func (d TopicConfigDef) between(lo, hi float64) TopicConfigDef {
	d.hasMin, d.min, d.hasMax, d.max = true, lo, true, hi
	return d
}

// in sets the values a string or list config accepts.
func (d TopicConfigDef) in(values ...string) TopicConfigDef {
	d.oneOf = values
	return d
}

const maxLong = "9223372036854775807"

// topicConfigDefs lists every topic config a Kafka 4.1 broker accepts, as
// `kafka-configs --describe --all` shows them for a topic of a broker
// with no static overrides. Ranges and allowed values follow the broker's
// validation messages.
var topicConfigDefs = []TopicConfigDef{
	TopicConfigDef{Name: "cleanup.policy", Type: TypeList, Default: "delete", BrokerSynonym: "log.cleanup.policy"}.in("compact", "delete"),
	TopicConfigDef{Name: "compression.gzip.level", Type: TypeInt, Default: "-1", BrokerSynonym: "compression.gzip.level", check: gzipLevel},
	TopicConfigDef{Name: "compression.lz4.level", Type: TypeInt, Default: "9", BrokerSynonym: "compression.lz4.level"}.between(1, 17),
	TopicConfigDef{Name: "compression.type", Type: TypeString, Default: "producer", BrokerSynonym: "compression.type"}.in("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
	TopicConfigDef{Name: "compression.zstd.level", Type: TypeInt, Default: "3", BrokerSynonym: "compression.zstd.level"}.between(-131072, 22),
	TopicConfigDef{Name: "delete.retention.ms", Type: TypeLong, Default: "86400000", BrokerSynonym: "log.cleaner.delete.retention.ms"}.atLeast(0),
	TopicConfigDef{Name: "file.delete.delay.ms", Type: TypeLong, Default: "60000", BrokerSynonym: "log.segment.delete.delay.ms"}.atLeast(0),
	TopicConfigDef{Name: "flush.messages", Type: TypeLong, Default: maxLong, BrokerSynonym: "log.flush.interval.messages"}.atLeast(1),
	TopicConfigDef{Name: "flush.ms", Type: TypeLong, Default: maxLong}.atLeast(0),
	TopicConfigDef{Name: "follower.replication.throttled.replicas", Type: TypeList, Default: "", check: throttledReplicas("follower.replication.throttled.replicas")},
	TopicConfigDef{Name: "index.interval.bytes", Type: TypeInt, Default: "4096", BrokerSynonym: "log.index.interval.bytes"}.atLeast(0),
	TopicConfigDef{Name: "leader.replication.throttled.replicas", Type: TypeList, Default: "", check: throttledReplicas("leader.replication.throttled.replicas")},
	TopicConfigDef{Name: "local.retention.bytes", Type: TypeLong, Default: "-2", BrokerSynonym: "log.local.retention.bytes"}.atLeast(-2),
	TopicConfigDef{Name: "local.retention.ms", Type: TypeLong, Default: "-2", BrokerSynonym: "log.local.retention.ms"}.atLeast(-2),
	TopicConfigDef{Name: "max.compaction.lag.ms", Type: TypeLong, Default: maxLong, BrokerSynonym: "log.cleaner.max.compaction.lag.ms"}.atLeast(1),
	TopicConfigDef{Name: "max.message.bytes", Type: TypeInt, Default: "1048588", BrokerSynonym: "message.max.bytes"}.atLeast(0),
	TopicConfigDef{Name: "message.timestamp.after.max.ms", Type: TypeLong, Default: "3600000", BrokerSynonym: "log.message.timestamp.after.max.ms"}.atLeast(0),
	TopicConfigDef{Name: "message.timestamp.before.max.ms", Type: TypeLong, Default: maxLong, BrokerSynonym: "log.message.timestamp.before.max.ms"}.atLeast(0),
	TopicConfigDef{Name: "message.timestamp.type", Type: TypeString, Default: "CreateTime", BrokerSynonym: "log.message.timestamp.type"}.in("CreateTime", "LogAppendTime"),
	TopicConfigDef{Name: "min.cleanable.dirty.ratio", Type: TypeDouble, Default: "0.5", BrokerSynonym: "log.cleaner.min.cleanable.ratio"}.between(0, 1),
	TopicConfigDef{Name: "min.compaction.lag.ms", Type: TypeLong, Default: "0", BrokerSynonym: "log.cleaner.min.compaction.lag.ms"}.atLeast(0),
	TopicConfigDef{Name: "min.insync.replicas", Type: TypeInt, Default: "1", BrokerSynonym: "min.insync.replicas", ClusterDefault: true}.atLeast(1),
	TopicConfigDef{Name: "preallocate", Type: TypeBoolean, Default: "false", BrokerSynonym: "log.preallocate"},
	TopicConfigDef{Name: "remote.log.copy.disable", Type: TypeBoolean, Default: "false"},
	TopicConfigDef{Name: "remote.log.delete.on.disable", Type: TypeBoolean, Default: "false"},
	TopicConfigDef{Name: "remote.storage.enable", Type: TypeBoolean, Default: "false", check: remoteStorage},
	TopicConfigDef{Name: "retention.bytes", Type: TypeLong, Default: "-1", BrokerSynonym: "log.retention.bytes"},
	TopicConfigDef{Name: "retention.ms", Type: TypeLong, Default: "604800000"}.atLeast(-1),
	TopicConfigDef{Name: "segment.bytes", Type: TypeInt, Default: "1073741824", BrokerSynonym: "log.segment.bytes"}.atLeast(1048576),
	TopicConfigDef{Name: "segment.index.bytes", Type: TypeInt, Default: "10485760", BrokerSynonym: "log.index.size.max.bytes"}.atLeast(4),
	TopicConfigDef{Name: "segment.jitter.ms", Type: TypeLong, Default: "0"}.atLeast(0),
	TopicConfigDef{Name: "segment.ms", Type: TypeLong, Default: "604800000"}.atLeast(1),
	TopicConfigDef{Name: "unclean.leader.election.enable", Type: TypeBoolean, Default: "false", BrokerSynonym: "unclean.leader.election.enable"},
}

// TopicConfigDefs returns the definitions of every topic config Kafka 4.1
// accepts, sorted by name. The slice is a copy.
func TopicConfigDefs() []TopicConfigDef {
	return slices.Clone(topicConfigDefs)
}

// LookupTopicConfig returns the definition of the named topic config and
// whether Kafka 4.1 has such a config.
func LookupTopicConfig(name string) (TopicConfigDef, bool) {
	for _, d := range topicConfigDefs {
		if d.Name == name {
			return d, true
		}
	}
	return TopicConfigDef{}, false
}

// ValidateTopicConfig checks one topic config the way a Kafka 4.1 broker
// does and returns the value Kafka would store (booleans lowercased,
// surrounding blanks trimmed). The error text is the broker's message,
// for example "Unknown topic config name: no.such.config" or
// "Invalid value abc for configuration retention.ms: Not a number of type
// LONG".
func ValidateTopicConfig(name, value string) (string, error) {
	def, ok := LookupTopicConfig(name)
	if !ok {
		return "", fmt.Errorf("Unknown topic config name: %s", name)
	}
	value = strings.TrimSpace(value)
	invalid := func(shown, why string) error {
		return fmt.Errorf("Invalid value %s for configuration %s: %s", shown, name, why)
	}
	switch def.Type {
	case TypeLong, TypeInt:
		bits := 64
		if def.Type == TypeInt {
			bits = 32
		}
		n, err := strconv.ParseInt(value, 10, bits)
		if err != nil {
			return "", invalid(value, "Not a number of type "+def.Type)
		}
		shown := strconv.FormatInt(n, 10)
		if why := def.rangeProblem(float64(n)); why != "" {
			return "", invalid(shown, why)
		}
		if def.check != nil {
			if why := def.check(shown); why != "" {
				return "", invalid(shown, why)
			}
		}
		return shown, nil
	case TypeDouble:
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || math.IsNaN(f) {
			return "", invalid(value, "Not a number of type DOUBLE")
		}
		if why := def.rangeProblem(f); why != "" {
			return "", invalid(javaDouble(f), why)
		}
		return value, nil
	case TypeBoolean:
		switch strings.ToLower(value) {
		case "true", "false":
			value = strings.ToLower(value)
		default:
			return "", invalid(value, "Expected value to be either true or false")
		}
		if def.check != nil {
			if why := def.check(value); why != "" {
				return "", fmt.Errorf("%s", why)
			}
		}
		return value, nil
	case TypeString:
		if len(def.oneOf) > 0 && !slices.Contains(def.oneOf, value) {
			return "", invalid(value, "String must be one of: "+strings.Join(def.oneOf, ", "))
		}
		return value, nil
	case TypeList:
		var items []string
		if value != "" {
			for _, item := range strings.Split(value, ",") {
				items = append(items, strings.TrimSpace(item))
			}
		}
		if len(def.oneOf) > 0 {
			for _, item := range items {
				if !slices.Contains(def.oneOf, item) {
					return "", invalid(item, "String must be one of: "+strings.Join(def.oneOf, ", "))
				}
			}
		}
		joined := strings.Join(items, ",")
		if def.check != nil {
			if why := def.check(joined); why != "" {
				return "", invalid("["+strings.Join(items, ", ")+"]", why)
			}
		}
		return joined, nil
	}
	return value, nil
}

// rangeProblem returns Kafka's complaint about n being out of the
// definition's range, or "".
func (d TopicConfigDef) rangeProblem(n float64) string {
	if d.hasMin && n < d.min {
		return "Value must be at least " + formatBound(d.min)
	}
	if d.hasMax && n > d.max {
		return "Value must be no more than " + formatBound(d.max)
	}
	return ""
}

// formatBound prints a range bound the way Kafka's messages show it: the
// bounds are whole numbers.
func formatBound(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// javaDouble formats f the way Java's Double.toString does for the
// values a learner types: always with a fraction ("2.0"), and in
// scientific notation outside [0.001, 10^7).
func javaDouble(f float64) string {
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-3 || abs >= 1e7) {
		mant := strconv.FormatFloat(f, 'E', -1, 64)
		m, exp, _ := strings.Cut(mant, "E")
		if !strings.Contains(m, ".") {
			m += ".0"
		}
		e, _ := strconv.Atoi(exp) // "+07" -> 7, as Java writes it
		return m + "E" + strconv.Itoa(e)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// gzipLevel is Kafka's rule for compression.gzip.level.
func gzipLevel(v string) string {
	n, _ := strconv.Atoi(v)
	if n == -1 || (n >= 1 && n <= 9) {
		return ""
	}
	return "Value must be between 1 and 9 or equal to -1"
}

// throttledReplicaItem is one partitionId:brokerId entry.
var throttledReplicaItem = regexp.MustCompile(`^\s*\d+\s*:\s*\d+\s*$`)

// throttledReplicas is Kafka's rule for the replication throttle lists:
// "*" or partitionId:brokerId entries.
func throttledReplicas(name string) func(string) string {
	return func(v string) string {
		if v == "" || strings.TrimSpace(v) == "*" {
			return ""
		}
		for _, item := range strings.Split(v, ",") {
			if !throttledReplicaItem.MatchString(item) {
				return name + " must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],..."
			}
		}
		return ""
	}
}

// remoteStorage rejects tiered storage, which the sandbox broker, like a
// default Kafka broker, has switched off.
func remoteStorage(v string) string {
	if v == "true" {
		return "Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage."
	}
	return ""
}
