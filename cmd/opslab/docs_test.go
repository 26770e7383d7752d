package main

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/markdown"
)

// authoringGuide is the reference for course authors. Its examples are
// files of one example course: a fenced block whose info string reads
// "<language> example <path>" holds the file at <path> below the content
// folder (for example ```yaml example ops-basics/course.yaml).
const authoringGuide = "../../docs/authoring.md"

// docExample is one example file of the guide.
type docExample struct {
	path string // below the content folder, slash-separated
	body string
	line int // of the opening fence in the guide
}

var fenceRE = regexp.MustCompile("^(`{3,}|~{3,})\\s*(.*)$")

// guideExamples returns the example files of a Markdown text: the fenced
// blocks marked "example". Blocks nested inside a longer fence are part
// of it, as in CommonMark.
func guideExamples(text string) ([]docExample, error) {
	var out []docExample
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		fence, info := m[1], strings.Fields(m[2])
		start := i
		var body []string
		for i++; i < len(lines); i++ {
			l := strings.TrimRight(lines[i], " ")
			if strings.HasPrefix(l, fence) && strings.Trim(l, fence[:1]) == "" {
				break
			}
			body = append(body, lines[i])
		}
		if len(info) < 2 || info[1] != "example" {
			continue
		}
		if len(info) != 3 {
			return nil, fmt.Errorf("%s:%d: an example's info string is `<language> example <path>`", authoringGuide, start+1)
		}
		// A fence inside an example must be shorter than the example's own,
		// or it ends the example early (in this scan and on GitHub alike):
		// an odd number of fence lines inside shows that.
		inner := 0
		for _, l := range body {
			if fenceRE.MatchString(l) {
				inner++
			}
		}
		if inner%2 != 0 {
			return nil, fmt.Errorf("%s:%d: a fence inside the example is not closed: open the example with a longer fence (````)", authoringGuide, start+1)
		}
		p := info[2]
		if path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") {
			return nil, fmt.Errorf("%s:%d: example path %s must be clean and relative", authoringGuide, start+1, p)
		}
		out = append(out, docExample{path: p, body: strings.Join(body, "\n") + "\n", line: start + 1})
	}
	return out, nil
}

// writeGuideExamples writes the guide's examples into a fresh content
// folder and returns it.
func writeGuideExamples(t *testing.T) (dir string, examples []docExample) {
	t.Helper()
	b, err := os.ReadFile(authoringGuide)
	if err != nil {
		t.Fatal(err)
	}
	examples, err = guideExamples(string(b))
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	seen := map[string]int{}
	for _, ex := range examples {
		if first, dup := seen[ex.path]; dup {
			t.Fatalf("%s:%d: example %s is already given at line %d", authoringGuide, ex.line, ex.path, first)
		}
		seen[ex.path] = ex.line
		p := filepath.Join(dir, filepath.FromSlash(ex.path))
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(ex.body), 0o644))
	}
	return dir, examples
}

