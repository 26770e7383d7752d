package course

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/opslab/opslab/internal/kinds"
)

// Sandbox kinds an exercise may ask for, by name (the list is package
// kinds'). The multi-node kinds speak their family's commands and probes
// (SandboxFamily) on a node of their choice.
const (
	SandboxRedis         = string(kinds.Redis)
	SandboxKafka         = string(kinds.Kafka)
	SandboxRedisReplica  = string(kinds.RedisReplica)
	SandboxRedisSentinel = string(kinds.RedisSentinel)
	SandboxRedisCluster  = string(kinds.RedisCluster)
	SandboxKafkaCluster  = string(kinds.KafkaCluster)
	SandboxStack         = string(kinds.Stack)
)

// RequireRealKafka is the requirement of an exercise that needs real
// Apache Kafka brokers, not kfake: a broker that is stopped and started,
// an ISR that shrinks. Only the container driver runs kafka-cluster
// sandboxes of real brokers.
const RequireRealKafka = "real-kafka"

// Requirements lists the values `requires` may hold.
var Requirements = []string{RequireRealKafka}

// SandboxKinds lists the kinds of sandbox an exercise may use: those the
// platform starts and whose console and probes exist (not postgres yet).
var SandboxKinds = kinds.ExerciseNames()

// SandboxNodes returns the node names of a sandbox kind, the default node
// first; nil for an unknown kind.
func SandboxNodes(kind string) []string { return kinds.Kind(kind).NodeNames() }

// SandboxFamily returns the kind whose commands and probes a kind's
// default node uses: SandboxRedis, SandboxKafka or SandboxPostgres ("" for
// an unknown kind). A stack's other nodes have their own (NodeFamily).
func SandboxFamily(kind string) string {
	if k := kinds.Kind(kind); k.Valid() {
		return string(k.Family())
	}
	return ""
}

// SandboxFamilies returns the families of a kind's nodes, each once: one
// for every kind but stack, whose lines and probes speak all three.
func SandboxFamilies(kind string) []string {
	var out []string
	for _, f := range kinds.Kind(kind).Families() {
		out = append(out, string(f))
	}
	return out
}

// NodeFamily returns the family of a kind's node called node (the
// default node's for ""), or "" when the kind has no such node.
func NodeFamily(kind, node string) string { return string(kinds.Kind(kind).NodeFamily(node)) }

// addrRE matches the address placeholder of a setup or solution line:
// {{replica-1}} stands for that node's "127.0.0.1 PORT".
var addrRE = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// LineAddrs returns the node names of a line's address placeholders.
func LineAddrs(line string) []string {
	var out []string
	for _, m := range addrRE.FindAllStringSubmatch(line, -1) {
		out = append(out, m[1])
	}
	return out
}

// ExpandAddrs replaces each {{node}} placeholder in line with addr(node),
// or returns the first node addr does not know.
func ExpandAddrs(line string, addr func(node string) (string, bool)) (string, error) {
	var bad error
	out := addrRE.ReplaceAllStringFunc(line, func(m string) string {
		name := m[2 : len(m)-2]
		a, ok := addr(name)
		if !ok && bad == nil {
			bad = fmt.Errorf("no node %q for {{%s}}", name, name)
		}
		return a
	})
	return out, bad
}

// MaxWait is the longest pause a "# wait" line may ask for.
const MaxWait = time.Minute

// WaitLine parses a setup or solution line of the form "# wait DURATION
// why", such as "# wait 11s: Sentinel reads replica priorities every 10
// seconds": a pause that a person following the solution would take (for
// a server to notice a change on its own schedule), run as a pause and
// shown as a comment. ok reports whether line is a comment at all; err
// says what is wrong with a comment that is not such a wait.
func WaitLine(line string) (d time.Duration, ok bool, err error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "#")
	if !ok {
		return 0, false, nil
	}
	f := strings.Fields(rest)
	if len(f) < 2 || f[0] != "wait" {
		return 0, true, fmt.Errorf("a comment line must be \"# wait DURATION why\", as in \"# wait 11s: Sentinel re-reads priorities every 10 s\"")
	}
	d, err = time.ParseDuration(strings.TrimSuffix(f[1], ":"))
	if err != nil || d <= 0 || d > MaxWait {
		return 0, true, fmt.Errorf("# wait takes a duration from 1ms to %s, such as 11s, not %q", MaxWait, f[1])
	}
	return d, true, nil
}

