package main

// An instructor and a learner open lesson 11 in real Chromium. The
// instructor, added with "opslab user add --role instructor", sees an
// Instructor panel on every card with the reference solution, the checks
// and the statistics, presses Run solution on the first card and sees its
// checks tick; nothing is recorded as their progress. The learner gets no
// panel, and the solution is nowhere in their page. Uses the tab and
// collector conventions of browser_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// instructorPanel is what the test reads from one card's Instructor panel.
type instructorPanel struct {
	Panels   int      `json:"panels"` // Instructor panels on the page
	Cards    int      `json:"cards"`
	Solution string   `json:"solution"`
	Checks   []string `json:"checks"`
	Stats    string   `json:"stats"`
	RunState string   `json:"runState"`
	Console  string   `json:"console"`
	Ticks    []string `json:"ticks"` // "pending", "ok" or "fail" per li.check of the card
	Passed   bool     `json:"passed"`
}

func readInstructorPanel(card string) string {
	return fmt.Sprintf(`(() => {
  const card = document.querySelector(%q);
  const text = s => { const el = card && card.querySelector(s); return el ? el.textContent : ""; };
  return {
    panels: document.querySelectorAll("[data-role=instructor]").length,
    cards: document.querySelectorAll(".lesson-body section.exercise").length,
    solution: text("[data-role=instructor-solution]"),
    checks: card ? Array.from(card.querySelectorAll("[data-role=instructor-checks] li")).map(li => li.textContent) : [],
    stats: text("[data-role=instructor-stats]"),
    runState: text("[data-role=run-state]"),
    console: text("[data-role=console-output]"),
    ticks: card ? Array.from(card.querySelectorAll("[data-role=checks] li.check")).map(li =>
      ["ok", "fail", "pending"].find(c => li.classList.contains(c)) || "none") : [],
    passed: !!card && card.classList.contains("passed"),
  };
})()`, card)
}

func TestBrowserInstructor(t *testing.T) {
	execPath := chromiumPath(t)
	labRequireTool(t, "redis-server")

	_, lesson := builtInLesson11(t)
	ex := lesson.Exercises[0]
	if ex.Sandbox != "redis" || len(ex.Solution) == 0 {
		t.Fatalf("the first exercise of lesson 11, %s, is not a Redis exercise with a solution", ex.ID)
	}

	// The instructor account, added before the server starts, as an
	// operator would.
	data := t.TempDir()
	scratch, err := sandboxScratchDir(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(scratch) })
	const (
		email    = "ivy.instructor@example.com"
		password = "instructor-password"
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	if err := Run(ctx, []string{"user", "add", "--data", data, "--email", email, "--name", "Ivy Instructor", "--role", "instructor"},
		strings.NewReader(password+"\n"), &out, &errOut); err != nil {
		t.Fatalf("opslab user add --role instructor: %v\nstderr:\n%s", err, errOut.String())
	}
	srv := startServerOn(t, data)
	lessonURL := srv.URL() + lessonPath(e2eCourse, e2eLesson)
	card := fmt.Sprintf("section.exercise[data-exercise=%q]", ex.ID)

	// The instructor signs in on the way to the lesson.
	b := newBrowser(t, execPath, "instructor browser")
	b.navigate(lessonURL)
	b.signInThroughForm(email, password)
	if u := b.location(); u.Path != lessonPath(e2eCourse, e2eLesson) {
		b.fatalf("sign-in led to %s, want back to the lesson", u)
	}
	b.waitFor("the instructor panel with the solution", fmt.Sprintf(`(document.querySelector(%q) || {}).textContent === %q`,
		card+" [data-role=instructor-solution]", strings.Join(ex.Solution, "\n")))
	p := evalIn[instructorPanel](b, "read the instructor panel", readInstructorPanel(card))
	t.Logf("instructor panel: %d checks, stats %q", len(p.Checks), p.Stats)
	if len(p.Checks) != len(ex.Checks) {
		t.Errorf("the panel lists %d checks, the exercise has %d", len(p.Checks), len(ex.Checks))
	}
	for i, c := range ex.Checks {
		if i < len(p.Checks) && (!strings.Contains(p.Checks[i], c.Probe.Command) || !strings.Contains(p.Checks[i], c.Message)) {
			t.Errorf("panel check %d reads %q, want the probe %q and the message %q", i+1, p.Checks[i], c.Probe.Command, c.Message)
		}
	}
	if p.Stats != "No learner has tried this exercise yet." {
		t.Errorf("statistics on a new server read %q", p.Stats)
	}
	b.waitFor("a panel on every card", `document.querySelectorAll("[data-role=instructor]").length === document.querySelectorAll(".lesson-body section.exercise").length`)

	// Run solution: the solution lands in the console and the checks tick.
	b.do("scroll the card into view", chromedp.ScrollIntoView(chromedp.CSS(card)))
	b.do("click Run solution", chromedp.Click(chromedp.CSS(card+" [data-role=run-solution]"), chromedp.NodeVisible))
	b.waitFor("every check to tick after Run solution", fmt.Sprintf(`(cs => cs.length === %d && cs.every(li => li.classList.contains("ok")))(Array.from(document.querySelectorAll(%q)))`,
		len(ex.Checks), card+" [data-role=checks] li.check"))
	p = evalIn[instructorPanel](b, "read the card after Run solution", readInstructorPanel(card))
	t.Logf("after Run solution: %q; console:\n%s", p.RunState, p.Console)
	if !strings.Contains(p.Console, "# solution applied\n") {
		t.Errorf("the console shows %q, want # solution applied", p.Console)
	}
	for _, line := range ex.Solution {
		if !strings.Contains(p.Console, line+"\n") {
			t.Errorf("the console does not show the solution line %q", line)
		}
	}
	if p.RunState != "Solution applied: all checks pass (not recorded)" || p.Passed {
		t.Errorf("after Run solution the state reads %q and the card is passed: %v; want all checks, not recorded", p.RunState, p.Passed)
	}
	b.assertClean()

	// A learner: no panel, no solution anywhere in the page.
	l := newBrowser(t, execPath, "learner browser")
	if st := l.navigate(srv.URL() + "/register"); st != 200 {
		l.fatalf("GET /register answered %d", st)
	}
	l.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "lou.learner@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "learner-password"),
	)
	clickToNavigate(l, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
	if st := l.navigate(lessonURL); st != 200 {
		l.fatalf("GET %s answered %d", lessonURL, st)
	}
	l.waitFor("the lab to know the viewer is a learner", `document.querySelector(".lesson-layout").dataset.viewerRole === "learner"`)
	l.waitFor("the lab controls", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=start]"))
	lp := evalIn[instructorPanel](l, "read the learner's card", readInstructorPanel(card))
	if lp.Panels != 0 || lp.Cards < 1 {
		t.Errorf("the learner's page has %d instructor panels on %d cards, want none", lp.Panels, lp.Cards)
	}
	html := evalIn[string](l, "read the learner's page", "document.documentElement.outerHTML")
	if strings.Contains(html, strings.Join(ex.Solution, "\n")) {
		t.Errorf("the learner's page holds the reference solution")
	}
	for _, line := range ex.Solution {
		// A line the task or a hint quotes is the learner's to see.
		if strings.Contains(ex.Task, line) || strings.Contains(strings.Join(ex.Hints, "\n"), line) {
			continue
		}
		if strings.Contains(html, line) {
			t.Errorf("the learner's page holds the solution line %q", line)
		}
	}
	l.assertClean()
}
