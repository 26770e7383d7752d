package sqlite_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

// TestConcurrentWriters runs writers on several goroutines at once. WAL,
// the busy timeout and transactions that take the write lock when they
// begin must keep SQLITE_BUSY from surfacing, and no write may be lost.
func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	users := NewUserService(db)
	progress := sqlite.NewProgressService(db)
	attempts := sqlite.NewAttemptService(db)
	sandboxes := sqlite.NewSandboxRecords(db)
	const workers, rounds = 8, 40
	k := opslab.LessonKey{Course: "redis", Lesson: "intro"}

	// Everyone also writes to one shared row, the worst case for contention.
	shared := MustCreateUser(t, db, "shared@example.com", opslab.RoleLearner, "")

	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*6)
	for w := range workers {
		wg.Go(func() {
			u, err := users.CreateUser(ctx, opslab.NewUser{
				Email: fmt.Sprintf("w%d@example.com", w), Name: "W", Password: "correct horse battery", Team: "crowd",
			})
			if err != nil {
				errs <- err
				return
			}
			for i := range rounds {
				ex := opslab.Attempt{UserID: u.ID, Course: "redis", Lesson: "intro", Exercise: fmt.Sprint("e", i%4),
					ContentHash: fmt.Sprint(i), Passed: i%2 == 0, Kind: opslab.AttemptCheck}
				if !ex.Passed {
					ex.FailedChecks = []string{"nope"}
				}
				_, err := attempts.RecordAttempt(ctx, ex)
				errs <- err
				errs <- progress.RecordView(ctx, u.ID, k)
				errs <- progress.AddTimeSpent(ctx, shared.ID, k, time.Second)
				errs <- attempts.RecordHintReveal(ctx, shared.ID, opslab.ExerciseKey{Course: "redis", Lesson: "intro", Exercise: "e"}, i%3)
				errs <- sandboxes.Put(ctx, sqlite.SandboxRecord{ID: fmt.Sprintf("w%d", w), UserID: u.ID, Kind: "redis", Driver: "process", PID: i + 1})
				_, err = progress.CourseProgress(ctx, u.ID, "redis")
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}

	p, err := progress.CourseProgress(ctx, shared.ID, "redis")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p["intro"].TimeSpent, workers*rounds*time.Second; got != want {
		t.Fatalf("shared TimeSpent = %v, want %v (lost updates)", got, want)
	}
	team, err := sqlite.NewTeamService(db).FindTeamBySlug(ctx, "crowd")
	if err != nil {
		t.Fatal(err)
	}
	report, err := sqlite.NewTeamService(db).TeamProgress(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(report) != workers {
		t.Fatalf("report has %d rows, want %d", len(report), workers)
	}
	for _, r := range report {
		// Exercises e0 and e2 pass (even i); e1 and e3 only ever fail.
		if r.PassedExercises != 2 || r.LastActivity == nil {
			t.Fatalf("row %+v", r)
		}
	}
	if recs, err := sandboxes.List(ctx); err != nil || len(recs) != workers {
		t.Fatalf("sandbox records = %d, %v", len(recs), err)
	}
}
