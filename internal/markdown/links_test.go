package markdown_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
)

// TestParseLessonReferences checks that every link and image is reported
// with the file line it is on, wherever it sits in the Markdown, and that
// the anchors are the ids the HTML gives headings and exercise cards.
func TestParseLessonReferences(t *testing.T) {
	body := strings.Join([]string{
		"## Consumer groups", // line 10
		"",
		"Read [streams](12-streams.md) first,", // 12
		"then [the lag](/courses/c/lessons/lag#lag).",
		"A link with no text: [](#consumer-groups) and",
		"[](01-next.md) at the start of a line.", // 15
		"",
		"| a | b |",
		"| - | - |",
		"| [`code`](#x) | ![diagram](img/d.svg) |", // 19
		"",
		"- [ ] a task with [**bold** text](http://example.com)", // 21
		"",
		"![](img/empty-alt.png)", // 23
		"",
		"## Consumer groups", // 25: a second heading with the same id
		"",
		"```exercise",
		"id: demo",
		"title: Demo",
		"sandbox: redis",
		"task: t",
		"solution:",
		"  - SET k v",
		"checks:",
		"  - redis: GET k",
		"    equals: v",
		"```",
	}, "\n") + "\n"
	r, ps := markdown.New().ParseLesson("c/11-x.md", []byte(body), 10, nil)
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	type ref struct {
		target string
		line   int
	}
	var links, images []ref
	for _, l := range r.Links {
		links = append(links, ref{l.Target, l.Line})
	}
	for _, l := range r.Images {
		images = append(images, ref{l.Target, l.Line})
	}
	wantLinks := []ref{
		{"12-streams.md", 12},
		{"/courses/c/lessons/lag#lag", 13},
		{"#consumer-groups", 14},
		{"01-next.md", 15},
		{"#x", 19},
		{"http://example.com", 21},
	}
	wantImages := []ref{{"img/d.svg", 19}, {"img/empty-alt.png", 23}}
	if !slices.Equal(links, wantLinks) {
		t.Errorf("links:\n got %v\nwant %v", links, wantLinks)
	}
	if !slices.Equal(images, wantImages) {
		t.Errorf("images:\n got %v\nwant %v", images, wantImages)
	}
	wantAnchors := []string{"consumer-groups", "consumer-groups-1", "exercise-demo"}
	if !slices.Equal(r.Anchors, wantAnchors) {
		t.Errorf("anchors = %v, want %v", r.Anchors, wantAnchors)
	}
	for _, a := range wantAnchors {
		if !strings.Contains(string(r.HTML), `id="`+a+`"`) {
			t.Errorf("the HTML has no element with id %q", a)
		}
	}
	if r.Links[0].Href != "12-streams.md" {
		t.Errorf("href of the first link = %q", r.Links[0].Href)
	}
}

// TestParseLessonFileLinksLeadToPages loads a clean course and checks that a
// link written to a lesson file leads to that lesson's page.
func TestParseLessonFileLinksLeadToPages(t *testing.T) {
	cat, err := course.Load(os.DirFS("../course/testdata/lint/valid"), markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) > 0 {
		t.Fatalf("problems: %v", cat.Problems)
	}
	c, _ := cat.Course("demo")
	basics, ok := c.Lesson("basics")
	if !ok {
		t.Fatal("lesson basics not served")
	}
	html := string(basics.HTML)
	for _, want := range []string{
		`href="/courses/demo/lessons/persistence"`,
		`href="/courses/demo/lessons/persistence#rdb-snapshots"`,
		`href="/courses/demo/lessons/persistence#aof"`,
		`href="#counters"`,
		`href="https://redis.io/docs/"`,
		`<img src="/courses/demo/files/img/fork.svg"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML lacks %s", want)
		}
	}
	if strings.Contains(html, "02-persistence.md") {
		t.Error("a link still names the lesson file")
	}
	persistence, _ := c.Lesson("persistence")
	if !strings.Contains(string(persistence.HTML), `href="/courses/demo/lessons/basics#counters"`) {
		t.Errorf("the link back was not rewritten:\n%s", persistence.HTML)
	}
}

// TestLinkProblemsDropTheLesson: a lesson whose link leads nowhere is not
// served, like any lesson with a problem; the lesson it links from is.
func TestLinkProblemsDropTheLesson(t *testing.T) {
	cat, err := course.Load(os.DirFS("../course/testdata/lint/broken-lesson-link"), markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := cat.Course("demo")
	if _, ok := c.Lesson("basics"); ok {
		t.Error("the lesson with broken links is served")
	}
	p, ok := c.Lesson("persistence")
	if !ok {
		t.Fatal("the valid lesson is not served")
	}
	for _, m := range c.Modules {
		for _, l := range m.Lessons {
			if l.Slug == "basics" {
				t.Errorf("module %q lists the dropped lesson", m.Title)
			}
		}
	}
	// It links to a lesson that has problems but exists: that is no
	// problem of its own, and the link still leads to the page.
	if !strings.Contains(string(p.HTML), `href="/courses/demo/lessons/basics"`) {
		t.Errorf("link to a lesson with problems not rewritten:\n%s", p.HTML)
	}
}
