package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

const dashPassword = "correct-horse-1"

// dashCourse writes a course into fsys: one lesson per entry of
// exercises, lesson-NN titled "Lesson NN", holding that many Redis
// exercises ex-N titled "Exercise N of lesson NN", each with two checks.
func dashCourse(fsys fstest.MapFS, slug, title string, exercises []int) {
	var slugs []string
	for i, n := range exercises {
		num := fmt.Sprintf("%02d", i+1)
		ls := "lesson-" + num
		slugs = append(slugs, ls)
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: Lesson %s\n---\n\nSome reading for lesson %s.\n", num, num)
		for e := 1; e <= n; e++ {
			fmt.Fprintf(&b, "\n## Part %d\n\n```exercise\nid: ex-%d\ntitle: Exercise %d of lesson %s\nsandbox: redis\n"+
				"task: Set k%d to v.\nhints:\n  - Use SET.\n  - SET k%d v\nsetup:\n  - DEL k%d\nsolution:\n  - SET k%d v\nchecks:\n"+
				"  - redis: GET k%d\n    equals: v\n    message: k%d must hold v.\n"+
				"  - redis: EXISTS k%d\n    equals: 1\n    message: k%d must exist.\n```\n", e, e, e, num, e, e, e, e, e, e, e, e)
		}
		fsys[fmt.Sprintf("%s/%s-%s.md", slug, num, ls)] = &fstest.MapFile{Data: []byte(b.String())}
	}
	fsys[slug+"/course.yaml"] = &fstest.MapFile{Data: []byte(fmt.Sprintf(
		"title: %s\nsummary: For dashboard tests.\nmodules:\n  - title: All\n    lessons: [%s]\n", title, strings.Join(slugs, ", ")))}
}

// dashSite is a real router over a real SQLite file with the dashboard
// store, and the stores to seed activity with.
type dashSite struct {
	*testSite
	db       *sqlite.DB
	teams    *sqlite.TeamService
	progress *sqlite.ProgressService
	attempts *sqlite.AttemptService
	cat      *course.Catalog
}

