package sqlite_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/migrations"
)

// dashboardFixture is a team "ops" led by lea with learners ann and bob,
// and cid in another team, with activity in two courses.
type dashboardFixture struct {
	db            *sqlite.DB
	clk           *Clock
	s             *sqlite.DashboardService
	team          *opslab.Team
	lea, ann, bob *opslab.User
	cid, dan      *opslab.User
	start         time.Time
}

func newDashboardFixture(t *testing.T) *dashboardFixture {
	t.Helper()
	ctx := context.Background()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	f := &dashboardFixture{db: db, clk: clk, s: sqlite.NewDashboardService(db), start: clk.Now()}
	f.lea = MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "ops")
	f.bob = MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "ops")
	f.ann = MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "ops")
	f.cid = MustCreateUser(t, db, "cid@example.com", opslab.RoleLearner, "other")
	f.dan = MustCreateUser(t, db, "dan@example.com", opslab.RoleLearner, "")
	team, err := sqlite.NewTeamService(db).FindTeamBySlug(ctx, "ops")
	if err != nil {
		t.Fatal(err)
	}
	f.team = team
	return f
}

func (f *dashboardFixture) attempt(t *testing.T, u *opslab.User, course, lesson, exercise string, kind opslab.AttemptKind, failed ...string) {
	t.Helper()
	_, err := sqlite.NewAttemptService(f.db).RecordAttempt(context.Background(), opslab.Attempt{
		UserID: u.ID, Course: course, Lesson: lesson, Exercise: exercise,
		ContentHash: "h1", Passed: len(failed) == 0, FailedChecks: failed, Kind: kind})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDashboardService_TeamActivity(t *testing.T) {
	ctx := context.Background()
	f := newDashboardFixture(t)
	progress := sqlite.NewProgressService(f.db)
	attempts := sqlite.NewAttemptService(f.db)
	sets := opslab.LessonKey{Course: "redis", Lesson: "sets"}
	board := opslab.ExerciseKey{Course: "redis", Lesson: "sets", Exercise: "board"}

	t.Run("NoActivity", func(t *testing.T) {
		got, err := f.s.TeamActivity(ctx, f.team.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Learners) != 2 || got.Learners[0].UserID != f.ann.ID || got.Learners[1].UserID != f.bob.ID {
			t.Fatalf("learners = %+v, want ann then bob (leads left out)", got.Learners)
		}
		if len(got.Learners[0].Lessons) != 0 || len(got.Learners[0].Exercises) != 0 || len(got.Checks) != 0 {
			t.Fatalf("ann without activity = %+v, team checks %v", got.Learners[0], got.Checks)
		}
	})

	// ann: opens sets, reads 90 s, fails board's check twice (check 2 both
	// times, check 1 once), one failing live check, a hint, then passes.
	f.must(t, progress.RecordView(ctx, f.ann.ID, sets))
	f.must(t, progress.AddTimeSpent(ctx, f.ann.ID, sets, 90*time.Second))
	firstAttempt := f.clk.Now()
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptCheck, "1: must be a sorted set", "2: expected 2, got 0")
	f.clk.Add(time.Minute)
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptLive, "2: expected 2, got 1")
	f.clk.Add(time.Minute)
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptCheck, "2: expected 2, got 1", "unnumbered")
	f.must(t, attempts.RecordHintReveal(ctx, f.ann.ID, board, 0))
	f.clk.Add(time.Minute)
	hintAt := f.clk.Now()
	f.must(t, attempts.RecordHintReveal(ctx, f.ann.ID, board, 1))
	// A hint revealed again counts once.
	f.must(t, attempts.RecordHintReveal(ctx, f.ann.ID, board, 0))
	f.clk.Add(time.Minute)
	passedAt := f.clk.Now()
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptCheck)
	// ann fails tally twice, not passed: its checks are kept per learner.
	f.clk.Add(time.Minute)
	tallyAt := f.clk.Now()
	f.attempt(t, f.ann, "redis", "sets", "tally", opslab.AttemptCheck, "1: tally is missing")
	f.attempt(t, f.ann, "redis", "sets", "tally", opslab.AttemptCheck, "1: tally is missing")
	// bob marks an exercise-less lesson done, and fails board's check 1
	// last, with another message.
	f.must(t, progress.MarkCompleted(ctx, f.bob.ID, opslab.LessonKey{Course: "redis", Lesson: "intro"}, true))
	f.clk.Add(time.Minute)
	bobAt := f.clk.Now()
	f.attempt(t, f.bob, "redis", "sets", "board", opslab.AttemptCheck, "1: board is a list")
	// Nothing of these shows: another course, a learner of another team, a
	// lead, a user in no team.
	f.attempt(t, f.ann, "kafka", "topics", "create", opslab.AttemptCheck, "1: no topic")
	f.must(t, progress.RecordView(ctx, f.ann.ID, opslab.LessonKey{Course: "kafka", Lesson: "topics"}))
	for _, u := range []*opslab.User{f.cid, f.lea, f.dan} {
		f.attempt(t, u, "redis", "sets", "board", opslab.AttemptCheck, "1: must be a sorted set")
		f.must(t, progress.RecordView(ctx, u.ID, sets))
		f.must(t, attempts.RecordHintReveal(ctx, u.ID, board, 0))
	}

	t.Run("OK", func(t *testing.T) {
		got, err := f.s.TeamActivity(ctx, f.team.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		if got.TeamID != f.team.ID || got.TeamName != "ops" || got.Course != "redis" || len(got.Learners) != 2 {
			t.Fatalf("activity = %+v", got)
		}
		ann, bob := got.Learners[0], got.Learners[1]
		if ann.UserID != f.ann.ID || ann.Email != "ann@example.com" || ann.Name != "Name of ann@example.com" {
			t.Fatalf("first learner = %+v, want ann", ann)
		}
		lp := ann.Lessons["sets"]
		if len(ann.Lessons) != 1 || lp == nil || lp.TimeSpent != 90*time.Second || !lp.FirstViewed.Equal(f.start.Truncate(time.Millisecond)) || lp.Completed != nil {
			t.Fatalf("ann's lessons = %+v", ann.Lessons)
		}
		// Times per exercise are kept to the millisecond.
		passedMs := passedAt.Truncate(time.Millisecond)
		want := &opslab.ExerciseActivity{
			Lesson: "sets", Exercise: "board", Attempts: 4, FailedChecks: 2,
			LastAttempt: passedMs, Passed: &passedMs,
			HintsRevealed: 2, LastHint: hintAt.Truncate(time.Millisecond),
		}
		if len(ann.Exercises) != 2 || !reflect.DeepEqual(ann.Exercise("sets", "board"), want) {
			t.Fatalf("ann's board =\n%+v\nwant\n%+v", ann.Exercise("sets", "board"), want)
		}
		// Not passed: the learner's own checks are there.
		tally := ann.Exercise("sets", "tally")
		wantTally := []opslab.CheckFailures{{Number: 1, Failures: 2, Message: "tally is missing", Last: tallyAt.Truncate(time.Millisecond)}}
		if tally == nil || tally.FailedChecks != 2 || tally.Passed != nil || !reflect.DeepEqual(tally.Checks, wantTally) {
			t.Fatalf("ann's tally = %+v", tally)
		}
		// The team's checks: ann's and bob's, the latest message kept.
		wantTeam := map[string]map[string][]opslab.CheckFailures{"sets": {
			"board": {
				{Number: 1, Failures: 2, Message: "board is a list", Last: bobAt.Truncate(time.Millisecond)},
				{Number: 2, Failures: 2, Message: "expected 2, got 1", Last: firstAttempt.Add(2 * time.Minute).Truncate(time.Millisecond)},
			},
			"tally": wantTally,
		}}
		if !reflect.DeepEqual(got.Checks, wantTeam) {
			t.Fatalf("team checks =\n%+v\nwant\n%+v", got.Checks, wantTeam)
		}
		if ann.Exercise("sets", "missing") != nil || ann.Exercise("nope", "board") != nil {
			t.Errorf("an untouched exercise has a record")
		}
		if bob.UserID != f.bob.ID || bob.Exercise("sets", "board").FailedChecks != 1 || bob.Lessons["intro"] == nil || bob.Lessons["intro"].Completed == nil {
			t.Fatalf("bob = %+v", bob)
		}
	})

	t.Run("OtherCourse", func(t *testing.T) {
		got, err := f.s.TeamActivity(ctx, f.team.ID, "kafka")
		if err != nil {
			t.Fatal(err)
		}
		ann := got.Learners[0]
		if len(ann.Lessons) != 1 || ann.Lessons["topics"] == nil || ann.Exercise("topics", "create").FailedChecks != 1 {
			t.Fatalf("ann in kafka = %+v", ann)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := f.s.TeamActivity(ctx, 999, "redis")
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestDashboardService_LearnerHistory(t *testing.T) {
	ctx := context.Background()
	f := newDashboardFixture(t)
	attempts := sqlite.NewAttemptService(f.db)
	board := opslab.ExerciseKey{Course: "redis", Lesson: "sets", Exercise: "board"}

	t.Run("Empty", func(t *testing.T) {
		h, err := f.s.LearnerHistory(ctx, f.team.ID, f.bob.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		if h.Email != "bob@example.com" || h.Attempts == nil || len(h.Attempts) != 0 || len(h.Hints) != 0 || len(h.Solutions) != 0 {
			t.Fatalf("bob's history = %+v", h)
		}
	})

	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptCheck, "1: must be a sorted set")
	f.clk.Add(time.Minute)
	f.must(t, attempts.RecordHintReveal(ctx, f.ann.ID, board, 1))
	f.clk.Add(time.Minute)
	f.must(t, attempts.RecordHintReveal(ctx, f.ann.ID, board, 0))
	f.must(t, attempts.RecordSolutionReveal(ctx, f.ann.ID, board))
	f.clk.Add(time.Minute)
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptLive)
	f.attempt(t, f.ann, "kafka", "topics", "create", opslab.AttemptCheck, "1: no topic")

	t.Run("OK", func(t *testing.T) {
		h, err := f.s.LearnerHistory(ctx, f.team.ID, f.ann.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		if h.UserID != f.ann.ID || h.Name != "Name of ann@example.com" || h.Course != "redis" || h.TeamName != "ops" {
			t.Fatalf("history = %+v", h)
		}
		if len(h.Attempts) != 2 || h.Attempts[0].Passed || !reflect.DeepEqual(h.Attempts[0].FailedChecks, []string{"1: must be a sorted set"}) ||
			!h.Attempts[1].Passed || h.Attempts[1].Kind != opslab.AttemptLive || h.Attempts[1].FailedChecks != nil ||
			!h.Attempts[0].CreatedAt.Equal(f.start) || h.Attempts[0].Key() != board {
			t.Fatalf("attempts = %+v %+v", h.Attempts[0], h.Attempts[1])
		}
		wantHints := []opslab.HintReveal{
			{Key: board, Index: 1, RevealedAt: f.start.Add(time.Minute)},
			{Key: board, Index: 0, RevealedAt: f.start.Add(2 * time.Minute)},
		}
		if !reflect.DeepEqual(h.Hints, wantHints) {
			t.Fatalf("hints = %+v, want %+v", h.Hints, wantHints)
		}
		if len(h.Solutions) != 1 || h.Solutions[0].Key != board || !h.Solutions[0].RevealedAt.Equal(f.start.Add(2*time.Minute)) {
			t.Fatalf("solutions = %+v", h.Solutions)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, tc := range []struct {
			name         string
			team, userID int64
		}{
			{"UnknownTeam", 999, f.ann.ID},
			{"Lead", f.team.ID, f.lea.ID},
			{"OtherTeam", f.team.ID, f.cid.ID},
			{"NoTeam", f.team.ID, f.dan.ID},
			{"UnknownUser", f.team.ID, 999},
		} {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.s.LearnerHistory(ctx, tc.team, tc.userID, "redis")
				AssertCode(t, err, opslab.ENOTFOUND)
			})
		}
	})
}

// must fails the test on a setup error.
func (f *dashboardFixture) must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDashboardService_Backfill records the same activity before migration
// 0004 (which then sums it up) and after it (where triggers keep the sums),
// and expects the same dashboard from both.
func TestDashboardService_Backfill(t *testing.T) {
	ctx := context.Background()
	before := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.Compare(name, "0004") < 0 {
			b, err := fs.ReadFile(migrations.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			before[name] = &fstest.MapFile{Data: b}
		}
	}

	// record writes the activity through the services, on its own clock.
	record := func(t *testing.T, db *sqlite.DB) {
		clk := NewClock()
		db.Now = clk.Now
		ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "ops")
		bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "ops")
		attempts := sqlite.NewAttemptService(db)
		progress := sqlite.NewProgressService(db)
		step := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
			clk.Add(time.Minute)
		}
		try := func(u *opslab.User, exercise string, kind opslab.AttemptKind, failed ...string) {
			_, err := attempts.RecordAttempt(ctx, opslab.Attempt{UserID: u.ID, Course: "redis", Lesson: "sets", Exercise: exercise,
				ContentHash: "h", Passed: len(failed) == 0, FailedChecks: failed, Kind: kind})
			step(err)
		}
		key := func(exercise string) opslab.ExerciseKey {
			return opslab.ExerciseKey{Course: "redis", Lesson: "sets", Exercise: exercise}
		}
		step(progress.RecordView(ctx, ann.ID, opslab.LessonKey{Course: "redis", Lesson: "sets"}))
		try(ann, "board", opslab.AttemptCheck, "1: not a set", "2: wrong count")
		try(ann, "board", opslab.AttemptLive, "2: wrong count")
		try(ann, "board", opslab.AttemptCheck, "2: still wrong", "no number")
		step(attempts.RecordHintReveal(ctx, ann.ID, key("board"), 0))
		step(attempts.RecordHintReveal(ctx, ann.ID, key("board"), 0))
		try(ann, "board", opslab.AttemptCheck)
		try(ann, "tally", opslab.AttemptCheck, "1: no tally")
		try(ann, "tally", opslab.AttemptCheck, "1: no tally yet")
		step(attempts.RecordHintReveal(ctx, bob.ID, key("tally"), 1))
		try(bob, "board", opslab.AttemptCheck, "1: not a set")
	}
	activity := func(t *testing.T, db *sqlite.DB) *opslab.TeamActivity {
		team, err := sqlite.NewTeamService(db).FindTeamBySlug(ctx, "ops")
		if err != nil {
			t.Fatal(err)
		}
		a, err := sqlite.NewDashboardService(db).TeamActivity(ctx, team.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sqlite.OpenWithMigrations(ctx, path, before)
	if err != nil {
		t.Fatal(err)
	}
	record(t, old)
	MustClose(t, old)
	migrated := MustOpenDBAt(t, path)
	fresh := MustOpenDB(t)
	record(t, fresh)

	got, want := activity(t, migrated), activity(t, fresh)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after the backfill:\n%s\nkept by triggers:\n%s", dump(got), dump(want))
	}
	// And the sums are right.
	ann := want.Learners[0]
	board, tally := ann.Exercise("sets", "board"), ann.Exercise("sets", "tally")
	if board.Attempts != 4 || board.FailedChecks != 2 || board.HintsRevealed != 1 || board.Passed == nil || board.Checks != nil ||
		tally.FailedChecks != 2 || len(tally.Checks) != 1 || tally.Checks[0].Message != "no tally yet" || tally.Checks[0].Failures != 2 {
		t.Errorf("ann: board %+v, tally %+v", board, tally)
	}
	wantBoard := []opslab.CheckFailures{
		{Number: 1, Failures: 2, Message: "not a set", Last: want.Checks["sets"]["board"][0].Last},
		{Number: 2, Failures: 2, Message: "still wrong", Last: want.Checks["sets"]["board"][1].Last},
	}
	if !reflect.DeepEqual(want.Checks["sets"]["board"], wantBoard) || !want.Checks["sets"]["board"][0].Last.After(want.Checks["sets"]["board"][1].Last) {
		t.Errorf("team checks of board = %+v", want.Checks["sets"]["board"])
	}
}

// dump renders an activity for a failure message.
func dump(a *opslab.TeamActivity) string {
	var b strings.Builder
	for _, l := range a.Learners {
		fmt.Fprintf(&b, "%s: lessons %v\n", l.Email, l.Lessons)
		for k, e := range l.Exercises {
			fmt.Fprintf(&b, "  %s/%s: %+v\n", k.Lesson, k.Exercise, *e)
		}
	}
	fmt.Fprintf(&b, "checks: %+v", a.Checks)
	return b.String()
}
