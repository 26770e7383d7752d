package kafkacli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Tool names as Call.Tool holds them: the script name without ".sh".
const (
	ToolTopics   = "kafka-topics"
	ToolConfigs  = "kafka-configs"
	ToolProducer = "kafka-console-producer"
	ToolConsumer = "kafka-console-consumer"
	ToolGroups   = "kafka-consumer-groups"
	// ToolACLs, ToolTransactions and ToolDrill are in acls.go and
	// transactions.go.
)

// Actions as Call.Action holds them. The admin tools use the name of
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
// GroupsCommand.Reset holds them.
const (
	ResetToEarliest = "to-earliest"
	ResetToLatest   = "to-latest"
	ResetToCurrent  = "to-current"
	ResetToOffset   = "to-offset"
	ResetShiftBy    = "shift-by"
)

// Views of kafka-consumer-groups --describe, as GroupsCommand.GroupView
// holds them.
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

// toolSpec is what Parse needs to know about one tool to scan its line:
// its options and how it words option errors.
type toolSpec struct {
	tool    string
	options []option
	// unknown, missingArg and badNumber word the joptsimple failures the
	// way this tool prints them.
	unknown    func(name string) string
	missingArg func(name string) string
	badNumber  func(value, name string) string
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

// toolOptions builds a tool's option list: --bootstrap-server, which
// every tool takes first (and the console ignores, see Broker), then
// supported; names ending in "=" take an argument; the names in
// unsupported exist in the real tool but not in this console.
func toolOptions(supported []string, unsupported []string) []option {
	var out []option
	for _, n := range append([]string{"bootstrap-server="}, supported...) {
		name, arg := strings.CutSuffix(n, "=")
		out = append(out, option{name: name, takesArg: arg, supported: true})
	}
	for _, n := range unsupported {
		name, arg := strings.CutSuffix(n, "=")
		out = append(out, option{name: name, takesArg: arg})
	}
	return out
}

// adminToolOptions is toolOptions for the admin tools (kafka-topics,
// kafka-configs, kafka-consumer-groups, kafka-acls, kafka-transactions),
// which also have --command-config: a client properties file, which this
// console has no use for and does not support.
func adminToolOptions(supported []string, unsupported []string) []option {
	return toolOptions(supported, append(slices.Clip(unsupported), "command-config="))
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
