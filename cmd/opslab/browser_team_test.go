package main

// A team lead reads the team dashboard in real Chromium. The lead and three
// learners are added with "opslab user add --team"; through the lab API
// one learner fails the first exercise of lesson 11 over and over (a real
// Redis sandbox: needs redis-server), another passes it. The lead signs in
// on the way to /teams/{team}, finds the stuck learner first in the stuck
// list with the exercise named, the learner's heatmap cell marked stuck
// (class, hatch and "!"), sorts the learners table by clicking a heading,
// and opens the learner's detail, where the failed check's message is.
// Uses the tab and collector conventions of browser_test.go.

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

// teamDashboardFacts is what the test reads from the dashboard page.
type teamDashboardFacts struct {
	Heatmaps    int      `json:"heatmaps"`
	Rows        int      `json:"rows"`
	Columns     int      `json:"columns"`
	StuckNames  []string `json:"stuckNames"`
	StuckWhat   []string `json:"stuckWhat"`
	StuckCells  []string `json:"stuckCells"` // titles of the cells with the stuck class
	StuckMarks  int      `json:"stuckMarks"`
	StuckFill   string   `json:"stuckFill"`  // computed fill of a stuck cell
	OtherFills  []string `json:"otherFills"` // of the in-progress and not-started cells
	TableCells  int      `json:"tableCells"`
	TableHeads  int      `json:"tableHeads"`
	Caption     string   `json:"caption"`
	ChartLine   bool     `json:"chartLine"`
	Styles      int      `json:"styles"` // elements with a style attribute
	LearnerRows []string `json:"learnerRows"`
	AriaSort    []string `json:"ariaSort"`
}

const readTeamDashboard = `(() => {
  const all = (s, root) => Array.from((root || document).querySelectorAll(s));
  const text = el => el ? el.textContent.trim().replace(/\s+/g, " ") : "";
  const svg = document.querySelector("svg[data-role=heatmap]");
  const stuck = svg ? all("rect.hm-stuck", svg) : [];
  const others = svg ? ["rect.hm-in-progress", "rect.hm-not-started"].map(s => svg.querySelector(s)).filter(Boolean) : [];
  const table = document.querySelector("table[data-role=heatmap-table]");
  return {
    heatmaps: all("svg[data-role=heatmap]").length,
    rows: svg ? all("g.hm-row", svg).length : 0,
    columns: svg ? all(".hm-head text", svg).length : 0,
    stuckNames: all("[data-role=stuck-learner] .stuck-name").map(text),
    stuckWhat: all("[data-role=stuck-learner] .stuck-items li").map(text),
    stuckCells: stuck.map(r => text(r.querySelector("title"))),
    stuckMarks: svg ? all("text.hm-mark", svg).length : 0,
    stuckFill: stuck.length ? getComputedStyle(stuck[0]).fill : "",
    otherFills: others.map(r => getComputedStyle(r).fill),
    tableCells: table ? all("tbody td", table).length : 0,
    tableHeads: table ? all("th[scope]", table).length : 0,
    caption: text(table && table.caption),
    chartLine: !!document.querySelector("svg[data-role=completion-chart] path.chart-line"),
    styles: all("[style]").length,
    learnerRows: all("table[data-role=sortable] tbody th[scope=row] a").map(text),
    ariaSort: all("table[data-role=sortable] thead th").map(th => (th.getAttribute("aria-sort") || "") + ":" + text(th)),
  };
})()`

