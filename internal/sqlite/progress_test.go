package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestProgressService(t *testing.T) {
	ctx := context.Background()
	intro := opslab.LessonKey{Course: "redis", Lesson: "intro"}

	setup := func(t *testing.T) (*sqlite.DB, *Clock, *sqlite.ProgressService, *opslab.User) {
		db := MustOpenDB(t)
		clk := NewClock()
		db.Now = clk.Now
		return db, clk, sqlite.NewProgressService(db), MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	}
	lesson := func(t *testing.T, s *sqlite.ProgressService, userID int64, k opslab.LessonKey) *opslab.LessonProgress {
		t.Helper()
		m, err := s.CourseProgress(ctx, userID, k.Course)
		if err != nil {
			t.Fatal(err)
		}
		p := m[k.Lesson]
		if p == nil {
			t.Fatalf("no progress for %v in %v", k, m)
		}
		return p
	}

	t.Run("RecordView", func(t *testing.T) {
		_, clk, s, ann := setup(t)
		first := clk.Now()
		if err := s.RecordView(ctx, ann.ID, intro); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		if err := s.RecordView(ctx, ann.ID, intro); err != nil {
			t.Fatal(err)
		}
		p := lesson(t, s, ann.ID, intro)
		if p.Course != "redis" || p.Lesson != "intro" || !p.FirstViewed.Equal(first) ||
			!p.LastActivity.Equal(clk.Now()) || p.Completed != nil || p.TimeSpent != 0 {
			t.Fatalf("progress = %+v", p)
		}
	})

	t.Run("LastActivityNeverGoesBack", func(t *testing.T) {
		_, clk, s, ann := setup(t)
		clk.Add(time.Hour)
		late := clk.Now()
		if err := s.RecordView(ctx, ann.ID, intro); err != nil {
			t.Fatal(err)
		}
		clk.Add(-30 * time.Minute) // the wall clock stepped back
		if err := s.RecordView(ctx, ann.ID, intro); err != nil {
			t.Fatal(err)
		}
		if p := lesson(t, s, ann.ID, intro); !p.LastActivity.Equal(late) {
			t.Fatalf("LastActivity = %v, want %v", p.LastActivity, late)
		}
	})

	t.Run("EmptyCourse", func(t *testing.T) {
		_, _, s, ann := setup(t)
		m, err := s.CourseProgress(ctx, ann.ID, "kafka")
		if err != nil || m == nil || len(m) != 0 {
			t.Fatalf("CourseProgress = %v, %v; want empty non-nil", m, err)
		}
		p, err := s.PassedExercises(ctx, ann.ID, "kafka")
		if err != nil || p == nil || len(p) != 0 {
			t.Fatalf("PassedExercises = %v, %v; want empty non-nil", p, err)
		}
	})

	t.Run("TimeCapped", func(t *testing.T) {
		_, clk, s, ann := setup(t)
		start := clk.Now()
		for _, d := range []time.Duration{30 * time.Second, time.Hour, 0, 1500 * time.Millisecond} {
			clk.Add(time.Second)
			if err := s.AddTimeSpent(ctx, ann.ID, intro, d); err != nil {
				t.Fatal(err)
			}
		}
		want := 30*time.Second + sqlite.MaxTimeSpentPerCall + 1500*time.Millisecond
		p := lesson(t, s, ann.ID, intro)
		if p.TimeSpent != want {
			t.Fatalf("TimeSpent = %v, want %v", p.TimeSpent, want)
		}
		// The first call made the row; the zero call did not touch it.
		if !p.FirstViewed.Equal(start.Add(time.Second)) || !p.LastActivity.Equal(clk.Now()) {
			t.Fatalf("progress = %+v", p)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, _, s, ann := setup(t)
		AssertCode(t, s.AddTimeSpent(ctx, ann.ID, intro, -time.Second), opslab.EINVALID)
		AssertCode(t, s.RecordView(ctx, ann.ID, opslab.LessonKey{Course: "redis"}), opslab.EINVALID)
		AssertCode(t, s.MarkCompleted(ctx, ann.ID, opslab.LessonKey{Lesson: "x"}, true), opslab.EINVALID)
		AssertCode(t, s.MarkCompleted(ctx, ann.ID, opslab.LessonKey{Lesson: "x"}, false), opslab.EINVALID)
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, _, s, _ := setup(t)
		AssertCode(t, s.RecordView(ctx, 999, intro), opslab.ENOTFOUND)
		AssertCode(t, s.AddTimeSpent(ctx, 999, intro, time.Second), opslab.ENOTFOUND)
		AssertCode(t, s.MarkCompleted(ctx, 999, intro, true), opslab.ENOTFOUND)
		AssertCode(t, s.MarkCompleted(ctx, 999, intro, false), opslab.ENOTFOUND)
	})

	t.Run("CompletionIdempotentAndClearable", func(t *testing.T) {
		_, clk, s, ann := setup(t)
		first := clk.Now()
		if err := s.MarkCompleted(ctx, ann.ID, intro, true); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Hour)
		if err := s.MarkCompleted(ctx, ann.ID, intro, true); err != nil {
			t.Fatal(err)
		}
		p := lesson(t, s, ann.ID, intro)
		if p.Completed == nil || !p.Completed.Equal(first) {
			t.Fatalf("Completed = %v, want the first time %v", p.Completed, first)
		}
		if !p.LastActivity.Equal(clk.Now()) {
			t.Fatalf("LastActivity = %v, want %v", p.LastActivity, clk.Now())
		}

		clk.Add(time.Hour)
		if err := s.MarkCompleted(ctx, ann.ID, intro, false); err != nil {
			t.Fatal(err)
		}
		if p := lesson(t, s, ann.ID, intro); p.Completed != nil || !p.FirstViewed.Equal(first) {
			t.Fatalf("after clearing: %+v", p)
		}
		// Clearing what is not set is fine and creates nothing.
		if err := s.MarkCompleted(ctx, ann.ID, opslab.LessonKey{Course: "redis", Lesson: "other"}, false); err != nil {
			t.Fatal(err)
		}
		if m, _ := s.CourseProgress(ctx, ann.ID, "redis"); len(m) != 1 {
			t.Fatalf("progress = %v, want one lesson", m)
		}

		clk.Add(time.Hour)
		if err := s.MarkCompleted(ctx, ann.ID, intro, true); err != nil {
			t.Fatal(err)
		}
		if p := lesson(t, s, ann.ID, intro); p.Completed == nil || !p.Completed.Equal(clk.Now()) {
			t.Fatalf("Completed = %v, want %v", p.Completed, clk.Now())
		}
	})

	t.Run("PersistsAcrossReopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "opslab.db")
		clk := NewClock()
		db := MustOpenDBAt(t, path)
		db.Now = clk.Now
		ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
		s := sqlite.NewProgressService(db)
		if err := s.RecordView(ctx, ann.ID, intro); err != nil {
			t.Fatal(err)
		}
		if err := s.AddTimeSpent(ctx, ann.ID, intro, 42*time.Second); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkCompleted(ctx, ann.ID, intro, true); err != nil {
			t.Fatal(err)
		}
		if _, err := sqlite.NewAttemptService(db).RecordAttempt(ctx, opslab.Attempt{
			UserID: ann.ID, Course: "redis", Lesson: "intro", Exercise: "set-get",
			ContentHash: "abc", Passed: true, Kind: opslab.AttemptLive,
		}); err != nil {
			t.Fatal(err)
		}
		want := lesson(t, s, ann.ID, intro)
		MustClose(t, db)

		db2 := MustOpenDBAt(t, path)
		s2 := sqlite.NewProgressService(db2)
		got := lesson(t, s2, ann.ID, intro)
		if !got.FirstViewed.Equal(want.FirstViewed) || !got.LastActivity.Equal(want.LastActivity) ||
			got.Completed == nil || !got.Completed.Equal(*want.Completed) || got.TimeSpent != 42*time.Second {
			t.Fatalf("after reopen %+v, want %+v", got, want)
		}
		passed, err := s2.PassedExercises(ctx, ann.ID, "redis")
		if err != nil || !passed["intro"]["set-get"] {
			t.Fatalf("PassedExercises = %v, %v", passed, err)
		}
	})
}
