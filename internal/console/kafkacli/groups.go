package kafkacli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// groupsSpec is kafka-consumer-groups: its options as Kafka 4.1 defines
// them. Its option errors escape the tool's main method, hence the
// "Exception in thread" wording.
var groupsSpec = toolSpec{
	tool: ToolGroups,
	options: adminToolOptions(
		[]string{"list", "describe", "delete", "reset-offsets", "group=",
			"all-groups", "topic=", "all-topics", "to-earliest", "to-latest", "to-current",
			"to-offset=", "shift-by=", "dry-run", "execute", "offsets", "members", "state",
			"timeout=", "help", "version"},
		[]string{"delete-offsets", "export", "from-file=", "to-datetime=", "by-duration=",
			"type", "verbose", "validate-regex="},
	),
	unknown: func(name string) string {
		return `Exception in thread "main" joptsimple.UnrecognizedOptionException: ` + joptUnknown(name)
	},
	missingArg: func(name string) string {
		return `Exception in thread "main" joptsimple.OptionMissingRequiredArgumentException: ` + joptMissingArg(name)
	},
	badNumber: groupsBadNumber,
}

// init adds the tool of this file to the registry.
func init() {
	register(&tool{spec: &groupsSpec, newCommand: func(c Call, _ stdin) toolCommand { return &GroupsCommand{Call: c} }})
}

// groupsBadNumber is kafka-consumer-groups' report of a number it cannot
// parse, found when the command runs.
func groupsBadNumber(value, name string) string {
	return groupCommandFailed(joptBadNumber(value, name))
}

// groupCommandFailed is how kafka-consumer-groups reports an exception
// that ends the command.
func groupCommandFailed(msg string) string {
	return "Error: Executing consumer group command failed due to " + msg
}

// groupScopes is how the tool lists --group and --all-groups.
const groupScopes = "[all-groups], [group]"

// resetScenarios are the --reset-offsets scenarios in the order the tool
// checks them against each other.
var resetScenarios = []string{"to-offset", "to-datetime", "by-duration", "to-earliest", "to-latest", "to-current", "shift-by", "from-file"}

// GroupsCommand is a kafka-consumer-groups line: list, describe, delete
// or reset-offsets of consumer groups.
type GroupsCommand struct {
	Call
	Groups    []string // --group, in the order typed
	AllGroups bool     // --all-groups
	GroupView string   // describe view: one of the View constants
	// Topic is --topic of --reset-offsets; TopicPartitions are the
	// partitions named as --topic T:0,1, nil for every partition.
	Topic           string
	TopicPartitions []int32
	AllTopics       bool   // --all-topics
	Reset           string // one of the Reset constants
	ResetValue      int64  // the N of --to-offset N or --shift-by N
	DryRun          bool   // --dry-run
	Execute         bool   // --execute
}

// parse checks kafka-consumer-groups options in the order
// ConsumerGroupCommandOptions.checkArgs and main do.
func (cmd *GroupsCommand) parse(s scanned) error {
	op := ToolGroups
	fail := func(text string) error { return usageError(op, text) }
	hasScope := s.has("group") || s.has("all-groups")
	if s.has("describe") {
		if !hasScope {
			return fail("Option [describe] takes one of these options: " + groupScopes)
		}
		if _, n := actionOf(s, "members", "offsets", "state"); n > 1 {
			return fail("Option [describe] takes at most one of these options: [members], [offsets], [state]")
		}
	}
	if s.has("delete") {
		if !hasScope {
			return fail("Option [delete] takes one of these options: " + groupScopes)
		}
		if s.has("topic") {
			return fail("The consumer does not support topic-specific offset deletion from a consumer group.")
		}
	}
	if s.has("reset-offsets") {
		if s.has("dry-run") && s.has("execute") {
			return fail("Option [reset-offsets] only accepts one of [execute] and [dry-run]")
		}
		if !hasScope {
			return fail("Option [reset-offsets] takes one of these options: " + groupScopes)
		}
		for _, a := range resetScenarios {
			for _, b := range resetScenarios {
				if a != b && s.has(a) && s.has(b) {
					return fail(cantUseWith(a, b))
				}
			}
		}
	}
	if s.has("group") && s.has("all-groups") {
		return fail(cantUseWith("group", "all-groups"))
	}
	if s.has("group") && s.has("list") {
		return fail(cantUseWith("group", "list"))
	}
	for _, a := range []string{"list", "describe"} {
		if s.has("topic") && s.has(a) {
			return fail(cantUseWith("topic", a))
		}
	}
	action, n := actionOf(s, "list", "describe", "delete", "reset-offsets")
	if n != 1 {
		return fail("Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets, --validate-regex")
	}
	cmd.Action = action
	cmd.Groups = s.all("group")
	cmd.AllGroups = s.has("all-groups")
	switch action {
	case ActionDescribe:
		switch {
		case s.has("members"):
			cmd.GroupView = ViewMembers
		case s.has("state"):
			cmd.GroupView = ViewState
		default:
			cmd.GroupView = ViewOffsets
		}
	case ActionResetOffsets:
		return cmd.parseReset(s)
	}
	return nil
}

