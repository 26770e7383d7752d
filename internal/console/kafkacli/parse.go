package kafkacli

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Tool names as Command.Tool holds them: the script name without ".sh".
const (
	ToolTopics   = "kafka-topics"
	ToolConfigs  = "kafka-configs"
	ToolProducer = "kafka-console-producer"
	ToolConsumer = "kafka-console-consumer"
	ToolGroups   = "kafka-consumer-groups"
	// ToolACLs, ToolTransactions and ToolDrill are in acls.go and
	// transactions.go.
)

// Actions as Command.Action holds them. The admin tools use the name of
// their action option; the console producer and consumer have one action
// each.
const (
	ActionCreate       = "create"
	ActionList         = "list"
	ActionDescribe     = "describe"
	ActionAlter        = "alter"
	ActionDelete       = "delete"
	ActionResetOffsets = "reset-offsets"
	ActionProduce      = "produce"
	ActionConsume      = "consume"
	ActionHelp         = "help"
	ActionVersion      = "version"
)

// Reset scenarios of kafka-consumer-groups --reset-offsets, as
// Command.Reset holds them.
const (
	ResetToEarliest = "to-earliest"
	ResetToLatest   = "to-latest"
	ResetToCurrent  = "to-current"
	ResetToOffset   = "to-offset"
	ResetShiftBy    = "shift-by"
)

// Views of kafka-consumer-groups --describe, as Command.GroupView holds
// them.
const (
	ViewOffsets = "offsets"
	ViewMembers = "members"
	ViewState   = "state"
)

// ToolVersion is the Apache Kafka version whose tools this package
// reproduces; --version prints it.
const ToolVersion = "4.1.0"

// KeyValue is one name=value pair from the command line, such as a topic
// config or a --property.
type KeyValue struct {
	Name  string
	Value string
}

// Command is one console line, parsed and checked the way the Apache Kafka
// tool checks its arguments. Only the fields that Tool and Action use are
// set; the others keep their zero values unless noted.
type Command struct {
	Tool   string   // one of the Tool constants
	Action string   // one of the Action constants
	Args   []string // the arguments after the tool name, as typed

	// Topic is --topic (kafka-topics, producer, consumer, reset-offsets)
	// or the topic of kafka-configs --entity-name. For kafka-topics
	// --list, --describe, --alter and --delete it is a regular expression
	// as in the real tool; "" means every topic.
	Topic string
	// TopicPartitions are the partitions named as --topic T:0,1 in
	// --reset-offsets; nil means every partition.
	TopicPartitions []int32
	// Partitions is --partitions; 0 when not given.
	Partitions int
	// ReplicationFactor is --replication-factor; 0 when not given.
	ReplicationFactor int
	IfExists          bool // --if-exists
	IfNotExists       bool // --if-not-exists
	// Configs are kafka-topics --config or kafka-configs --add-config
	// pairs in the order typed, already checked against the topic config
	// rules.
	Configs []KeyValue
	// DeleteConfigs are kafka-configs --delete-config names.
	DeleteConfigs []string
	// AllConfigs is kafka-configs --describe --all: every config, not
	// only the dynamic ones.
	AllConfigs bool
	// Reports are kafka-topics --describe's replication report options,
	// Report constants (topics_health.go) in TopicCommand's order; a
	// partition is shown when any of them selects it. Empty for none.
	Reports []string

	Groups     []string // --group, in the order typed
	GroupView  string   // describe view: one of the View constants
	AllGroups  bool     // --all-groups
	AllTopics  bool     // --all-topics (reset-offsets)
	Reset      string   // one of the Reset constants
	ResetValue int64    // the N of --to-offset N or --shift-by N
	DryRun     bool     // --dry-run
	Execute    bool     // --execute

	// Messages is producer --message, one record each: the console's
	// shortcut, sent before the Input lines.
	Messages []string
	// Input is what the producer reads from standard input, one record
	// per line: the lines typed after the command, piped in from echo or
	// printf, or a here-document (stdin.go). InputGiven reports that the
	// entry gave input in one of those forms, even an empty one.
	Input      []string
	InputGiven bool
	Properties []KeyValue // producer and consumer --property, in order

	FromBeginning bool   // consumer --from-beginning
	MaxMessages   int    // consumer --max-messages; -1 when not given
	TimeoutMs     int    // consumer --timeout-ms; 0 when not given
	Partition     int    // consumer --partition; -1 when not given
	Offset        string // consumer --offset; "" when not given
	// IsolationLevel is consumer --isolation-level: "" (the default,
	// read_uncommitted), "read_committed" or "read_uncommitted".
	IsolationLevel string

	ACL   *ACLCommand   // kafka-acls (acls.go)
	Quota *QuotaCommand // kafka-configs --entity-type clients|users (quotas.go)
	Txn   *TxnCommand   // kafka-transactions and opslab-drill (transactions.go)
}

