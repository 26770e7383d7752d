package opslab

import (
	"context"
	"time"
)

// MaxKeyLength bounds each part of an ExerciseKey, in bytes.
const MaxKeyLength = 200

// ExerciseKey names an exercise across courses and lessons.
type ExerciseKey struct {
	Course   string
	Lesson   string
	Exercise string
}

// LessonKey returns the lesson the exercise belongs to.
func (k ExerciseKey) LessonKey() LessonKey {
	return LessonKey{Course: k.Course, Lesson: k.Lesson}
}

// Validate returns EINVALID unless every part is set and at most
// MaxKeyLength bytes long.
func (k ExerciseKey) Validate() error {
	for _, p := range []struct{ what, v string }{
		{"course", k.Course}, {"lesson", k.Lesson}, {"exercise", k.Exercise},
	} {
		if p.v == "" {
			return Errorf(EINVALID, "The %s is missing.", p.what)
		}
		if len(p.v) > MaxKeyLength {
			return Errorf(EINVALID, "The %s name is longer than %d bytes.", p.what, MaxKeyLength)
		}
	}
	return nil
}

// AttemptKind says how an exercise attempt was graded.
type AttemptKind string

// The attempt kinds.
const (
	AttemptCheck AttemptKind = "check" // the exercise's checks ran on submitted content
	AttemptLive  AttemptKind = "live"  // the learner's work ran against a live sandbox
)

// Attempt is one graded try at an exercise.
type Attempt struct {
	ID          int64
	UserID      int64
	Course      string
	Lesson      string
	Exercise    string
	ContentHash string // hash of what was graded, to spot resubmissions
	Passed      bool
	// FailedChecks holds one message per failed check; empty when Passed.
	FailedChecks []string
	Kind         AttemptKind
	// Commands are the last commands the learner ran in the sandbox's
	// console and terminal before a failed check, newest last (at most
	// MaxAttemptCommands of at most MaxAttemptCommandBytes each); empty
	// for a pass and a live check.
	Commands  []string
	CreatedAt time.Time
}

// Bounds of Attempt.Commands.
const (
	MaxAttemptCommands     = 20
	MaxAttemptCommandBytes = 300
)

// Key returns the exercise the attempt is for.
func (a *Attempt) Key() ExerciseKey {
	return ExerciseKey{Course: a.Course, Lesson: a.Lesson, Exercise: a.Exercise}
}

// Validate returns EINVALID with a sentence naming the first bad field.
func (a *Attempt) Validate() error {
	if err := a.Key().Validate(); err != nil {
		return err
	}
	if a.ContentHash == "" || len(a.ContentHash) > MaxKeyLength {
		return Errorf(EINVALID, "The content hash is missing or too long.")
	}
	if a.Kind != AttemptCheck && a.Kind != AttemptLive {
		return Errorf(EINVALID, "Unknown attempt kind %q: use check or live.", a.Kind)
	}
	if a.Passed && len(a.FailedChecks) > 0 {
		return Errorf(EINVALID, "A passing attempt cannot have failed checks.")
	}
	if len(a.Commands) > MaxAttemptCommands {
		return Errorf(EINVALID, "An attempt keeps at most %d commands, not %d.", MaxAttemptCommands, len(a.Commands))
	}
	for _, c := range a.Commands {
		if len(c) > MaxAttemptCommandBytes {
			return Errorf(EINVALID, "A kept command is at most %d bytes.", MaxAttemptCommandBytes)
		}
	}
	return nil
}

// AttemptService records how learners work on exercises.
type AttemptService interface {
	// RecordAttempt stores the attempt and returns it with ID and CreatedAt
	// set. A passing attempt also records the exercise as passed unless it
	// already was: the first pass is kept. It returns EINVALID for bad input
	// and ENOTFOUND for an unknown user.
	RecordAttempt(ctx context.Context, a Attempt) (*Attempt, error)
	// RecordHintReveal notes that the user revealed the hint with this
	// zero-based index. Revealing the same hint again changes nothing.
	RecordHintReveal(ctx context.Context, userID int64, k ExerciseKey, index int) error
	// HintsRevealed returns how many distinct hints of the exercise the user revealed.
	HintsRevealed(ctx context.Context, userID int64, k ExerciseKey) (int, error)
	// RecordSolutionReveal notes that the user revealed the exercise's solution.
	RecordSolutionReveal(ctx context.Context, userID int64, k ExerciseKey) error
	// SolutionRevealed reports whether the user ever revealed the solution.
	SolutionRevealed(ctx context.Context, userID int64, k ExerciseKey) (bool, error)
}

// ExercisePass is the first time a user passed an exercise.
type ExercisePass struct {
	UserID      int64
	Key         ExerciseKey
	ContentHash string // hash of the content of the first passing attempt
	PassedAt    time.Time
}

// ExerciseStats sums up learners' attempts at one exercise without naming
// anyone: counts only, for instructors.
type ExerciseStats struct {
	Attempts int // attempts recorded, from Check and from live checks
	Learners int // distinct learners with at least one attempt
	Passed   int // distinct learners with at least one passing attempt
	// MostFailed is the check that failed in the most attempts; nil when no
	// check ever failed.
	MostFailed *FailedCheck
}

// PassRate is Passed over Learners, between 0 and 1; 0 when nobody tried.
func (s ExerciseStats) PassRate() float64 {
	if s.Learners == 0 {
		return 0
	}
	return float64(s.Passed) / float64(s.Learners)
}

// FailedCheck is one check of an exercise and how often it failed.
type FailedCheck struct {
	Number   int    // the check's position in the exercise, from 1
	Message  string // what the latest failure told the learner
	Failures int    // attempts in which it failed
}

// StatsService reads summaries of recorded attempts: anonymous statistics
// per exercise for instructors, and the content version of each of a
// learner's passes.
type StatsService interface {
	// ExerciseStats returns the statistics of every exercise of the lesson
	// that learners attempted, keyed by exercise id; exercises nobody
	// attempted are absent. Attempts by instructors and admins are left out.
	ExerciseStats(ctx context.Context, course, lesson string) (map[string]ExerciseStats, error)
	// PassHashes returns, for every exercise of the lesson the user passed,
	// the content hash of their first pass, keyed by exercise id; an empty
	// map if none.
	PassHashes(ctx context.Context, userID int64, course, lesson string) (map[string]string, error)
}
