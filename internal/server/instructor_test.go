package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/lab/labhttp"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/internal/testkit/dbkit"
	"github.com/opslab/opslab/internal/testkit/sandboxkit"
)

// instructorContent is one course with one lesson holding a Redis exercise
// with two checks.
var instructorContent = fstest.MapFS{
	"ops/course.yaml": {Data: []byte("title: Ops course\nsummary: For instructor tests.\nmodules:\n  - title: Basics\n    lessons: [sets]\n")},
	"ops/01-sets.md": {Data: []byte("---\ntitle: Sets\n---\n\n## Boards\n\n```exercise\n" + `id: board
title: Build a board
sandbox: redis
task: Add alice and bob to board.
setup:
  - DEL board
solution:
  - ZADD board 1 alice 2 bob
checks:
  - redis: TYPE board
    equals: zset
    message: board must be a sorted set.
  - redis: ZCARD board
    equals: 2
    message: board must hold two members.
` + "```\n")},
}

const (
	instrLesson   = "/api/courses/ops/lessons/sets"
	instrExercise = instrLesson + "/exercises/board"
	instrPassword = "correct-horse-1"
)

// instructorSite is a real router over a real SQLite file with the stats
// store, and a real lab when asked for.
type instructorSite struct {
	*testSite
	attempts *sqlite.AttemptService
}

