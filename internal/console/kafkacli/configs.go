package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// configsSpec is kafka-configs: its options as Kafka 4.1 defines them.
// Only topic configs are supported in this console.
var configsSpec = toolSpec{
	tool: ToolConfigs,
	options: adminToolOptions(
		[]string{"entity-type=", "entity-name=", "describe", "alter",
			"add-config=", "delete-config=", "all", "topic=", "help", "version",
			"entity-default", "client=", "client-defaults", "user=", "user-defaults"},
		[]string{"bootstrap-controller=", "add-config-file=", "broker=",
			"broker-defaults", "broker-logger=", "client-metrics=",
			"group=", "ip=", "ip-defaults"},
	),
	unknown:    joptUnknown,
	missingArg: joptMissingArg,
	badNumber:  joptBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &configsSpec, newCommand: func(c Call, _ stdin) toolCommand { return &ConfigsCommand{Call: c} }})
}

// entityTypes are the entity types kafka-configs knows, in the order its
// message lists them.
var entityTypes = []string{"topics", "clients", "users", "brokers", "ips", "client-metrics", "groups", "broker-loggers"}

// configFormatError is kafka-configs' complaint about an --add-config
// value it cannot split (the two spaces are Kafka's).
const configFormatError = `requirement failed: Invalid entity config: all configs to be added must be in the format "key=val" or  "key=[val1,val2]" to group values which contain commas.`

// configCommandError is how kafka-configs reports a failure the broker
// (here: the console's validation standing in for it) returned: the
// command line, then the exception.
func configCommandError(args []string, exception string) string {
	return fmt.Sprintf("Error while executing config command with args '%s'\njava.util.concurrent.ExecutionException: %s",
		strings.Join(args, " "), exception)
}

// ConfigsCommand is a kafka-configs line: --describe or --alter of topic
// configs, of broker configs (describe only) or of client quotas.
type ConfigsCommand struct {
	Call
	// Topic is the topic of --entity-name (or --topic); "" describes
	// every topic.
	Topic string
	// Configs are the --add-config pairs in the order typed, already
	// checked against the topic config rules.
	Configs []KeyValue
	// DeleteConfigs are the --delete-config names.
	DeleteConfigs []string
	// AllConfigs is --describe --all: every config, not only the
	// dynamic ones.
	AllConfigs bool
	// Quota is set for --entity-type clients and/or users (quotas.go).
	Quota *QuotaCommand
	// Broker is set for --entity-type brokers.
	Broker *brokerEntity
}

// parse checks kafka-configs options the way ConfigCommand does.
func (cmd *ConfigsCommand) parse(s scanned) error {
	op := ToolConfigs
	fail := func(text string) error { return usageError(op, text) }
	action, n := actionOf(s, "describe", "alter")
	if n != 1 {
		return fail("Command must include exactly one action: --describe, --alter")
	}
	cmd.Action = action
	op = ToolConfigs + " --" + action

	types := s.all("entity-type")
	if quotaCommand(s, types) {
		return cmd.parseQuotas(s, types, action)
	}
	if s.has("topic") {
		if s.has("entity-type") || s.has("entity-name") {
			return fail("--entity-{type,name,default} should not be used in conjunction with specific entity flags")
		}
		types = []string{"topics"}
		cmd.Topic = s.first("topic")
	}
	if len(types) == 0 {
		return fail("At least one entity type must be specified")
	}
	for _, t := range types {
		if !slices.Contains(entityTypes, t) {
			return fail(fmt.Sprintf("Invalid entity type %s, the entity type must be one of %s with a --bootstrap-server or --bootstrap-controller argument",
				t, strings.Join(entityTypes, ", ")))
		}
	}
	if len(types) > 1 {
		return fail("Only 'users' and 'clients' entity types may be specified together")
	}
	if types[0] == "brokers" {
		if action != ActionDescribe {
			return fail("kafka-configs: --alter of --entity-type brokers is not supported in this console; it can describe broker configs")
		}
		if len(s.all("entity-name")) > 1 {
			return fail("More entity names specified than entity types")
		}
		if s.has("add-config") || s.has("delete-config") {
			return fail(cantUseWith("add-config", "describe"))
		}
		cmd.AllConfigs = s.has("all")
		cmd.Broker = &brokerEntity{name: s.first("entity-name"), named: s.has("entity-name"), clusterDef: s.has("entity-default")}
		return nil
	}
	if types[0] != "topics" {
		return fail(fmt.Sprintf("kafka-configs: --entity-type %s is not supported in this console; it manages topic configs (--entity-type topics)", types[0]))
	}
	if s.has("entity-name") {
		if len(s.all("entity-name")) > 1 {
			return fail("More entity names specified than entity types")
		}
		cmd.Topic = s.first("entity-name")
	}

	if action == ActionDescribe {
		for _, name := range []string{"add-config", "delete-config"} {
			if s.has(name) {
				return fail(cantUseWith(name, "describe"))
			}
		}
		cmd.AllConfigs = s.has("all")
		return nil
	}
	if s.has("all") {
		return fail(cantUseWith("all", "alter"))
	}
	if cmd.Topic == "" {
		return fail("An entity name must be specified with --alter of topics")
	}
	var err error
	if cmd.Configs, cmd.DeleteConfigs, err = alterConfigOptions(s, fail); err != nil {
		return err
	}
	for _, kv := range cmd.Configs {
		if slices.Contains(cmd.DeleteConfigs, kv.Name) {
			return fail(configCommandError(cmd.Args, "org.apache.kafka.common.errors.InvalidRequestException: Error due to duplicate config keys"))
		}
	}
	for i, kv := range cmd.Configs {
		v, err := ValidateTopicConfig(kv.Name, kv.Value)
		if err != nil {
			return fail(configCommandError(cmd.Args, "org.apache.kafka.common.errors.InvalidConfigurationException: "+err.Error()))
		}
		cmd.Configs[i].Value = v
	}
	return nil
}