// parseReset reads the scope and scenario of --reset-offsets.
func (cmd *GroupsCommand) parseReset(s scanned) error {
	op := ToolGroups + " --reset-offsets"
	fail := func(text string) error { return usageError(op, text) }
	cmd.DryRun = s.has("dry-run")
	cmd.Execute = s.has("execute")
	switch {
	case s.has("all-topics"):
		cmd.AllTopics = true
	case s.has("topic"):
		topic, parts, err := parseTopicPartitions(s.first("topic"))
		if err != nil {
			return fail(groupCommandFailed(err.Error()))
		}
		cmd.Topic, cmd.TopicPartitions = topic, parts
	default:
		return fail("One of the reset scopes should be defined: --all-topics, --topic.")
	}
	for _, name := range []string{ResetToOffset, ResetShiftBy, ResetToEarliest, ResetToLatest, ResetToCurrent} {
		if !s.has(name) {
			continue
		}
		cmd.Reset = name
		if name == ResetToOffset || name == ResetShiftBy {
			n, ok := parseInt64(s.first(name))
			if !ok {
				return fail(groupsBadNumber(s.first(name), name))
			}
			cmd.ResetValue = n
		}
	}
	if cmd.Reset == "" {
		return fail("Option '[reset-offsets]' requires one of the following scenarios: [[to-offset], [to-current], [to-datetime], [from-file], [by-duration], [to-earliest], [to-latest], [shift-by]]")
	}
	return nil
}

// parseTopicPartitions reads "topic" or "topic:0,1,2".
func parseTopicPartitions(v string) (string, []int32, error) {
	topic, list, ok := strings.Cut(v, ":")
	if !ok {
		return v, nil, nil
	}
	var parts []int32
	for _, p := range strings.Split(list, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
		if err != nil {
			return "", nil, fmt.Errorf("For input string: \"%s\"", strings.TrimSpace(p))
		}
		parts = append(parts, int32(n))
	}
	return topic, parts, nil
}

// run executes a parsed kafka-consumer-groups command.
func (cmd *GroupsCommand) run(ctx context.Context, b Broker, out io.Writer) error {
	op := ToolGroups + " --" + cmd.Action
	adm, err := b.connectAdmin(op, groupCommandFailed)
	if err != nil {
		return err
	}
	defer adm.Close()
	switch cmd.Action {
	case ActionList:
		err = listGroupsCmd(ctx, adm, out)
	case ActionDescribe:
		err = describeGroupsCmd(ctx, adm, cmd, out)
	case ActionDelete:
		err = deleteGroupsCmd(ctx, adm, cmd, out)
	case ActionResetOffsets:
		err = resetOffsetsCmd(ctx, adm, cmd, out)
	}
	return toolFailure(op, err, func(err error) string { return groupCommandFailed(kafkaMessage(err)) })
}

// groupNames returns the sorted ids of every group on the broker.
func groupNames(ctx context.Context, adm *kadm.Client) ([]string, error) {
	listed, err := adm.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	names := listed.Groups()
	slices.Sort(names)
	return names, nil
}

// selectedGroups returns the groups a command names, or every group with
// --all-groups.
func selectedGroups(ctx context.Context, adm *kadm.Client, cmd *GroupsCommand) ([]string, error) {
	if cmd.AllGroups {
		return groupNames(ctx, adm)
	}
	return cmd.Groups, nil
}

// listGroupsCmd prints one group id a line.
func listGroupsCmd(ctx context.Context, adm *kadm.Client, out io.Writer) error {
	names, err := groupNames(ctx, adm)
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + "\n")
	}
	_, err = io.WriteString(out, b.String())
	return err
}

// topicPartition names one partition of a topic.
type topicPartition struct {
	topic     string
	partition int32
}

