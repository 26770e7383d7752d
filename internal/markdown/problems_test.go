package markdown_test

import (
	"os"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
)

// TestProblemsAllReported loads a course with many mistakes and expects
// every one, each at its line, while the valid lesson is still served.
func TestProblemsAllReported(t *testing.T) {
	cat, err := course.Load(os.DirFS("testdata/broken"), markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cat.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`bad/02-typo.md:3: unknown front matter key "durration" (did you mean "duration"?)`,
		`bad/02-typo.md:9: unknown sandbox "mongo": use one of redis, kafka, redis-replica, redis-sentinel, redis-cluster, kafka-cluster, postgres, stack`,
		`bad/02-typo.md:11: unknown key "checkz" in exercise (did you mean "checks"?)`,
		`bad/02-typo.md:7: exercise: missing "checks"`,
		`bad/02-typo.md:20: check "redis: GET k" has no matcher: add one of equals, contains, matches, min, max, length, exists`,
		`bad/02-typo.md:21: unknown kafka probe "describe nothing": use describe topic T, describe group G, list topics or list groups`,
		`bad/02-typo.md:24: unknown key "equalz" in check (did you mean "equals"?)`,
		`bad/02-typo.md:34: exists: expected true or false, got maybe`,
		`bad/course.yaml:4: module "M" names lesson "missing-one", which does not exist`,
		`bad/course.yaml:5: unknown key "colour" in course.yaml`,
		`bad/NOTES.md: a lesson file is named NN-slug.md (for example 11-redis-data-structures-for-operators.md)`,
	}
	for _, w := range want {
		if !contains(got, w) {
			t.Errorf("missing problem:\n  %s", w)
		}
	}
	if t.Failed() {
		t.Logf("got:\n  %s", strings.Join(got, "\n  "))
	}
	c, ok := cat.Course("bad")
	if !ok {
		t.Fatal("the course with a valid lesson must still load")
	}
	if _, ok := c.Lesson("good"); !ok {
		t.Error("the valid lesson must be served")
	}
	if _, ok := c.Lesson("typo"); ok {
		t.Error("the broken lesson must not be served")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
