package opslab

import (
	"context"
	"time"
)

// TeamActivity is what the store knows of a team's learners in one course:
// the raw material of the team dashboard. The dashboard's statuses, stuck
// signals and charts are computed from it and the course catalogue. Its
// times are to the millisecond.
type TeamActivity struct {
	TeamID   int64
	TeamName string // the team's display name
	Course   string
	// Learners holds every member of the team who is not one of its leads,
	// ordered by name then email, with or without activity.
	Learners []*LearnerActivity
	// Checks counts, over all the learners, how often each check of each
	// exercise failed in attempts of kind check, keyed by lesson slug then
	// exercise id, ordered by check number; exercises that never failed are
	// absent.
	Checks map[string]map[string][]CheckFailures
}

// LearnerActivity is one learner's record in one course.
type LearnerActivity struct {
	UserID int64
	Email  string
	Name   string
	// Lessons holds the learner's progress rows, keyed by lesson slug;
	// lessons never opened are absent.
	Lessons map[string]*LessonProgress
	// Exercises holds what the learner did on each exercise; exercises
	// never touched are absent.
	Exercises map[LessonExercise]*ExerciseActivity
}

// LessonExercise names an exercise within a course.
type LessonExercise struct {
	Lesson   string
	Exercise string
}

// Exercise returns the learner's activity on one exercise, or nil if there
// is none.
func (l *LearnerActivity) Exercise(lesson, exercise string) *ExerciseActivity {
	return l.Exercises[LessonExercise{lesson, exercise}]
}

// ExerciseActivity sums up one learner's work on one exercise.
type ExerciseActivity struct {
	Lesson   string
	Exercise string
	// Attempts counts every graded attempt, from Check and from live checks.
	Attempts int
	// FailedChecks counts the failed attempts of kind check: the learner
	// pressed Check and at least one check failed. Live checks, recorded as
	// the learner works, are left out: a failing live check is work in
	// progress, not a failed try.
	FailedChecks int
	// LastAttempt is the time of the latest attempt of any kind; zero when
	// there is none.
	LastAttempt time.Time
	// Passed is the time of the first pass (the first passing attempt);
	// nil until passed.
	Passed *time.Time
	// HintsRevealed counts distinct hints revealed; LastHint is the latest
	// reveal, zero when none.
	HintsRevealed int
	LastHint      time.Time
	// Checks counts, per check, the learner's failed attempts of kind check
	// in which it failed, ordered by check number; only while the exercise
	// is not passed (nil once it is): it tells what a learner is stuck on.
	Checks []CheckFailures
}

// CheckFailures is how often one check of an exercise failed, in failed
// attempts of kind check.
type CheckFailures struct {
	Number   int       // the check's position in the exercise, from 1
	Failures int       // attempts in which it failed
	Message  string    // what its latest failure told the learner
	Last     time.Time // when it last failed
}

// LearnerHistory is everything one learner did in one course, in time
// order: what a team lead reads on the learner's detail page.
type LearnerHistory struct {
	TeamName string // the team's display name
	UserID   int64
	Email    string
	Name     string
	Course   string
	// Attempts holds every attempt in the course, oldest first.
	Attempts []*Attempt
	// Hints holds every hint reveal in the course, oldest first.
	Hints []HintReveal
	// Solutions holds every solution reveal in the course, oldest first.
	Solutions []SolutionReveal
}

// HintReveal is the first time a learner revealed one hint of an exercise.
type HintReveal struct {
	Key        ExerciseKey
	Index      int // zero-based, in the exercise's order
	RevealedAt time.Time
}

// SolutionReveal is one reveal of an exercise's solution.
type SolutionReveal struct {
	Key        ExerciseKey
	RevealedAt time.Time
}

// DashboardService reads what team leads see of their learners. Every
// method is read-only.
type DashboardService interface {
	// TeamActivity returns the activity of every learner of the team (its
	// members who are not leads) in the course. It returns ENOTFOUND for an
	// unknown team.
	TeamActivity(ctx context.Context, teamID int64, course string) (*TeamActivity, error)
	// LearnerHistory returns the attempts, hint reveals and solution
	// reveals of one learner of the team in the course. It returns
	// ENOTFOUND unless the user is a member of the team who is not one of
	// its leads.
	LearnerHistory(ctx context.Context, teamID, userID int64, course string) (*LearnerHistory, error)
}