// alterConfigOptions reads what kafka-configs --alter changes, for any
// entity type: the --add-config pairs and the --delete-config names, in
// the order typed. One of the two options must be given.
func alterConfigOptions(s scanned, fail func(string) error) (add []KeyValue, del []string, err error) {
	if !s.has("add-config") && !s.has("delete-config") {
		return nil, nil, fail("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
	}
	for _, raw := range s.all("add-config") {
		kvs, ok := splitAddConfig(raw)
		if !ok {
			return nil, nil, fail(configFormatError)
		}
		add = append(add, kvs...)
	}
	for _, raw := range s.all("delete-config") {
		for _, name := range strings.Split(raw, ",") {
			if name = strings.TrimSpace(name); name != "" {
				del = append(del, name)
			}
		}
	}
	return add, del, nil
}

// splitAddConfig splits an --add-config value into pairs: commas separate
// pairs except inside [...], which groups a list value; each pair needs
// an "=" and a name.
func splitAddConfig(raw string) ([]KeyValue, bool) {
	var pairs []string
	depth, start := 0, 0
	for i, r := range raw {
		switch r {
		case '[':
			depth++
		case ']':
			depth--
		case ',':
			if depth == 0 {
				pairs = append(pairs, raw[start:i])
				start = i + 1
			}
		}
	}
	pairs = append(pairs, raw[start:])
	var out []KeyValue
	for _, p := range pairs {
		name, value, ok := strings.Cut(p, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, false
		}
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, "[") && strings.HasSuffix(value, "]") {
			value = value[1 : len(value)-1]
		}
		out = append(out, KeyValue{Name: name, Value: value})
	}
	return out, true
}

// run executes a parsed kafka-configs command.
func (cmd *ConfigsCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolConfigs + " --" + cmd.Action
	text := func(msg string) string { return configCommandError(cmd.Args, msg) }
	cl, err := b.connect(op, text)
	if err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	switch {
	case cmd.Quota != nil:
		err = runQuotas(ctx, adm, cmd, out)
	case cmd.Broker != nil:
		err = describeBrokerConfigs(ctx, cl, adm, cmd, *cmd.Broker, out)
	case cmd.Action == ActionDescribe:
		err = describeConfigs(ctx, cl, adm, cmd, out)
	default:
		err = alterConfigs(ctx, adm, cmd, out)
	}
	return toolFailure(op, err, func(err error) string { return text(err.Error()) })
}

// topicOverrides returns each topic's dynamic topic configs, the values
// set on the topic itself.
func topicOverrides(ctx context.Context, adm *kadm.Client, topics ...string) (map[string]map[string]string, error) {
	rcs, err := adm.DescribeTopicConfigs(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", err)
	}
	out := make(map[string]map[string]string, len(topics))
	for _, rc := range rcs {
		if rc.Err != nil {
			return nil, fmt.Errorf("describe configs of topic %s: %w", rc.Name, rc.Err)
		}
		m := map[string]string{}
		for _, c := range rc.Configs {
			if c.Source == kmsg.ConfigSourceDynamicTopicConfig {
				m[c.Key] = c.MaybeValue()
			}
		}
		out[rc.Name] = m
	}
	return out, nil
}

