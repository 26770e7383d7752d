package server

import (
	"context"
	"fmt"
	"math"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
)

// courseProgress is one learner's standing in a course.
//
// A lesson is completed when every exercise in it has passed; a lesson
// without exercises, when the learner marked it done. Percent weighs the
// lessons equally; within a lesson each exercise and the "done" mark are
// one step each, so marking a lesson done or passing one exercise moves
// the bar, and a completed lesson counts whole.
type courseProgress struct {
	Percent          int `json:"percent"`
	CompletedLessons int `json:"completed_lessons"`
	TotalLessons     int `json:"total_lessons"`
	PassedExercises  int `json:"passed_exercises"`
	TotalExercises   int `json:"total_exercises"`

	lessons map[string]lessonStanding
}

// lessonStanding is one learner's standing in one lesson.
type lessonStanding struct {
	Done      bool // marked done by the learner
	Started   bool // viewed at least once
	Passed    int
	Exercises int
	passed    map[string]bool
}

// Completed applies the contract's definition of a completed lesson.
func (l lessonStanding) Completed() bool {
	if l.Exercises > 0 {
		return l.Passed == l.Exercises
	}
	return l.Done
}

// Status is "completed", "in-progress" or "not-started".
func (l lessonStanding) Status() string {
	switch {
	case l.Completed():
		return "completed"
	case l.Started || l.Done || l.Passed > 0:
		return "in-progress"
	}
	return "not-started"
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
func (s *Server) progressFor(ctx context.Context, userID int64, c *course.Course) (*courseProgress, error) {
	key := progressKey{user: userID, catalog: s.Catalog(), course: c.Slug}
	s.progress.mu.Lock()
	p, ok := s.progress.m[key]
	s.progress.mu.Unlock()
	if ok {
		return p, nil
	}
	prog, err := s.cfg.Progress.CourseProgress(ctx, userID, c.Slug)
	if err != nil {
		return nil, fmt.Errorf("course progress: %w", err)
	}
	passed, err := s.cfg.Progress.PassedExercises(ctx, userID, c.Slug)
	if err != nil {
		return nil, fmt.Errorf("passed exercises: %w", err)
	}
	p = computeProgress(c, prog, passed)
	s.progress.mu.Lock()
	if s.progress.m == nil || len(s.progress.m) >= maxCached {
		s.progress.m = map[progressKey]*courseProgress{}
	}
	s.progress.m[key] = p
	s.progress.mu.Unlock()
	return p, nil
}

func computeProgress(c *course.Course, prog map[string]*opslab.LessonProgress, passed map[string]map[string]bool) *courseProgress {
	p := &courseProgress{TotalLessons: len(c.Lessons), lessons: map[string]lessonStanding{}}
	var sum float64
	for _, l := range c.Lessons {
		st := lessonStanding{Exercises: len(l.Exercises), passed: map[string]bool{}}
		if lp := prog[l.Slug]; lp != nil {
			st.Started = true
			st.Done = lp.Completed != nil
		}
		for _, e := range l.Exercises {
			if passed[l.Slug][e.ID] {
				st.Passed++
				st.passed[e.ID] = true
			}
		}
		p.lessons[l.Slug] = st
		p.TotalExercises += st.Exercises
		p.PassedExercises += st.Passed
		if st.Completed() {
			p.CompletedLessons++
			sum++
			continue
		}
		steps, doneSteps := st.Exercises+1, st.Passed
		if st.Done {
			doneSteps++
		}
		sum += float64(doneSteps) / float64(steps)
	}
	if len(c.Lessons) > 0 {
		// Rounded down, so 100 means every lesson complete; but never 0
		// once anything is done, so a first step shows on the bar.
		p.Percent = int(math.Floor(100 * sum / float64(len(c.Lessons))))
		if p.Percent == 0 && sum > 0 {
			p.Percent = 1
		}
	}
	return p
}

// standing returns the learner's standing in a lesson.
func (p *courseProgress) standing(slug string) lessonStanding { return p.lessons[slug] }