func newInstructorSite(t *testing.T, withLab bool) *instructorSite {
	t.Helper()
	db := dbkit.Open(t)
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	attempts := sqlite.NewAttemptService(db)
	cfg := server.Config{
		Users:      users,
		Teams:      sqlite.NewTeamService(db),
		Progress:   sqlite.NewProgressService(db),
		Stats:      sqlite.NewStatsService(db),
		SessionKey: bytes.Repeat([]byte("k"), 32),
		SignupOpen: true,
	}
	if withLab {
		cfg.Labs = labhttp.New(newRealLab(t, db, attempts))
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := course.Load(instructorContent, markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Problems) > 0 {
		t.Fatalf("test content has problems: %v", cat.Problems)
	}
	srv.SetCatalog(cat)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &instructorSite{testSite: &testSite{Server: ts, srv: srv, users: users}, attempts: attempts}
}

// newRealLab is a lab over real Redis processes; without redis-server the
// test is skipped, except in CI, where it fails.
func newRealLab(t *testing.T, db *sqlite.DB, attempts *sqlite.AttemptService) *lab.Service {
	t.Helper()
	testkit.RequireTool(t, "redis-server", "install Debian's redis-server package (make deps-test)")
	mgr, _ := sandboxkit.ProcessManager(t, db, process.Options{}, sandbox.Config{})
	svc, err := lab.New(lab.Config{Sandboxes: mgr, Attempts: attempts})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// addUser creates a user with a role through the store and returns a
// client signed in as them.
func (s *instructorSite) addUser(t *testing.T, email string, role opslab.Role) (*client, *opslab.User) {
	t.Helper()
	n := opslab.NewUser{Email: email, Name: "Name of " + email, Password: instrPassword, Role: role}
	if role == opslab.RoleLead {
		n.Team = "ops-team"
	}
	u, err := s.users.CreateUser(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	c := s.client(t)
	if st, _, body := c.do("POST", "/api/login", `{"email":"`+email+`","password":"`+instrPassword+`"}`); st != 200 {
		t.Fatalf("login %s: %d %s", email, st, body)
	}
	return c, u
}

// record stores an attempt at the board exercise; no failed checks is a pass.
func (s *instructorSite) record(t *testing.T, userID int64, hash string, failed ...string) {
	t.Helper()
	_, err := s.attempts.RecordAttempt(context.Background(), opslab.Attempt{UserID: userID, Course: "ops", Lesson: "sets",
		Exercise: "board", ContentHash: hash, Passed: len(failed) == 0, FailedChecks: failed, Kind: opslab.AttemptCheck})
	if err != nil {
		t.Fatal(err)
	}
}

// instructorView is the answer of GET …/instructor.
type instructorView struct {
	Exercise    string
	ContentHash string `json:"content_hash"`
	Setup       []string
	Solution    []string
	Checks      []struct {
		Probe    struct{ Kind, Command string }
		Field    string
		Matchers []struct {
			Name  string
			Value any
		}
		Message string
	}
	Stats *struct {
		Attempts   int
		Learners   int
		Passed     int
		PassRate   float64 `json:"pass_rate"`
		MostFailed *struct {
			Check    int
			Message  string
			Failures int
		} `json:"most_failed"`
	}
}

func TestInstructorView(t *testing.T) {
	site := newInstructorSite(t, false)
	instructor, ivy := site.addUser(t, "ivy@example.com", opslab.RoleInstructor)
	admin, _ := site.addUser(t, "root@example.com", opslab.RoleAdmin)
	learner, ann := site.addUser(t, "ann@example.com", opslab.RoleLearner)
	lead, _ := site.addUser(t, "lea@example.com", opslab.RoleLead)
	_, bob := site.addUser(t, "bob@example.com", opslab.RoleLearner)
	_, cat := site.addUser(t, "cat@example.com", opslab.RoleLearner)

	// Three learners attempt, one passes; check 2 fails most. The
	// instructor's own failures do not count.
	const msg1, msg2 = "1: board must be a sorted set.", "2: board must hold two members."
	site.record(t, ann.ID, "h", msg1, msg2)
	site.record(t, ann.ID, "h")
	site.record(t, bob.ID, "h", msg2)
	site.record(t, cat.ID, "h", msg2)
	for range 5 {
		site.record(t, ivy.ID, "h", msg1)
	}

	t.Run("OK", func(t *testing.T) {
		for _, c := range []*client{instructor, admin} {
			st, _, body := c.do("GET", instrExercise+"/instructor", "")
			if st != 200 {
				t.Fatalf("instructor view: %d %s", st, body)
			}
			for _, who := range []string{"ann@", "bob@", "cat@", "Name of"} {
				if strings.Contains(body, who) {
					t.Errorf("the statistics name a learner (%q): %s", who, body)
				}
			}
			var v instructorView
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatalf("instructor view: %v: %s", err, body)
			}
			if v.Exercise != "board" || v.ContentHash == "" || len(v.Setup) != 1 ||
				len(v.Solution) != 1 || v.Solution[0] != "ZADD board 1 alice 2 bob" {
				t.Errorf("instructor view: %s", body)
			}
			if len(v.Checks) != 2 {
				t.Fatalf("checks: %s", body)
			}
			c0, c1 := v.Checks[0], v.Checks[1]
			if c0.Probe.Kind != "redis" || c0.Probe.Command != "TYPE board" || c0.Message != "board must be a sorted set." ||
				len(c0.Matchers) != 1 || c0.Matchers[0].Name != "equals" || c0.Matchers[0].Value != "zset" {
				t.Errorf("check 1: %+v", c0)
			}
			if c1.Probe.Command != "ZCARD board" || len(c1.Matchers) != 1 || c1.Matchers[0].Value != 2.0 {
				t.Errorf("check 2: %+v", c1)
			}
			s := v.Stats
			if s == nil || s.Attempts != 4 || s.Learners != 3 || s.Passed != 1 || s.PassRate < 0.333 || s.PassRate > 0.334 {
				t.Fatalf("stats: %s", body)
			}
			if f := s.MostFailed; f == nil || f.Check != 2 || f.Message != "board must hold two members." || f.Failures != 3 {
				t.Errorf("most failed: %s", body)
			}
		}
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		for name, c := range map[string]*client{"learner": learner, "lead": lead} {
			if st, _, body := c.do("GET", instrExercise+"/instructor", ""); st != 403 || strings.Contains(body, "ZADD") {
				t.Errorf("%s: instructor view answered %d %s, want 403", name, st, body)
			} else {
				errorOf(t, body)
			}
			if st, _, body := c.do("POST", instrExercise+"/run-solution", ""); st != 403 {
				t.Errorf("%s: run-solution answered %d %s, want 403", name, st, body)
			}
		}
	})

	t.Run("ErrSignedOut", func(t *testing.T) {
		c := site.client(t)
		if st, _, body := c.do("GET", instrExercise+"/instructor", ""); st != 401 {
			t.Errorf("signed out: %d %s, want 401", st, body)
		}
		if st, _, body := c.do("POST", instrExercise+"/run-solution", ""); st != 401 {
			t.Errorf("signed out run-solution: %d %s, want 401", st, body)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		if st, _, body := instructor.do("GET", instrLesson+"/exercises/nope/instructor", ""); st != 404 {
			t.Errorf("unknown exercise: %d %s, want 404", st, body)
		}
	})

	t.Run("ErrNoLab", func(t *testing.T) {
		if st, _, body := instructor.do("POST", instrExercise+"/run-solution", ""); st != 503 {
			t.Errorf("run-solution without sandboxes: %d %s, want 503", st, body)
		}
	})
}

func TestInstructorRunSolution(t *testing.T) {
	site := newInstructorSite(t, true)
	instructor, ivy := site.addUser(t, "ivy@example.com", opslab.RoleInstructor)
	learner, _ := site.addUser(t, "ann@example.com", opslab.RoleLearner)

	if st, _, body := learner.do("POST", instrExercise+"/run-solution", ""); st != 403 {
		t.Fatalf("learner run-solution: %d %s, want 403", st, body)
	}
	// Twice: the second run lands on the sandbox the first one made.
	for i := range 2 {
		st, _, body := instructor.do("POST", instrExercise+"/run-solution", "")
		if st != 200 {
			t.Fatalf("run %d: %d %s", i+1, st, body)
		}
		var rep struct {
			Passed   bool
			Recorded bool
			Checks   []struct{ Passed bool }
			Progress *struct {
				PassedExercises int `json:"passed_exercises"`
			}
		}
		if err := json.Unmarshal([]byte(body), &rep); err != nil {
			t.Fatal(err)
		}
		if !rep.Passed || rep.Recorded || len(rep.Checks) != 2 || !rep.Checks[0].Passed || !rep.Checks[1].Passed ||
			rep.Progress == nil || rep.Progress.PassedExercises != 0 {
			t.Fatalf("run %d: %s", i+1, body)
		}
	}
	// The instructor's sandbox holds the solution's work; a command that
	// changes nothing records no live pass either.
	st, _, body := instructor.do("POST", instrExercise+"/exec", `{"command":"ZRANGE board 0 -1"}`)
	if st != 200 || !strings.Contains(body, "alice") || !strings.Contains(body, "bob") {
		t.Errorf("exec after run-solution: %d %s", st, body)
	}

	// Nothing of the runs was recorded.
	list, err := site.attempts.ListAttempts(context.Background(), ivy.ID,
		opslab.ExerciseKey{Course: "ops", Lesson: "sets", Exercise: "board"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 0 {
		t.Errorf("run-solution recorded attempts: %+v", list)
	}
	st, _, body = instructor.do("GET", instrLesson, "")
	if st != 200 || !strings.Contains(body, `"passed":false`) {
		t.Errorf("lesson after run-solution: %d %s, want the exercise not passed", st, body)
	}
}

// lessonView is the part of GET /api/courses/{c}/lessons/{l} the content
// version tests read.
type lessonView struct {
	Exercises []struct {
		ID               string
		Passed           bool
		ChangedSincePass bool `json:"changed_since_pass"`
	}
}

func TestChangedSincePass(t *testing.T) {
	site := newInstructorSite(t, false)
	old, ann := site.addUser(t, "ann@example.com", opslab.RoleLearner)
	fresh, bob := site.addUser(t, "bob@example.com", opslab.RoleLearner)
	none, _ := site.addUser(t, "cat@example.com", opslab.RoleLearner)
	c, _ := site.srv.Catalog().Course("ops")
	l, _ := c.Lesson("sets")
	current := l.Exercises[0].Hash

	site.record(t, ann.ID, "old")   // passed an earlier version
	site.record(t, ann.ID, current) // a later pass keeps the first
	site.record(t, bob.ID, current)

	lesson := func(cl *client) lessonView {
		t.Helper()
		st, _, body := cl.do("GET", instrLesson, "")
		var v lessonView
		if err := json.Unmarshal([]byte(body), &v); st != 200 || err != nil || len(v.Exercises) != 1 || v.Exercises[0].ID != "board" {
			t.Fatalf("lesson: %d %s (%v)", st, body, err)
		}
		return v
	}
	for _, tc := range []struct {
		name            string
		c               *client
		passed, changed bool
	}{
		{"OldVersion", old, true, true},
		{"CurrentVersion", fresh, true, false},
		{"NotPassed", none, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := lesson(tc.c).Exercises[0]
			if e.Passed != tc.passed || e.ChangedSincePass != tc.changed {
				t.Errorf("exercise = %+v, want passed %v, changed %v", e, tc.passed, tc.changed)
			}
		})
	}

	t.Run("StillCounts", func(t *testing.T) {
		st, _, body := old.do("GET", "/api/me/progress", "")
		if st != 200 || !strings.Contains(body, `"passed_exercises":1`) || !strings.Contains(body, `"completed_lessons":1`) {
			t.Errorf("progress after a pass on an old version: %d %s", st, body)
		}
	})
}
