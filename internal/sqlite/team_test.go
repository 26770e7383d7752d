package sqlite_test

import (
	"context"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestTeamService_CreateTeam(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := sqlite.NewTeamService(db)

	t.Run("OK", func(t *testing.T) {
		team, err := s.CreateTeam(ctx, "platform", "Platform Team")
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.FindTeamBySlug(ctx, "platform")
		if err != nil || *got != *team || team.ID == 0 {
			t.Fatalf("FindTeamBySlug = %+v, %v; created %+v", got, err, team)
		}
	})
	t.Run("ErrConflict", func(t *testing.T) {
		_, err := s.CreateTeam(ctx, "platform", "")
		AssertCode(t, err, opslab.ECONFLICT)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		_, err := s.CreateTeam(ctx, "Not A Slug", "")
		AssertCode(t, err, opslab.EINVALID)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := s.FindTeamBySlug(ctx, "nope")
		AssertCode(t, err, opslab.ENOTFOUND)
		_, err = s.TeamMembers(ctx, 999)
		AssertCode(t, err, opslab.ENOTFOUND)
		_, err = s.TeamProgress(ctx, 999)
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestTeamService_AddMember(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := sqlite.NewTeamService(db)
	team, err := s.CreateTeam(ctx, "ops", "")
	if err != nil {
		t.Fatal(err)
	}
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")

	t.Run("OK", func(t *testing.T) {
		if err := s.AddMember(ctx, team.ID, ann.ID, false); err != nil {
			t.Fatal(err)
		}
		if lead, err := s.IsLead(ctx, team.ID, ann.ID); err != nil || lead {
			t.Fatalf("IsLead = %v, %v", lead, err)
		}
		// Adding again only changes the lead flag.
		if err := s.AddMember(ctx, team.ID, ann.ID, true); err != nil {
			t.Fatal(err)
		}
		if lead, err := s.IsLead(ctx, team.ID, ann.ID); err != nil || !lead {
			t.Fatalf("IsLead = %v, %v", lead, err)
		}
		if m, err := s.TeamMembers(ctx, team.ID); err != nil || len(m) != 1 {
			t.Fatalf("TeamMembers = %v, %v", m, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		AssertCode(t, s.AddMember(ctx, 999, ann.ID, false), opslab.ENOTFOUND)
		AssertCode(t, s.AddMember(ctx, team.ID, 999, false), opslab.ENOTFOUND)
	})
	t.Run("IsLeadOfStranger", func(t *testing.T) {
		if lead, err := s.IsLead(ctx, team.ID, 999); err != nil || lead {
			t.Fatalf("IsLead = %v, %v", lead, err)
		}
	})
}

func TestTeamService_TeamsOfUser(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	s := sqlite.NewTeamService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "zeta")
	alpha, err := s.CreateTeam(ctx, "alpha", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddMember(ctx, alpha.ID, ann.ID, true); err != nil {
		t.Fatal(err)
	}
	teams, err := s.TeamsOfUser(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 2 || teams[0].Slug != "alpha" || teams[1].Slug != "zeta" {
		t.Fatalf("teams = %+v", teams)
	}
}

func TestTeamService_TeamProgress(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	clk := NewClock()
	db.Now = clk.Now
	teams := sqlite.NewTeamService(db)
	progress := sqlite.NewProgressService(db)
	attempts := sqlite.NewAttemptService(db)

	lea := MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "ops")
	bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "ops")
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "ops")
	cid := MustCreateUser(t, db, "cid@example.com", opslab.RoleLearner, "other")
	team, err := teams.FindTeamBySlug(ctx, "ops")
	if err != nil {
		t.Fatal(err)
	}

	attempt := func(u *opslab.User, course, lesson, exercise string, passed bool) {
		t.Helper()
		a := opslab.Attempt{UserID: u.ID, Course: course, Lesson: lesson, Exercise: exercise,
			ContentHash: "h", Passed: passed, Kind: opslab.AttemptCheck}
		if !passed {
			a.FailedChecks = []string{"check 1 failed"}
		}
		if _, err := attempts.RecordAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// Ann: 3 distinct passes over two courses (one passed twice, one failure),
	// 2 completed lessons, 1 only viewed.
	must(progress.RecordView(ctx, ann.ID, opslab.LessonKey{Course: "redis", Lesson: "l1"}))
	must(progress.MarkCompleted(ctx, ann.ID, opslab.LessonKey{Course: "redis", Lesson: "l1"}, true))
	must(progress.MarkCompleted(ctx, ann.ID, opslab.LessonKey{Course: "kafka", Lesson: "l1"}, true))
	must(progress.RecordView(ctx, ann.ID, opslab.LessonKey{Course: "kafka", Lesson: "l2"}))
	attempt(ann, "redis", "l1", "e1", true)
	attempt(ann, "redis", "l1", "e1", true)
	attempt(ann, "redis", "l1", "e2", false)
	attempt(ann, "redis", "l1", "e2", true)
	clk.Add(time.Hour)
	attempt(ann, "kafka", "l1", "e1", true)
	annLast := clk.Now()

	// Bob: only a view, later than anything of Ann's.
	clk.Add(time.Hour)
	must(progress.RecordView(ctx, bob.ID, opslab.LessonKey{Course: "redis", Lesson: "l1"}))
	bobLast := clk.Now()

	// The lead and an outsider have activity that must not show.
	attempt(lea, "redis", "l1", "e1", true)
	attempt(cid, "redis", "l1", "e1", true)

	// A learner with no activity at all.
	dan := MustCreateUser(t, db, "dan@example.com", opslab.RoleLearner, "ops")

	report, err := teams.TeamProgress(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(report) != 3 {
		t.Fatalf("report has %d rows, want 3 (no lead): %+v", len(report), report)
	}
	check := func(p opslab.LearnerProgress, u *opslab.User, passed, completed int, last *time.Time) {
		t.Helper()
		if p.UserID != u.ID || p.Email != u.Email || p.Name != u.Name {
			t.Fatalf("row %+v is not %s", p, u.Email)
		}
		if p.PassedExercises != passed || p.CompletedLessons != completed {
			t.Fatalf("%s: passed %d completed %d, want %d and %d", u.Email, p.PassedExercises, p.CompletedLessons, passed, completed)
		}
		switch {
		case last == nil && p.LastActivity != nil:
			t.Fatalf("%s: last activity %v, want none", u.Email, p.LastActivity)
		case last != nil && (p.LastActivity == nil || !p.LastActivity.Equal(*last)):
			t.Fatalf("%s: last activity %v, want %v", u.Email, p.LastActivity, *last)
		}
	}
	check(report[0], ann, 3, 2, &annLast)
	check(report[1], bob, 0, 0, &bobLast)
	check(report[2], dan, 0, 0, nil)
}
