package main

// A learner solves the first exercise of lesson 11 in real Chromium: starts
// the sandbox from the card, types the reference solution into the
// console, watches the checks tick live, presses Check and sees the
// progress bar move; a reload still shows the card passed. Uses the tab,
// collector and screenshot conventions of browser_test.go.

import (
	"bytes"
	"fmt"
	"github.com/opslab/opslab/internal/course"
	"image/png"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/opslab/opslab/internal/markdown"
)

// labScreenshotPath is where OPSLAB_UPDATE_SCREENSHOT=1 writes the picture
// of the exercise card with its console in use, relative to this package.
var labScreenshotPath = filepath.Join("..", "..", "docs", "screenshot-lab.png")

// onePassedRE matches the progress text of a learner with one passed exercise.
var onePassedRE = regexp.MustCompile(` · 1 of \d+ exercises passed$`)

// cardState is what the test reads from one exercise card.
type cardState struct {
	Found    bool     `json:"found"`
	Checks   []string `json:"checks"` // "pending", "ok" or "fail" per li.check
	State    string   `json:"state"`
	StateCls string   `json:"stateCls"`
	Status   string   `json:"status"`
	Passed   bool     `json:"passed"`
	Replies  []string `json:"replies"`
	Echoes   []string `json:"echoes"`
	Input    string   `json:"input"`
	Bar      float64  `json:"bar"`
	BarText  string   `json:"barText"`
}

// readCard returns the JavaScript that reads the card selected by sel.
func readCard(sel string) string {
	return fmt.Sprintf(`(() => {
  const card = document.querySelector(%q);
  if (!card) return {found: false};
  const q = s => card.querySelector(s);
  const text = el => el ? el.textContent : "";
  const bar = document.querySelector("progress[data-role=progress-bar]");
  return {
    found: true,
    checks: Array.from(card.querySelectorAll("[data-role=checks] li.check")).map(li =>
      ["ok", "fail", "pending"].find(c => li.classList.contains(c)) || "none"),
    state: text(q("[data-role=lab-state]")).trim(),
    stateCls: q("[data-role=lab-state]") ? q("[data-role=lab-state]").className : "",
    status: text(q("[data-role=status]")).trim(),
    passed: card.classList.contains("passed"),
    replies: Array.from(card.querySelectorAll("[data-role=console-output] .console-reply, [data-role=console-output] .console-error")).map(text),
    echoes: Array.from(card.querySelectorAll("[data-role=console-output] .console-echo")).map(text),
    input: q("[data-role=console-input]") ? q("[data-role=console-input]").value : "",
    bar: bar ? bar.value : -1,
    barText: text(document.querySelector("[data-role=progress-text]")).trim(),
  };
})()`, sel)
}

func (b *browserTab) card(sel string) cardState {
	b.t.Helper()
	s := evalIn[cardState](b, "read the exercise card", readCard(sel))
	if !s.Found {
		b.fatalf("no exercise card matches %s", sel)
	}
	return s
}

// typeCommand types one console line and Enter, waits for its reply, and
// returns it.
func (b *browserTab) typeCommand(card, line string) string {
	b.t.Helper()
	n := len(b.card(card).Replies)
	b.do("type "+line, chromedp.SendKeys(chromedp.CSS(card+" [data-role=console-input]"), line+kb.Enter))
	b.waitFor("the reply to "+line, fmt.Sprintf(`document.querySelectorAll(%q).length > %d`,
		card+" [data-role=console-output] .console-reply, "+card+" [data-role=console-output] .console-error", n))
	s := b.card(card)
	if got, want := s.Echoes[len(s.Echoes)-1], "127.0.0.1:6379> "+line+"\n"; got != want {
		b.t.Errorf("the console echoed %q, want %q", got, want)
	}
	return s.Replies[len(s.Replies)-1]
}

