package server_test

import (
	"context"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
)

// standing is a learner's status on each lesson of the course, in course
// order, and their completion percentage, as one view shows them.
type standing struct {
	statuses []string
	percent  int
}

func (s standing) String() string { return fmt.Sprintf("%v %d%%", s.statuses, s.percent) }

// TestLeadAndLearnerViewsAgree builds a team whose learners are in every
// status (through the real stores and a real SQLite file) and reads each
// learner's lesson statuses and completion percentage from the five views:
// the dashboard page, its JSON, the CSV export, the learner detail page
// (and its JSON) and the learner's own course page (and /api/me/progress).
// All must say the same, and what they say is fixed here.
func TestLeadAndLearnerViewsAgree(t *testing.T) {
	// lesson-01 and lesson-04 have no exercise, lesson-02 has ex-1,
	// lesson-03 has ex-1, ex-2 and ex-3.
	fsys := fstest.MapFS{}
	dashCourse(fsys, "agree", "Agreement", []int{0, 1, 3, 0})
	site := newTeamsSiteFS(t, fsys, func(c *server.Config, db *sqlite.DB) {
		c.Dashboard = sqlite.NewDashboardService(db)
	})
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	lesson := func(slug string) opslab.LessonKey { return opslab.LessonKey{Course: "agree", Lesson: slug} }
	attempt := func(u *opslab.User, lesson, exercise string, failed ...string) {
		t.Helper()
		site.clk.Add(time.Minute)
		_, err := site.attempts.RecordAttempt(ctx, opslab.Attempt{UserID: u.ID, Course: "agree", Lesson: lesson, Exercise: exercise,
			ContentHash: "h", Passed: len(failed) == 0, FailedChecks: failed, Kind: opslab.AttemptCheck})
		must(err)
	}

	site.user(t, "lea@example.com", "Lea Lead", opslab.RoleLead, "ops")
	nora := site.user(t, "nora@example.com", "Nora", opslab.RoleLearner, "ops")
	ivan := site.user(t, "ivan@example.com", "Ivan", opslab.RoleLearner, "ops")
	stan := site.user(t, "stan@example.com", "Stan", opslab.RoleLearner, "ops")
	dora := site.user(t, "dora@example.com", "Dora", opslab.RoleLearner, "ops")
	pat := site.user(t, "pat@example.com", "Pat", opslab.RoleLearner, "ops")

	// Nora: nothing at all.
	// Ivan: opened lesson-01; one failed check on lesson-02 and a hint on
	// lesson-03, neither lesson opened.
	must(site.progress.RecordView(ctx, ivan.ID, lesson("lesson-01")))
	attempt(ivan, "lesson-02", "ex-1", "1: k1 must hold v.")
	must(site.attempts.RecordHintReveal(ctx, ivan.ID, opslab.ExerciseKey{Course: "agree", Lesson: "lesson-03", Exercise: "ex-2"}, 0))
	// Stan: four failed checks on lesson-02, never opened (the export used
	// to call that "not started"); one of the three exercises of lesson-03
	// passed: a quarter of a lesson of four, 6.25%.
	for range 4 {
		attempt(stan, "lesson-02", "ex-1", "1: k1 must hold v.", "2: k1 must exist.")
	}
	attempt(stan, "lesson-03", "ex-1")
	// Dora: everything.
	must(site.progress.MarkCompleted(ctx, dora.ID, lesson("lesson-01"), true))
	attempt(dora, "lesson-02", "ex-1", "1: k1 must hold v.")
	attempt(dora, "lesson-02", "ex-1")
	for _, ex := range []string{"ex-1", "ex-2", "ex-3"} {
		attempt(dora, "lesson-03", ex)
	}
	must(site.progress.MarkCompleted(ctx, dora.ID, lesson("lesson-04"), true))
	// Pat: lesson-01 done; lesson-03 marked read with two of its three
	// exercises passed (3 steps of 4). 1.75 lessons of 4 is 43.75%: 43,
	// rounded down (44 rounded to the nearest; counting only completed
	// lessons, 25).
	must(site.progress.MarkCompleted(ctx, pat.ID, lesson("lesson-01"), true))
	must(site.progress.RecordView(ctx, pat.ID, lesson("lesson-03")))
	attempt(pat, "lesson-03", "ex-1")
	attempt(pat, "lesson-03", "ex-2")
	must(site.progress.MarkCompleted(ctx, pat.ID, lesson("lesson-03"), true))

	const (
		ns   = "not-started"
		ip   = "in-progress"
		st   = "stuck"
		done = "done"
	)
	learners := []*opslab.User{nora, ivan, stan, dora, pat}
	want := map[string]standing{
		"nora@example.com": {[]string{ns, ns, ns, ns}, 0},
		"ivan@example.com": {[]string{ip, ip, ip, ns}, 0},
		"stan@example.com": {[]string{ns, st, ip, ns}, 6},
		"dora@example.com": {[]string{done, done, done, done}, 100},
		"pat@example.com":  {[]string{done, ns, ip, ns}, 43},
	}
	lessons := []string{"lesson-01", "lesson-02", "lesson-03", "lesson-04"}
	lead := site.signIn(t, "lea@example.com")
	views := map[string]map[string]standing{} // view → email → standing

	// 1. The dashboard page: the heatmap's table and the learners table.
	status, _, page := lead.do("GET", "/teams/ops?course=agree", "")
	tmWant(t, "dashboard page", 200, status, page)
	views["dashboard page"] = dashboardPageStandings(t, page, learners)

	// 2. Its JSON.
	status, _, body := lead.do("GET", "/api/teams/ops/dashboard?course=agree", "")
	tmWant(t, "dashboard JSON", 200, status, body)
	var dash struct {
		Learners []struct {
			Email             string
			CompletionPercent int `json:"completion_percent"`
			Lessons           []struct{ Lesson, Status string }
		}
	}
	tmJSON(t, body, &dash)
	views["dashboard JSON"] = map[string]standing{}
	for _, l := range dash.Learners {
		var s standing
		for i, c := range l.Lessons {
			if c.Lesson != lessons[i] {
				t.Fatalf("dashboard JSON: lesson %d is %q", i, c.Lesson)
			}
			s.statuses = append(s.statuses, c.Status)
		}
		s.percent = l.CompletionPercent
		views["dashboard JSON"][l.Email] = s
	}

	// 3. The CSV export.
	status, _, body = lead.do("GET", "/teams/ops/progress.csv", "")
	tmWant(t, "CSV", 200, status, body)
	rows := readCSV(t, body)
	if got := strings.Join(rows[0], ","); got != "email,name,lesson,status,passed exercises,attempts,time spent (seconds),completed at,course,course completion (%)" {
		t.Fatalf("CSV header %q", got)
	}
	views["CSV"] = map[string]standing{}
	for _, r := range rows[1:] {
		s := views["CSV"][r[0]]
		if r[2] != lessons[len(s.statuses)] || r[8] != "agree" {
			t.Fatalf("CSV row %q out of order", r)
		}
		s.statuses = append(s.statuses, r[3])
		p, err := strconv.Atoi(r[9])
		if err != nil || (len(s.statuses) > 1 && p != s.percent) {
			t.Errorf("CSV row %q: percentage %q, and %d on the learner's other rows", r, r[9], s.percent)
		}
		s.percent = p
		views["CSV"][r[0]] = s
	}

	// 4. The learner detail page and its JSON.
	views["learner detail page"] = map[string]standing{}
	views["learner detail JSON"] = map[string]standing{}
	for _, u := range learners {
		path := "/teams/ops/learners/" + strconv.FormatInt(u.ID, 10) + "?course=agree"
		status, _, page := lead.do("GET", path, "")
		tmWant(t, "learner page of "+u.Email, 200, status, page)
		s := standing{statuses: dataStatuses(t, page, "learner-lesson", lessons)}
		s.percent = dataPercent(t, page)
		views["learner detail page"][u.Email] = s

		status, _, body := lead.do("GET", "/api/"+strings.TrimPrefix(path, "/"), "")
		tmWant(t, "learner JSON of "+u.Email, 200, status, body)
		var lj struct {
			Learner struct {
				CompletionPercent int `json:"completion_percent"`
				Lessons           []struct{ Status string }
			}
			Lessons []struct{ Lesson, Status string }
		}
		tmJSON(t, body, &lj)
		s = standing{percent: lj.Learner.CompletionPercent}
		for i, c := range lj.Lessons {
			if c.Status != lj.Learner.Lessons[i].Status {
				t.Errorf("learner JSON of %s: lesson %s is %s, and %s in the learner's row", u.Email, c.Lesson, c.Status, lj.Learner.Lessons[i].Status)
			}
			s.statuses = append(s.statuses, c.Status)
		}
		views["learner detail JSON"][u.Email] = s
	}

	// 5. The learner's own course page, and their own progress call.
	views["own course page"] = map[string]standing{}
	views["own progress JSON"] = map[string]standing{}
	for _, u := range learners {
		me := site.signIn(t, u.Email)
		status, _, page := me.do("GET", "/courses/agree", "")
		tmWant(t, "course page of "+u.Email, 200, status, page)
		s := standing{statuses: dataStatuses(t, page, "", lessons)}
		m := regexp.MustCompile(`<progress class="progress-bar" max="100" value="(\d+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("%s's course page has no progress bar", u.Email)
		}
		s.percent, _ = strconv.Atoi(m[1])
		views["own course page"][u.Email] = s

		status, _, body := me.do("GET", "/api/me/progress", "")
		tmWant(t, "own progress of "+u.Email, 200, status, body)
		var mp struct {
			Courses []struct {
				Slug    string
				Percent int
			}
		}
		tmJSON(t, body, &mp)
		if len(mp.Courses) != 1 || mp.Courses[0].Slug != "agree" {
			t.Fatalf("own progress of %s: %s", u.Email, body)
		}
		// The call has no statuses: the page's stand in.
		views["own progress JSON"][u.Email] = standing{statuses: s.statuses, percent: mp.Courses[0].Percent}
	}

	if len(views) != 7 {
		t.Fatalf("%d views read", len(views))
	}
	for view, got := range views {
		if len(got) != len(want) {
			t.Errorf("%s shows %d learners, want %d", view, len(got), len(want))
		}
		for email, w := range want {
			if g := got[email]; g.String() != w.String() {
				t.Errorf("%s: %s is %v, want %v", view, email, g, w)
			}
		}
	}
}

// dashboardPageStandings reads each learner's statuses from the heatmap's
// table and their percentage from the learners table.
func dashboardPageStandings(t *testing.T, page string, learners []*opslab.User) map[string]standing {
	t.Helper()
	out := map[string]standing{}
	cellRE := regexp.MustCompile(`<td class="hm-([a-z-]+)">`)
	for _, u := range learners {
		row := regexp.MustCompile(`<tr><th scope="row"><a href="[^"]*">` + regexp.QuoteMeta(u.Name) + `</a></th>(.*?)</tr>`).FindStringSubmatch(page)
		if row == nil {
			t.Fatalf("the heatmap's table has no row for %s", u.Name)
		}
		var s standing
		for _, m := range cellRE.FindAllStringSubmatch(row[1], -1) {
			s.statuses = append(s.statuses, m[1])
		}
		lr := regexp.MustCompile(`(?s)<tr[^>]*data-role="learner-row" data-email="` + regexp.QuoteMeta(u.Email) + `">.*?data-percent="(\d+)"`).FindStringSubmatch(page)
		if lr == nil {
			t.Fatalf("the learners table has no row for %s", u.Email)
		}
		s.percent, _ = strconv.Atoi(lr[1])
		out[u.Email] = s
	}
	return out
}

// dataStatuses reads the data-status of each element with data-lesson
// (and data-role, if role is not ""), and checks they come in the order of
// lessons.
func dataStatuses(t *testing.T, page, role string, lessons []string) []string {
	t.Helper()
	pat := `data-lesson="([^"]+)" data-status="([a-z-]+)"`
	if role != "" {
		pat = `data-role="` + role + `" ` + pat
	}
	var out []string
	for i, m := range regexp.MustCompile(pat).FindAllStringSubmatch(page, -1) {
		if i >= len(lessons) || html.UnescapeString(m[1]) != lessons[i] {
			t.Fatalf("lesson %d is %q, want the course's lessons %v", i, m[1], lessons)
		}
		out = append(out, m[2])
	}
	return out
}

// dataPercent reads the page's data-percent of its completion.
func dataPercent(t *testing.T, page string) int {
	t.Helper()
	m := regexp.MustCompile(`data-role="completion" data-percent="(\d+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("the page shows no completion percentage")
	}
	p, _ := strconv.Atoi(m[1])
	return p
}
