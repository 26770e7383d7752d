package kafkacli

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// configEntry is one config as a broker's DescribeConfigs answer gives it,
// the way the Java admin client's ConfigEntry holds it.
type configEntry struct {
	Name      string
	Value     *string // nil for a sensitive value or a config with none
	Source    kmsg.ConfigSource
	Sensitive bool
	ReadOnly  bool
	Synonyms  []configSynonym
}

// configSynonym is one synonym of a config: where else its value may
// come from, most specific first.
type configSynonym struct {
	Name   string
	Value  *string
	Source kmsg.ConfigSource
}

// javaString is how Java prints a possibly null string.
func javaString(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// sourceName is the name of the Java client's ConfigEntry.ConfigSource
// constant for a wire source, as kafka-configs prints it.
func sourceName(s kmsg.ConfigSource) string {
	switch s {
	case kmsg.ConfigSourceDynamicTopicConfig:
		return "DYNAMIC_TOPIC_CONFIG"
	case kmsg.ConfigSourceDynamicBrokerConfig:
		return "DYNAMIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDynamicDefaultBrokerConfig:
		return "DYNAMIC_DEFAULT_BROKER_CONFIG"
	case kmsg.ConfigSourceStaticBrokerConfig:
		return "STATIC_BROKER_CONFIG"
	case kmsg.ConfigSourceDefaultConfig:
		return "DEFAULT_CONFIG"
	case kmsg.ConfigSourceDynamicBrokerLoggerConfig:
		return "DYNAMIC_BROKER_LOGGER_CONFIG"
	case kmsg.ConfigSourceClientMetricsConfig:
		return "DYNAMIC_CLIENT_METRICS_CONFIG"
	case kmsg.ConfigSourceGroupConfig:
		return "DYNAMIC_GROUP_CONFIG"
	}
	return "UNKNOWN"
}

// describeLine is kafka-configs' line for one config entry.
func (e configEntry) describeLine() string {
	syn := make([]string, len(e.Synonyms))
	for i, s := range e.Synonyms {
		syn[i] = sourceName(s.Source) + ":" + s.Name + "=" + javaString(s.Value)
	}
	return fmt.Sprintf("  %s=%s sensitive=%t synonyms={%s}\n", e.Name, javaString(e.Value), e.Sensitive, strings.Join(syn, ", "))
}

// describeResourceConfigs asks the broker for one resource's configs,
// with synonyms when asked, and returns them in the broker's order. A
// resource the broker refuses returns its error code as a *kerr.Error,
// with the broker's message when it sent one.
func describeResourceConfigs(ctx context.Context, cl *kgo.Client, typ kmsg.ConfigResourceType, name string, synonyms bool) ([]configEntry, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	req.IncludeSynonyms = synonyms
	res := kmsg.NewDescribeConfigsRequestResource()
	res.ResourceType, res.ResourceName = typ, name
	req.Resources = append(req.Resources, res)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	for _, r := range resp.Resources {
		if r.ResourceType != typ || r.ResourceName != name {
			continue
		}
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			if r.ErrorMessage != nil && *r.ErrorMessage != "" {
				return nil, &brokerError{err: err, msg: *r.ErrorMessage}
			}
			return nil, err
		}
		out := make([]configEntry, 0, len(r.Configs))
		for _, c := range r.Configs {
			e := configEntry{Name: c.Name, Value: c.Value, Source: c.Source, Sensitive: c.IsSensitive, ReadOnly: c.ReadOnly}
			for _, s := range c.ConfigSynonyms {
				e.Synonyms = append(e.Synonyms, configSynonym{Name: s.Name, Value: s.Value, Source: s.Source})
			}
			out = append(out, e)
		}
		return out, nil
	}
	return nil, fmt.Errorf("describe configs: no answer for %s", name)
}

// brokerError is a Kafka error code with the message the broker sent.
type brokerError struct {
	err error
	msg string
}

func (e *brokerError) Error() string { return e.err.Error() + ": " + e.msg }
func (e *brokerError) Unwrap() error { return e.err }

// answersEveryTopicConfig reports whether a topic's DescribeConfigs
// answer names every topic config of Kafka 4.1: a Kafka broker's does,
// kfake's names only the few configs it implements.
func answersEveryTopicConfig(entries []configEntry) bool {
	for _, d := range topicConfigDefs {
		if !slices.ContainsFunc(entries, func(e configEntry) bool { return e.Name == d.Name }) {
			return false
		}
	}
	return true
}

