package kafkacli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// topicsSpec is kafka-topics: its options as Kafka 4.1 defines them and
// the way it words option errors (the message, then joptsimple's
// exception line).
var topicsSpec = toolSpec{
	tool: ToolTopics,
	options: adminToolOptions(
		[]string{"list", "create", "delete", "alter", "describe", "topic=",
			"config=", "partitions=", "replication-factor=", "if-exists", "if-not-exists",
			"exclude-internal", "help", "version",
			"under-replicated-partitions", "unavailable-partitions", "under-min-isr-partitions", "at-min-isr-partitions"},
		[]string{"topic-id=", "delete-config=", "replica-assignment=",
			"topics-with-overrides", "partition-size-limit-per-response="},
	),
	unknown: func(name string) string {
		m := joptUnknown(name)
		return m + "\njoptsimple.UnrecognizedOptionException: " + m
	},
	missingArg: func(name string) string {
		m := joptMissingArg(name)
		return m + "\njoptsimple.OptionMissingRequiredArgumentException: " + m
	},
	badNumber: topicsBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &topicsSpec, newCommand: func(c Call, _ stdin) toolCommand { return &TopicsCommand{Call: c} }})
}

// topicsBadNumber is kafka-topics' complaint about a number it cannot
// parse, found when the command runs.
func topicsBadNumber(value, name string) string {
	return topicCommandError(joptBadNumber(value, name))
}

// topicCommandError is how kafka-topics prints a failure of the command
// itself.
func topicCommandError(msg string) string {
	return "Error while executing topic command : " + msg
}

// configsHint ends kafka-topics' complaint about --config with --alter.
const configsHint = " (To alter topic configurations, the kafka-configs tool can be used.)"

// TopicsCommand is a kafka-topics line: one of the actions create, list,
// describe, alter and delete, with its options.
type TopicsCommand struct {
	Call
	// Topic is --topic. For --list, --describe, --alter and --delete it
	// is a regular expression as in the real tool; "" means every topic.
	Topic string
	// Partitions is --partitions; 0 when not given.
	Partitions int
	// ReplicationFactor is --replication-factor; 0 when not given.
	ReplicationFactor int
	IfExists          bool // --if-exists
	IfNotExists       bool // --if-not-exists
	// Configs are the --config pairs of --create in the order typed,
	// already checked against the topic config rules.
	Configs []KeyValue
	// Reports are --describe's replication report options, Report
	// constants (topics_health.go) in TopicCommand's order; a partition
	// is shown when any of them selects it. Empty for none.
	Reports []string
}

// parse checks kafka-topics options in the order TopicCommand does.
func (cmd *TopicsCommand) parse(s scanned) error {
	op := ToolTopics
	fail := func(text string) error { return usageError(op, text) }
	if len(cmd.Args) == 0 {
		return fail("Create, delete, describe, or change a topic.")
	}
	action, n := actionOf(s, "create", "list", "alter", "describe", "delete")
	if n != 1 {
		return fail("Command must include exactly one action: --list, --describe, --create, --alter or --delete")
	}
	cmd.Action = action
	op = ToolTopics + " --" + action
	if action != ActionList && action != ActionDescribe && !s.has("topic") {
		return fail(missingRequired("topic"))
	}
	if action == ActionAlter {
		// The real tool always has --bootstrap-server here, which is
		// what makes this check fire.
		if s.has("config") {
			return fail(fmt.Sprintf("Option combination \"[%s, %s]\" can't be used with option \"%s\"%s",
				optName("bootstrap-server"), optName("config"), optName("alter"), configsHint))
		}
		if !s.has("partitions") {
			return fail(missingRequired("partitions"))
		}
	}
	allowed := map[string][]string{
		"config":             {ActionAlter, ActionCreate},
		"partitions":         {ActionAlter, ActionCreate},
		"replication-factor": {ActionCreate},
		"if-exists":          {ActionAlter, ActionDelete, ActionDescribe},
		"if-not-exists":      {ActionCreate},
		"exclude-internal":   {ActionList, ActionDescribe},
	}
	for _, name := range []string{"config", "partitions", "replication-factor", "if-exists", "if-not-exists", "exclude-internal"} {
		if s.has(name) && !slices.Contains(allowed[name], action) {
			return fail(cantUseWith(name, action))
		}
	}

	if err := cmd.parseReports(s); err != nil {
		return err
	}

	cmd.Topic = s.first("topic")
	cmd.IfExists = s.has("if-exists")
	cmd.IfNotExists = s.has("if-not-exists")
	if s.has("partitions") {
		n, ok := parseInt32(s.first("partitions"))
		if !ok {
			return fail(topicsBadNumber(s.first("partitions"), "partitions"))
		}
		cmd.Partitions = n
	}
	if s.has("replication-factor") {
		n, ok := parseInt32(s.first("replication-factor"))
		if !ok {
			return fail(topicsBadNumber(s.first("replication-factor"), "replication-factor"))
		}
		cmd.ReplicationFactor = n
	}
	if action != ActionCreate {
		return nil
	}

	for _, raw := range s.all("config") {
		kv, ok := splitTopicConfig(raw)
		if !ok {
			return fail(topicCommandError("requirement failed: Invalid topic config: all configs to be added must be in the format \"key=val\"."))
		}
		cmd.Configs = append(cmd.Configs, kv)
	}
	for i, kv := range cmd.Configs {
		v, err := ValidateTopicConfig(kv.Name, kv.Value)
		if err != nil {
			return fail(topicCommandError(err.Error()))
		}
		cmd.Configs[i].Value = v
	}
	if s.has("replication-factor") && (cmd.ReplicationFactor < 1 || cmd.ReplicationFactor > 32767) {
		return fail(topicCommandError("The replication factor must be between 1 and 32767 inclusive"))
	}
	if s.has("partitions") && cmd.Partitions < 1 {
		return fail(topicCommandError("The partitions must be greater than 0"))
	}
	if msg := invalidTopicName(cmd.Topic); msg != "" {
		return fail(topicCommandError(msg))
	}
	return nil
}