func TestBrowserTeamDashboard(t *testing.T) {
	execPath := chromiumPath(t)
	labRequireTool(t, "redis-server")

	co, lesson := builtInLesson11(t)
	ex := lesson.Exercises[0]
	if ex.Sandbox != "redis" {
		t.Fatalf("lesson %s does not start with a Redis exercise", e2eLesson)
	}

	// The team, as an operator makes it.
	data := t.TempDir()
	scratch, err := sandboxScratchDir(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(scratch) })
	const (
		team     = "platform"
		password = "team-password-1"
		stuckOne = "Stella <Stuck>"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	userAdd := func(email, name, role string) {
		t.Helper()
		var out, errOut bytes.Buffer
		args := []string{"user", "add", "--data", data, "--email", email, "--name", name, "--role", role, "--team", team}
		if err := Run(ctx, args, strings.NewReader(password+"\n"), &out, &errOut); err != nil {
			t.Fatalf("opslab %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
	}
	userAdd("lena.lead@example.com", "Lena Lead", "lead")
	userAdd("stella@example.com", stuckOne, "learner")
	userAdd("paul@example.com", "Paul Passer", "learner")
	userAdd("ida@example.com", "Ida Idle", "learner")
	srv := startServerOn(t, data)
	base := srv.URL()
	exPath := exercisePath(e2eCourse, e2eLesson, ex.ID)

	// Stella opens the lesson and presses Check three times without doing
	// the task: three failed checks, no pass.
	stella := newAPIClient(t, base)
	stella.login("stella@example.com", password)
	if st, body := stella.do("GET", lessonPath(e2eCourse, e2eLesson), nil); st != 200 {
		t.Fatalf("stella opens lesson 11: %d %.300s", st, body)
	}
	stella.labStart(exPath)
	var failed string
	for i := range 3 {
		rep := stella.labCheck(exPath)
		if rep.Passed {
			t.Fatalf("check %d passed before the task was done", i+1)
		}
		for _, c := range rep.Checks {
			if !c.Passed && failed == "" {
				failed = c.Message
			}
		}
	}
	stella.labStop(exPath)
	if failed == "" {
		t.Fatal("the failed checks carry no message")
	}
	// Paul does it: the solution, then Check.
	paul := newAPIClient(t, base)
	paul.login("paul@example.com", password)
	paul.labStart(exPath)
	for _, line := range ex.Solution {
		paul.labExec(exPath, line)
	}
	if rep := paul.labCheck(exPath); !rep.Passed {
		t.Fatalf("paul's check after the solution failed: %+v", rep)
	}
	paul.labStop(exPath)

	// The lead signs in on the way to the dashboard.
	b := newBrowser(t, execPath, "lead browser")
	dashPath := "/teams/" + team
	b.navigate(base + dashPath)
	b.signInThroughForm("lena.lead@example.com", password)
	if u := b.location(); u.Path != dashPath {
		b.fatalf("sign-in led to %s, want back to %s", u, dashPath)
	}
	b.waitFor("the heatmap", `!!document.querySelector("svg[data-role=heatmap]")`)
	f := evalIn[teamDashboardFacts](b, "read the dashboard", readTeamDashboard)
	t.Logf("dashboard: %d heatmap rows × %d columns, stuck %q on %q, stuck cells %q (fill %s), learners %q",
		f.Rows, f.Columns, f.StuckNames, f.StuckWhat, f.StuckCells, f.StuckFill, f.LearnerRows)

	lessons := len(co.Lessons)
	if f.Heatmaps != 1 || f.Rows != 3 || f.Columns != lessons {
		t.Errorf("heatmap: %d SVGs with %d rows and %d columns, want 1 with 3 learners × %d lessons", f.Heatmaps, f.Rows, f.Columns, lessons)
	}
	if len(f.StuckNames) != 1 || f.StuckNames[0] != stuckOne {
		t.Errorf("the stuck list names %q, want only %q", f.StuckNames, stuckOne)
	}
	if len(f.StuckWhat) != 1 || !strings.Contains(f.StuckWhat[0], lesson.Title) || !strings.Contains(f.StuckWhat[0], ex.Title) ||
		!strings.Contains(f.StuckWhat[0], "3 failed checks") {
		t.Errorf("stuck on %q, want %q › %q with 3 failed checks", f.StuckWhat, lesson.Title, ex.Title)
	}
	if want := stuckOne + " — " + lesson.Title + ": Stuck"; len(f.StuckCells) != 1 || f.StuckCells[0] != want || f.StuckMarks != 1 {
		t.Errorf("stuck cells %q with %d marks, want one titled %q, marked", f.StuckCells, f.StuckMarks, want)
	}
	if !strings.Contains(f.StuckFill, "#hm-hatch") || len(f.OtherFills) != 2 || f.OtherFills[0] == f.StuckFill || f.OtherFills[1] == f.StuckFill {
		t.Errorf("a stuck cell is filled with %q, in-progress and not-started ones with %q: want the hatch pattern on stuck cells only", f.StuckFill, f.OtherFills)
	}
	if f.TableCells != 3*lessons || f.TableHeads != lessons+1+3 || !strings.HasPrefix(f.Caption, "Lesson status per learner") {
		t.Errorf("the heatmap table has %d cells, %d scoped headings and caption %q", f.TableCells, f.TableHeads, f.Caption)
	}
	if !f.ChartLine {
		t.Errorf("no completion chart")
	}
	if f.Styles != 0 {
		t.Errorf("%d elements have a style attribute", f.Styles)
	}
	if len(f.LearnerRows) != 3 || f.LearnerRows[0] != stuckOne {
		t.Errorf("learners table rows %q, want the stuck learner first", f.LearnerRows)
	}

	// Sort by failed checks in the page: aria-sort follows, and so does the
	// address, without a reload.
	sortBy := func(label string) {
		t.Helper()
		b.do("click the heading "+label, chromedp.Click(chromedp.Search(fmt.Sprintf(`//table[@data-role="sortable"]//th/a[normalize-space(.)=%q]`, label)), chromedp.NodeVisible))
	}
	sortBy("Failed checks")
	b.waitFor("aria-sort on Failed checks", `(document.querySelector("table[data-role=sortable] th[data-sort-key=failed-checks]") || {getAttribute: () => ""}).getAttribute("aria-sort") === "descending"`)
	f = evalIn[teamDashboardFacts](b, "read the sorted table", readTeamDashboard)
	if f.LearnerRows[0] != stuckOne || !strings.Contains(b.location().RawQuery, "sort=failed-checks") {
		t.Errorf("sorted by failed checks: rows %q at %s", f.LearnerRows, b.location())
	}
	sortBy("Learner")
	b.waitFor("aria-sort on Learner", `document.querySelector("table[data-role=sortable] th[data-sort-key=name]").getAttribute("aria-sort") === "ascending"`)
	f = evalIn[teamDashboardFacts](b, "read the table sorted by name", readTeamDashboard)
	if want := []string{"Ida Idle", "Paul Passer", stuckOne}; strings.Join(f.LearnerRows, "|") != strings.Join(want, "|") {
		t.Errorf("sorted by name: %q, want %q", f.LearnerRows, want)
	}
	if n := strings.Count(strings.Join(f.AriaSort, "|"), "ascending:") + strings.Count(strings.Join(f.AriaSort, "|"), "descending:"); n != 1 {
		t.Errorf("headings %q: want exactly one with aria-sort", f.AriaSort)
	}

	// The stuck learner's detail: the failed check's message.
	clickToNavigate(b, "open the stuck learner", chromedp.CSS("[data-role=stuck-learner] a.stuck-name"))
	if p := b.location().Path; !strings.HasPrefix(p, dashPath+"/learners/") {
		b.fatalf("the stuck learner's link led to %s", p)
	}
	detail := evalIn[struct {
		Heading string   `json:"heading"`
		Failed  []string `json:"failed"`
		Stuck   string   `json:"stuck"`
	}](b, "read the learner detail", fmt.Sprintf(`(() => {
  const text = el => el ? el.textContent.trim().replace(/\s+/g, " ") : "";
  const card = document.querySelector(%q);
  return {
    heading: text(document.querySelector("h1")),
    failed: card ? Array.from(card.querySelectorAll("[data-role=failed-checks] li")).map(text) : [],
    stuck: text(document.querySelector("[data-role=learner-stuck]")),
  };
})()`, fmt.Sprintf(`[data-role=learner-exercise][data-exercise="%s"]`, ex.ID)))
	t.Logf("detail: %q, stuck %q, failed checks %q", detail.Heading, detail.Stuck, detail.Failed)
	if !strings.HasPrefix(detail.Heading, stuckOne) || !strings.Contains(detail.Stuck, ex.Title) {
		t.Errorf("the detail page reads %q, stuck %q", detail.Heading, detail.Stuck)
	}
	found := 0
	for _, msg := range detail.Failed {
		if strings.HasSuffix(msg, ": "+failed) && strings.HasPrefix(msg, "Check ") {
			found++
		}
	}
	if found != 3 {
		t.Errorf("the failed message %q shows %d times in %q, want once per failed check", failed, found, detail.Failed)
	}
	b.assertClean()
}