// Parse tokenizes a console line the way a POSIX shell splits words
// (single quotes, double quotes and backslash escapes) and parses it as
// one of the supported Kafka tool commands. An entry of several lines, an
// echo or printf piped into the tool, or a here-document gives
// kafka-console-producer its standard input (stdin.go). The tool may be
// written with or without ".sh" and with a leading path.
// --bootstrap-server is accepted anywhere, with any value, and ignored.
//
// Parse does no I/O. Every problem it can find without a broker, from an
// unknown option to an invalid topic config value, is returned as an
// *Error wrapping ErrUsage whose text is what the real tool prints.
func Parse(entry string) (Command, error) {
	line, in, err := splitInput(entry)
	if err != nil {
		return Command{}, usageError("parse", err.Error())
	}
	words, err := Tokenize(line)
	if err != nil {
		return Command{}, usageError("parse", err.Error())
	}
	if len(words) == 0 {
		return Command{}, usageError("parse", "empty command line")
	}
	tool := strings.TrimSuffix(path.Base(words[0]), ".sh")
	args := words[1:]
	var spec *toolSpec
	switch tool {
	case ToolTopics:
		spec = &topicsSpec
	case ToolConfigs:
		spec = &configsSpec
	case ToolProducer:
		spec = &producerSpec
	case ToolConsumer:
		spec = &consumerSpec
	case ToolGroups:
		spec = &groupsSpec
	case ToolACLs:
		spec = &aclsSpec
	case ToolTransactions:
		spec = &transactionsSpec
	case ToolDrill:
		spec = &drillSpec
	default:
		return Command{}, usageError("parse", fmt.Sprintf("%s: command not found (the kafka console runs kafka-topics, kafka-configs, kafka-console-producer, kafka-console-consumer, kafka-consumer-groups, kafka-acls and kafka-transactions)", words[0]))
	}
	opts, err := spec.scan(args)
	if err != nil {
		return Command{}, err
	}
	if in.given && tool != ToolProducer {
		return Command{}, usageError("parse", fmt.Sprintf("%s reads no standard input: only kafka-console-producer takes lines after the command, a pipe or a here-document", tool))
	}
	cmd := Command{Tool: tool, Args: args, MaxMessages: -1, Partition: -1, Input: in.lines, InputGiven: in.given}
	if err := spec.build(&cmd, opts); err != nil {
		return Command{}, err
	}
	return cmd, nil
}

// Tokenize splits a line into words the way a POSIX shell does: blanks
// separate words, single quotes keep everything literally, double quotes
// keep everything but let a backslash escape ", \, $ and `, and a
// backslash outside quotes escapes the next character. It does no
// expansion of any kind.
func Tokenize(line string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		runes   = []rune(line)
		hasWord = func() {
			words = append(words, cur.String())
			cur.Reset()
			inWord = false
		}
	)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			if inWord {
				hasWord()
			}
		case r == '\\' && i+1 < len(runes) && runes[i+1] == '\n':
			// A line continuation: it joins the lines, and ends no word.
			i++
		case r == '\\':
			inWord = true
			if i+1 < len(runes) {
				i++
				cur.WriteRune(runes[i])
			}
		case r == '\'':
			inWord = true
			end := indexRune(runes, i+1, '\'')
			if end < 0 {
				return nil, fmt.Errorf("unexpected end of line while looking for matching `''")
			}
			cur.WriteString(string(runes[i+1 : end]))
			i = end
		case r == '"':
			inWord = true
			j := i + 1
			for ; j < len(runes) && runes[j] != '"'; j++ {
				if runes[j] == '\\' && j+1 < len(runes) && strings.ContainsRune("\"\\$`", runes[j+1]) {
					j++
				}
				cur.WriteRune(runes[j])
			}
			if j >= len(runes) {
				return nil, fmt.Errorf("unexpected end of line while looking for matching `\"'")
			}
			i = j
		default:
			inWord = true
			cur.WriteRune(r)
		}
	}
	if inWord {
		hasWord()
	}
	return words, nil
}

// indexRune returns the index of r in rs at or after from, or -1.
func indexRune(rs []rune, from int, r rune) int {
	for i := from; i < len(rs); i++ {
		if rs[i] == r {
			return i
		}
	}
	return -1
}

// option describes one option a tool accepts.
type option struct {
	name      string
	takesArg  bool
	supported bool // false: the real tool has it, this console does not
	// hidden: accepted, but --help does not list it: a shortcut of this
	// console that the real tool lacks, never to be taught.
	hidden bool
}

// toolSpec is what Parse needs to know about one tool: its options, how it
// words option errors, and how it turns scanned options into a Command.
type toolSpec struct {
	tool    string
	options []option
	// unknown, missingArg and badNumber word the joptsimple failures the
	// way this tool prints them.
	unknown    func(name string) string
	missingArg func(name string) string
	badNumber  func(value, name string) string
	build      func(cmd *Command, opts scanned) error
	// helpNote, when set, ends the tool's --help.
	helpNote string
}

// scanned holds the options found on a line: every value of each option
// in the order typed ("" for options without an argument).
type scanned struct {
	values map[string][]string
	bare   []string
}