func newDashSite(tb testing.TB, fsys fstest.MapFS) *dashSite {
	tb.Helper()
	db := dbkit.Open(tb)
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	s := &dashSite{db: db, teams: sqlite.NewTeamService(db), progress: sqlite.NewProgressService(db),
		attempts: sqlite.NewAttemptService(db)}
	srv, err := server.New(server.Config{
		Users:      users,
		Teams:      s.teams,
		Progress:   s.progress,
		Dashboard:  sqlite.NewDashboardService(db),
		SessionKey: bytes.Repeat([]byte("k"), 32),
	})
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := course.Load(fsys, markdown.New(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	if len(cat.Problems) > 0 {
		tb.Fatalf("test content has problems: %v", cat.Problems)
	}
	srv.SetCatalog(cat)
	s.cat = cat
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	s.testSite = &testSite{Server: ts, srv: srv, users: users}
	return s
}

// addUser creates a user in the team (its lead for RoleLead; none for "").
func (s *dashSite) addUser(tb testing.TB, email, name string, role opslab.Role, teamSlug string) *opslab.User {
	tb.Helper()
	u, err := s.users.CreateUser(context.Background(), opslab.NewUser{Email: email, Name: name, Password: dashPassword, Role: role, Team: teamSlug})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// signIn returns a client signed in as email.
func (s *dashSite) signIn(tb testing.TB, email string) *client {
	tb.Helper()
	c := s.client(tb)
	if st, _, body := c.do("POST", "/api/login", `{"email":"`+email+`","password":"`+dashPassword+`"}`); st != 200 {
		tb.Fatalf("login %s: %d %s", email, st, body)
	}
	return c
}

// attempt records a check attempt; no failed checks is a pass.
func (s *dashSite) attempt(tb testing.TB, u *opslab.User, courseSlug, lesson, exercise string, failed ...string) {
	tb.Helper()
	_, err := s.attempts.RecordAttempt(context.Background(), opslab.Attempt{UserID: u.ID, Course: courseSlug, Lesson: lesson,
		Exercise: exercise, ContentHash: "h", Passed: len(failed) == 0, FailedChecks: failed, Kind: opslab.AttemptCheck})
	if err != nil {
		tb.Fatal(err)
	}
}

func (s *dashSite) must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// teamFixture is team "ops" (display name "Ops"): lead lea; learners ann
// (stuck on lesson 02's first exercise, with an HTML-looking name and
// check message), bob (lesson 01 done, lesson 02 passed) and cid (no
// activity); ivy leads team "other"; adm is an admin; lou is a learner in
// no team.
type teamFixture struct {
	*dashSite
	lea, ann, bob, cid, ivy, adm, lou *opslab.User
}

const (
	annName     = "Ann <b>Stuck</b>"
	evilMessage = "expected v, got <script>alert(1)</script>"
)

func newTeamFixture(t *testing.T) *teamFixture {
	t.Helper()
	fsys := fstest.MapFS{}
	dashCourse(fsys, "ops", "Operating Redis", []int{0, 2, 1})
	dashCourse(fsys, "zz-extra", "Extra course", []int{1})
	f := &teamFixture{dashSite: newDashSite(t, fsys)}
	ctx := context.Background()
	// A team display name other than the slug.
	_, err := f.teams.CreateTeam(ctx, "ops", "Ops")
	f.must(t, err)
	f.lea = f.addUser(t, "lea@example.com", "Lea Lead", opslab.RoleLead, "ops")
	f.ann = f.addUser(t, "ann@example.com", annName, opslab.RoleLearner, "ops")
	f.bob = f.addUser(t, "bob@example.com", "Bob", opslab.RoleLearner, "ops")
	f.cid = f.addUser(t, "cid@example.com", "Cid", opslab.RoleLearner, "ops")
	f.ivy = f.addUser(t, "ivy@example.com", "Ivy", opslab.RoleLead, "other")
	f.adm = f.addUser(t, "adm@example.com", "Adm", opslab.RoleAdmin, "")
	f.lou = f.addUser(t, "lou@example.com", "Lou", opslab.RoleLearner, "")

	l2 := opslab.LessonKey{Course: "ops", Lesson: "lesson-02"}
	f.must(t, f.progress.RecordView(ctx, f.ann.ID, l2))
	f.must(t, f.progress.AddTimeSpent(ctx, f.ann.ID, l2, 3*time.Minute))
	for range 3 {
		f.attempt(t, f.ann, "ops", "lesson-02", "ex-1", "1: k1 must hold v.", "2: "+evilMessage)
	}
	f.attempt(t, f.ann, "ops", "lesson-02", "ex-2")
	f.must(t, f.attempts.RecordHintReveal(ctx, f.ann.ID, opslab.ExerciseKey{Course: "ops", Lesson: "lesson-02", Exercise: "ex-1"}, 0))
	f.must(t, f.attempts.RecordSolutionReveal(ctx, f.ann.ID, opslab.ExerciseKey{Course: "ops", Lesson: "lesson-02", Exercise: "ex-1"}))

	f.must(t, f.progress.MarkCompleted(ctx, f.bob.ID, opslab.LessonKey{Course: "ops", Lesson: "lesson-01"}, true))
	f.must(t, f.progress.RecordView(ctx, f.bob.ID, l2))
	f.attempt(t, f.bob, "ops", "lesson-02", "ex-1", "1: k1 must hold v.")
	f.attempt(t, f.bob, "ops", "lesson-02", "ex-1")
	f.attempt(t, f.bob, "ops", "lesson-02", "ex-2")
	// Activity of others that must not show: the lead's own, a learner of
	// no team.
	f.attempt(t, f.lea, "ops", "lesson-02", "ex-1", "1: lead's failure")
	f.attempt(t, f.lou, "ops", "lesson-02", "ex-1", "1: lou's failure")
	return f
}

func TestTeamDashboardAccess(t *testing.T) {
	f := newTeamFixture(t)
	anon := f.client(t)
	lea, ann, ivy, adm := f.signIn(t, "lea@example.com"), f.signIn(t, "ann@example.com"), f.signIn(t, "ivy@example.com"), f.signIn(t, "adm@example.com")
	learnerPath := fmt.Sprintf("/teams/ops/learners/%d", f.ann.ID)
	apiLearnerPath := fmt.Sprintf("/api/teams/ops/learners/%d", f.ann.ID)
	for _, tc := range []struct {
		name   string
		c      *client
		path   string
		status int
	}{
		{"AnonPage", anon, "/teams/ops", 303},
		{"AnonLearnerPage", anon, learnerPath, 303},
		{"AnonAPI", anon, "/api/teams/ops/dashboard", 401},
		{"AnonLearnerAPI", anon, apiLearnerPath, 401},
		{"LearnerPage", ann, "/teams/ops", 403},
		{"LearnerAPI", ann, "/api/teams/ops/dashboard", 403},
		{"LearnerOwnDetail", ann, learnerPath, 403},
		{"LearnerOwnDetailAPI", ann, apiLearnerPath, 403},
		{"OtherLeadPage", ivy, "/teams/ops", 403},
		{"OtherLeadAPI", ivy, "/api/teams/ops/dashboard", 403},
		{"OtherLeadDetail", ivy, learnerPath, 403},
		{"LeadPage", lea, "/teams/ops", 200},
		{"LeadAPI", lea, "/api/teams/ops/dashboard", 200},
		{"LeadDetail", lea, learnerPath, 200},
		{"LeadDetailAPI", lea, apiLearnerPath, 200},
		{"AdminPage", adm, "/teams/ops", 200},
		{"AdminAPI", adm, "/api/teams/ops/dashboard", 200},
		{"AdminDetail", adm, learnerPath, 200},
		// An unknown team: 403 for a lead (names do not leak), 404 for an admin.
		{"LeadUnknownTeam", lea, "/teams/nope", 403},
		{"LeadUnknownTeamAPI", lea, "/api/teams/nope/dashboard", 403},
		{"AdminUnknownTeam", adm, "/teams/nope", 404},
		{"AdminUnknownTeamAPI", adm, "/api/teams/nope/dashboard", 404},
		// The detail of anyone but a learner of the team: 404.
		{"DetailOfLead", lea, fmt.Sprintf("/teams/ops/learners/%d", f.lea.ID), 404},
		{"DetailOfOtherTeam", lea, fmt.Sprintf("/teams/ops/learners/%d", f.ivy.ID), 404},
		{"DetailOfNoTeam", lea, fmt.Sprintf("/api/teams/ops/learners/%d", f.lou.ID), 404},
		{"DetailOfUnknown", adm, "/teams/ops/learners/99999", 404},
		{"DetailNotANumber", lea, "/api/teams/ops/learners/ann", 404},
		{"DetailNegative", lea, "/teams/ops/learners/-1", 404},
		{"UnknownCourse", lea, "/teams/ops?course=nope", 404},
		{"UnknownCourseAPI", lea, "/api/teams/ops/dashboard?course=nope", 404},
		{"OtherCourse", lea, "/teams/ops?course=zz-extra", 200},
		{"BadSort", lea, "/teams/ops?sort=password", 400},
		{"BadSortAPI", lea, "/api/teams/ops/dashboard?sort=name&dir=sideways", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := tc.c.do("GET", tc.path, "")
			if st != tc.status {
				t.Fatalf("GET %s: %d, want %d: %.300s", tc.path, st, tc.status, body)
			}
			switch {
			case st == 303:
				if loc := h.Get("Location"); !strings.HasPrefix(loc, "/login?next=") {
					t.Errorf("redirect to %q, want the sign-in page", loc)
				}
			case strings.HasPrefix(tc.path, "/api/") && st != 200:
				errorOf(t, body)
			case st != 200 && !strings.Contains(body, "error-page"):
				t.Errorf("a %d without the error page: %.300s", st, body)
			}
		})
	}
}

func TestTeamDashboardUnavailable(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	c.register("ada@example.com")
	if st, _, body := c.do("GET", "/api/teams/ops/dashboard", ""); st != 503 {
		t.Fatalf("without a dashboard store: %d %s", st, body)
	}
}

// styleAttr finds a style attribute, which the CSP would refuse.
var styleAttr = regexp.MustCompile(`(?i)<[^>]+\sstyle\s*=`)

func TestTeamDashboardPage(t *testing.T) {
	f := newTeamFixture(t)
	lea := f.signIn(t, "lea@example.com")
	st, _, page := lea.do("GET", "/teams/ops", "")
	if st != 200 {
		t.Fatalf("dashboard: %d %.300s", st, page)
	}
	if loc := styleAttr.FindString(page); loc != "" {
		t.Errorf("the page has a style attribute: %q", loc)
	}
	if strings.Contains(page, "<b>Stuck</b>") || strings.Contains(page, "<script>alert") {
		t.Errorf("user-written text is not escaped")
	}
	escapedName := "Ann &lt;b&gt;Stuck&lt;/b&gt;"
	for _, want := range []string{
		"<h1>Ops", "Operating Redis",
		// The stuck list names ann, the exercise and the failing check.
		`data-role="stuck-learner"`, escapedName, `<span data-role="stuck-exercise">Exercise 1 of lesson 02</span>`,
		"3 failed checks, no pass yet", "expected v, got &lt;script&gt;alert(1)&lt;/script&gt;",
		fmt.Sprintf(`href="/teams/ops/learners/%d?course=ops"`, f.ann.ID),
		// The heatmap: an SVG with one stuck cell, marked and titled.
		`<svg class="heatmap" data-role="heatmap"`, `role="img"`, `<rect class="hm hm-stuck"`,
		escapedName + " — Lesson 02: Stuck</title>", `<text class="hm-mark"`,
		"Bob — Lesson 01: Done</title>", "Bob — Lesson 02: Done</title>", "Cid — Lesson 03: Not started</title>",
		`<ul class="hm-legend"`, `id="hm-hatch"`,
		// The same as a table.
		`<table class="hm-table"`, "<caption>Lesson status per learner", `<th scope="col">Learner</th>`, `<th scope="row">`,
		`<td class="hm-stuck">Stuck</td>`,
		// The learners table, sortable.
		`<table class="learner-table" data-role="sortable">`, `data-sort-key="failed-checks"`,
		`href="/teams/ops?course=ops&amp;dir=desc&amp;sort=failed-checks#learners"`,
		// Failures per exercise.
		`data-role="failures"`, "Exercise 1 of lesson 02", "check 1, 4×:",
		// The chart.
		`data-role="completion-chart"`, `class="chart-line"`, "Lessons completed</text>", "Day (UTC)",
		// The page's script, from this origin.
		`<script src="/static/`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	// Only ann is stuck; lea's and lou's failures are not the team's.
	if n := strings.Count(page, `data-role="stuck-learner"`); n != 1 {
		t.Errorf("%d stuck learners, want 1", n)
	}
	if n := strings.Count(page, `<rect class="hm hm-stuck" x=`); n != 1 {
		t.Errorf("%d stuck cells, want 1", n)
	}
	if strings.Contains(page, "lead&#39;s failure") || strings.Contains(page, "lou&#39;s failure") || strings.Contains(page, "Lea Lead —") {
		t.Errorf("the dashboard shows activity of someone not a learner of the team")
	}
	// Default order: ann (stuck) first, then by name.
	rows := regexp.MustCompile(`<th scope="row" data-sort-value="([^"]*)"`).FindAllStringSubmatch(page, -1)
	if len(rows) != 3 || !strings.HasPrefix(rows[0][1], "ann") || !strings.HasPrefix(rows[1][1], "bob") {
		t.Errorf("learner rows %q, want ann, bob, cid", rows)
	}

	t.Run("SortedByServer", func(t *testing.T) {
		_, _, page := lea.do("GET", "/teams/ops?sort=completion&dir=desc", "")
		if !strings.Contains(page, `aria-sort="descending" data-sort-key="completion"`) {
			t.Errorf("the completion header is not marked descending")
		}
		if n := strings.Count(page, "aria-sort="); n != 1 {
			t.Errorf("%d headers with aria-sort, want 1", n)
		}
		rows := regexp.MustCompile(`<th scope="row" data-sort-value="([^"]*)"`).FindAllStringSubmatch(page, -1)
		if len(rows) != 3 || !strings.HasPrefix(rows[0][1], "bob") {
			t.Errorf("rows by completion: %q, want bob first", rows)
		}
		// The header now links to the other direction.
		if !strings.Contains(page, `href="/teams/ops?course=ops&amp;dir=asc&amp;sort=completion#learners"`) {
			t.Errorf("the sorted header does not link to the ascending sort")
		}
	})

	t.Run("NoLearners", func(t *testing.T) {
		st, _, page := f.signIn(t, "ivy@example.com").do("GET", "/teams/other", "")
		if st != 200 || !strings.Contains(page, `data-role="no-learners"`) || !strings.Contains(page, "No activity yet.") ||
			!strings.Contains(page, "Nobody is stuck.") {
			t.Errorf("a team without learners: %d %.500s", st, page)
		}
	})

	t.Run("OtherCourse", func(t *testing.T) {
		_, _, page := lea.do("GET", "/teams/ops?course=zz-extra", "")
		for _, want := range []string{"Extra course", `<option value="zz-extra" selected>`, "Nobody is stuck."} {
			if !strings.Contains(page, want) {
				t.Errorf("the extra course's dashboard lacks %q", want)
			}
		}
	})
}

// dashboardAnswer is the part of GET /api/teams/{team}/dashboard the test reads.
type dashboardAnswer struct {
	Team     string
	TeamName string `json:"team_name"`
	Course   struct{ Slug, Title string }
	Courses  []struct{ Slug string }
	Rules    struct {
		FailedChecks int `json:"failed_checks"`
	} `json:"stuck_rules"`
	Lessons []struct {
		Slug      string
		Exercises []struct{ ID string }
	}
	Learners []struct {
		ID                int64
		Email, Name       string
		CompletionPercent int        `json:"completion_percent"`
		CompletedLessons  int        `json:"completed_lessons"`
		TotalLessons      int        `json:"total_lessons"`
		FailedChecks      int        `json:"failed_checks"`
		HintsUsed         int        `json:"hints_used"`
		LastActivity      *time.Time `json:"last_activity"`
		Stuck             []struct {
			Lesson, Reason string
			Exercise       *string
			FailedChecks   int `json:"failed_checks"`
			Check          *struct {
				Check    int
				Message  string
				Failures int
			}
		}
		Lessons []struct{ Lesson, Status string }
	}
	Exercises []struct {
		Lesson, Exercise string
		FailedChecks     int `json:"failed_checks"`
		FailingLearners  int `json:"failing_learners"`
		StillFailing     int `json:"still_failing"`
		Checks           []struct {
			Check    int
			Message  string
			Failures int
		}
	}
	Completion []struct {
		Date             string
		Completed, Total int
	}
}

func TestTeamDashboardAPI(t *testing.T) {
	f := newTeamFixture(t)
	lea := f.signIn(t, "lea@example.com")
	st, h, body := lea.do("GET", "/api/teams/ops/dashboard", "")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Fatalf("dashboard API: %d %s", st, body)
	}
	var d dashboardAnswer
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("decode: %v\n%s", err, body)
	}
	if d.Team != "ops" || d.TeamName != "Ops" || d.Course.Slug != "ops" || len(d.Courses) != 2 || d.Rules.FailedChecks != 3 {
		t.Errorf("header: %+v", d)
	}
	if len(d.Lessons) != 3 || len(d.Lessons[1].Exercises) != 2 || d.Lessons[1].Exercises[0].ID != "ex-1" {
		t.Errorf("lessons: %+v", d.Lessons)
	}
	if len(d.Learners) != 3 {
		t.Fatalf("learners: %+v", d.Learners)
	}
	ann, bob, cid := d.Learners[0], d.Learners[1], d.Learners[2]
	if ann.Name != annName || ann.FailedChecks != 3 || ann.HintsUsed != 1 || ann.LastActivity == nil || len(ann.Stuck) != 1 {
		t.Errorf("ann: %+v", ann)
	} else if s := ann.Stuck[0]; s.Lesson != "lesson-02" || s.Reason != "failures" || s.Exercise == nil || *s.Exercise != "ex-1" ||
		s.FailedChecks != 3 || s.Check == nil || s.Check.Check != 1 || s.Check.Failures != 3 {
		t.Errorf("ann stuck on %+v", s)
	}
	statuses := func(ls []struct{ Lesson, Status string }) string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Status)
		}
		return strings.Join(out, " ")
	}
	if got := statuses(ann.Lessons); got != "not-started stuck not-started" {
		t.Errorf("ann's statuses: %s", got)
	}
	if got := statuses(bob.Lessons); got != "done done not-started" || bob.CompletedLessons != 2 || bob.CompletionPercent != 66 || bob.TotalLessons != 3 {
		t.Errorf("bob: %s, %+v", got, bob)
	}
	if got := statuses(cid.Lessons); got != "not-started not-started not-started" || cid.LastActivity != nil {
		t.Errorf("cid: %s, %+v", got, cid)
	}
	if len(d.Exercises) != 1 {
		t.Fatalf("exercises with failures: %+v", d.Exercises)
	}
	if e := d.Exercises[0]; e.Exercise != "ex-1" || e.FailedChecks != 4 || e.FailingLearners != 2 || e.StillFailing != 1 ||
		len(e.Checks) != 2 || e.Checks[0].Check != 1 || e.Checks[0].Failures != 4 || e.Checks[1].Message != evilMessage {
		t.Errorf("ex-1 failures: %+v", e)
	}
	if n := len(d.Completion); n != 1 || d.Completion[0].Total != 2 || d.Completion[0].Date != time.Now().UTC().Format("2006-01-02") {
		t.Errorf("completion: %+v", d.Completion)
	}

	t.Run("Sorted", func(t *testing.T) {
		_, _, body := lea.do("GET", "/api/teams/ops/dashboard?sort=name&dir=desc", "")
		var d dashboardAnswer
		if err := json.Unmarshal([]byte(body), &d); err != nil || len(d.Learners) != 3 || d.Learners[0].Name != "Cid" || d.Learners[2].Name != annName {
			t.Errorf("sorted by name, descending: %v %+v", err, d.Learners)
		}
	})
}

