package kafkacli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// configsSpec is kafka-configs: its options as Kafka 4.1 defines them.
// Only topic configs are supported in this console.
var configsSpec = toolSpec{
	tool: ToolConfigs,
	options: opts(
		[]string{"bootstrap-server=", "entity-type=", "entity-name=", "describe", "alter",
			"add-config=", "delete-config=", "all", "topic=", "help", "version",
			"entity-default", "client=", "client-defaults", "user=", "user-defaults"},
		[]string{"bootstrap-controller=", "command-config=", "add-config-file=", "broker=",
			"broker-defaults", "broker-logger=", "client-metrics=",
			"group=", "ip=", "ip-defaults"},
	),
	unknown:    joptUnknown,
	missingArg: joptMissingArg,
	badNumber:  joptBadNumber,
	build:      buildConfigs,
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

// buildConfigs checks kafka-configs options the way ConfigCommand does.
func buildConfigs(cmd *Command, s scanned) error {
	op := ToolConfigs
	fail := func(text string) error { return usageError(op, text) }
	if s.has("help") {
		cmd.Action = ActionHelp
		return nil
	}
	if s.has("version") {
		cmd.Action = ActionVersion
		return nil
	}
	action, n := actionOf(s, "describe", "alter")
	if n != 1 {
		return fail("Command must include exactly one action: --describe, --alter")
	}
	cmd.Action = action
	op = ToolConfigs + " --" + action

	types := s.all("entity-type")
	if quotaCommand(s, types) {
		return buildQuotaConfigs(cmd, s, types, action)
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
	if !s.has("add-config") && !s.has("delete-config") {
		return fail("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
	}
	for _, raw := range s.all("add-config") {
		kvs, ok := splitAddConfig(raw)
		if !ok {
			return fail(configFormatError)
		}
		cmd.Configs = append(cmd.Configs, kvs...)
	}
	for _, raw := range s.all("delete-config") {
		for _, name := range strings.Split(raw, ",") {
			if name = strings.TrimSpace(name); name != "" {
				cmd.DeleteConfigs = append(cmd.DeleteConfigs, name)
			}
		}
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

// runConfigs executes a parsed kafka-configs command.
func runConfigs(ctx context.Context, b Broker, cmd Command, out io.Writer) error {
	op := ToolConfigs + " --" + cmd.Action
	adm, err := b.admin()
	if err != nil {
		return &Error{Op: op, Text: configCommandError(cmd.Args, err.Error()), Err: err}
	}
	defer adm.Close()
	switch {
	case cmd.Quota != nil:
		err = runQuotas(ctx, adm, cmd, out)
	case cmd.Action == ActionDescribe:
		err = describeConfigs(ctx, adm, cmd, out)
	default:
		err = alterConfigs(ctx, adm, cmd, out)
	}
	var toolErr *Error
	if err != nil && !errors.As(err, &toolErr) {
		err = &Error{Op: op, Text: configCommandError(cmd.Args, err.Error()), Err: err}
	}
	return err
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
// topic, or of every topic when no name was given.
func describeConfigs(ctx context.Context, adm *kadm.Client, cmd Command, out io.Writer) error {
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
	if len(names) == 0 {
		return nil
	}
	overrides, err := topicOverrides(ctx, adm, names...)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, name := range names {
		kind := "Dynamic"
		if cmd.AllConfigs {
			kind = "All"
		}
		fmt.Fprintf(&b, "%s configs for topic %s are:\n", kind, name)
		for _, line := range configLines(overrides[name], cmd.AllConfigs) {
			b.WriteString(line)
		}
	}
	_, err = io.WriteString(out, b.String())
	return err
}

// configLines renders kafka-configs' describe lines for a topic with the
// given overrides, sorted by name: only the overrides, or with all set
// every topic config.
func configLines(overrides map[string]string, all bool) []string {
	names := make([]string, 0, len(topicConfigDefs)+len(overrides))
	for name := range overrides {
		names = append(names, name)
	}
	if all {
		for _, d := range topicConfigDefs {
			if _, ok := overrides[d.Name]; !ok {
				names = append(names, d.Name)
			}
		}
	}
	slices.Sort(names)
	lines := make([]string, 0, len(names))
	for _, name := range names {
		value, overridden := overrides[name]
		def, known := LookupTopicConfig(name)
		if !overridden {
			value = def.Default
		}
		var syn []string
		if overridden {
			syn = append(syn, "DYNAMIC_TOPIC_CONFIG:"+name+"="+value)
		}
		if known && def.ClusterDefault {
			syn = append(syn, "DYNAMIC_DEFAULT_BROKER_CONFIG:"+def.BrokerSynonym+"="+def.Default)
		}
		if known && def.BrokerSynonym != "" {
			syn = append(syn, "DEFAULT_CONFIG:"+def.BrokerSynonym+"="+def.Default)
		}
		lines = append(lines, fmt.Sprintf("  %s=%s sensitive=false synonyms={%s}\n", name, value, strings.Join(syn, ", ")))
	}
	return lines
}

// alterConfigs sets and deletes a topic's configs.
func alterConfigs(ctx context.Context, adm *kadm.Client, cmd Command, out io.Writer) error {
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
