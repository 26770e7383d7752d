package sqlite_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

// TestLearnerActivity: a learner's own record is the one the team
// dashboard and the team's progress reports read of them, per-check
// failures aside, so that the learner and their lead see the same.
func TestLearnerActivity(t *testing.T) {
	ctx := context.Background()
	f := newDashboardFixture(t)
	progress := sqlite.NewProgressService(f.db)
	k := opslab.LessonKey{Course: "redis", Lesson: "sets"}
	if err := progress.RecordView(ctx, f.ann.ID, k); err != nil {
		t.Fatal(err)
	}
	if err := progress.AddTimeSpent(ctx, f.ann.ID, k, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	f.clk.Add(time.Minute)
	for range 4 {
		f.attempt(t, f.ann, "redis", "lists", "push", opslab.AttemptCheck, "1: push wrong")
	}
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptLive, "1: not yet")
	f.clk.Add(time.Minute)
	f.attempt(t, f.ann, "redis", "sets", "board", opslab.AttemptCheck)
	if err := progress.MarkCompleted(ctx, f.ann.ID, opslab.LessonKey{Course: "redis", Lesson: "intro"}, true); err != nil {
		t.Fatal(err)
	}
	if err := sqlite.NewAttemptService(f.db).RecordHintReveal(ctx, f.ann.ID, opslab.ExerciseKey{Course: "redis", Lesson: "lists", Exercise: "pop"}, 1); err != nil {
		t.Fatal(err)
	}
	f.attempt(t, f.ann, "kafka", "topics", "create", opslab.AttemptCheck) // another course

	own, err := progress.LearnerActivity(ctx, f.ann.ID, "redis")
	if err != nil {
		t.Fatal(err)
	}
	for _, read := range []struct {
		name string
		s    interface {
			TeamActivity(context.Context, int64, string) (*opslab.TeamActivity, error)
		}
	}{{"dashboard", f.s}, {"export", sqlite.NewExportService(f.db)}} {
		ta, err := read.s.TeamActivity(ctx, f.team.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		var lead *opslab.LearnerActivity
		for _, l := range ta.Learners {
			if l.UserID == f.ann.ID {
				lead = l
			}
		}
		if lead == nil {
			t.Fatalf("%s: ann is not in the team's activity", read.name)
		}
		if !reflect.DeepEqual(own.Lessons, lead.Lessons) {
			t.Errorf("%s: lessons %+v, the learner's own %+v", read.name, lead.Lessons, own.Lessons)
		}
		if len(own.Exercises) != len(lead.Exercises) || len(own.Exercises) != 3 {
			t.Errorf("%s: %d exercises, the learner's own %d, want 3", read.name, len(lead.Exercises), len(own.Exercises))
		}
		for key, e := range lead.Exercises {
			mine := own.Exercises[key]
			if mine == nil {
				t.Errorf("%s: %v missing from the learner's own record", read.name, key)
				continue
			}
			e2 := *e
			e2.Checks = nil
			if !reflect.DeepEqual(*mine, e2) {
				t.Errorf("%s: %v is %+v, the learner's own %+v", read.name, key, e2, *mine)
			}
		}
	}
	if e := own.Exercise("lists", "push"); e == nil || e.FailedChecks != 4 || e.Passed != nil {
		t.Errorf("push: %+v", e)
	}
	if empty, err := progress.LearnerActivity(ctx, 999, "redis"); err != nil || len(empty.Lessons) != 0 || len(empty.Exercises) != 0 {
		t.Errorf("an unknown user: %+v, %v", empty, err)
	}
}
