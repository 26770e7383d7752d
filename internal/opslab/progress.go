package opslab

import (
	"context"
	"time"
)

// LessonKey names a lesson across courses.
type LessonKey struct {
	Course string
	Lesson string
}

// String returns the key as "course/lesson", for logs and labels.
func (k LessonKey) String() string { return k.Course + "/" + k.Lesson }

// LessonProgress is what the store knows of one user and one lesson.
type LessonProgress struct {
	Course       string
	Lesson       string
	FirstViewed  time.Time
	LastActivity time.Time
	Completed    *time.Time    // nil until the lesson is done
	TimeSpent    time.Duration // active reading time reported by the page
}

// ProgressService records what learners did.
type ProgressService interface {
	// RecordView notes that the user opened the lesson (first and last view).
	RecordView(ctx context.Context, userID int64, k LessonKey) error
	// AddTimeSpent adds active time on the lesson, bounded per call.
	AddTimeSpent(ctx context.Context, userID int64, k LessonKey, d time.Duration) error
	// MarkCompleted sets the completion time if it is not set yet; done=false clears it.
	MarkCompleted(ctx context.Context, userID int64, k LessonKey, done bool) error
	// LessonProgress returns the user's progress for every lesson of a course
	// that has any, keyed by lesson slug.
	CourseProgress(ctx context.Context, userID int64, course string) (map[string]*LessonProgress, error)
	// PassedExercises returns the ids of exercises the user passed in the
	// course, keyed by lesson slug.
	PassedExercises(ctx context.Context, userID int64, course string) (map[string]map[string]bool, error)
}