func TestTeamLearnerDetail(t *testing.T) {
	f := newTeamFixture(t)
	lea := f.signIn(t, "lea@example.com")

	t.Run("Page", func(t *testing.T) {
		st, _, page := lea.do("GET", fmt.Sprintf("/teams/ops/learners/%d", f.ann.ID), "")
		if st != 200 {
			t.Fatalf("detail: %d %.300s", st, page)
		}
		if loc := styleAttr.FindString(page); loc != "" {
			t.Errorf("the page has a style attribute: %q", loc)
		}
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>Stuck</b>") {
			t.Errorf("user-written text is not escaped")
		}
		for _, want := range []string{
			"Ann &lt;b&gt;Stuck&lt;/b&gt;", "ann@example.com", `href="/teams/ops?course=ops"`,
			`data-role="learner-stuck"`, "Exercise 1 of lesson 02",
			`data-role="failed-checks"`, "Check 1: k1 must hold v.", "Check 2: expected v, got &lt;script&gt;alert(1)&lt;/script&gt;",
			`data-role="hints"`, "hint 1 at", `data-role="solutions"`, "Solution revealed:",
			"not passed · 3 failed checks", "Exercise 2 of lesson 02 <span class=\"meta\">passed ",
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the page lacks %q", want)
			}
		}
		if n := strings.Count(page, `class="attempt attempt-failed"`); n != 3 {
			t.Errorf("%d failed attempts listed, want 3", n)
		}
	})

	t.Run("API", func(t *testing.T) {
		st, _, body := lea.do("GET", fmt.Sprintf("/api/teams/ops/learners/%d", f.ann.ID), "")
		if st != 200 {
			t.Fatalf("detail API: %d %s", st, body)
		}
		var d struct {
			Team    string
			Learner struct {
				ID    int64
				Name  string
				Stuck []struct{ Lesson string }
			}
			Lessons []struct {
				Lesson, Status string
				Exercises      []struct {
					ID       string
					PassedAt *time.Time `json:"passed_at"`
					Attempts []struct {
						Kind         string
						Passed       bool
						FailedChecks []struct {
							Check   int
							Message string
						} `json:"failed_checks"`
					}
					Hints           []struct{ Hint int }
					SolutionReveals []time.Time `json:"solution_reveals"`
				}
			}
		}
		if err := json.Unmarshal([]byte(body), &d); err != nil {
			t.Fatalf("decode: %v\n%s", err, body)
		}
		if d.Team != "ops" || d.Learner.ID != f.ann.ID || d.Learner.Name != annName || len(d.Learner.Stuck) != 1 || len(d.Lessons) != 3 {
			t.Fatalf("detail: %+v", d)
		}
		l2 := d.Lessons[1]
		if l2.Status != "stuck" || len(l2.Exercises) != 2 {
			t.Fatalf("lesson 02: %+v", l2)
		}
		ex1, ex2 := l2.Exercises[0], l2.Exercises[1]
		if ex1.PassedAt != nil || len(ex1.Attempts) != 3 || ex1.Attempts[0].Kind != "check" || ex1.Attempts[0].Passed ||
			len(ex1.Attempts[0].FailedChecks) != 2 || ex1.Attempts[0].FailedChecks[1].Check != 2 || ex1.Attempts[0].FailedChecks[1].Message != evilMessage ||
			len(ex1.Hints) != 1 || ex1.Hints[0].Hint != 1 || len(ex1.SolutionReveals) != 1 {
			t.Errorf("ex-1: %+v", ex1)
		}
		if ex2.PassedAt == nil || len(ex2.Attempts) != 1 || !ex2.Attempts[0].Passed || ex2.Attempts[0].FailedChecks == nil {
			t.Errorf("ex-2: %+v", ex2)
		}
	})
}