// ShellLine reports whether a setup, solution or wrong line is a
// workstation line, "$ command": a command for bash in the workstation
// beside the sandbox (as the learner types it in the terminal), not for
// the console. script is the command.
func ShellLine(line string) (script string, ok bool) {
	script, ok = strings.CutPrefix(strings.TrimSpace(line), "$ ")
	return strings.TrimSpace(script), ok
}

// SplitNodeLine splits a setup, solution or console line into the node it
// names and the command: "@replica-1 INFO replication" gives "replica-1"
// and "INFO replication"; a line without a leading '@' gives "" (the
// default node) and the line itself.
func SplitNodeLine(line string) (node, command string) {
	trimmed := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(trimmed, "@") {
		return "", line
	}
	node, command, _ = strings.Cut(trimmed[1:], " ")
	return node, strings.TrimLeft(command, " ")
}

// Exercise is one interactive task of a lesson.
type Exercise struct {
	ID       string
	Title    string
	Sandbox  string
	Task     string        // Markdown as written
	TaskHTML template.HTML // rendered by the lesson parser
	Hints    []string      // Markdown, revealed one at a time
	Setup    []string
	Solution []string
	Checks   []Check
	// Requires lists what the exercise needs beyond its sandbox kind
	// (RequireRealKafka); a server that cannot provide it shows the
	// exercise but does not start it, and `opslab test` skips it.
	Requires []string
	// Drill marks an incident drill: the setup breaks something and the
	// learner must find and fix it. A drill must list counter-examples.
	Drill bool
	// Wrong lists counter-examples: fixes a careless operator would
	// plausibly try that do not solve the task, each a list of lines
	// written like Solution. `opslab test` proves the checks reject each
	// one. Authors and instructors only: learners never receive them.
	Wrong [][]string
	Line  int // line of the opening fence in the lesson file
	// Hash is the content version: the sha256 of the block's YAML, hex,
	// leaving out the lines of drill and wrong, which change nothing a
	// learner does or is graded on (a learner's pass stays current when
	// an author adds counter-examples).
	Hash string
}

// Check is one probe and the matchers its value must satisfy.
type Check struct {
	Line     int
	Probe    Probe
	Field    string // optional: a member of an object, or a field of INFO/CONFIG GET
	Matchers []Matcher
	Message  string // shown when the check fails; optional
	// Label names the check in the card's task list whether it passes or
	// fails ("game:leaderboard is a sorted set"); optional: "Check N".
	Label string

	nodeLine int // line of the `node:` key, for problems
}

// Probe is what a check asks the sandbox.
type Probe struct {
	Kind string // redis | kafka | postgres | shell | file
	// Command is the probe's text: for redis the command line, for kafka
	// the probe, for postgres one SQL statement or "describe table T".
	Command string
	// Node is the node to ask (the check's `node:`); "" is the sandbox's
	// default node.
	Node string
}

// String formats the probe as the author wrote it.
func (p Probe) String() string {
	if p.Node != "" {
		return p.Kind + ": " + p.Command + " (node " + p.Node + ")"
	}
	return p.Kind + ": " + p.Command
}

// Matcher names: each takes one value.
const (
	MatchEquals   = "equals"
	MatchContains = "contains"
	MatchMatches  = "matches"
	MatchMin      = "min"
	MatchMax      = "max"
	MatchLength   = "length"
	MatchExists   = "exists"
)

var matcherNames = []string{MatchEquals, MatchContains, MatchMatches, MatchMin, MatchMax, MatchLength, MatchExists}

// Matcher is one condition on a probe's value. Value holds what YAML gave:
// a string, int, float64, bool, nil or []any.
type Matcher struct {
	Name  string
	Value any
	Re    *regexp.Regexp // compiled, for matches
}

// CommandChecker reports whether line is a valid command for a sandbox
// kind. Loading uses it to report commands that do not parse.
type CommandChecker func(kind, line string) error

var exerciseIDRE = regexp.MustCompile(`^[a-z0-9-]+$`)