// topicConfigEntries returns a topic's configs as kafka-configs and
// kafka-topics show them. A Kafka broker's answer is used as it is, in
// its order. kfake's answer is partial, so it is completed: the topic's
// own settings (DYNAMIC_TOPIC_CONFIG) and the cluster's dynamic broker
// configs kfake answers (such as the sandbox's log.retention.bytes) come
// from kfake, every other value is the Kafka 4.1 default from the table
// (see DIFFERENCES.md), and the synonyms are built the way Kafka lists
// them. The completed list is sorted by name.
// fromBroker is false when the list was completed.
func topicConfigEntries(ctx context.Context, cl *kgo.Client, topic string, synonyms bool) (entries []configEntry, fromBroker bool, err error) {
	got, err := describeResourceConfigs(ctx, cl, kmsg.ConfigResourceTypeTopic, topic, synonyms)
	if err != nil {
		return nil, false, err
	}
	if answersEveryTopicConfig(got) {
		return got, true, nil
	}
	return completeTopicConfigs(got, synonyms), false, nil
}

// completeTopicConfigs builds the full topic config list from kfake's
// partial answer and the table.
func completeTopicConfigs(got []configEntry, synonyms bool) []configEntry {
	topicSet := map[string]*string{}  // the topic's own settings
	brokerSet := map[string]*string{} // dynamic broker configs, by broker name
	for _, e := range got {
		switch e.Source {
		case kmsg.ConfigSourceDynamicTopicConfig:
			topicSet[e.Name] = e.Value
		case kmsg.ConfigSourceDynamicBrokerConfig:
			brokerSet[e.Name] = e.Value
		}
	}
	var out []configEntry
	add := func(e configEntry) {
		if !synonyms {
			e.Synonyms = nil
		}
		out = append(out, e)
	}
	for _, d := range topicConfigDefs {
		def := d.Default
		e := configEntry{Name: d.Name, Value: &def, Source: kmsg.ConfigSourceDefaultConfig}
		var syn []configSynonym
		if v, ok := topicSet[d.Name]; ok {
			e.Value, e.Source = v, kmsg.ConfigSourceDynamicTopicConfig
			syn = append(syn, configSynonym{Name: d.Name, Value: v, Source: kmsg.ConfigSourceDynamicTopicConfig})
		}
		if v, ok := brokerSet[d.BrokerSynonym]; ok && d.BrokerSynonym != "" {
			if e.Source == kmsg.ConfigSourceDefaultConfig {
				e.Value, e.Source = v, kmsg.ConfigSourceDynamicBrokerConfig
			}
			syn = append(syn, configSynonym{Name: d.BrokerSynonym, Value: v, Source: kmsg.ConfigSourceDynamicBrokerConfig})
		}
		if d.ClusterDefault {
			if e.Source == kmsg.ConfigSourceDefaultConfig {
				e.Source = kmsg.ConfigSourceDynamicDefaultBrokerConfig
			}
			syn = append(syn, configSynonym{Name: d.BrokerSynonym, Value: &def, Source: kmsg.ConfigSourceDynamicDefaultBrokerConfig})
		}
		if d.BrokerSynonym != "" {
			syn = append(syn, configSynonym{Name: d.BrokerSynonym, Value: &def, Source: kmsg.ConfigSourceDefaultConfig})
		}
		e.Synonyms = syn
		add(e)
	}
	// Settings the table does not know (set around the console's checks).
	var extra []string
	for name := range topicSet {
		if _, known := LookupTopicConfig(name); !known {
			extra = append(extra, name)
		}
	}
	for _, name := range extra {
		v := topicSet[name]
		add(configEntry{Name: name, Value: v, Source: kmsg.ConfigSourceDynamicTopicConfig,
			Synonyms: []configSynonym{{Name: name, Value: v, Source: kmsg.ConfigSourceDynamicTopicConfig}}})
	}
	slices.SortFunc(out, func(a, b configEntry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// sortedByName returns entries sorted by name, as kafka-configs prints
// them (a stable sort, like Scala's sortBy).
func sortedByName(entries []configEntry) []configEntry {
	out := slices.Clone(entries)
	slices.SortStableFunc(out, func(a, b configEntry) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// nonDefaultConfigs is kafka-topics --describe's Configs column: every
// config whose source is not DEFAULT_CONFIG, in the order given.
func nonDefaultConfigs(entries []configEntry) string {
	var items []string
	for _, e := range entries {
		if e.Source != kmsg.ConfigSourceDefaultConfig {
			items = append(items, e.Name+"="+javaString(e.Value))
		}
	}
	return strings.Join(items, ",")
}