func TestBrowserLab(t *testing.T) {
	execPath := chromiumPath(t)
	labRequireTool(t, "redis-server")

	// The exercise and its reference solution, from the lesson file as the
	// server loads it.
	_, lesson := builtInLesson11(t)
	ex := lesson.Exercises[0]
	// What redis-cli prints for each line of that solution.
	wantReply := map[string]string{
		"HSET user:42 name ada email ada@example.com plan pro": "(integer) 3\n",
		"UNLINK user:42:name user:42:email user:42:plan":       "(integer) 3\n",
		"OBJECT ENCODING user:42":                              "\"listpack\"\n",
	}
	if ex.ID != builtinRedisEx || ex.Sandbox != "redis" || len(ex.Solution) == 0 {
		t.Fatalf("the first exercise of lesson 11 is %s (%s sandbox), want the redis exercise %s", ex.ID, ex.Sandbox, builtinRedisEx)
	}
	for _, line := range ex.Solution {
		if _, ok := wantReply[line]; !ok {
			t.Fatalf("lesson 11 changed: the solution line %q has no expected reply in this test", line)
		}
	}

	srv := startLabServer(t)
	base := srv.URL()
	lessonURL := base + lessonPath(e2eCourse, e2eLesson)
	b := newBrowser(t, execPath, "lab browser")

	// Sign up, then open lesson 11.
	if st := b.navigate(base + "/register"); st != 200 {
		b.fatalf("GET /register answered %d", st)
	}
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "lab.learner@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "lab-learner-password"),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
	if st := b.navigate(lessonURL); st != 200 {
		b.fatalf("GET %s answered %d", lessonURL, st)
	}
	if u := b.location(); u.Path != lessonPath(e2eCourse, e2eLesson) {
		b.fatalf("the lesson led to %s: is the sign-up signed in?", u)
	}
	first := evalIn[string](b, "find the first card", `(document.querySelector(".lesson-body section.exercise") || {dataset: {}}).dataset.exercise || ""`)
	if first != ex.ID {
		b.fatalf("the first exercise card is %q, want %q", first, ex.ID)
	}
	card := fmt.Sprintf("section.exercise[data-exercise=%q]", ex.ID)
	b.waitFor("the lab controls", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=start]"))
	b.do("scroll the card into view", chromedp.ScrollIntoView(chromedp.CSS(card)))

	before := b.card(card)
	if len(before.Checks) != len(ex.Checks) {
		b.fatalf("the card lists %d checks, the exercise has %d", len(before.Checks), len(ex.Checks))
	}
	for i, c := range before.Checks {
		if c != "pending" {
			t.Errorf("check %d is %q before the sandbox started, want pending", i+1, c)
		}
	}
	if before.Status != "" || before.Passed || before.Bar < 0 {
		t.Errorf("new learner's card: status %q, passed %v, progress bar %v; want no status and a bar", before.Status, before.Passed, before.Bar)
	}
	t.Logf("before: progress bar %v (%q)", before.Bar, before.BarText)

	// Start: the state says ready.
	b.do("click Start", chromedp.Click(chromedp.CSS(card+" [data-role=start]"), chromedp.NodeVisible))
	b.waitFor("the sandbox to be ready", fmt.Sprintf(`(el => el && el.classList.contains("ready") && el.textContent.startsWith("Sandbox ready"))(document.querySelector(%q))`,
		card+" [data-role=lab-state]"))
	t.Logf("lab state after Start: %q", b.card(card).State)

	// The solution, typed line by line: each reply is redis-cli's, and the
	// checks tick without pressing Check.
	for _, line := range ex.Solution {
		if got := b.typeCommand(card, line); got != wantReply[line] {
			t.Errorf("console reply to %q = %q, want %q", line, got, wantReply[line])
		}
	}
	b.waitFor("every check to tick live", fmt.Sprintf(`(cs => cs.length === %d && cs.every(li => li.classList.contains("ok")))(Array.from(document.querySelectorAll(%q)))`,
		len(ex.Checks), card+" [data-role=checks] li.check"))

	// Check: all passed, the card says so, the bar moves.
	b.do("click Check", chromedp.Click(chromedp.CSS(card+" [data-role=check]"), chromedp.NodeVisible))
	b.waitFor(`the state "All checks passed"`, fmt.Sprintf(`(document.querySelector(%q) || {}).textContent === "All checks passed"`, card+" [data-role=lab-state]"))
	b.waitFor("the progress bar to increase", fmt.Sprintf(`document.querySelector("progress[data-role=progress-bar]").value > %v`, before.Bar))
	after := b.card(card)
	if after.Status != "✓ Passed" || !after.Passed {
		t.Errorf("after Check the card status is %q (class passed %v), want %q", after.Status, after.Passed, "✓ Passed")
	}
	if !strings.HasPrefix(after.BarText, fmt.Sprintf("%v%% · ", after.Bar)) || !onePassedRE.MatchString(after.BarText) {
		t.Errorf("progress text %q does not match the bar %v and one passed exercise", after.BarText, after.Bar)
	}
	t.Logf("after Check: progress bar %v (%q)", after.Bar, after.BarText)

	// A refused command prints redis-cli's error; ↑ recalls the history.
	const refused = "CONFIG SET dir /tmp"
	if got := b.typeCommand(card, refused); !strings.HasPrefix(got, "(error) ") {
		t.Errorf("console reply to %q = %q, want an (error) line", refused, got)
	}
	input := chromedp.CSS(card + " [data-role=console-input]")
	b.do("press ↑", chromedp.SendKeys(input, kb.ArrowUp))
	if got := b.card(card).Input; got != refused {
		t.Errorf("↑ put %q in the console input, want the previous command %q", got, refused)
	}
	b.do("press ↑ again", chromedp.SendKeys(input, kb.ArrowUp))
	if got, want := b.card(card).Input, ex.Solution[len(ex.Solution)-1]; got != want {
		t.Errorf("↑↑ put %q in the console input, want %q", got, want)
	}
	b.do("press ↓", chromedp.SendKeys(input, kb.ArrowDown))
	if got := b.card(card).Input; got != refused {
		t.Errorf("↓ put %q in the console input, want %q back", got, refused)
	}
	if s := b.card(card); s.Status != "✓ Passed" || slicesCount(s.Checks, "ok") != len(ex.Checks) {
		t.Errorf("after the refused command the card shows %q with checks %q; want it still passed", s.Status, s.Checks)
	}

	// The card with its console in use.
	writeScreenshot(t, takeCardScreenshot(b, card), "screenshot-lab.png", labScreenshotPath)

	// A reload shows what the server stored: the card passed, the same bar.
	b.do("reload the lesson", chromedp.Reload())
	b.waitFor("the card to be marked passed after reload", fmt.Sprintf(
		`(c => c && c.classList.contains("passed") && c.querySelector("[data-role=status]").textContent.trim() === "✓ Passed")(document.querySelector(%q))`, card))
	if re := b.card(card); re.Bar != after.Bar || re.BarText != after.BarText {
		t.Errorf("after reload the bar is %v (%q), the check had shown %v (%q)", re.Bar, re.BarText, after.Bar, after.BarText)
	}

	b.assertClean()
}

