// Package learning serves what learners and instructors do with the
// content: the catalogue, course and lesson pages, the lesson calls of the
// JSON API, the learner's own progress, the exercise calls that run in a
// sandbox (through Labs), the instructor's view of an exercise, and course
// images. Every route needs a signed-in user except the catalogue, which
// shows progress only to one.
package learning

import (
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// maxCached bounds each cache; past it the cache starts over.
const maxCached = 50000

// Config is what the learning routes need.
type Config struct {
	Kit      *kit.Kit
	Progress opslab.ProgressService
	// Stats reads exercise statistics and the content version of passes;
	// nil leaves them out.
	Stats opslab.StatsService
	// Labs runs exercises; nil turns the exercise calls into 503s.
	Labs Labs
	Now  func() time.Time
	// OnProgress counts a progress event ("view", "done", "undone",
	// "activity"); nil counts nothing.
	OnProgress func(event string)
}

// Handler serves the learning routes. Make one with New.
type Handler struct {
	kit        *kit.Kit
	progress   opslab.ProgressService
	stats      opslab.StatsService
	labs       Labs
	now        func() time.Time
	onProgress func(event string)

	parts         *lessonParts
	progressCache progressCache
	viewsSeen     viewRecorder
}

// New returns the learning handlers.
func New(cfg Config) *Handler {
	if cfg.OnProgress == nil {
		cfg.OnProgress = func(string) {}
	}
	return &Handler{kit: cfg.Kit, progress: cfg.Progress, stats: cfg.Stats, labs: cfg.Labs, now: cfg.Now,
		onProgress: cfg.OnProgress, parts: &lessonParts{views: cfg.Kit.Views}}
}

// APIRoutes registers the lesson, progress and exercise calls on r, the
// /api router; the caller guards r so that only signed-in users reach them.
func (h *Handler) APIRoutes(r chi.Router) {
	r.Get("/courses", h.handleAPICourses)
	r.Get("/courses/{course}/lessons/{lesson}", h.handleAPILesson)
	r.Post("/courses/{course}/lessons/{lesson}/complete", h.handleAPILessonComplete)
	r.Post("/courses/{course}/lessons/{lesson}/activity", h.handleAPILessonActivity)
	r.Get("/me/progress", h.handleAPIMyProgress)
	h.labRoutes(r)
}

// PageRoutes registers the catalogue (open to anyone) and the course and
// lesson pages, course images and the lesson's done form (signed-in users).
func (h *Handler) PageRoutes(r chi.Router) {
	r.Get("/", h.handleCatalogue)
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserPage)
		r.Get("/courses/{course}", h.handleCoursePage)
		r.Get("/courses/{course}/lessons/{lesson}", h.handleLessonPage)
		r.Get("/courses/{course}/files/*", h.handleCourseFile)
		r.Post("/courses/{course}/lessons/{lesson}/done", h.handleLessonDoneForm)
	})
}