// configSplit is how TopicCommand splits a --config value: at every "="
// with the blanks around it.
var configSplit = regexp.MustCompile(`\s*=\s*`)

// splitTopicConfig splits a --config value into exactly a name and a
// value, as TopicCommand requires.
func splitTopicConfig(raw string) (KeyValue, bool) {
	parts := configSplit.Split(raw, -1)
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1] // Java's split drops trailing empty strings
	}
	if len(parts) != 2 {
		return KeyValue{}, false
	}
	return KeyValue{Name: strings.TrimSpace(parts[0]), Value: strings.TrimSpace(parts[1])}, true
}

// legalTopicName matches the characters Kafka allows in a topic name.
var legalTopicName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// invalidTopicName returns the broker's complaint about a topic name, or
// "" when Kafka accepts it.
func invalidTopicName(name string) string {
	switch {
	case name == "":
		return "The given topic name '' cannot be represented in a request."
	case name == "." || name == "..":
		return fmt.Sprintf("Topic name is invalid: '%s' is not allowed", name)
	case len(name) > 249:
		return fmt.Sprintf("Topic name is invalid: the length of '%s' is longer than the max allowed length 249", name)
	case !legalTopicName.MatchString(name):
		return fmt.Sprintf("Topic name is invalid: '%s' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'", name)
	}
	return ""
}

// internalTopics are the topics Kafka keeps for itself; the console and
// the probes leave them out.
var internalTopics = []string{"__consumer_offsets", "__transaction_state", "__share_group_state"}

// isInternalTopic reports whether a topic is one Kafka keeps for itself.
func isInternalTopic(name string, d kadm.TopicDetail) bool {
	return d.IsInternal || slices.Contains(internalTopics, name)
}

// run executes a parsed kafka-topics command.
func (cmd *TopicsCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolTopics + " --" + cmd.Action
	cl, err := b.connect(op, topicCommandError)
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	switch cmd.Action {
	case ActionCreate:
		err = createTopic(ctx, cl, b.Limits, cmd, out)
	case ActionList:
		err = listTopics(ctx, adm, cmd, out)
	case ActionDescribe:
		err = describeTopics(ctx, cl, adm, cmd, out)
	case ActionAlter:
		err = alterTopics(ctx, cl, b.Limits, cmd)
	case ActionDelete:
		err = deleteTopics(ctx, cl, cmd)
	}
	return toolFailure(op, err, func(err error) string { return topicCommandError(kafkaMessage(err)) })
}

// topicLimitError is how kafka-topics prints a refusal by the sandbox's
// Limits, as it prints a broker's CreateTopicPolicy refusal: the command's
// error line, then the ERROR line TopicCommand logs with the exception
// (without its log4j decoration and stack trace).
func topicLimitError(op string, le *limitError) *Error {
	return &Error{Op: op, Text: topicCommandError(le.msg) + "\nERROR " + le.javaException(), Err: le}
}

