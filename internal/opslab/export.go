package opslab

import (
	"context"
	"time"
)

// LearnerRecord is what the store holds of one learner of a team, over
// every course: the raw material of the team progress report and its CSV
// export. Which lessons count as completed is decided with the course
// catalogue, not here.
type LearnerRecord struct {
	UserID int64
	Email  string
	Name   string
	// Lessons holds the learner's progress rows; lessons never opened are
	// absent.
	Lessons map[LessonKey]*LessonProgress
	// Exercises holds the learner's attempts and first pass per exercise;
	// exercises never attempted are absent.
	Exercises map[ExerciseKey]*ExerciseRecord
	// LastActivity is the latest lesson view, reading time, done mark or
	// exercise attempt; nil if there is none.
	LastActivity *time.Time
}

// ExerciseRecord sums up one learner's attempts at one exercise.
type ExerciseRecord struct {
	Attempts int // graded attempts, from Check and from live checks
	// PassedAt is the time of the first pass; nil until passed.
	PassedAt *time.Time
}

// ExportService reads the records behind a team's progress report.
type ExportService interface {
	// TeamRecords returns one record per learner of the team (its members
	// who are not leads), ordered by email. It returns ENOTFOUND for an
	// unknown team.
	TeamRecords(ctx context.Context, teamID int64) ([]*LearnerRecord, error)
}