// has reports whether the option was given.
func (s scanned) has(name string) bool {
	_, ok := s.values[name]
	return ok
}

// first returns the option's first value, or "" when it was not given;
// joptsimple's valueOf returns the first one.
func (s scanned) first(name string) string {
	v := s.values[name]
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// all returns every value of the option, in order.
func (s scanned) all(name string) []string { return s.values[name] }

// scan walks args the way joptsimple does: "--name value" and
// "--name=value" forms, unique prefixes of long names, and an argument
// taken from the next word whatever it looks like.
func (t *toolSpec) scan(args []string) (scanned, error) {
	s := scanned{values: map[string][]string{}}
	op := t.tool
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" || a == "--" {
			s.bare = append(s.bare, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "--") {
			// joptsimple reads "-abc" as a cluster of short options,
			// and these tools define none.
			name = string([]rune(name)[:1])
			hasValue = false
		}
		opt, ok := t.lookup(name)
		if !ok {
			return s, usageError(op, t.unknown(name))
		}
		if !opt.supported {
			return s, usageError(op, fmt.Sprintf("%s: option --%s is not supported in this console", t.tool, opt.name))
		}
		switch {
		case !opt.takesArg && hasValue:
			return s, usageError(op, fmt.Sprintf("Option %s does not take an argument", opt.name))
		case !opt.takesArg:
			value = ""
		case !hasValue:
			if i+1 >= len(args) {
				return s, usageError(op, t.missingArg(opt.name))
			}
			i++
			value = args[i]
		}
		s.values[opt.name] = append(s.values[opt.name], value)
	}
	return s, nil
}

// lookup finds an option by its exact name or by a prefix that only one
// option name starts with, as joptsimple does.
func (t *toolSpec) lookup(name string) (option, bool) {
	if name == "" {
		return option{}, false
	}
	var found []option
	for _, o := range t.options {
		if o.name == name {
			return o, true
		}
		if strings.HasPrefix(o.name, name) {
			found = append(found, o)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return option{}, false
}

// opts builds an option list: names ending in "=" take an argument; the
// names in unsupported exist in the real tool but not in this console.
func opts(supported []string, unsupported []string) []option {
	var out []option
	for _, n := range supported {
		name, arg := strings.CutSuffix(n, "=")
		out = append(out, option{name: name, takesArg: arg, supported: true})
	}
	for _, n := range unsupported {
		name, arg := strings.CutSuffix(n, "=")
		out = append(out, option{name: name, takesArg: arg})
	}
	return out
}

// joptUnknown is how most tools word an unknown option: the message
// alone, before the usage help.
func joptUnknown(name string) string {
	return name + " is not a recognized option"
}

// joptMissingArg is how most tools word an option given without its
// argument.
func joptMissingArg(name string) string {
	return "Option " + name + " requires an argument"
}

// joptBadNumber is joptsimple's message for an argument that is not a
// number of the option's type.
func joptBadNumber(value, name string) string {
	return fmt.Sprintf("Cannot parse argument '%s' of option %s", value, name)
}

// parseInt32 parses s as a Java int, the type of the tools' integer
// options.
func parseInt32(s string) (int, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// parseInt64 parses s as a Java long.
func parseInt64(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// optName renders an option the way joptsimple's OptionSpec.toString
// does, as in "[topic]".
func optName(name string) string { return "[" + name + "]" }

// cantUseWith is CommandLineUtils.checkInvalidArgs's message.
func cantUseWith(used, other string) string {
	return fmt.Sprintf("Option \"%s\" can't be used with option \"%s\"", optName(used), optName(other))
}

// missingRequired is CommandLineUtils.checkRequiredArgs's message.
func missingRequired(name string) string {
	return fmt.Sprintf("Missing required argument \"%s\"", optName(name))
}

// actionOf returns the one action option present among names, or "" and
// the count found.
func actionOf(s scanned, names ...string) (string, int) {
	var found string
	count := 0
	for _, n := range names {
		if s.has(n) {
			found = n
			count++
		}
	}
	return found, count
}

// parseProperties splits --property values at their first "=", as the
// tools do; a value without "=" sets the name to "".
func parseProperties(values []string) []KeyValue {
	var out []KeyValue
	for _, v := range values {
		name, value, _ := strings.Cut(v, "=")
		out = append(out, KeyValue{Name: name, Value: value})
	}
	return out
}

// property returns the last value of a property named name and whether it
// was given.
func property(props []KeyValue, name string) (string, bool) {
	value, found := "", false
	for _, p := range props {
		if p.Name == name {
			value, found = p.Value, true
		}
	}
	return value, found
}

// boolProperty reads a formatter or reader flag the way the tools do:
// true when its trimmed value is "true" in any case.
func boolProperty(props []KeyValue, name string, def bool) bool {
	v, ok := property(props, name)
	if !ok {
		return def
	}
	return strings.EqualFold(strings.TrimSpace(v), "true")
}