// createTopic creates one topic, within the sandbox's limits, and prints
// what kafka-topics --create prints.
func createTopic(ctx context.Context, cl *kgo.Client, lim Limits, cmd *TopicsCommand, out io.Writer) error {
	adm := kadm.NewClient(cl)
	op := ToolTopics + " --create"
	if strings.ContainsAny(cmd.Topic, "._") {
		fmt.Fprintln(out, "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.")
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil {
		return fmt.Errorf("list brokers: %w", err)
	}
	partitions := int32(1) // num.partitions of a default broker
	if cmd.Partitions > 0 {
		partitions = int32(cmd.Partitions)
	}
	rf := 1 // default.replication.factor of a default broker
	if cmd.ReplicationFactor > 0 {
		rf = cmd.ReplicationFactor
	}
	if rf > len(brokers) {
		return &Error{Op: op, Text: topicCommandError(fmt.Sprintf(
			"Unable to replicate the partition %d time(s): The target replication factor of %d cannot be reached because only %d broker(s) are registered.",
			rf, rf, len(brokers)))}
	}
	existing, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return fmt.Errorf("list topics: %w", err)
	}
	if _, ok := existing[cmd.Topic]; ok {
		if cmd.IfNotExists {
			return nil
		}
		return &Error{Op: op, Text: topicCommandError(fmt.Sprintf("Topic '%s' already exists.", cmd.Topic))}
	}
	for name := range existing {
		if name != cmd.Topic && collisionName(name) == collisionName(cmd.Topic) {
			return &Error{Op: op, Text: topicCommandError(fmt.Sprintf("Topic '%s' collides with existing topic: %s", cmd.Topic, name))}
		}
	}
	if le := lim.checkNewTopic(existing, int(partitions)); le != nil {
		return topicLimitError(op, le)
	}
	configs := map[string]*string{}
	for _, kv := range cmd.Configs {
		configs[kv.Name] = kadm.StringPtr(kv.Value)
	}
	resp, err := adm.CreateTopic(ctx, partitions, int16(rf), configs, cmd.Topic)
	if errors.Is(err, kerr.TopicAlreadyExists) {
		if cmd.IfNotExists {
			return nil
		}
		return &Error{Op: op, Text: topicCommandError(fmt.Sprintf("Topic '%s' already exists.", cmd.Topic)), Err: err}
	}
	if err != nil {
		if resp.ErrMessage != "" {
			return &Error{Op: op, Text: topicCommandError(resp.ErrMessage), Err: err}
		}
		return fmt.Errorf("create topic: %w", err)
	}
	awaitTopics(ctx, cl, true, 0, cmd.Topic)
	_, err = fmt.Fprintf(out, "Created topic %s.\n", cmd.Topic)
	return err
}

// collisionName is a topic name with '.' read as '_', the form in which
// Kafka finds names that collide in metric names.
func collisionName(name string) string { return strings.ReplaceAll(name, ".", "_") }

// matchingTopics returns the sorted non-internal topics that the --topic
// value selects: every topic when it is empty, else the topics it matches
// in full as a regular expression, commas read as alternatives, as
// kafka-topics does.
func matchingTopics(ctx context.Context, adm *kadm.Client, pattern string) (kadm.TopicDetails, []string, error) {
	all, err := adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list topics: %w", err)
	}
	match := topicMatcher(pattern)
	var names []string
	for name, d := range all {
		if isInternalTopic(name, d) {
			continue
		}
		if match(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return all, names, nil
}

// topicMatcher returns the test kafka-topics' IncludeList applies to a
// topic name.
func topicMatcher(pattern string) func(string) bool {
	if pattern == "" {
		return func(string) bool { return true }
	}
	p := strings.ReplaceAll(strings.TrimSpace(pattern), ",", "|")
	p = strings.Trim(p, `"'`)
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		return func(name string) bool { return name == pattern }
	}
	return re.MatchString
}

// ensureTopicsExist is kafka-topics' check that --topic matched something.
func ensureTopicsExist(cmd *TopicsCommand, found []string) error {
	if cmd.Topic != "" && len(found) == 0 && !cmd.IfExists {
		return &Error{
			Op:   ToolTopics + " --" + cmd.Action,
			Text: topicCommandError(fmt.Sprintf("Topic '%s' does not exist as expected", cmd.Topic)),
			Err:  ErrTopicNotFound,
		}
	}
	return nil
}

// listTopics prints the matching topics, one a line, as --list does (an
// empty line when there are none).
func listTopics(ctx context.Context, adm *kadm.Client, cmd *TopicsCommand, out io.Writer) error {
	_, names, err := matchingTopics(ctx, adm, cmd.Topic)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, strings.Join(names, "\n"))
	return err
}

