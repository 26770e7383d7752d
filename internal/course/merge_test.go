package course_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
)

const mergeCourseYAML = "title: Demo\nmodules:\n  - title: Basics\n    lessons: [one, two, three]\n"

// mergeLesson is a valid lesson file with heading as its only section.
func mergeLesson(title, heading string) string {
	return "---\ntitle: " + title + "\n---\n\n## " + heading + "\n\nSome prose.\n"
}

// brokenLesson is a lesson whose exercise block is not valid YAML.
const brokenLesson = "---\ntitle: Two\n---\n\n## Broken\n\n```exercise\nid: [unclosed\ntitle: E\n```\n"

// mergeFixture is a course folder in a temp dir with three valid lessons.
type mergeFixture struct {
	t   *testing.T
	dir string
	md  *markdown.Renderer
}

func newMergeFixture(t *testing.T) *mergeFixture {
	t.Helper()
	f := &mergeFixture{t: t, dir: t.TempDir(), md: markdown.New()}
	f.write("demo/course.yaml", mergeCourseYAML)
	f.write("demo/01-one.md", mergeLesson("One", "First heading"))
	f.write("demo/02-two.md", mergeLesson("Two", "Second heading"))
	f.write("demo/03-three.md", mergeLesson("Three", "Third heading"))
	return f
}