// groupMember is one member of a group as describe shows it.
type groupMember struct {
	id, host, clientID string
	parts              []topicPartition
}

// groupView is what the tool and the probes need to know about a group.
type groupView struct {
	name        string
	exists      bool
	state       string
	protocol    string
	coordinator kadm.BrokerDetail
	members     []groupMember
	committed   map[topicPartition]int64
	logEnd      map[topicPartition]int64
}

// loadGroup describes a group, its committed offsets and the log-end
// offsets of every partition it has committed or been assigned. A group
// exists when the broker knows it or it has committed offsets.
func loadGroup(ctx context.Context, adm *kadm.Client, name string) (groupView, error) {
	v := groupView{name: name, committed: map[topicPartition]int64{}, logEnd: map[topicPartition]int64{}}
	described, err := adm.DescribeGroups(ctx, name)
	if err != nil {
		return v, fmt.Errorf("describe group %s: %w", name, err)
	}
	d, ok := described[name]
	if ok && d.Err != nil && !errors.Is(d.Err, kerr.GroupIDNotFound) {
		return v, fmt.Errorf("describe group %s: %w", name, d.Err)
	}
	v.state = "Dead"
	if ok && d.Err == nil && d.State != "" {
		v.state = d.State
	}
	if v.state == "Dead" || len(d.Members) == 0 {
		// Not a classic group with members: perhaps a KIP-848
		// consumer group, which the real tool describes through
		// ConsumerGroupDescribe.
		if cg, ok := describeConsumerGroup(ctx, adm, name); ok {
			v.state, v.exists, v.protocol, v.coordinator, v.members = cg.state, true, cg.protocol, cg.coordinator, cg.members
		}
	}
	if !v.exists {
		v.exists = v.state != "Dead"
		v.protocol = d.Protocol
		v.coordinator = d.Coordinator
	}
	for _, m := range d.Members {
		gm := groupMember{id: m.MemberID, host: clientHost(m.ClientHost), clientID: m.ClientID}
		if c, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range c.Topics {
				for _, p := range t.Partitions {
					gm.parts = append(gm.parts, topicPartition{t.Topic, p})
				}
			}
		}
		v.members = append(v.members, gm)
	}
	offsets, err := adm.FetchOffsets(ctx, name)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return v, fmt.Errorf("fetch offsets of group %s: %w", name, err)
	}
	topics := map[string]bool{}
	offsets.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			v.committed[topicPartition{o.Topic, o.Partition}] = o.At
			topics[o.Topic] = true
		}
	})
	if len(v.committed) > 0 {
		v.exists = true
		if v.state == "Dead" {
			v.state = "Empty"
		}
	}
	for _, m := range v.members {
		for _, tp := range m.parts {
			topics[tp.topic] = true
		}
	}
	if len(topics) > 0 {
		ends, err := adm.ListEndOffsets(ctx, slices.Sorted(maps.Keys(topics))...)
		if err != nil {
			return v, fmt.Errorf("list end offsets: %w", err)
		}
		ends.Each(func(o kadm.ListedOffset) {
			if o.Err == nil {
				v.logEnd[topicPartition{o.Topic, o.Partition}] = o.Offset
			}
		})
	}
	return v, nil
}

// clientHost renders a member's address the way Kafka does: "/" and the
// IP, without the port.
func clientHost(addr string) string {
	if addr == "" {
		return ""
	}
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if strings.HasPrefix(host, "/") {
		return host
	}
	return "/" + host
}

// groupNotFound is the tool's error for a group the broker does not know.
func groupNotFound(op, group string) error {
	return &Error{Op: op, Err: ErrGroupNotFound,
		Text: groupCommandFailed(fmt.Sprintf("org.apache.kafka.common.errors.GroupIdNotFoundException: Group %s not found.", group))}
}

// stateNotice is what the tool prints, to standard error, before a group's
// table: nothing for a stable group.
func stateNotice(v groupView) string {
	switch v.state {
	case "Empty":
		return fmt.Sprintf("\nConsumer group '%s' has no active members.\n", v.name)
	case "PreparingRebalance", "CompletingRebalance", "Assigning", "Reconciling":
		return fmt.Sprintf("\nWarning: Consumer group '%s' is rebalancing.\n", v.name)
	}
	return ""
}

