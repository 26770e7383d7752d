package markdown_test

import (
	"os"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
)

func loadGood(t *testing.T) *course.Catalog {
	t.Helper()
	cat, err := course.Load(os.DirFS("testdata/good"), markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) > 0 {
		t.Fatalf("problems: %v", cat.Problems)
	}
	return cat
}

func TestParseLesson(t *testing.T) {
	cat := loadGood(t)
	c, ok := cat.Course("demo")
	if !ok {
		t.Fatal("course demo not loaded")
	}
	l, ok := c.Lesson("first")
	if !ok {
		t.Fatal("lesson first not loaded")
	}
	html := string(l.HTML)
	for _, want := range []string{
		`<h2 id="sorted-sets">Sorted sets <a class="anchor" href="#sorted-sets"`,
		`<table>`,
		`<pre class="chroma">`,
		`class="exercise"`,
		`data-sandbox="redis"`,
		`<strong>alice</strong>`,
		`Hint 2 of 2`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("rendered lesson lacks %q", want)
		}
	}
	if strings.Contains(html, "<script>") {
		t.Error("raw HTML passed through")
	}
	if len(l.TOC) != 2 || l.TOC[0].ID != "sorted-sets" || l.TOC[1].Level != 3 {
		t.Errorf("TOC = %+v", l.TOC)
	}
	if len(l.Exercises) != 1 || l.Exercises[0].Line != 21 {
		t.Fatalf("exercises = %d, line %d", len(l.Exercises), l.Exercises[0].Line)
	}
	ex := l.Exercises[0]
	if ex.Checks[0].Line != 35 || ex.Checks[0].Message == "" || ex.Hash == "" {
		t.Errorf("check = %+v", ex.Checks[0])
	}
	if l.ReadingTime().Minutes() != 5 {
		t.Errorf("reading time = %v", l.ReadingTime())
	}
	prev, next := c.Neighbours(l)
	if prev != nil || next == nil || next.Slug != "second" {
		t.Errorf("neighbours = %v, %v", prev, next)
	}
}
