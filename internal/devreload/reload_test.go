package devreload_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/devreload"
	"github.com/opslab/opslab/internal/markdown"
)

// fakeTarget records what Reload serves and announces.
type fakeTarget struct {
	mu       sync.Mutex
	cat      *course.Catalog
	version  uint64
	announce chan uint64
}

func newFakeTarget(cat *course.Catalog) *fakeTarget {
	return &fakeTarget{cat: cat, announce: make(chan uint64, 100)}
}

func (f *fakeTarget) Catalog() *course.Catalog {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cat
}

func (f *fakeTarget) SetCatalog(c *course.Catalog) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cat = c
}

func (f *fakeTarget) AnnounceReload() uint64 {
	f.mu.Lock()
	f.version++
	v := f.version
	f.mu.Unlock()
	f.announce <- v
	return v
}

const (
	reloadCourseYAML = "title: Demo\nmodules:\n  - title: Basics\n    lessons: [one, two]\n"
	reloadBroken     = "---\ntitle: Two\n---\n\n## Broken\n\n```exercise\nid: [unclosed\n```\n"
)

func reloadLesson(title, heading string) string {
	return "---\ntitle: " + title + "\n---\n\n## " + heading + "\n\nProse.\n"
}

// contentDir is a course folder with two valid lessons, and a loader for it.
func contentDir(t *testing.T) (string, devreload.LoadFunc) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "demo", "course.yaml"), reloadCourseYAML)
	writeFile(t, filepath.Join(dir, "demo", "01-one.md"), reloadLesson("One", "First"))
	writeFile(t, filepath.Join(dir, "demo", "02-two.md"), reloadLesson("Two", "Second"))
	md := markdown.New()
	return dir, func() (*course.Catalog, error) { return course.Load(os.DirFS(dir), md, nil) }
}

// servedHTML returns the HTML of lesson two as served, or "" if it is not.
func servedHTML(t *testing.T, cat *course.Catalog) string {
	t.Helper()
	c, ok := cat.Course("demo")
	if !ok {
		return ""
	}
	l, ok := c.Lesson("two")
	if !ok {
		return ""
	}
	return string(l.HTML)
}

func TestReload(t *testing.T) {
	dir, load := contentDir(t)
	first, err := load()
	if err != nil {
		t.Fatal(err)
	}
	target := newFakeTarget(first)
	lesson := filepath.Join(dir, "demo", "02-two.md")

	writeFile(t, lesson, reloadLesson("Two", "Edited"))
	if err := devreload.Reload(target, load, nil); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := servedHTML(t, target.Catalog()); !strings.Contains(got, "Edited") {
		t.Fatalf("after a valid edit lesson two is %q", got)
	}
	if v := <-target.announce; v != 1 {
		t.Errorf("first reload announced version %d, want 1", v)
	}

	writeFile(t, lesson, reloadBroken)
	if err := devreload.Reload(target, load, nil); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	cat := target.Catalog()
	if got := servedHTML(t, cat); !strings.Contains(got, "Edited") {
		t.Fatalf("after breaking lesson two it is served as %q, want the last good version", got)
	}
	if len(cat.Problems) == 0 || cat.Problems[0].Path != "demo/02-two.md" || cat.Problems[0].Line == 0 {
		t.Errorf("problems %v, want one at demo/02-two.md with a line", cat.Problems)
	}
	<-target.announce

	// A failed load leaves the content as it was and announces nothing.
	before := target.Catalog()
	failing := func() (*course.Catalog, error) { return nil, errors.New("disk on fire") }
	if err := devreload.Reload(target, failing, nil); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Errorf("Reload with a failing load = %v, want its error", err)
	}
	if target.Catalog() != before {
		t.Errorf("a failed load changed the content served")
	}
	select {
	case v := <-target.announce:
		t.Errorf("a failed load announced version %d", v)
	default:
	}

	writeFile(t, lesson, reloadLesson("Two", "Fixed"))
	if err := devreload.Reload(target, load, nil); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if got := servedHTML(t, target.Catalog()); !strings.Contains(got, "Fixed") {
		t.Fatalf("after the fix lesson two is %q", got)
	}
	if ps := target.Catalog().Problems; len(ps) != 0 {
		t.Errorf("after the fix: problems %v", ps)
	}
}

func TestStart(t *testing.T) {
	dir, load := contentDir(t)
	first, err := load()
	if err != nil {
		t.Fatal(err)
	}
	target := newFakeTarget(first)
	stop, err := devreload.Start(dir, testQuiet, target, load, nil)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer stop()

	writeFile(t, filepath.Join(dir, "demo", "02-two.md"), reloadLesson("Two", "Watched edit"))
	select {
	case <-target.announce:
	case <-time.After(callTimeout):
		t.Fatalf("no reload within %s of an edit", callTimeout)
	}
	if got := servedHTML(t, target.Catalog()); !strings.Contains(got, "Watched edit") {
		t.Errorf("after the edit lesson two is %q", got)
	}

	stop()
	writeFile(t, filepath.Join(dir, "demo", "02-two.md"), reloadLesson("Two", "After stop"))
	select {
	case v := <-target.announce:
		t.Errorf("reload (version %d) after stop", v)
	case <-time.After(calmPeriod):
	}
}

func TestStartMissingFolder(t *testing.T) {
	_, err := devreload.Start(filepath.Join(t.TempDir(), "nope"), 0, newFakeTarget(nil), nil, nil)
	if err == nil {
		t.Fatalf("Start on a missing folder: no error")
	}
}
