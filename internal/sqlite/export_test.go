package sqlite_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestExportService_TeamActivity(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	progress := sqlite.NewProgressService(db)
	attempts := sqlite.NewAttemptService(db)
	exports := sqlite.NewExportService(db)
	admin := sqlite.NewTeamAdminService(db)

	lea := MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "ops")
	zed := MustCreateUser(t, db, "zed@example.com", opslab.RoleLearner, "ops")
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "ops")
	cid := MustCreateUser(t, db, "cid@example.com", opslab.RoleLearner, "dev")
	ops := mustTeamID(t, admin, "ops")
	dev := mustTeamID(t, admin, "dev")
	// Ann is in both teams.
	if _, _, err := admin.AddMemberByEmail(ctx, dev, ann.Email, false); err != nil {
		t.Fatal(err)
	}

	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	attempt := func(u *opslab.User, lesson, exercise string, passed bool) {
		t.Helper()
		a := opslab.Attempt{UserID: u.ID, Course: "redis", Lesson: lesson, Exercise: exercise,
			ContentHash: "h", Passed: passed, Kind: opslab.AttemptCheck}
		if !passed {
			a.FailedChecks = []string{"no"}
		}
		_, err := attempts.RecordAttempt(ctx, a)
		must(err)
	}

	l1 := opslab.LessonKey{Course: "redis", Lesson: "l1"}
	must(progress.RecordView(ctx, ann.ID, l1))
	must(progress.AddTimeSpent(ctx, ann.ID, l1, 90*time.Second))
	clk.Add(time.Minute)
	attempt(ann, "l1", "e1", false)
	attempt(ann, "l1", "e1", false)
	clk.Add(time.Minute)
	attempt(ann, "l1", "e1", true)
	passedAt := clk.Now()
	clk.Add(time.Minute)
	attempt(ann, "l1", "e1", true) // a later pass keeps the first
	clk.Add(time.Hour)
	must(progress.MarkCompleted(ctx, zed.ID, opslab.LessonKey{Course: "redis", Lesson: "l2"}, true))
	// The lead's and an outsider's work stay out of ops.
	attempt(lea, "l1", "e1", true)
	attempt(cid, "l1", "e1", true)
	// A learner without any activity.
	MustCreateUser(t, db, "dan@example.com", opslab.RoleLearner, "ops")

	// The reports read exactly what the dashboard reads, so their numbers
	// cannot disagree with it.
	dash := sqlite.NewDashboardService(db)
	for _, team := range []int64{ops, dev} {
		got, err := exports.TeamActivity(ctx, team, "redis")
		if err != nil {
			t.Fatal(err)
		}
		want, err := dash.TeamActivity(ctx, team, "redis")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("team %d: the export reads %+v, the dashboard %+v", team, got, want)
		}
	}
	act, err := exports.TeamActivity(ctx, ops, "redis")
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	for _, l := range act.Learners {
		emails = append(emails, l.Email)
	}
	if !slices.Equal(emails, []string{"ann@example.com", "dan@example.com", "zed@example.com"}) {
		t.Fatalf("ops learners %v, want ann, dan, zed (no lead, no outsider)", emails)
	}
	if e := act.Learners[0].Exercise("l1", "e1"); e == nil || e.Attempts != 4 || e.Passed == nil || !e.Passed.Equal(passedAt.Truncate(time.Millisecond)) {
		t.Errorf("ann's e1 = %+v, want 4 attempts and the first pass at %v", e, passedAt)
	}

	_, err = exports.TeamActivity(ctx, 999, "redis")
	AssertCode(t, err, opslab.ENOTFOUND)
}