// describeConfigs prints the dynamic (or, with --all, every) config of a
// topic, or of every topic when no name was given, from the broker's
// DescribeConfigs answer (completed from the table on kfake).
func describeConfigs(ctx context.Context, cl *kgo.Client, adm *kadm.Client, cmd *ConfigsCommand, out io.Writer) error {
	all, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	names := []string{cmd.Topic}
	if cmd.Topic == "" {
		names = nil
		for name, d := range all {
			if !isInternalTopic(name, d) {
				names = append(names, name)
			}
		}
		slices.Sort(names)
	} else if _, ok := all[cmd.Topic]; !ok {
		_, err := fmt.Fprintf(out, "The topic '%s' doesn't exist and doesn't have dynamic config.\n", cmd.Topic)
		return err
	}
	var b strings.Builder
	for _, name := range names {
		entries, _, err := topicConfigEntries(ctx, cl, name, true)
		if err != nil {
			return fmt.Errorf("describe configs of topic %s: %w", name, err)
		}
		kind := "Dynamic"
		if cmd.AllConfigs {
			kind = "All"
		}
		fmt.Fprintf(&b, "%s configs for topic %s are:\n", kind, name)
		for _, e := range sortedByName(entries) {
			if cmd.AllConfigs || e.Source == kmsg.ConfigSourceDynamicTopicConfig {
				b.WriteString(e.describeLine())
			}
		}
	}
	_, err = io.WriteString(out, b.String())
	return err
}

// alterConfigs sets and deletes a topic's configs.
func alterConfigs(ctx context.Context, adm *kadm.Client, cmd *ConfigsCommand, out io.Writer) error {
	op := ToolConfigs + " --alter"
	overrides, err := topicOverrides(ctx, adm, cmd.Topic)
	if errors.Is(err, kerr.UnknownTopicOrPartition) {
		return &Error{Op: op, Err: ErrTopicNotFound,
			Text: configCommandError(cmd.Args, "org.apache.kafka.common.errors.UnknownTopicOrPartitionException: ")}
	}
	if err != nil {
		return err
	}
	var missing []string
	for _, name := range cmd.DeleteConfigs {
		if _, ok := overrides[cmd.Topic][name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return &Error{Op: op, Text: "Invalid config(s): " + strings.Join(missing, ",")}
	}
	var alters []kadm.AlterConfig
	for _, kv := range cmd.Configs {
		alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: kv.Name, Value: kadm.StringPtr(kv.Value)})
	}
	for _, name := range cmd.DeleteConfigs {
		alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: name})
	}
	resps, err := adm.AlterTopicConfigs(ctx, alters, cmd.Topic)
	if err != nil {
		return fmt.Errorf("alter topic configs: %w", err)
	}
	for _, r := range resps {
		if r.Err != nil {
			return fmt.Errorf("alter configs of topic %s: %w", r.Name, r.Err)
		}
	}
	awaitTopicConfigs(ctx, adm, cmd.Topic, cmd.Configs, cmd.DeleteConfigs)
	_, err = fmt.Fprintf(out, "Completed updating config for topic %s.\n", cmd.Topic)
	return err
}

// brokerEntity is the broker kafka-configs --entity-type brokers names:
// an id as typed, the cluster-wide defaults, or (neither) every broker
// and then the defaults.
type brokerEntity struct {
	name       string
	named      bool
	clusterDef bool
}

// describeBrokerConfigs prints a broker's configs (or the cluster's
// default broker configs) as the broker answers them.
func describeBrokerConfigs(ctx context.Context, cl *kgo.Client, adm *kadm.Client, cmd *ConfigsCommand, ent brokerEntity, out io.Writer) error {
	var names []string
	switch {
	case ent.clusterDef:
		names = []string{""}
	case ent.named:
		if _, err := strconv.ParseInt(ent.name, 10, 32); err != nil {
			return &Error{Op: ToolConfigs + " --describe", Err: ErrUsage,
				Text: "The entity name for brokers must be a valid integer broker id, but it is: " + ent.name}
		}
		names = []string{ent.name}
	default:
		brokers, err := adm.ListBrokers(ctx)
		if err != nil {
			return fmt.Errorf("describe cluster: %w", err)
		}
		for _, b := range brokers {
			names = append(names, strconv.Itoa(int(b.NodeID)))
		}
		names = append(names, "")
	}
	for _, name := range names {
		entries, err := describeResourceConfigs(ctx, cl, kmsg.ConfigResourceTypeBroker, name, true)
		if err != nil {
			return fmt.Errorf("describe configs of broker %s: %w", name, err)
		}
		var b strings.Builder
		keep := kmsg.ConfigSourceDynamicBrokerConfig
		switch {
		case name == "":
			b.WriteString("Default configs for brokers in the cluster are:\n")
			keep = kmsg.ConfigSourceDynamicDefaultBrokerConfig
		case cmd.AllConfigs:
			fmt.Fprintf(&b, "All configs for broker %s are:\n", name)
		default:
			fmt.Fprintf(&b, "Dynamic configs for broker %s are:\n", name)
		}
		for _, e := range sortedByName(entries) {
			if cmd.AllConfigs || e.Source == keep {
				b.WriteString(e.describeLine())
			}
		}
		if _, err := io.WriteString(out, b.String()); err != nil {
			return err
		}
	}
	return nil
}
