package sqlite_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestStatsService_ExerciseStats(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	attempts := sqlite.NewAttemptService(db)
	stats := sqlite.NewStatsService(db)
	record := func(u *opslab.User, lesson, exercise string, kind opslab.AttemptKind, failed ...string) {
		t.Helper()
		_, err := attempts.RecordAttempt(ctx, opslab.Attempt{UserID: u.ID, Course: "redis", Lesson: lesson, Exercise: exercise,
			ContentHash: "h1", Passed: len(failed) == 0, FailedChecks: failed, Kind: kind})
		if err != nil {
			t.Fatal(err)
		}
	}
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "")
	lea := MustCreateUser(t, db, "lea@example.com", opslab.RoleLead, "ops")
	ivy := MustCreateUser(t, db, "ivy@example.com", opslab.RoleInstructor, "")
	adm := MustCreateUser(t, db, "adm@example.com", opslab.RoleAdmin, "")

	t.Run("Empty", func(t *testing.T) {
		got, err := stats.ExerciseStats(ctx, "redis", "strings")
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("ExerciseStats = %v, %v; want an empty map", got, err)
		}
	})

	// board: three learners (a lead counts) try, one passes; check 2 fails
	// most, and its latest message is kept.
	record(ann, "sets", "board", opslab.AttemptCheck, "1: board must be a sorted set.", "2: expected 2, got 0")
	record(ann, "sets", "board", opslab.AttemptLive, "2: expected 2, got 1")
	record(ann, "sets", "board", opslab.AttemptCheck)
	record(bob, "sets", "board", opslab.AttemptCheck, "2: expected 2, got 3")
	record(lea, "sets", "board", opslab.AttemptCheck, "1: board must be a sorted set.", "not numbered")
	// Staff attempts count nowhere.
	record(ivy, "sets", "board", opslab.AttemptCheck, "1: board must be a sorted set.")
	record(ivy, "sets", "board", opslab.AttemptCheck, "1: board must be a sorted set.")
	record(adm, "sets", "board", opslab.AttemptCheck)
	// tie: checks 3 and 1 fail once each; the lower number wins.
	record(bob, "sets", "tie", opslab.AttemptCheck, "3: c", "1: a")
	// Another lesson does not leak in.
	record(bob, "strings", "incr", opslab.AttemptCheck, "1: x")

	t.Run("OK", func(t *testing.T) {
		got, err := stats.ExerciseStats(ctx, "redis", "sets")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]opslab.ExerciseStats{
			"board": {Attempts: 5, Learners: 3, Passed: 1,
				MostFailed: &opslab.FailedCheck{Number: 2, Message: "expected 2, got 3", Failures: 3}},
			"tie": {Attempts: 1, Learners: 1, Passed: 0,
				MostFailed: &opslab.FailedCheck{Number: 1, Message: "a", Failures: 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("ExerciseStats =\n%+v\nwant\n%+v", got, want)
		}
		if r := got["board"].PassRate(); r != 1.0/3 {
			t.Errorf("pass rate = %v, want 1/3", r)
		}
	})

	t.Run("OnlyStaff", func(t *testing.T) {
		record(ivy, "streams", "xadd", opslab.AttemptCheck, "1: x")
		got, err := stats.ExerciseStats(ctx, "redis", "streams")
		if err != nil || len(got) != 0 {
			t.Fatalf("ExerciseStats = %v, %v; want nothing from staff", got, err)
		}
		if r := (opslab.ExerciseStats{}).PassRate(); r != 0 {
			t.Errorf("pass rate of nobody = %v, want 0", r)
		}
	})
}

func TestStatsService_PassHashes(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	attempts := sqlite.NewAttemptService(db)
	stats := sqlite.NewStatsService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	bob := MustCreateUser(t, db, "bob@example.com", opslab.RoleLearner, "")
	pass := func(u *opslab.User, lesson, exercise, hash string) {
		t.Helper()
		_, err := attempts.RecordAttempt(ctx, opslab.Attempt{UserID: u.ID, Course: "redis", Lesson: lesson, Exercise: exercise,
			ContentHash: hash, Passed: true, Kind: opslab.AttemptCheck})
		if err != nil {
			t.Fatal(err)
		}
	}
	pass(ann, "sets", "board", "old")
	pass(ann, "sets", "board", "new") // the first pass is kept
	pass(ann, "sets", "tags", "h2")
	pass(ann, "strings", "incr", "h3")
	pass(bob, "sets", "board", "bob")

	got, err := stats.PassHashes(ctx, ann.ID, "redis", "sets")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"board": "old", "tags": "h2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("PassHashes = %v, want %v", got, want)
	}
	got, err = stats.PassHashes(ctx, bob.ID, "redis", "strings")
	if err != nil || got == nil || len(got) != 0 {
		t.Fatalf("PassHashes with no pass = %v, %v; want an empty map", got, err)
	}
}
