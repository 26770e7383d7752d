package course

import (
	"strings"
	"testing"
)

// TestCheckExerciseBlocks checks the scan that finds every exercise block,
// valid or not, for duplicate ids: fences of either kind, indented ones,
// and blocks shown inside a longer fence (which are not exercises).
func TestCheckExerciseBlocks(t *testing.T) {
	body := strings.Join([]string{
		"```exercise", // line 10
		"id: a",
		"solution: [x]",
		"```",
		"",
		"- a list item:",
		"",
		"  ~~~exercise", // line 17
		"  id: a",
		"  solution: [x]",
		"  ~~~",
		"",
		"````markdown", // an example of an exercise, not one
		"```exercise",
		"id: a",
		"```",
		"````",
		"",
		"```exercise", // line 28: not YAML, still named
		"id: \"a\"",
		"title: [oops",
		"```",
		"",
		"```exercise", // line 33: no solution
		"id: b",
		"```",
	}, "\n")
	var got []string
	for _, p := range checkExerciseBlocks("l.md", []byte(body), 10, nil) {
		got = append(got, p.String())
	}
	want := []string{
		`l.md:17: duplicate exercise id "a" (first at line 10)`,
		`l.md:28: duplicate exercise id "a" (first at line 10)`,
		`l.md:34: exercise "b" has no solution: list the commands that make its checks pass (opslab test runs them)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A parsed exercise counts at its fence line, once.
	parsed := []*Exercise{{ID: "b", Line: 33, Solution: []string{"x"}}}
	for _, p := range checkExerciseBlocks("l.md", []byte(body), 10, parsed) {
		if strings.Contains(p.Message, `"b"`) {
			t.Errorf("a parsed exercise with a solution is reported: %s", p)
		}
	}
}