func (f *mergeFixture) write(name, body string) {
	f.t.Helper()
	p := filepath.Join(f.dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *mergeFixture) load() *course.Catalog {
	f.t.Helper()
	cat, err := course.Load(os.DirFS(f.dir), f.md, nil)
	if err != nil {
		f.t.Fatalf("load: %v", err)
	}
	return cat
}

// lesson returns a served lesson, failing the test if it is not served.
func lesson(t *testing.T, cat *course.Catalog, slug string) *course.Lesson {
	t.Helper()
	c, ok := cat.Course("demo")
	if !ok {
		t.Fatalf("course demo not served; problems %v", cat.Problems)
	}
	l, ok := c.Lesson(slug)
	if !ok {
		t.Fatalf("lesson %s not served; problems %v", slug, cat.Problems)
	}
	return l
}

// outline is the course's lessons and modules as slugs, for comparisons.
func outline(t *testing.T, cat *course.Catalog) string {
	t.Helper()
	c, _ := cat.Course("demo")
	parts := []string{}
	for _, l := range c.Lessons {
		parts = append(parts, l.Slug)
	}
	for _, m := range c.Modules {
		parts = append(parts, "|", m.Title+":")
		for _, l := range m.Lessons {
			parts = append(parts, l.Slug)
		}
	}
	return strings.Join(parts, " ")
}

func TestKeepLastGood(t *testing.T) {
	f := newMergeFixture(t)
	const wantOutline = "one two three | Basics: one two three"

	v1 := course.KeepLastGood(nil, f.load())
	if got := lesson(t, v1, "two"); !strings.Contains(string(got.HTML), "Second heading") {
		t.Fatalf("first load serves %q", got.HTML)
	}

	// An edit that stays valid is served at once.
	f.write("demo/02-two.md", mergeLesson("Two", "Edited heading"))
	v2 := course.KeepLastGood(v1, f.load())
	if got := lesson(t, v2, "two"); !strings.Contains(string(got.HTML), "Edited heading") {
		t.Fatalf("after a valid edit lesson two is %q, want the edited heading", got.HTML)
	}
	if len(v2.Problems) != 0 {
		t.Fatalf("valid edit: problems %v", v2.Problems)
	}

	// A broken version: the last good one is still served, in its place,
	// and the problem is listed with its path and line.
	f.write("demo/02-two.md", brokenLesson)
	loaded := f.load()
	if _, ok := mustCourse(t, loaded).Lesson("two"); ok {
		t.Fatalf("Load served the broken lesson two")
	}
	v3 := course.KeepLastGood(v2, loaded)
	kept := lesson(t, v3, "two")
	if !strings.Contains(string(kept.HTML), "Edited heading") {
		t.Fatalf("broken lesson two is served as %q, want its last good version", kept.HTML)
	}
	if kept == lesson(t, v2, "two") {
		t.Errorf("the kept lesson is the previous pointer; want a copy, so per-lesson caches are made again")
	}
	if got := outline(t, v3); got != wantOutline {
		t.Errorf("outline with the kept lesson = %q, want %q", got, wantOutline)
	}
	c3 := mustCourse(t, v3)
	if prev, next := c3.Neighbours(kept); prev == nil || prev.Slug != "one" || next == nil || next.Slug != "three" {
		t.Errorf("neighbours of the kept lesson = %v, %v; want one and three", prev, next)
	}
	if !hasProblemAt(v3.Problems, "demo/02-two.md") {
		t.Errorf("problems %v do not name demo/02-two.md with a line", v3.Problems)
	}
	if len(v3.Problems) != len(loaded.Problems) {
		t.Errorf("merged catalog has %d problems, the load found %d", len(v3.Problems), len(loaded.Problems))
	}
	// Neither input changed.
	if got := outline(t, loaded); got != "one three | Basics: one three" {
		t.Errorf("KeepLastGood changed the loaded catalog: %q", got)
	}
	if got := outline(t, v2); got != wantOutline {
		t.Errorf("KeepLastGood changed the previous catalog: %q", got)
	}

	// Still broken at the next reload: still the last good version.
	f.write("demo/03-three.md", mergeLesson("Three", "Third heading, edited"))
	v4 := course.KeepLastGood(v3, f.load())
	if got := lesson(t, v4, "two"); !strings.Contains(string(got.HTML), "Edited heading") {
		t.Fatalf("two reloads later the broken lesson is served as %q", got.HTML)
	}
	if got := lesson(t, v4, "three"); !strings.Contains(string(got.HTML), "Third heading, edited") {
		t.Fatalf("lesson three = %q, want its new version", got.HTML)
	}

	// Fixed: the new version is served and the problem is gone.
	f.write("demo/02-two.md", mergeLesson("Two", "Fixed heading"))
	v5 := course.KeepLastGood(v4, f.load())
	if got := lesson(t, v5, "two"); !strings.Contains(string(got.HTML), "Fixed heading") {
		t.Fatalf("fixed lesson two is served as %q", got.HTML)
	}
	if len(v5.Problems) != 0 {
		t.Errorf("after the fix: problems %v", v5.Problems)
	}
	if got := outline(t, v5); got != wantOutline {
		t.Errorf("outline after the fix = %q, want %q", got, wantOutline)
	}
}

func TestKeepLastGoodPlacesInModules(t *testing.T) {
	f := newMergeFixture(t)
	f.write("demo/course.yaml", "title: Demo\nmodules:\n  - title: Start\n    lessons: [one]\n  - title: More\n    lessons: [two, three]\n")
	f.write("demo/04-four.md", mergeLesson("Four", "Not in a module"))
	v1 := f.load()
	if got, want := outline(t, v1), "one two three four | Start: one | More: two three | More lessons: four"; got != want {
		t.Fatalf("fixture outline = %q, want %q", got, want)
	}
	for _, tc := range []struct{ file, want string }{
		{"demo/02-two.md", "one two three four | Start: one | More: two three | More lessons: four"},
		{"demo/03-three.md", "one two three four | Start: one | More: two three | More lessons: four"},
		{"demo/04-four.md", "one two three four | Start: one | More: two three | More lessons: four"},
		{"demo/01-one.md", "one two three four | Start: one | More: two three | More lessons: four"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			g := &mergeFixture{t: t, dir: t.TempDir(), md: f.md}
			copyTree(t, f.dir, g.dir)
			g.write(tc.file, brokenLesson)
			if got := outline(t, course.KeepLastGood(v1, g.load())); got != tc.want {
				t.Errorf("outline = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKeepLastGoodDropsRemovedLesson(t *testing.T) {
	f := newMergeFixture(t)
	v1 := f.load()
	if err := os.Remove(filepath.Join(f.dir, "demo", "02-two.md")); err != nil {
		t.Fatal(err)
	}
	v2 := course.KeepLastGood(v1, f.load())
	if _, ok := mustCourse(t, v2).Lesson("two"); ok {
		t.Errorf("a removed lesson file is still served")
	}
}

func TestKeepLastGoodSlugTaken(t *testing.T) {
	f := newMergeFixture(t)
	v1 := f.load()
	// Lesson two breaks while a new file takes its slug: the new, valid
	// lesson wins.
	f.write("demo/02-two.md", brokenLesson)
	f.write("demo/05-other.md", "---\ntitle: Other\nslug: two\n---\n\n## Other\n")
	v2 := course.KeepLastGood(v1, f.load())
	if got := lesson(t, v2, "two"); got.Path != "demo/05-other.md" {
		t.Errorf("slug two is served from %s, want the valid demo/05-other.md", got.Path)
	}
}

func TestKeepLastGoodNilPrev(t *testing.T) {
	next := newMergeFixture(t).load()
	if got := course.KeepLastGood(nil, next); got != next {
		t.Errorf("KeepLastGood(nil, next) is not next")
	}
}

func mustCourse(t *testing.T, cat *course.Catalog) *course.Course {
	t.Helper()
	c, ok := cat.Course("demo")
	if !ok {
		t.Fatalf("course demo not served; problems %v", cat.Problems)
	}
	return c
}

func hasProblemAt(ps course.Problems, path string) bool {
	for _, p := range ps {
		if p.Path == path && p.Line > 0 {
			return true
		}
	}
	return false
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}