// TestDocsExamples checks that the guide's example course is complete,
// lints clean, and that every exercise in it passes `opslab test`.
func TestDocsExamples(t *testing.T) {
	dir, examples := writeGuideExamples(t)
	var hasCourse, hasRedis, hasKafka bool
	for _, ex := range examples {
		hasCourse = hasCourse || path.Base(ex.path) == "course.yaml"
		hasRedis = hasRedis || strings.Contains(ex.body, "\nsandbox: redis\n")
		hasKafka = hasKafka || strings.Contains(ex.body, "\nsandbox: kafka\n")
	}
	if !hasCourse || !hasRedis || !hasKafka {
		t.Fatalf("the guide's examples must include a course.yaml and a lesson with a redis and a kafka exercise (course %v, redis %v, kafka %v)", hasCourse, hasRedis, hasKafka)
	}

	t.Run("Lint", func(t *testing.T) {
		out, errOut, st := runCLI(t, "lint", "--content", dir)
		if st != 0 || out != "" {
			t.Fatalf("lint of the guide's examples: status %d\n%s%s", st, out, errOut)
		}
	})

	t.Run("Test", func(t *testing.T) {
		requireTool(t, "redis-server")
		out, errOut, st := runCLI(t, "test", "--content", dir)
		if st != 0 || strings.Contains(out, "✗") || !strings.Contains(out, " 0 failed, 0 content problems") {
			t.Fatalf("opslab test of the guide's examples: status %d\n%s%s", st, out, errOut)
		}
		for _, want := range []string{"✓ ops-basics/sessions-and-orders/session-cache", "✓ ops-basics/sessions-and-orders/orders-topic"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestDocsLintLinesAreReal checks every `path:line: message` the guide
// quotes against the lint corpus, so that the guide shows what lint really
// prints.
func TestDocsLintLinesAreReal(t *testing.T) {
	b, err := os.ReadFile(authoringGuide)
	if err != nil {
		t.Fatal(err)
	}
	real := map[string]bool{}
	wants, err := filepath.Glob(filepath.Join(lintCorpus, "*", "want.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		wb, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range reportLines(string(wb)) {
			real[l] = true
		}
	}
	text := string(b)
	var quoted []string
	// A code span holding a backtick is written between double backticks.
	double := regexp.MustCompile("`` (demo/[^\n]+?) ``")
	for _, m := range double.FindAllStringSubmatch(text, -1) {
		quoted = append(quoted, m[1])
	}
	text = double.ReplaceAllString(text, "")
	for _, m := range regexp.MustCompile("`(demo/[^`\n]+)`").FindAllStringSubmatch(text, -1) {
		quoted = append(quoted, m[1])
	}
	if len(quoted) < 20 {
		t.Fatalf("found only %d quoted lint lines in the guide", len(quoted))
	}
	for _, q := range quoted {
		if !regexp.MustCompile(`^demo/\S+?(:\d+)?: `).MatchString(q) {
			continue // a path, not a report line
		}
		if !real[q] {
			t.Errorf("the guide quotes a lint line that no case of %s prints:\n  %s", lintCorpus, q)
		}
	}
}

// TestDocsAnchors checks that every "#anchor" link of the guide names one
// of its headings, with the ids opslab (and GitHub) give them.
func TestDocsAnchors(t *testing.T) {
	b, err := os.ReadFile(authoringGuide)
	if err != nil {
		t.Fatal(err)
	}
	r, ps := markdown.New().ParseLesson(authoringGuide, b, 1, nil)
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	for _, l := range r.Links {
		if a, ok := strings.CutPrefix(l.Target, "#"); ok && !slices.Contains(r.Anchors, a) {
			t.Errorf("%s:%d: link to %q: no such heading", authoringGuide, l.Line, l.Target)
		}
	}
	if len(r.TOC) < 10 {
		t.Errorf("the guide has only %d sections: is a fence left open?", len(r.TOC))
	}
}

// TestReadmeCounts keeps every count of lessons and exercises that
// README.md states in step with the built-in course.
func TestReadmeCounts(t *testing.T) {
	cat, err := loadContent("", markdown.New())
	if err != nil {
		t.Fatal(err)
	}
	lessons, exercises := 0, 0
	for _, c := range cat.Courses {
		lessons += len(c.Lessons)
		exercises += c.ExerciseCount()
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		re   *regexp.Regexp
		want int
	}{
		{regexp.MustCompile(`(\d+) lessons\b`), lessons},
		{regexp.MustCompile(`(\d+) (?:live )?exercises\b`), exercises},
	} {
		ms := tc.re.FindAllStringSubmatch(string(b), -1)
		if len(ms) == 0 {
			t.Errorf("README.md states no count matching %s: say how many the built-in course has (%d)", tc.re, tc.want)
		}
		for _, m := range ms {
			if m[1] != fmt.Sprint(tc.want) {
				t.Errorf("README.md says %q; the built-in course has %d", m[0], tc.want)
			}
		}
	}
}

// apiDocs is the reference of the command line and the JSON API.
const apiDocs = "../../docs/api.md"

// TestAPIDocsListEveryFlag checks that docs/api.md's command line section
// names every command of the usage and, in each command's own subsection,
// every flag that the command's --help lists, so that the docs cannot fall
// behind the flags.
func TestAPIDocsListEveryFlag(t *testing.T) {
	b, err := os.ReadFile(apiDocs)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "\n## Command line\n")
	if start < 0 {
		t.Fatalf("%s has no \"## Command line\" section", apiDocs)
	}
	cli := doc[start+1:]
	if end := strings.Index(cli, "\n## "); end >= 0 {
		cli = cli[:end]
	}
	// subsection returns the text of the "### `opslab CMD`" subsection.
	subsection := func(cmd string) string {
		head := "\n### `opslab " + cmd + "`\n"
		i := strings.Index(cli, head)
		if i < 0 {
			return ""
		}
		s := cli[i+len(head):]
		if j := strings.Index(s, "\n### "); j >= 0 {
			s = s[:j]
		}
		return s
	}

	// Every command of the usage is in the section's table.
	usageOut, _, _ := runCLI(t, "help")
	cmds := regexp.MustCompile(`(?m)^  opslab (user add|\S+)`).FindAllStringSubmatch(usageOut, -1)
	if len(cmds) < 5 {
		t.Fatalf("the usage lists only %d commands:\n%s", len(cmds), usageOut)
	}
	for _, m := range cmds {
		if !strings.Contains(cli, "| `opslab "+m[1]) {
			t.Errorf("%s: the command line table lacks `opslab %s`", apiDocs, m[1])
		}
	}

	flagRE := regexp.MustCompile(`(?m)^  -([a-zA-Z0-9-]+)`)
	for _, cmd := range []string{"serve", "user add", "lint", "test"} {
		t.Run(strings.ReplaceAll(cmd, " ", "-"), func(t *testing.T) {
			_, help, _ := runCLI(t, append(strings.Fields(cmd), "--help")...)
			flags := flagRE.FindAllStringSubmatch(help, -1)
			if len(flags) == 0 {
				t.Fatalf("opslab %s --help lists no flags:\n%s", cmd, help)
			}
			sec := subsection(cmd)
			if sec == "" {
				t.Fatalf("%s: no subsection \"### `opslab %s`\" in the command line section", apiDocs, cmd)
			}
			for _, f := range flags {
				name := "--" + f[1]
				if len(f[1]) == 1 {
					name = "-" + f[1]
				}
				if !regexp.MustCompile("`" + regexp.QuoteMeta(name) + "[` ]").MatchString(sec) {
					t.Errorf("%s: the subsection of opslab %s does not name its flag `%s`", apiDocs, cmd, name)
				}
			}
		})
	}
}