// TestTeamLearnerDetailCommands: a failed check's kept commands (console
// and terminal) show on the learner detail, escaped, and in its JSON; a
// learner does not see another's.
func TestTeamLearnerDetailCommands(t *testing.T) {
	f := newTeamFixture(t)
	_, err := f.attempts.RecordAttempt(context.Background(), opslab.Attempt{UserID: f.ann.ID, Course: "ops", Lesson: "lesson-02",
		Exercise: "ex-1", ContentHash: "h", FailedChecks: []string{"1: k1 must hold v."}, Kind: opslab.AttemptCheck,
		Commands: []string{"SET k1 <script>alert(1)</script>", "$ redis-cli -h redis GET k1 | head"}})
	f.must(t, err)
	lea := f.signIn(t, "lea@example.com")
	st, _, page := lea.do("GET", fmt.Sprintf("/teams/ops/learners/%d", f.ann.ID), "")
	if st != 200 {
		t.Fatalf("detail: %d", st)
	}
	for _, want := range []string{`data-role="commands"`, "2 commands before this check",
		"SET k1 &lt;script&gt;alert(1)&lt;/script&gt;", "$ redis-cli -h redis GET k1 | head"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("a kept command is not escaped")
	}
	st, _, body := lea.do("GET", fmt.Sprintf("/api/teams/ops/learners/%d", f.ann.ID), "")
	if st != 200 || !strings.Contains(body, `"commands":["SET k1 \u003cscript\u003ealert(1)\u003c/script\u003e","$ redis-cli -h redis GET k1 | head"]`) {
		t.Fatalf("detail API: %d %s", st, body)
	}
	bob := f.signIn(t, "bob@example.com")
	if st, _, _ := bob.do("GET", fmt.Sprintf("/api/teams/ops/learners/%d", f.ann.ID), ""); st != 403 && st != 404 {
		t.Fatalf("a learner reads another's commands: %d", st)
	}
}
