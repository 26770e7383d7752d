package learning

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

// courseProgress is one learner's standing in a course, as the learner's
// own pages and calls show it: team.Assess's answer, the same that the
// learner's team leads see on the dashboard, its JSON, the CSV export and
// the learner detail page. A lesson is completed (team.Done) when every
// exercise in it has passed; a lesson without exercises, when the learner
// marked it done. Percent is team.CompletionPercent: lessons weigh the
// same, within a lesson each exercise and the done mark are one step.
type courseProgress struct {
	Percent          int `json:"percent"`
	CompletedLessons int `json:"completed_lessons"`
	TotalLessons     int `json:"total_lessons"`
	PassedExercises  int `json:"passed_exercises"`
	TotalExercises   int `json:"total_exercises"`

	learner  *team.Learner
	activity *opslab.LearnerActivity
	lessons  map[string]int // lesson slug → index in learner.Cells
}

// lessonStanding is one learner's standing in one lesson.
type lessonStanding struct {
	Status    team.Status
	Done      bool // marked done by the learner
	Passed    int
	Exercises int

	lesson   string
	activity *opslab.LearnerActivity
}

// Completed applies the contract's definition of a completed lesson.
func (l lessonStanding) Completed() bool { return l.Status == team.Done }

// passed reports whether the learner passed the exercise of the lesson.
func (l lessonStanding) passed(exercise string) bool {
	if l.activity == nil {
		return false
	}
	e := l.activity.Exercise(l.lesson, exercise)
	return e != nil && e.Passed != nil
}

// StateText describes the standing in a sentence for the lesson page.
func (l lessonStanding) StateText() string {
	switch {
	case l.Completed() && l.Exercises > 0:
		return fmt.Sprintf("Completed: all %d exercises passed.", l.Exercises)
	case l.Completed():
		return "Completed."
	case l.Exercises > 0 && l.Done:
		return fmt.Sprintf("Marked as read. %d of %d exercises passed: pass them all to complete the lesson.", l.Passed, l.Exercises)
	case l.Exercises > 0:
		return fmt.Sprintf("%d of %d exercises passed.", l.Passed, l.Exercises)
	}
	return "Not marked as done yet."
}

// progressFor computes a learner's progress in a course from the store.
func (h *Handler) progressFor(ctx context.Context, userID int64, c *course.Course) (*courseProgress, error) {
	key := progressKey{user: userID, catalog: h.kit.Catalog(), course: c.Slug}
	h.progressCache.mu.Lock()
	p, ok := h.progressCache.m[key]
	h.progressCache.mu.Unlock()
	if ok {
		return p, nil
	}
	a, err := h.learnerActivity(ctx, userID, c.Slug)
	if err != nil {
		return nil, err
	}
	p = progressOf(c, a)
	h.progressCache.mu.Lock()
	if h.progressCache.m == nil || len(h.progressCache.m) >= maxCached {
		h.progressCache.m = map[progressKey]*courseProgress{}
	}
	h.progressCache.m[key] = p
	h.progressCache.mu.Unlock()
	return p, nil
}

// learnerActivityReader reads a learner's record in a course as the team
// dashboard reads it; sqlite.ProgressService is one.
type learnerActivityReader interface {
	LearnerActivity(ctx context.Context, userID int64, course string) (*opslab.LearnerActivity, error)
}

// learnerActivity reads the learner's record in the course: from the
// progress store's LearnerActivity when it has one, else from its lesson
// progress and passed exercises (without failure counts, so such a store
// never shows a learner stuck).
func (h *Handler) learnerActivity(ctx context.Context, userID int64, courseSlug string) (*opslab.LearnerActivity, error) {
	if r, ok := h.progress.(learnerActivityReader); ok {
		a, err := r.LearnerActivity(ctx, userID, courseSlug)
		if err != nil {
			return nil, fmt.Errorf("learner activity: %w", err)
		}
		return a, nil
	}
	prog, err := h.progress.CourseProgress(ctx, userID, courseSlug)
	if err != nil {
		return nil, fmt.Errorf("course progress: %w", err)
	}
	passed, err := h.progress.PassedExercises(ctx, userID, courseSlug)
	if err != nil {
		return nil, fmt.Errorf("passed exercises: %w", err)
	}
	a := &opslab.LearnerActivity{UserID: userID, Lessons: prog, Exercises: map[opslab.LessonExercise]*opslab.ExerciseActivity{}}
	var never time.Time // the pass's time is not known, only that it happened
	for lesson, ids := range passed {
		for id, ok := range ids {
			if ok {
				a.Exercises[opslab.LessonExercise{Lesson: lesson, Exercise: id}] = &opslab.ExerciseActivity{Lesson: lesson, Exercise: id, Passed: &never}
			}
		}
	}
	return a, nil
}

// progressOf assesses the learner's record a in the course, with the team
// dashboard's rules and no team to compare with.
func progressOf(c *course.Course, a *opslab.LearnerActivity) *courseProgress {
	l := team.Assess(c, a, team.DefaultRules, nil)
	p := &courseProgress{Percent: l.Percent, CompletedLessons: l.CompletedLessons, TotalLessons: len(c.Lessons),
		PassedExercises: l.PassedExercises, TotalExercises: c.ExerciseCount(),
		learner: l, activity: a, lessons: make(map[string]int, len(c.Lessons))}
	for i, ls := range c.Lessons {
		p.lessons[ls.Slug] = i
	}
	return p
}

// standing returns the learner's standing in a lesson.
func (p *courseProgress) standing(slug string) lessonStanding {
	i, ok := p.lessons[slug]
	if !ok {
		return lessonStanding{Status: team.NotStarted}
	}
	c := &p.learner.Cells[i]
	return lessonStanding{Status: c.Status, Done: c.Marked, Passed: c.Passed, Exercises: len(c.Lesson.Exercises),
		lesson: slug, activity: p.activity}
}

type progressKey struct {
	user    int64
	catalog *course.Catalog // a reload makes new entries
	course  string
}

// progressCache keeps each learner's computed course progress until this
// process writes progress for that learner. Every progress write goes
// through the server, which owns the SQLite file, so the cache is never
// stale.
type progressCache struct {
	mu sync.Mutex
	m  map[progressKey]*courseProgress
}

// forgetProgress drops the cached progress of a learner.
func (h *Handler) forgetProgress(userID int64) {
	h.progressCache.mu.Lock()
	for k := range h.progressCache.m {
		if k.user == userID {
			delete(h.progressCache.m, k)
		}
	}
	h.progressCache.mu.Unlock()
}