var exerciseKeys = []string{"id", "title", "sandbox", "requires", "drill", "task", "hints", "setup", "solution", "wrong", "checks"}
var checkKeys = append([]string{"redis", "kafka", "postgres", "shell", "file", "node", "field", "message", "label"}, matcherNames...)

// The workstation probes, for any kind of sandbox: they read what the
// learner made in the terminal beside it.
const (
	// ProbeShell runs a command with bash in a fresh workstation beside
	// the sandbox; its value has the fields stdout, stderr and exit.
	ProbeShell = "shell"
	// ProbeFile reads a file of the learner's workstation (a path relative
	// to the home folder, or absolute); its value has the fields exists,
	// content, lines and bytes.
	ProbeFile = "file"
)

// probeFields are the fields each workstation probe's value has.
var probeFields = map[string][]string{
	ProbeShell: {"stdout", "stderr", "exit"},
	ProbeFile:  {"exists", "content", "lines", "bytes"},
}

// kafkaProbeRE matches the Kafka probes of the format contract.
var kafkaProbeRE = regexp.MustCompile(`^(describe topic \S+|describe group \S+|list topics|list groups)$`)

// ParseExercise parses the YAML of an exercise block whose opening fence is
// at line fence of path. It returns the exercise and every problem found;
// the exercise is nil if any problem makes it unusable.
func ParseExercise(path string, fence int, src []byte, commands CommandChecker) (*Exercise, Problems) {
	var ps Problems
	line := func(n *yaml.Node) int { return fence + n.Line }
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		ps.Add(path, fence+yamlErrorLine(err), "exercise: %s", yamlErrorText(err))
		return nil, ps
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		ps.Add(path, fence, "exercise: the block must be a YAML mapping (id, title, sandbox, task, checks, ...)")
		return nil, ps
	}
	root := doc.Content[0]
	e := &Exercise{Line: fence, Hash: contentHash(src, root)}
	seen := map[string]*yaml.Node{}
	var probes []probeAt
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		seen[k.Value] = k
		switch k.Value {
		case "id":
			e.ID = scalar(&ps, path, line(v), "id", v)
			if e.ID != "" && !exerciseIDRE.MatchString(e.ID) {
				ps.Add(path, line(v), "exercise id %q: use lower-case letters, digits and dashes", e.ID)
			}
		case "title":
			e.Title = scalar(&ps, path, line(v), "title", v)
		case "sandbox":
			e.Sandbox = scalar(&ps, path, line(v), "sandbox", v)
			if e.Sandbox != "" && !contains(SandboxKinds, e.Sandbox) {
				ps.Add(path, line(v), "unknown sandbox %q: use one of %s", e.Sandbox, strings.Join(SandboxKinds, ", "))
			}
		case "requires":
			e.Requires = stringList(&ps, path, fence, "requires", v)
			for _, item := range v.Content {
				if item.Kind == yaml.ScalarNode && !contains(Requirements, item.Value) {
					ps.Add(path, line(item), "unknown requirement %q: use one of %s", item.Value, strings.Join(Requirements, ", "))
				}
			}
		case "task":
			e.Task = scalar(&ps, path, line(v), "task", v)
		case "hints":
			e.Hints = stringList(&ps, path, fence, "hints", v)
		case "setup":
			e.Setup = stringList(&ps, path, fence, "setup", v)
		case "solution":
			e.Solution = stringList(&ps, path, fence, "solution", v)
		case "drill":
			e.Drill = boolean(&ps, path, line(v), "drill", v)
		case "wrong":
			e.Wrong = wrongList(&ps, path, fence, v)
		case "checks":
			e.Checks, probes = parseChecks(&ps, path, fence, v)
		default:
			ps.Add(path, line(k), "unknown key %q in exercise%s", k.Value, suggest(k.Value, exerciseKeys))
		}
	}
	for _, req := range []string{"id", "title", "sandbox", "task", "checks"} {
		if seen[req] == nil {
			ps.Add(path, fence+1, "exercise: missing %q", req)
		}
	}
	if v := nodeOf(root, "checks"); v != nil && v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		ps.Add(path, line(seen["checks"]), "exercise %q has no checks: add at least one", e.ID)
	}
	if e.Drill && seen["wrong"] == nil {
		ps.Add(path, line(seen["drill"]), "drill %q lists no counter-examples: add `wrong:`, a list of the fixes a careless operator would try that must not pass the checks (each a list of lines, like solution), so that `opslab test` proves the checks tell them apart", e.ID)
	}
	if sol := nodeOf(root, "solution"); sol != nil && sol.Kind == yaml.SequenceNode {
		if w := nodeOf(root, "wrong"); w != nil && w.Kind == yaml.SequenceNode {
			for i, item := range w.Content {
				if item.Kind == yaml.SequenceNode && len(item.Content) > 0 && sameLines(item, sol) {
					ps.Add(path, line(item), "wrong %d is the solution itself: a counter-example must be a fix that does not work", i+1)
				}
			}
		}
	}
	// Every probe key counts here, valid or not: a broken kafka probe in a
	// redis exercise is two mistakes, and fixing one should not reveal the
	// other.
	family := SandboxFamily(e.Sandbox)
	families := SandboxFamilies(e.Sandbox)
	if contains(e.Requires, RequireRealKafka) && family != "" && !contains(families, SandboxKafka) {
		ps.Add(path, line(nodeOf(root, "requires")), "requires %s: a %s sandbox has no Kafka", RequireRealKafka, e.Sandbox)
	}
	for _, p := range probes {
		if family != "" && !contains(families, p.kind) {
			ps.Add(path, p.line, "a %s probe cannot run in a %s sandbox", p.kind, e.Sandbox)
		}
	}
	if family != "" {
		// A node named on a line or a check must be one of the kind's.
		badNode := func(node string) string {
			if node == "" || contains(SandboxNodes(e.Sandbox), node) {
				return ""
			}
			return fmt.Sprintf("unknown node %q for a %s sandbox: use one of %s", node, e.Sandbox, strings.Join(SandboxNodes(e.Sandbox), ", "))
		}
		// The lines to validate: setup, solution, and each counter-example
		// of wrong ("wrong 2" names the second in a problem).
		type lineList struct {
			part  string
			items []*yaml.Node
		}
		var lists []lineList
		for _, part := range []string{"setup", "solution"} {
			if v := nodeOf(root, part); v != nil && v.Kind == yaml.SequenceNode {
				lists = append(lists, lineList{part, v.Content})
			}
		}
		if v := nodeOf(root, "wrong"); v != nil && v.Kind == yaml.SequenceNode {
			for i, w := range v.Content {
				if w.Kind == yaml.SequenceNode {
					lists = append(lists, lineList{fmt.Sprintf("wrong %d", i+1), w.Content})
				}
			}
		}
		for _, list := range lists {
			part := list.part
			for _, item := range list.items {
				if item.Kind != yaml.ScalarNode {
					continue // reported by stringList or wrongList
				}
				if _, isComment, err := WaitLine(item.Value); isComment {
					if err != nil {
						ps.Add(path, line(item), "%s: %q: %s", part, item.Value, err)
					}
					continue
				}
				if script, ok := ShellLine(item.Value); ok {
					if script == "" {
						ps.Add(path, line(item), "%s: %q: a workstation line is \"$ \" and a command for bash", part, item.Value)
					}
					continue
				}
				node, cmd := SplitNodeLine(item.Value)
				msg := badNode(node)
				// A stack's line speaks its node's language.
				lineFamily := family
				if msg == "" {
					lineFamily = NodeFamily(e.Sandbox, node)
				}
				for _, a := range LineAddrs(cmd) {
					if msg == "" && (a == "" || badNode(a) != "") {
						msg = badNode(a)
						if a == "" {
							msg = "empty {{}}: name a node, as in {{" + SandboxNodes(e.Sandbox)[0] + "}}"
						}
					}
				}
				if msg == "" && lineFamily == SandboxKafka && isServiceLine(cmd) && !contains(e.Requires, RequireRealKafka) {
					msg = "systemctl stops and starts real brokers only: add `requires: [" + RequireRealKafka + "]` to the exercise"
				}
				if msg != "" {
					ps.Add(path, line(item), "%s: %q: %s", part, item.Value, msg)
				} else if lineFamily == SandboxPostgres {
					// SQL lines run through pgx, one statement each, not
					// through the console's psql.
					if err := CheckSQL(cmd); err != nil {
						ps.Add(path, line(item), "%s: %q: %s", part, item.Value, err)
					}
				} else if commands != nil {
					if err := commands(lineFamily, cmd); err != nil {
						ps.Add(path, line(item), "%s: %q: %s", part, item.Value, firstLine(err))
					}
				}
			}
		}
		for _, c := range e.Checks {
			if msg := badNode(c.Probe.Node); msg != "" {
				ps.Add(path, c.nodeLine, "%s", msg)
			} else if isServerProbe(c.Probe.Kind) && c.Probe.Node != "" && NodeFamily(e.Sandbox, c.Probe.Node) != c.Probe.Kind {
				ps.Add(path, c.nodeLine, "node %s of a %s sandbox runs %s, not %s: a %s probe asks a node that runs it", c.Probe.Node, e.Sandbox,
					NodeFamily(e.Sandbox, c.Probe.Node), c.Probe.Kind, c.Probe.Kind)
			}
		}
	}
	if commands != nil && family != "" {
		for _, c := range e.Checks {
			if c.Probe.Kind == SandboxRedis {
				if err := commands(SandboxRedis, c.Probe.Command); err != nil {
					ps.Add(path, c.Line, "probe %q: %s", c.Probe.Command, firstLine(err))
				}
			}
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return e, nil
}

// isServerProbe reports whether a probe kind asks a server (redis, kafka,
// postgres), not the workstation (shell, file).
func isServerProbe(kind string) bool {
	return kind == SandboxRedis || kind == SandboxKafka || kind == SandboxPostgres
}

// probeAt is a probe key of a check, valid or not, at its file line.
type probeAt struct {
	kind string
	line int
}

// parseChecks returns the valid checks, and the kind and line of every
// probe key it met, including those of checks it had to drop.
func parseChecks(ps *Problems, path string, fence int, v *yaml.Node) ([]Check, []probeAt) {
	if v.Kind != yaml.SequenceNode {
		ps.Add(path, fence+v.Line, "checks must be a list of probes with matchers")
		return nil, nil
	}
	var out []Check
	var probes []probeAt
	for _, item := range v.Content {
		at := fence + item.Line
		if item.Kind != yaml.MappingNode {
			ps.Add(path, at, "a check must be a mapping such as `redis: GET k` with `equals: v`")
			continue
		}
		c := Check{Line: at}
		ok := true
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, val := item.Content[i], item.Content[i+1]
			kl := fence + k.Line
			switch {
			case k.Value == "redis" || k.Value == "kafka" || k.Value == SandboxPostgres:
				probes = append(probes, probeAt{kind: k.Value, line: kl})
				if c.Probe.Kind != "" {
					ps.Add(path, kl, "a check has one probe; found %s and %s", c.Probe.Kind, k.Value)
					ok = false
					continue
				}
				c.Probe.Kind, c.Probe.Command = k.Value, strings.TrimSpace(scalar(ps, path, kl, k.Value, val))
				if c.Probe.Command == "" {
					ps.Add(path, kl, "the %s probe is empty", k.Value)
					ok = false
				} else if k.Value == "kafka" && !kafkaProbeRE.MatchString(c.Probe.Command) {
					ps.Add(path, kl, "unknown kafka probe %q: use describe topic T, describe group G, list topics or list groups", c.Probe.Command)
					ok = false
				} else if k.Value == SandboxPostgres {
					if err := checkPostgresProbe(c.Probe.Command); err != nil {
						ps.Add(path, kl, "postgres probe: %v", err)
						ok = false
					}
				}
			case k.Value == ProbeShell || k.Value == ProbeFile:
				if c.Probe.Kind != "" {
					ps.Add(path, kl, "a check has one probe; found %s and %s", c.Probe.Kind, k.Value)
					ok = false
					continue
				}
				c.Probe.Kind, c.Probe.Command = k.Value, strings.TrimSpace(scalar(ps, path, kl, k.Value, val))
				if c.Probe.Command == "" {
					ps.Add(path, kl, "the %s probe is empty", k.Value)
					ok = false
				} else if k.Value == ProbeFile && strings.ContainsAny(c.Probe.Command, "\x00\n") {
					ps.Add(path, kl, "the file probe %q is not a path", c.Probe.Command)
					ok = false
				}
			case k.Value == "node":
				c.Probe.Node = strings.TrimSpace(scalar(ps, path, kl, "node", val))
				c.nodeLine = kl
				if c.Probe.Node == "" {
					ps.Add(path, kl, "node is empty: name a node of the sandbox, or leave node out for the default")
					ok = false
				}
			case k.Value == "field":
				c.Field = scalar(ps, path, kl, "field", val)
			case k.Value == "message":
				c.Message = scalar(ps, path, kl, "message", val)
			case k.Value == "label":
				c.Label = scalar(ps, path, kl, "label", val)
			case contains(matcherNames, k.Value):
				m, err := parseMatcher(k.Value, val)
				if err != nil {
					ps.Add(path, kl, "%s: %v", k.Value, err)
					ok = false
					continue
				}
				c.Matchers = append(c.Matchers, m)
			default:
				hint := suggest(k.Value, checkKeys)
				if hint == "" {
					hint = ": a check holds one probe (redis, kafka, postgres, shell or file), optional field, message and label, and matchers (" + strings.Join(matcherNames, ", ") + ")"
				}
				ps.Add(path, kl, "unknown key %q in check%s", k.Value, hint)
				ok = false
			}
		}
		if c.Probe.Kind == "" && ok {
			ps.Add(path, at, "a check needs a probe: `redis: <command>` or `kafka: <probe>`")
			ok = false
		}
		if fields, ws := probeFields[c.Probe.Kind]; ws && ok {
			if c.Field == "" {
				ps.Add(path, at, "a %s probe needs a field to match: one of %s", c.Probe.Kind, strings.Join(fields, ", "))
				ok = false
			} else if !contains(fields, c.Field) {
				ps.Add(path, at, "a %s probe has no field %q: use one of %s", c.Probe.Kind, c.Field, strings.Join(fields, ", "))
				ok = false
			}
			if c.Probe.Node != "" && ok {
				ps.Add(path, at, "a %s probe runs in the workstation, not on a node: leave node out", c.Probe.Kind)
				ok = false
			}
		}
		if _, describe := DescribeTable(c.Probe.Command); describe && c.Probe.Kind == SandboxPostgres && ok {
			if head, _, _ := strings.Cut(c.Field, "."); !contains(describeTableFields, head) {
				ps.Add(path, at, "a describe table probe needs a field to match: one of %s (columns and index go deeper: columns.name, columns.email.type, index.orders_pkey.primary)", strings.Join(describeTableFields, ", "))
				ok = false
			}
		}
		if len(c.Matchers) == 0 && ok {
			ps.Add(path, at, "check %q has no matcher: add one of %s", c.Probe.String(), strings.Join(matcherNames, ", "))
			ok = false
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, probes
}

func parseMatcher(name string, v *yaml.Node) (Matcher, error) {
	var val any
	if err := v.Decode(&val); err != nil {
		return Matcher{}, fmt.Errorf("cannot read the value: %w", err)
	}
	m := Matcher{Name: name, Value: val}
	switch name {
	case MatchMatches:
		s, ok := val.(string)
		if !ok {
			return m, fmt.Errorf("expected a regular expression string")
		}
		re, err := regexp.Compile(s)
		if err != nil {
			return m, fmt.Errorf("invalid regular expression: %v", err)
		}
		m.Re = re
	case MatchMin, MatchMax:
		if _, ok := toNumber(val); !ok {
			return m, fmt.Errorf("expected a number, got %v", val)
		}
	case MatchLength:
		if n, ok := val.(int); !ok || n < 0 {
			return m, fmt.Errorf("expected a whole number ≥ 0, got %v", val)
		}
	case MatchExists:
		if _, ok := val.(bool); !ok {
			return m, fmt.Errorf("expected true or false, got %v", val)
		}
	case MatchEquals, MatchContains:
		if _, isMap := val.(map[string]any); isMap {
			return m, fmt.Errorf("expected a value or a list, not a mapping")
		}
	}
	return m, nil
}

func toNumber(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func scalar(ps *Problems, path string, line int, key string, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		ps.Add(path, line, "%s must be a single value", key)
		return ""
	}
	return v.Value
}

// authorOnlyKeys are the exercise keys whose lines contentHash leaves out.
var authorOnlyKeys = []string{"drill", "wrong"}

// contentHash returns the sha256, hex, of an exercise block's YAML without
// the lines of its authorOnlyKeys: from the key's line to the line before
// the next key (or the end). A block mapping written in flow style
// ({id: x, ...}) is hashed whole.
func contentHash(src []byte, root *yaml.Node) string {
	lines := strings.SplitAfter(string(src), "\n")
	drop := make([]bool, len(lines))
	if root.Style&yaml.FlowStyle == 0 {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if !contains(authorOnlyKeys, root.Content[i].Value) {
				continue
			}
			from, to := root.Content[i].Line, len(lines)
			if i+2 < len(root.Content) {
				to = root.Content[i+2].Line - 1
			}
			for l := from; l <= to && l <= len(lines); l++ {
				drop[l-1] = true
			}
		}
	}
	h := sha256.New()
	for i, l := range lines {
		if !drop[i] {
			h.Write([]byte(l))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func boolean(ps *Problems, path string, line int, key string, v *yaml.Node) bool {
	var b bool
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" || v.Decode(&b) != nil {
		ps.Add(path, line, "%s must be true or false, not %q", key, v.Value)
		return false
	}
	return b
}

// wrongList parses `wrong:`, a list of counter-examples, each a non-empty
// list of lines with at least one command (not only "# wait" lines).
func wrongList(ps *Problems, path string, fence int, v *yaml.Node) [][]string {
	if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
		ps.Add(path, fence+v.Line, "wrong must be a list of counter-examples, each a list of lines like solution (`wrong:` then `  - - LINE`)")
		return nil
	}
	var out [][]string
	for i, item := range v.Content {
		if item.Kind != yaml.SequenceNode {
			ps.Add(path, fence+item.Line, "wrong %d must be a list of lines, like solution (write `- - LINE`, a list inside the list)", i+1)
			continue
		}
		if len(item.Content) == 0 {
			ps.Add(path, fence+item.Line, "wrong %d is empty: list the lines of the fix that does not work", i+1)
			continue
		}
		lines := stringList(ps, path, fence, fmt.Sprintf("wrong %d", i+1), item)
		commands := 0
		for _, l := range lines {
			if _, isComment, _ := WaitLine(l); !isComment && strings.TrimSpace(l) != "" {
				commands++
			}
		}
		if len(lines) == len(item.Content) && commands == 0 {
			ps.Add(path, fence+item.Line, "wrong %d runs no command: a counter-example needs at least one line that is not a # wait", i+1)
		}
		out = append(out, lines)
	}
	return out
}

// sameLines reports whether two YAML lists of lines hold the same lines,
// blanks around each line aside.
func sameLines(a, b *yaml.Node) bool {
	if len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if strings.TrimSpace(a.Content[i].Value) != strings.TrimSpace(b.Content[i].Value) {
			return false
		}
	}
	return true
}

func stringList(ps *Problems, path string, fence int, key string, v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		ps.Add(path, fence+v.Line, "%s must be a list", key)
		return nil
	}
	var out []string
	for _, item := range v.Content {
		if item.Kind != yaml.ScalarNode {
			ps.Add(path, fence+item.Line, "each entry of %s must be a single line of text", key)
			continue
		}
		out = append(out, item.Value)
	}
	return out
}

// isServiceLine reports whether a command is a systemctl line (the
// console's package servicectl parses it).
func isServiceLine(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) > 0 && f[0] == "sudo" {
		f = f[1:]
	}
	return len(f) > 0 && f[0] == "systemctl"
}

// Needs reports whether the exercise declares requirement req.
func (e *Exercise) Needs(req string) bool { return contains(e.Requires, req) }

// UsesWorkstation reports whether the exercise's checks read the learner's
// workstation (shell or file probes) or its lines run there ("$ …"),
// which needs a server that offers the terminal.
func (e *Exercise) UsesWorkstation() bool {
	for _, c := range e.Checks {
		if _, ws := probeFields[c.Probe.Kind]; ws {
			return true
		}
	}
	lines := append(append([]string(nil), e.Setup...), e.Solution...)
	for _, w := range e.Wrong {
		lines = append(lines, w...)
	}
	for _, l := range lines {
		if _, ok := ShellLine(l); ok {
			return true
		}
	}
	return false
}

func nodeOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// firstLine is an error's first line: a problem is one line of a report.
func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
