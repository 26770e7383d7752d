package learning

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

type lessonSummaryJSON struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Completed bool   `json:"completed"`
}

type courseJSON struct {
	Slug    string              `json:"slug"`
	Title   string              `json:"title"`
	Lessons []lessonSummaryJSON `json:"lessons"`
}

// handleAPICourses lists every course with the learner's completed lessons.
func (h *Handler) handleAPICourses(w http.ResponseWriter, r *http.Request) {
	u := kit.CurrentUser(r)
	out := []courseJSON{}
	for _, c := range h.kit.Catalog().Courses {
		p, err := h.progressFor(r.Context(), u.ID, c)
		if err != nil {
			h.kit.APIError(w, r, err)
			return
		}
		cj := courseJSON{Slug: c.Slug, Title: c.Title, Lessons: []lessonSummaryJSON{}}
		for _, l := range c.Lessons {
			cj.Lessons = append(cj.Lessons, lessonSummaryJSON{Slug: l.Slug, Title: l.Title, Completed: p.standing(l.Slug).Completed()})
		}
		out = append(out, cj)
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

type exerciseJSON struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Sandbox string `json:"sandbox"`
	Passed  bool   `json:"passed"`
	// ChangedSincePass is true when the learner's first pass was made on
	// another version of the exercise; the pass still counts.
	ChangedSincePass bool `json:"changed_since_pass"`
}

type lessonJSON struct {
	Slug      string         `json:"slug"`
	Title     string         `json:"title"`
	Course    string         `json:"course"`
	Number    int            `json:"number"`
	Minutes   int            `json:"minutes"`
	Done      bool           `json:"done"`
	Completed bool           `json:"completed"`
	Exercises []exerciseJSON `json:"exercises"`
}

// handleAPILesson describes a lesson and its exercises, never solutions.
func (h *Handler) handleAPILesson(w http.ResponseWriter, r *http.Request) {
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	p, err := h.progressFor(r.Context(), kit.CurrentUser(r).ID, c)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	passHashes, err := h.passHashes(r.Context(), kit.CurrentUser(r).ID, c, l)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	st := p.standing(l.Slug)
	out := lessonJSON{Slug: l.Slug, Title: l.Title, Course: c.Slug, Number: l.Number, Minutes: minutes(l),
		Done: st.Done, Completed: st.Completed(), Exercises: []exerciseJSON{}}
	for _, e := range l.Exercises {
		hash, passed := passHashes[e.ID]
		out.Exercises = append(out.Exercises, exerciseJSON{ID: e.ID, Title: e.Title, Sandbox: e.Sandbox, Passed: st.passed(e.ID),
			ChangedSincePass: passed && hash != e.Hash})
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

// passHashes returns the content hash of the learner's first pass of each
// exercise of the lesson they passed; an empty map without a Stats store.
func (h *Handler) passHashes(ctx context.Context, userID int64, c *course.Course, l *course.Lesson) (map[string]string, error) {
	if h.stats == nil || len(l.Exercises) == 0 {
		return map[string]string{}, nil
	}
	hashes, err := h.stats.PassHashes(ctx, userID, c.Slug, l.Slug)
	if err != nil {
		return nil, fmt.Errorf("lesson: %w", err)
	}
	return hashes, nil
}

type completeRequest struct {
	Done *bool `json:"done"`
}

type completeResponse struct {
	Done      bool            `json:"done"`
	Completed bool            `json:"completed"`
	StateText string          `json:"state_text"`
	Progress  *courseProgress `json:"progress"`
}

// handleAPILessonComplete marks a lesson done ({"done": true}, the default
// for an empty body) or not done ({"done": false}).
func (h *Handler) handleAPILessonComplete(w http.ResponseWriter, r *http.Request) {
	var req completeRequest
	if r.ContentLength != 0 {
		if err := kit.DecodeJSON(r, &req); err != nil {
			h.kit.APIError(w, r, err)
			return
		}
	}
	done := req.Done == nil || *req.Done
	res, err := h.markDone(r, done)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, res)
}

// markDone records the learner's done mark and returns the new standing.
func (h *Handler) markDone(r *http.Request, done bool) (*completeResponse, error) {
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		return nil, err
	}
	u := kit.CurrentUser(r)
	k := opslab.LessonKey{Course: c.Slug, Lesson: l.Slug}
	err = h.progress.MarkCompleted(r.Context(), u.ID, k, done)
	h.forgetProgress(u.ID)
	if err != nil {
		return nil, err
	}
	if done {
		h.onProgress("done")
	} else {
		h.onProgress("undone")
	}
	p, err := h.progressFor(r.Context(), u.ID, c)
	if err != nil {
		return nil, err
	}
	st := p.standing(l.Slug)
	return &completeResponse{Done: st.Done, Completed: st.Completed(), StateText: st.StateText(), Progress: p}, nil
}

type activityRequest struct {
	Seconds int `json:"seconds"`
}

// handleAPILessonActivity adds active reading time (1 to 300 seconds).
func (h *Handler) handleAPILessonActivity(w http.ResponseWriter, r *http.Request) {
	var req activityRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if req.Seconds < 1 || req.Seconds > 300 {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "seconds must be between 1 and 300."))
		return
	}
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	k := opslab.LessonKey{Course: c.Slug, Lesson: l.Slug}
	if err := h.progress.AddTimeSpent(r.Context(), kit.CurrentUser(r).ID, k, time.Duration(req.Seconds)*time.Second); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	h.onProgress("activity")
	w.WriteHeader(http.StatusNoContent)
}

type myCourseProgressJSON struct {
	Slug             string `json:"slug"`
	CompletedLessons int    `json:"completed_lessons"`
	TotalLessons     int    `json:"total_lessons"`
	PassedExercises  int    `json:"passed_exercises"`
	TotalExercises   int    `json:"total_exercises"`
	Percent          int    `json:"percent"`
}

// handleAPIMyProgress sums the learner's progress per course.
func (h *Handler) handleAPIMyProgress(w http.ResponseWriter, r *http.Request) {
	out := struct {
		Courses []myCourseProgressJSON `json:"courses"`
	}{Courses: []myCourseProgressJSON{}}
	for _, c := range h.kit.Catalog().Courses {
		p, err := h.progressFor(r.Context(), kit.CurrentUser(r).ID, c)
		if err != nil {
			h.kit.APIError(w, r, err)
			return
		}
		out.Courses = append(out.Courses, myCourseProgressJSON{Slug: c.Slug, CompletedLessons: p.CompletedLessons,
			TotalLessons: p.TotalLessons, PassedExercises: p.PassedExercises, TotalExercises: p.TotalExercises, Percent: p.Percent})
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

// minutes is the lesson's length in whole minutes.
func minutes(l *course.Lesson) int { return int(l.ReadingTime().Minutes()) }

func chiParam(r *http.Request, name string) string { return chi.URLParam(r, name) }
