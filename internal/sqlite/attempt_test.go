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

func TestAttemptService_RecordAttempt(t *testing.T) {
	ctx := context.Background()
	key := opslab.ExerciseKey{Course: "redis", Lesson: "strings", Exercise: "incr"}

	setup := func(t *testing.T) (*Clock, *sqlite.AttemptService, *sqlite.ProgressService, *opslab.User) {
		db := MustOpenDB(t)
		clk := NewClock()
		db.Now = clk.Now
		return clk, sqlite.NewAttemptService(db), sqlite.NewProgressService(db),
			MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	}
	attempt := func(userID int64, hash string, failed ...string) opslab.Attempt {
		return opslab.Attempt{UserID: userID, Course: key.Course, Lesson: key.Lesson, Exercise: key.Exercise,
			ContentHash: hash, Passed: len(failed) == 0, FailedChecks: failed, Kind: opslab.AttemptCheck}
	}

	t.Run("OK", func(t *testing.T) {
		clk, s, progress, ann := setup(t)
		in := attempt(ann.ID, "h1", "check 0: INCR not used", "check 2: wrong value")
		a, err := s.RecordAttempt(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.ID == 0 || !a.CreatedAt.Equal(clk.Now()) || !reflect.DeepEqual(a.FailedChecks, in.FailedChecks) {
			t.Fatalf("attempt = %+v", a)
		}
		list, err := s.ListAttempts(ctx, ann.ID, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || !reflect.DeepEqual(list[0], a) {
			t.Fatalf("ListAttempts = %+v, want [%+v]", list, a)
		}
		// A failure is not a pass.
		_, err = s.FindPass(ctx, ann.ID, key)
		AssertCode(t, err, opslab.ENOTFOUND)
		if p, err := progress.PassedExercises(ctx, ann.ID, "redis"); err != nil || len(p) != 0 {
			t.Fatalf("PassedExercises = %v, %v", p, err)
		}
	})

	t.Run("FirstPassKept", func(t *testing.T) {
		clk, s, progress, ann := setup(t)
		if _, err := s.RecordAttempt(ctx, attempt(ann.ID, "h0", "check 1 failed")); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		firstPass := clk.Now()
		if _, err := s.RecordAttempt(ctx, attempt(ann.ID, "h1")); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Minute)
		live := attempt(ann.ID, "h2")
		live.Kind = opslab.AttemptLive
		if _, err := s.RecordAttempt(ctx, live); err != nil {
			t.Fatal(err)
		}

		p, err := s.FindPass(ctx, ann.ID, key)
		if err != nil {
			t.Fatal(err)
		}
		if !p.PassedAt.Equal(firstPass) || p.ContentHash != "h1" || p.UserID != ann.ID || p.Key != key {
			t.Fatalf("pass = %+v, want first at %v with h1", p, firstPass)
		}
		passed, err := progress.PassedExercises(ctx, ann.ID, "redis")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(passed, map[string]map[string]bool{"strings": {"incr": true}}) {
			t.Fatalf("PassedExercises = %v", passed)
		}

		list, err := s.ListAttempts(ctx, ann.ID, key, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].ContentHash != "h2" || list[0].Kind != opslab.AttemptLive || list[1].ContentHash != "h1" {
			t.Fatalf("ListAttempts newest first, limit 2 = %+v", list)
		}
		if all, _ := s.ListAttempts(ctx, ann.ID, key, 0); len(all) != 3 || all[2].FailedChecks[0] != "check 1 failed" {
			t.Fatalf("all attempts = %+v", all)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		_, s, _, ann := setup(t)
		bad := []opslab.Attempt{
			{UserID: ann.ID, Course: "redis", Lesson: "l", ContentHash: "h", Kind: opslab.AttemptCheck},
			{UserID: ann.ID, Course: "redis", Lesson: "l", Exercise: "e", Kind: opslab.AttemptCheck},
			{UserID: ann.ID, Course: "redis", Lesson: "l", Exercise: "e", ContentHash: "h", Kind: "guess"},
			{UserID: ann.ID, Course: "redis", Lesson: "l", Exercise: "e", ContentHash: "h", Kind: opslab.AttemptCheck,
				Passed: true, FailedChecks: []string{"x"}},
		}
		for _, a := range bad {
			_, err := s.RecordAttempt(ctx, a)
			AssertCode(t, err, opslab.EINVALID)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		_, s, _, _ := setup(t)
		_, err := s.RecordAttempt(ctx, attempt(999, "h"))
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestAttemptService_Reveals(t *testing.T) {
	ctx := context.Background()
	key := opslab.ExerciseKey{Course: "kafka", Lesson: "groups", Exercise: "lag"}
	db := MustOpenDB(t)
	s := sqlite.NewAttemptService(db)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")

	t.Run("HintsIdempotent", func(t *testing.T) {
		if n, err := s.HintsRevealed(ctx, ann.ID, key); err != nil || n != 0 {
			t.Fatalf("HintsRevealed = %d, %v", n, err)
		}
		for _, i := range []int{0, 0, 1, 0, 1} {
			if err := s.RecordHintReveal(ctx, ann.ID, key, i); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := s.HintsRevealed(ctx, ann.ID, key); err != nil || n != 2 {
			t.Fatalf("HintsRevealed = %d, %v; want 2", n, err)
		}
		other := key
		other.Exercise = "offsets"
		if n, err := s.HintsRevealed(ctx, ann.ID, other); err != nil || n != 0 {
			t.Fatalf("HintsRevealed(other) = %d, %v; want 0", n, err)
		}
	})

	t.Run("HintsErr", func(t *testing.T) {
		AssertCode(t, s.RecordHintReveal(ctx, ann.ID, key, -1), opslab.EINVALID)
		AssertCode(t, s.RecordHintReveal(ctx, ann.ID, opslab.ExerciseKey{Course: "kafka"}, 0), opslab.EINVALID)
		AssertCode(t, s.RecordHintReveal(ctx, 999, key, 0), opslab.ENOTFOUND)
	})

	t.Run("Solution", func(t *testing.T) {
		if ok, err := s.SolutionRevealed(ctx, ann.ID, key); err != nil || ok {
			t.Fatalf("SolutionRevealed = %v, %v; want false", ok, err)
		}
		for range 2 {
			if err := s.RecordSolutionReveal(ctx, ann.ID, key); err != nil {
				t.Fatal(err)
			}
		}
		if ok, err := s.SolutionRevealed(ctx, ann.ID, key); err != nil || !ok {
			t.Fatalf("SolutionRevealed = %v, %v; want true", ok, err)
		}
		AssertCode(t, s.RecordSolutionReveal(ctx, 999, key), opslab.ENOTFOUND)
		AssertCode(t, s.RecordSolutionReveal(ctx, ann.ID, opslab.ExerciseKey{}), opslab.EINVALID)
	})
}

// TestAttemptService_Commands: a failed check keeps the commands run
// before it, newest last, and gives them back as they were (quotes,
// markup and all); more than the cap is refused.
func TestAttemptService_Commands(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDB(t)
	ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
	s := sqlite.NewAttemptService(db)
	k := opslab.ExerciseKey{Course: "c", Lesson: "l", Exercise: "e"}
	cmds := []string{`SET "a b" <script>`, "$ redis-cli -h redis --bigkeys > big.txt"}
	if _, err := s.RecordAttempt(ctx, opslab.Attempt{UserID: ann.ID, Course: k.Course, Lesson: k.Lesson, Exercise: k.Exercise,
		ContentHash: "h", Kind: opslab.AttemptCheck, FailedChecks: []string{"1: no"}, Commands: cmds}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordAttempt(ctx, opslab.Attempt{UserID: ann.ID, Course: k.Course, Lesson: k.Lesson, Exercise: k.Exercise,
		ContentHash: "h", Kind: opslab.AttemptCheck, Passed: true}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListAttempts(ctx, ann.ID, k, 0)
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %v %v", list, err)
	}
	if list[0].Commands != nil || !slices.Equal(list[1].Commands, cmds) {
		t.Fatalf("commands: newest %q, oldest %q; want none and %q", list[0].Commands, list[1].Commands, cmds)
	}
	too := make([]string, opslab.MaxAttemptCommands+1)
	if _, err := s.RecordAttempt(ctx, opslab.Attempt{UserID: ann.ID, Course: k.Course, Lesson: k.Lesson, Exercise: k.Exercise,
		ContentHash: "h", Kind: opslab.AttemptCheck, FailedChecks: []string{"1: no"}, Commands: too}); opslab.ErrorCode(err) != opslab.EINVALID {
		t.Fatalf("too many commands: %v, want EINVALID", err)
	}
}
