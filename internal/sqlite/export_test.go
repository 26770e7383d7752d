package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestExportService_TeamRecords(t *testing.T) {
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
	annLast := clk.Now()
	clk.Add(time.Hour)
	must(progress.MarkCompleted(ctx, zed.ID, opslab.LessonKey{Course: "redis", Lesson: "l2"}, true))
	zedLast := clk.Now()
	// The lead's and an outsider's work stay out of ops.
	attempt(lea, "l1", "e1", true)
	attempt(cid, "l1", "e1", true)
	// A learner without any activity.
	MustCreateUser(t, db, "dan@example.com", opslab.RoleLearner, "ops")

	records, err := exports.TeamRecords(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range records {
		got = append(got, r.Email)
	}
	if len(records) != 3 || got[0] != "ann@example.com" || got[1] != "dan@example.com" || got[2] != "zed@example.com" {
		t.Fatalf("records for %v, want ann, dan, zed (no lead, no outsider)", got)
	}
	annRec, danRec, zedRec := records[0], records[1], records[2]
	if annRec.Name != ann.Name || annRec.UserID != ann.ID {
		t.Fatalf("ann's record = %+v", annRec)
	}
	lp := annRec.Lessons[l1]
	if lp == nil || lp.TimeSpent != 90*time.Second || lp.Completed != nil {
		t.Fatalf("ann's l1 progress = %+v", lp)
	}
	ex := annRec.Exercises[opslab.ExerciseKey{Course: "redis", Lesson: "l1", Exercise: "e1"}]
	if ex == nil || ex.Attempts != 4 || ex.PassedAt == nil || !ex.PassedAt.Equal(passedAt) {
		t.Fatalf("ann's e1 = %+v, want 4 attempts and the first pass at %v", ex, passedAt)
	}
	if annRec.LastActivity == nil || !annRec.LastActivity.Equal(annLast) {
		t.Fatalf("ann's last activity = %v, want %v", annRec.LastActivity, annLast)
	}
	if len(danRec.Lessons) != 0 || len(danRec.Exercises) != 0 || danRec.LastActivity != nil {
		t.Fatalf("dan's record = %+v, want empty", danRec)
	}
	zl2 := zedRec.Lessons[opslab.LessonKey{Course: "redis", Lesson: "l2"}]
	if zl2 == nil || zl2.Completed == nil || !zl2.Completed.Equal(zedLast) || !zedRec.LastActivity.Equal(zedLast) {
		t.Fatalf("zed's record = %+v", zedRec)
	}

	// The same learner shows in every team of theirs.
	devRecords, err := exports.TeamRecords(ctx, dev)
	if err != nil || len(devRecords) != 2 || devRecords[0].Email != "ann@example.com" || devRecords[1].Email != "cid@example.com" {
		t.Fatalf("dev records = %+v, %v", devRecords, err)
	}

	_, err = exports.TeamRecords(ctx, 999)
	AssertCode(t, err, opslab.ENOTFOUND)
}