// slicesCount counts the elements of s equal to v.
func slicesCount(s []string, v string) int {
	n := 0
	for _, x := range s {
		if x == v {
			n++
		}
	}
	return n
}

// takeCardScreenshot captures one element, checked to be a non-empty PNG.
func takeCardScreenshot(b *browserTab, sel string) []byte {
	b.t.Helper()
	b.waitFor("fonts and layout to settle", `document.readyState === "complete" && (!document.fonts || document.fonts.status === "loaded")`)
	ctx, cancel := b.stepContext()
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.CSS(sel)))
	if err != nil {
		b.fatalf("screenshot of %s: %v", sel, err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		b.fatalf("screenshot of %s is not a PNG: %v", sel, err)
	}
	if sz := img.Bounds().Size(); sz.X < 300 || sz.Y < 200 {
		b.t.Errorf("screenshot of %s is %dx%d, want a whole card", sel, sz.X, sz.Y)
	}
	return shot
}

// builtInLesson11 is lesson 11 of the built-in course and its course, as
// the server loads them; the lesson has exercises.
func builtInLesson11(t *testing.T) (*course.Course, *course.Lesson) {
	t.Helper()
	cat, err := loadContent("", markdown.New())
	if err != nil {
		t.Fatalf("load the built-in course: %v", err)
	}
	co, ok := cat.Course(e2eCourse)
	if !ok {
		t.Fatalf("the built-in content has no course %s", e2eCourse)
	}
	lesson, ok := co.Lesson(e2eLesson)
	if !ok || len(lesson.Exercises) == 0 {
		t.Fatalf("course %s has no lesson %s with exercises", e2eCourse, e2eLesson)
	}
	return co, lesson
}
