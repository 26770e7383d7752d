package toolflags

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The help texts in testdata/help were captured once from the real tools
// by testdata/capture.sh: redis-cli 7.0.15 (`redis-cli --help`,
// `redis-cli --cluster help`), redis-benchmark and redis-check-aof of the
// same release, and the Apache Kafka 4.1.0 scripts (`bin/TOOL.sh --help`,
// and `bin/TOOL.sh SUBCOMMAND --help` for the tools with subcommands) run
// with OpenJDK 17. Capture again after moving the course to other
// releases.

// contentDir is the built-in course, from this package's folder.
const contentDir = "../../../content"

// toolHelp is what one real tool's --help says about its flags.
type toolHelp struct {
	flags map[string]bool // flag → takes an argument
	files []string        // the help files read, for messages
}

// helpFlagRE finds a flag in help text: a dash or two at the start of a
// word, and what follows it.
var helpFlagRE = regexp.MustCompile(`(?:^|[\s,\[|(])(--?[A-Za-z0-9][A-Za-z0-9._-]*)( <| \[[A-Za-z]| [A-Z][A-Z0-9_]+\b| \{)?`)

// loadHelp reads testdata/help: TOOL.txt and TOOL.SUB.txt for each tool;
// a tool's flags are those of all its files.
func loadHelp(t *testing.T) map[string]*toolHelp {
	t.Helper()
	dir := filepath.Join("testdata", "help")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	tools := map[string]*toolHelp{}
	for _, e := range entries {
		name := e.Name()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		base := strings.TrimSuffix(name, ".txt")
		tool, _, _ := strings.Cut(base, ".")
		if base == "redis-cli.version" {
			continue
		}
		h := tools[tool]
		if h == nil {
			h = &toolHelp{flags: map[string]bool{}}
			tools[tool] = h
		}
		h.files = append(h.files, "testdata/help/"+name)
		for _, line := range strings.Split(string(data), "\n") {
			for _, m := range helpFlagRE.FindAllStringSubmatch(line, -1) {
				h.flags[m[1]] = h.flags[m[1]] || m[2] != ""
			}
		}
	}
	if len(tools) < 10 {
		t.Fatalf("testdata/help holds %d tools: run testdata/capture.sh", len(tools))
	}
	return tools
}

// snippet is command text of the course and where it is.
type snippet struct {
	path string
	line int
	text string
	// code: the whole text is shell (a code block line, a setup or
	// solution line); otherwise only its inline code spans are.
	code bool
}

// courseSnippets reads every lesson and course file of the built-in
// course into snippets: prose lines (their code spans), code block
// lines, and the strings of exercise blocks.
func courseSnippets(t *testing.T) []snippet {
	t.Helper()
	var out []snippet
	err := filepath.WalkDir(contentDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".md") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(contentDir, path)
		out = append(out, fileSnippets(t, filepath.ToSlash(filepath.Join("content", rel)), string(data))...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no lesson found under " + contentDir)
	}
	return out
}

var fenceRE = regexp.MustCompile("^([ \t]*)(`{3,}|~{3,})[ \t]*([^`]*)$")

// fileSnippets splits one Markdown file into snippets.
func fileSnippets(t *testing.T, path, text string) []snippet {
	var out []snippet
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			out = append(out, snippet{path: path, line: i + 1, text: lines[i]})
			continue
		}
		fence, info := m[2], strings.Fields(m[3]+" ")
		start := i + 1
		j := start
		for ; j < len(lines); j++ {
			c := strings.TrimSpace(lines[j])
			if strings.HasPrefix(c, fence[:1]) && strings.Trim(c, fence[:1]) == "" && len(c) >= len(fence) {
				break
			}
		}
		body := lines[start:min(j, len(lines))]
		if len(info) > 0 && info[0] == "exercise" {
			out = append(out, exerciseSnippets(t, path, start+1, strings.Join(body, "\n"))...)
		} else {
			out = append(out, shellSnippets(path, start+1, body)...)
		}
		i = j
	}
	return out
}

// hereDocRE finds a here-document's delimiter in a command line.
var hereDocRE = regexp.MustCompile(`<<-?[ \t]*(?:'([^']*)'|"([^"]*)"|([A-Za-z_][A-Za-z0-9_]*))`)