// describeGroupsCmd prints the offsets, members or state view of each
// selected group.
func describeGroupsCmd(ctx context.Context, adm *kadm.Client, cmd *GroupsCommand, out io.Writer) error {
	names, err := selectedGroups(ctx, adm, cmd)
	if err != nil {
		return err
	}
	slices.Sort(names)
	var b strings.Builder
	defer func() { io.WriteString(out, b.String()) }()
	for _, name := range names {
		v, err := loadGroup(ctx, adm, name)
		if err != nil {
			return err
		}
		if !v.exists {
			return groupNotFound(ToolGroups+" --describe", name)
		}
		b.WriteString(stateNotice(v))
		switch cmd.GroupView {
		case ViewMembers:
			writeMembers(&b, v)
		case ViewState:
			writeState(&b, v)
		default:
			writeOffsets(&b, v)
		}
	}
	return nil
}

// offsetRow is one line of the offsets table; "-" marks a missing value.
type offsetRow struct {
	group, topic, partition, current, logEnd, lag, consumer, host, client string
}

// offsetRows builds the offsets table the way the tool does: members with
// partitions first, most partitions first, then committed partitions no
// member holds.
func offsetRows(v groupView) []offsetRow {
	dash := "-"
	num := func(n int64, ok bool) string {
		if !ok {
			return dash
		}
		return strconv.FormatInt(n, 10)
	}
	row := func(tp topicPartition, consumer, host, client string) offsetRow {
		cur, hasCur := v.committed[tp]
		end, hasEnd := v.logEnd[tp]
		return offsetRow{
			group: v.name, topic: tp.topic, partition: strconv.Itoa(int(tp.partition)),
			current: num(cur, hasCur), logEnd: num(end, hasEnd), lag: num(end-cur, hasCur && hasEnd),
			consumer: consumer, host: host, client: client,
		}
	}
	members := slices.Clone(v.members)
	slices.SortStableFunc(members, func(a, b groupMember) int {
		if c := cmp.Compare(len(b.parts), len(a.parts)); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var rows []offsetRow
	assigned := map[topicPartition]bool{}
	for _, m := range members {
		parts := slices.Clone(m.parts)
		sortPartitions(parts)
		for _, tp := range parts {
			assigned[tp] = true
			rows = append(rows, row(tp, m.id, m.host, m.clientID))
		}
	}
	var rest []topicPartition
	for tp := range v.committed {
		if !assigned[tp] {
			rest = append(rest, tp)
		}
	}
	sortPartitions(rest)
	for _, tp := range rest {
		rows = append(rows, row(tp, dash, dash, dash))
	}
	return rows
}

// sortPartitions orders partitions by topic, then number.
func sortPartitions(tps []topicPartition) {
	slices.SortFunc(tps, func(a, b topicPartition) int {
		if c := cmp.Compare(a.topic, b.topic); c != 0 {
			return c
		}
		return cmp.Compare(a.partition, b.partition)
	})
}

// writeOffsets writes the default describe table, its columns as wide as
// their longest value (at least 15), as the tool does.
func writeOffsets(b *strings.Builder, v groupView) {
	rows := offsetRows(v)
	if len(rows) == 0 {
		return
	}
	g, t, c, h := 15, 15, 15, 15
	for _, r := range rows {
		g, t = max(g, len(r.group)), max(t, len(r.topic))
		c, h = max(c, len(r.consumer)), max(h, len(r.host))
	}
	line := func(r offsetRow) {
		fmt.Fprintf(b, "\n%-*s %-*s %-10s %-15s %-15s %-15s %-*s %-*s %s",
			g, r.group, t, r.topic, r.partition, r.current, r.logEnd, r.lag, c, r.consumer, h, r.host, r.client)
	}
	line(offsetRow{"GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"})
	for _, r := range rows {
		line(r)
	}
	b.WriteString("\n")
}

// writeMembers writes describe --members: one line per member.
func writeMembers(b *strings.Builder, v groupView) {
	if len(v.members) == 0 {
		return
	}
	members := slices.Clone(v.members)
	slices.SortFunc(members, func(a, b groupMember) int { return cmp.Compare(a.id, b.id) })
	g, c, h, cl := max(15, len(v.name)), 15, 15, 15
	for _, m := range members {
		c, h, cl = max(c, len(m.id)), max(h, len(m.host)), max(cl, len(m.clientID))
	}
	line := func(group, id, host, client, parts string) {
		fmt.Fprintf(b, "%-*s %-*s %-*s %-*s %-15s \n", g, group, c, id, h, host, cl, client, parts)
	}
	b.WriteString("\n")
	line("GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS")
	for _, m := range members {
		line(v.name, m.id, m.host, m.clientID, strconv.Itoa(len(m.parts)))
	}
}

// writeState writes describe --state: the group's coordinator, assignor,
// state and member count.
func writeState(b *strings.Builder, v groupView) {
	coord := fmt.Sprintf("%s:%d  (%d)", v.coordinator.Host, v.coordinator.Port, v.coordinator.NodeID)
	strategy := v.protocol
	if strategy == "" {
		strategy = "-"
	}
	g, c := max(15, len(v.name)), max(25, len(coord))
	line := func(group, coord, strategy, state, members string) {
		fmt.Fprintf(b, "\n%-*s %-*s %-20s %-20s %s", g, group, c, coord, strategy, state, members)
	}
	line("GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS")
	line(v.name, coord, strategy, v.state, strconv.Itoa(len(v.members)))
	b.WriteString("\n")
}

// deleteGroupsCmd deletes the selected groups and reports as the tool
// does: one success line, or the failures.
func deleteGroupsCmd(ctx context.Context, adm *kadm.Client, cmd *GroupsCommand, out io.Writer) error {
	names, err := selectedGroups(ctx, adm, cmd)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		_, err := fmt.Fprintln(out, "Deletion of requested consumer groups ('') was successful.")
		return err
	}
	resps, err := adm.DeleteGroups(ctx, names...)
	if err != nil {
		return fmt.Errorf("delete groups: %w", err)
	}
	var ok, failed []string
	var firstErr error
	for _, n := range names {
		r, found := resps[n]
		switch {
		case !found:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %s", n, "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist."))
		case r.Err != nil:
			failed = append(failed, fmt.Sprintf("* Group '%s' could not be deleted due to: %s", n, groupDeleteException(r.Err)))
			if firstErr == nil {
				firstErr = r.Err
			}
		default:
			ok = append(ok, n)
		}
	}
	if len(failed) == 0 {
		_, err := fmt.Fprintf(out, "Deletion of requested consumer groups ('%s') was successful.\n", strings.Join(ok, ", "))
		return err
	}
	text := "Error: Deletion of some consumer groups failed:\n" + strings.Join(failed, "\n")
	if len(ok) > 0 {
		text += "\n\nThese consumer groups were deleted successfully: '" + strings.Join(ok, "'") + "', '"
	}
	if errors.Is(firstErr, kerr.GroupIDNotFound) {
		firstErr = errors.Join(firstErr, ErrGroupNotFound)
	}
	return &Error{Op: ToolGroups + " --delete", Text: text, Err: firstErr}
}

// groupDeleteException renders a group deletion error as the Java
// exception the tool prints.
func groupDeleteException(err error) string {
	switch {
	case errors.Is(err, kerr.GroupIDNotFound):
		return "org.apache.kafka.common.errors.GroupIdNotFoundException: The group id does not exist."
	case errors.Is(err, kerr.NonEmptyGroup):
		return "org.apache.kafka.common.errors.GroupNotEmptyException: The group is not empty."
	}
	return exceptionName(err)
}

// resetOffsetsCmd computes, prints and with --execute commits the new
// offsets of each selected group.
func resetOffsetsCmd(ctx context.Context, adm *kadm.Client, cmd *GroupsCommand, out io.Writer) error {
	op := ToolGroups + " --reset-offsets"
	var notes strings.Builder
	if !cmd.DryRun && !cmd.Execute {
		notes.WriteString("WARN: No action will be performed as the --execute option is missing. In a future major release, the default behavior of this command will be to prompt the user before executing the reset rather than doing a dry run. You should add the --dry-run option explicitly if you are scripting this command and want to keep the current default behavior without prompting.\n")
	}
	defer func() { io.WriteString(out, notes.String()) }()
	names, err := selectedGroups(ctx, adm, cmd)
	if err != nil {
		return err
	}
	slices.Sort(names)
	type planned struct {
		group string
		tp    topicPartition
		at    int64
	}
	var plan []planned
	for _, name := range names {
		v, err := loadGroup(ctx, adm, name)
		if err != nil {
			return err
		}
		if v.state != "Empty" && v.state != "Dead" {
			return &Error{Op: op, Text: fmt.Sprintf("Error: Assignments can only be reset if the group '%s' is inactive, but the current state is %s.", name, v.state)}
		}
		targets, err := resetTargets(ctx, adm, cmd, v, &notes)
		if err != nil {
			return err
		}
		if cmd.Execute && len(targets) > 0 {
			var os kadm.Offsets
			for tp, at := range targets {
				os.Add(kadm.Offset{Topic: tp.topic, Partition: tp.partition, At: at, LeaderEpoch: -1})
			}
			if err := adm.CommitAllOffsets(ctx, name, os); err != nil {
				return fmt.Errorf("commit offsets of group %s: %w", name, err)
			}
		}
		tps := slices.Collect(maps.Keys(targets))
		sortPartitions(tps)
		for _, tp := range tps {
			plan = append(plan, planned{name, tp, targets[tp]})
		}
	}
	var b strings.Builder
	if len(names) > 0 {
		fmt.Fprintf(&b, "\n%-30s %-30s %-10s %-15s", "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET")
	}
	for _, p := range plan {
		fmt.Fprintf(&b, "\n%-30s %-30s %-10d %-15d", p.group, p.tp.topic, p.tp.partition, p.at)
	}
	b.WriteString("\n")
	notes.WriteString(b.String())
	return nil
}

// resetTargets returns the new offset of each partition in the reset's
// scope, clamped to the log's range as the tool does (with a warning in
// notes).
func resetTargets(ctx context.Context, adm *kadm.Client, cmd *GroupsCommand, v groupView, notes *strings.Builder) (map[topicPartition]int64, error) {
	op := ToolGroups + " --reset-offsets"
	var scope []topicPartition
	switch {
	case cmd.AllTopics:
		for tp := range v.committed {
			scope = append(scope, tp)
		}
	case cmd.TopicPartitions != nil:
		for _, p := range cmd.TopicPartitions {
			scope = append(scope, topicPartition{cmd.Topic, p})
		}
	default:
		topics, err := adm.ListTopics(ctx, cmd.Topic)
		if err != nil {
			return nil, fmt.Errorf("describe topic %s: %w", cmd.Topic, err)
		}
		d, ok := topics[cmd.Topic]
		if !ok || d.Err != nil {
			return nil, &Error{Op: op, Err: ErrTopicNotFound, Text: groupCommandFailed(kerr.UnknownTopicOrPartition.Description)}
		}
		for _, p := range d.Partitions.Numbers() {
			scope = append(scope, topicPartition{cmd.Topic, p})
		}
	}
	if len(scope) == 0 {
		return nil, nil
	}
	topicSet := map[string]bool{}
	for _, tp := range scope {
		topicSet[tp.topic] = true
	}
	topics := slices.Sorted(maps.Keys(topicSet))
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	bounds := func(tp topicPartition) (int64, int64, error) {
		s, ok1 := starts.Lookup(tp.topic, tp.partition)
		e, ok2 := ends.Lookup(tp.topic, tp.partition)
		if !ok1 || !ok2 || s.Err != nil || e.Err != nil {
			return 0, 0, &Error{Op: op, Err: ErrTopicNotFound, Text: groupCommandFailed(kerr.UnknownTopicOrPartition.Description)}
		}
		return s.Offset, e.Offset, nil
	}
	sortPartitions(scope)
	out := map[topicPartition]int64{}
	for _, tp := range scope {
		start, end, err := bounds(tp)
		if err != nil {
			return nil, err
		}
		cur, hasCur := v.committed[tp]
		var want int64
		clamp := false
		switch cmd.Reset {
		case ResetToEarliest:
			want = start
		case ResetToLatest:
			want = end
		case ResetToCurrent:
			want = end
			if hasCur {
				want = cur
			}
		case ResetToOffset:
			want, clamp = cmd.ResetValue, true
		case ResetShiftBy:
			if !hasCur {
				return nil, &Error{Op: op, Text: fmt.Sprintf("Cannot shift offset for partition %s-%d since there is no current committed offset", tp.topic, tp.partition)}
			}
			want, clamp = cur+cmd.ResetValue, true
		}
		if clamp && want > end {
			fmt.Fprintf(notes, "WARN New offset (%d) is higher than latest offset for topic partition %s-%d. Value will be set to %d\n", want, tp.topic, tp.partition, end)
			want = end
		} else if clamp && want < start {
			fmt.Fprintf(notes, "WARN New offset (%d) is lower than earliest offset for topic partition %s-%d. Value will be set to %d\n", want, tp.topic, tp.partition, start)
			want = start
		}
		out[tp] = want
	}
	return out, nil
}