// describeTopics prints --describe's topic line and partition lines for
// every matching topic.
func describeTopics(ctx context.Context, cl *kgo.Client, adm *kadm.Client, cmd *TopicsCommand, out io.Writer) error {
	all, names, err := matchingTopics(ctx, adm, cmd.Topic)
	if err != nil {
		return err
	}
	if err := ensureTopicsExist(cmd, names); err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	names = describeOrder(names)
	if len(cmd.Reports) > 0 {
		return describeReport(ctx, adm, cmd, all, names, out)
	}
	var b strings.Builder
	for _, name := range names {
		d := all[name]
		parts := d.Partitions.Sorted()
		rf := 0
		if len(parts) > 0 {
			rf = len(parts[0].Replicas)
		}
		// TopicCommand asks without synonyms and lists, in the
		// broker's order, every config not at its default.
		entries, fromBroker, err := topicConfigEntries(ctx, cl, name, false)
		if err != nil {
			return fmt.Errorf("describe configs of topic %s: %w", name, err)
		}
		if !fromBroker {
			entries = clusterDefaultsFirst(entries)
		}
		fmt.Fprintf(&b, "Topic: %s", name)
		if d.ID != (kadm.TopicID{}) {
			fmt.Fprintf(&b, "\tTopicId: %s", base64.RawURLEncoding.EncodeToString(d.ID[:]))
		}
		fmt.Fprintf(&b, "\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s\n",
			len(parts), rf, nonDefaultConfigs(entries))
		for _, p := range parts {
			leader := "none"
			if p.Leader >= 0 {
				leader = strconv.Itoa(int(p.Leader))
			}
			fmt.Fprintf(&b, "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s\tElr: \tLastKnownElr: \n",
				name, p.Partition, leader, joinIDs(p.Replicas), joinIDs(p.ISR))
		}
	}
	_, err = io.WriteString(out, b.String())
	return err
}

// clusterDefaultsFirst orders kfake's completed config list for the
// Configs column: the configs a Kafka 4.1 cluster holds a dynamic default
// for (min.insync.replicas) first, then the rest by name.
func clusterDefaultsFirst(entries []configEntry) []configEntry {
	out := make([]configEntry, 0, len(entries))
	for _, e := range entries {
		if d, ok := LookupTopicConfig(e.Name); ok && d.ClusterDefault {
			out = append(out, e)
		}
	}
	for _, e := range entries {
		if d, ok := LookupTopicConfig(e.Name); !ok || !d.ClusterDefault {
			out = append(out, e)
		}
	}
	return out
}

// joinIDs renders broker ids as "0,1,2".
func joinIDs(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

// alterTopics raises the partition count of every matching topic, within
// the sandbox's limits.
func alterTopics(ctx context.Context, cl *kgo.Client, lim Limits, cmd *TopicsCommand) error {
	adm := kadm.NewClient(cl)
	op := ToolTopics + " --alter"
	all, names, err := matchingTopics(ctx, adm, cmd.Topic)
	if err != nil {
		return err
	}
	if err := ensureTopicsExist(cmd, names); err != nil {
		return err
	}
	for _, name := range names {
		have := len(all[name].Partitions)
		switch {
		case cmd.Partitions < have:
			return &Error{Op: op, Text: topicCommandError(fmt.Sprintf("The topic %s currently has %d partition(s); %d would not be an increase.", name, have, cmd.Partitions))}
		case cmd.Partitions == have:
			return &Error{Op: op, Text: topicCommandError(fmt.Sprintf("Topic already has %d partition(s).", have))}
		}
	}
	if len(names) == 0 {
		return nil
	}
	if le := lim.checkNewPartitions(all, names, cmd.Partitions); le != nil {
		return topicLimitError(op, le)
	}
	resps, err := adm.UpdatePartitions(ctx, cmd.Partitions, names...)
	if err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	if err := resps.Error(); err != nil {
		return fmt.Errorf("create partitions: %w", err)
	}
	awaitTopics(ctx, cl, true, cmd.Partitions, names...)
	return nil
}

// deleteTopics deletes every matching topic; kafka-topics prints nothing
// on success.
func deleteTopics(ctx context.Context, cl *kgo.Client, cmd *TopicsCommand) error {
	adm := kadm.NewClient(cl)
	_, names, err := matchingTopics(ctx, adm, cmd.Topic)
	if err != nil {
		return err
	}
	if err := ensureTopicsExist(cmd, names); err != nil {
		return err
	}
	if len(names) == 0 {
		return nil
	}
	resps, err := adm.DeleteTopics(ctx, names...)
	if err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	if err := resps.Error(); err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	awaitTopics(ctx, cl, false, 0, names...)
	return nil
}

// kafkaMessage returns the text Kafka's own exception would carry for an
// error: the broker's description for a Kafka error code, else the error
// text.
func kafkaMessage(err error) string {
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Description
	}
	return err.Error()
}