// shellSnippets turns the lines of a code block, or of a setup or
// solution string, into one snippet per command: lines continued with a
// backslash are joined, and a here-document's lines are data, not
// commands.
func shellSnippets(path string, firstLine int, lines []string) []snippet {
	var out []snippet
	for i := 0; i < len(lines); i++ {
		at := i
		text := lines[i]
		for strings.HasSuffix(text, `\`) && i+1 < len(lines) {
			i++
			text = strings.TrimSuffix(text, `\`) + " " + lines[i]
		}
		out = append(out, snippet{path: path, line: firstLine + at, text: text, code: true})
		if m := hereDocRE.FindStringSubmatch(text); m != nil {
			delim := m[1] + m[2] + m[3]
			for i+1 < len(lines) && strings.TrimLeft(lines[i+1], "\t ") != delim {
				i++
			}
			i++
		}
	}
	return out
}

// exerciseSnippets reads an exercise block's YAML: setup and solution
// strings are commands; the task, hints, titles, check labels and
// messages are Markdown, whose code spans count.
func exerciseSnippets(t *testing.T, path string, firstLine int, body string) []snippet {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(body), &doc); err != nil {
		t.Errorf("%s:%d: exercise YAML: %v", path, firstLine, err)
		return nil
	}
	var out []snippet
	var walk func(n *yaml.Node, key string, code bool)
	walk = func(n *yaml.Node, key string, code bool) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, key, code)
			}
		case yaml.MappingNode:
			for k := 0; k+1 < len(n.Content); k += 2 {
				name := n.Content[k].Value
				walk(n.Content[k+1], name, name == "setup" || name == "solution")
			}
		case yaml.ScalarNode:
			if !code && !slicesContains([]string{"task", "hints", "title", "label", "message"}, key) {
				return
			}
			line := firstLine + n.Line - 1
			if n.Style == yaml.LiteralStyle || n.Style == yaml.FoldedStyle {
				line++
			}
			lines := strings.Split(n.Value, "\n")
			if code {
				out = append(out, shellSnippets(path, line, lines)...)
				return
			}
			for i, l := range lines {
				out = append(out, snippet{path: path, line: line + i, text: l})
			}
		}
	}
	walk(&doc, "", false)
	return out
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// codeSpanRE finds inline code spans: a run of backticks, text, the same
// run.
var codeSpanRE = regexp.MustCompile("(`+)([^`]+?)(`+)")

// codeTexts returns the shell text of a snippet: all of it for code, its
// code spans for prose.
func codeTexts(s snippet) []string {
	if s.code {
		return []string{s.text}
	}
	var out []string
	for _, m := range codeSpanRE.FindAllStringSubmatch(s.text, -1) {
		if len(m[1]) == len(m[3]) {
			out = append(out, m[2])
		}
	}
	return out
}

// toolRE finds a tool name; invocation checks the characters around it.
var toolRE = regexp.MustCompile(`(redis-cli|redis-benchmark|redis-check-aof|kafka-[a-z][a-z-]*[a-z])(\.sh)?`)

// invocation is a tool and the words typed after it, up to the end of its
// command.
type invocation struct {
	tool  string
	words []string
}

// invocations finds the tool invocations in shell text.
func invocations(text string) []invocation {
	var out []invocation
	for _, loc := range toolRE.FindAllStringSubmatchIndex(text, -1) {
		start, end := loc[0], loc[1]
		if start > 0 && !strings.ContainsRune(" \t/(|;&$'\"=@`", rune(text[start-1])) {
			continue
		}
		if end < len(text) && !strings.ContainsRune(" \t'\"`;|&)", rune(text[end])) {
			continue
		}
		out = append(out, invocation{tool: text[loc[2]:loc[3]], words: commandWords(text[end:])})
	}
	return out
}

// commandWords splits the text after a tool name into words up to the
// end of the command: a pipe, ;, &, a redirection, ), a comment or the
// end. A <placeholder> is one word.
func commandWords(text string) []string {
	var words []string
	i := 0
	for i < len(text) {
		for i < len(text) && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		if i >= len(text) || strings.ContainsRune("|;&)>#`", rune(text[i])) {
			break
		}
		if text[i] == '<' && (i+1 >= len(text) || text[i+1] == '<' || text[i+1] == ' ') {
			break
		}
		var w strings.Builder
		for i < len(text) && text[i] != ' ' && text[i] != '\t' {
			c := text[i]
			if strings.ContainsRune("|;&)>`", rune(c)) {
				break
			}
			switch c {
			case '\'', '"':
				j := strings.IndexByte(text[i+1:], c)
				if j < 0 {
					w.WriteString(text[i+1:])
					i = len(text)
					continue
				}
				w.WriteString(text[i+1 : i+1+j])
				i += j + 2
				continue
			case '<':
				if j := strings.IndexByte(text[i:], '>'); j > 0 {
					w.WriteString(text[i : i+j+1])
					i += j + 1
					continue
				}
			case '\\':
				i++
				if i < len(text) {
					w.WriteByte(text[i])
				}
				i++
				continue
			}
			w.WriteByte(c)
			i++
		}
		words = append(words, w.String())
	}
	return words
}

var negativeNumberRE = regexp.MustCompile(`^-[0-9.]+$`)

// checkFlags returns the problems of one invocation: flags its tool's
// help does not list.
func checkFlags(inv invocation, help map[string]*toolHelp) []string {
	h := help[inv.tool]
	if h == nil {
		// A tool without captured help may appear (kafka-server-stop.sh),
		// but not with flags: those could not be checked.
		for _, w := range inv.words {
			if strings.HasPrefix(w, "-") && len(w) > 1 {
				return []string{fmt.Sprintf("%s: no help captured for this tool: add it to testdata/capture.sh", inv.tool)}
			}
		}
		return nil
	}
	var problems []string
	redis := strings.HasPrefix(inv.tool, "redis-")
	cluster := false
	for i := 0; i < len(inv.words); i++ {
		w := inv.words[i]
		if w == "-" || w == "--" || !strings.HasPrefix(w, "-") || negativeNumberRE.MatchString(w) {
			if redis && !cluster && inv.tool == "redis-cli" {
				// redis-cli reads options only before the command.
				return problems
			}
			continue
		}
		name, _, hasValue := strings.Cut(w, "=")
		if redis {
			name, hasValue = w, false // redis tools have no --name=value form
		}
		takesArg, ok := h.flags[name]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: %s is not an option of the real tool (%s)", inv.tool, name, strings.Join(h.files, ", ")))
			continue
		}
		if name == "--cluster" {
			cluster = true
		}
		if takesArg && !hasValue {
			i++
		}
	}
	return problems
}

// TestCourseFlagsAreReal scans the built-in course for invocations of
// redis-cli and the Kafka tools and checks each flag against the real
// tool's --help.
func TestCourseFlagsAreReal(t *testing.T) {
	help := loadHelp(t)
	var problems []string
	invs := 0
	for _, s := range courseSnippets(t) {
		for _, text := range codeTexts(s) {
			if messageShortcutRE.MatchString(text) && !strings.Contains(text, "opslab-drill") {
				problems = append(problems, fmt.Sprintf("%s:%d: --message is the console's shortcut, not a kafka-console-producer option: teach the lines after the command, a pipe or a here-document", s.path, s.line))
			}
			for _, inv := range invocations(text) {
				invs++
				for _, p := range checkFlags(inv, help) {
					problems = append(problems, fmt.Sprintf("%s:%d: %s", s.path, s.line, p))
				}
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	if invs < 500 {
		t.Errorf("found %d tool invocations in the course; the scan is broken", invs)
	}
	t.Logf("%d tool invocations checked", invs)
}

// messageShortcutRE is the console's --message shortcut, which the real
// producer lacks.
var messageShortcutRE = regexp.MustCompile(`(^|\s)--message(\s|=|$)`)

// TestScanner pins the scanner on small inputs.
func TestScanner(t *testing.T) {
	help := loadHelp(t)
	cases := []struct {
		text string
		want []string
	}{
		{"kafka-topics --bootstrap-server x:9092 --describe --topic t", nil},
		{"kafka-console-producer --topic t --message a", []string{"--message"}},
		{"echo a | kafka-console-producer.sh --topic t --property parse.key=true", nil},
		{"kafka-consumer-groups --reset-offsets --shift-by -2 --group g --topic t --execute", nil},
		{"redis-cli -p 6380 --scan --pattern 'user:*'", nil},
		{"redis-cli SET k -1", nil},
		{"redis-cli --pattern=x --scan", []string{"--pattern=x"}},
		{"redis-cli --cluster create a:1 b:2 --cluster-replicas 1", nil},
		{"kafka-topics --describe --topic <topic> --bogus", []string{"--bogus"}},
		{"kafka-transactions --bootstrap-server x describe --transactional-id tx", nil},
		{"kafka-storage format -t $ID -c server.properties --standalone", nil},
		{"kafka-nonsense --list", []string{"no help captured"}},
		{"kafka-server-stop.sh", nil},
		{"ssh kafka-staging:9092", nil},
	}
	for _, c := range cases {
		var got []string
		for _, inv := range invocations(c.text) {
			got = append(got, checkFlags(inv, help)...)
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: problems %q, want %d", c.text, got, len(c.want))
			continue
		}
		for i := range got {
			if !strings.Contains(got[i], c.want[i]) {
				t.Errorf("%q: problem %q, want one about %s", c.text, got[i], c.want[i])
			}
		}
	}
}
