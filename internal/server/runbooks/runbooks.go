// Package runbooks serves learners' runbooks and their reviews: the
// learner's own runbook API (save, preview, submit, seen, badges), the
// reviewers' API, and the review queue and review pages. A learner works on
// their own runbook only; a reviewer (a team lead, or an admin) sees the
// runbooks of the teams they lead (any, for an admin).
package runbooks

import (
	"html/template"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// SafeMarkdown renders Markdown that users wrote (runbooks, review
// comments) to HTML that is safe in any page: no raw HTML, sanitised
// links. *markdown.Safe implements it.
type SafeMarkdown interface {
	Render(src string) template.HTML
}

// Handler serves the runbook routes. Its zero value is not usable: make
// one with New.
type Handler struct {
	kit      *kit.Kit
	runbooks opslab.RunbookService // nil: the calls answer 503
	markdown SafeMarkdown          // nil: user Markdown shows as plain text
	now      func() time.Time
}

// New returns the runbook handlers. Without runbooks every runbook call
// answers 503; without markdown, what users wrote shows as plain text.
func New(k *kit.Kit, runbooks opslab.RunbookService, markdown SafeMarkdown, now func() time.Time) *Handler {
	return &Handler{kit: k, runbooks: runbooks, markdown: markdown, now: now}
}

// Routes registers the learner's runbook API, the reviewers' API
// and pages, and the badges call. The learner calls work on the signed-in
// user's own runbook; the reviewer calls on runbooks of the teams they
// lead (any, for an admin).
func (h *Handler) Routes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserAPI)
		r.Route("/api/courses/{course}/lessons/{lesson}/runbook", func(r chi.Router) {
			r.Get("/", h.handleAPIRunbook)
			r.Put("/", h.handleAPIRunbookSave)
			r.Post("/preview", h.handleAPIRunbookPreview)
			r.Post("/submit", h.handleAPIRunbookSubmit)
			r.Post("/seen", h.handleAPIRunbookSeen)
			r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
				kit.WriteJSON(w, http.StatusMethodNotAllowed, kit.ErrorBody{Error: "Method not allowed for " + r.URL.Path + "."})
			})
		})
		r.Get("/api/reviews", h.handleAPIReviewQueue)
		r.Get("/api/runbooks/{id}", h.handleAPIRunbookForReview)
		r.Post("/api/runbooks/{id}/reviews", h.handleAPIRunbookReview)
		r.Get("/api/me/badges", h.handleAPIBadges)
	})
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserPage)
		r.Get("/reviews", h.handleReviewQueuePage)
		r.Get("/reviews/{id}", h.handleReviewPage)
		r.Post("/reviews/{id}", h.handleReviewForm)
	})
}

// runbooks returns the runbook store, or EUNAVAILABLE without one.
func (h *Handler) store() (opslab.RunbookService, error) {
	if h.runbooks == nil {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "Runbooks are not available on this server.")
	}
	return h.runbooks, nil
}

// renderUserMarkdown renders Markdown a user wrote; without a renderer it
// is shown as plain text.
func (h *Handler) renderUserMarkdown(src string) template.HTML {
	if h.markdown == nil {
		return template.HTML("<pre>" + template.HTMLEscapeString(src) + "</pre>") //nolint:gosec // escaped
	}
	return h.markdown.Render(src)
}

// runbookTarget resolves the route's lesson for the signed-in learner.
func (h *Handler) runbookTarget(r *http.Request) (opslab.RunbookService, *course.Lesson, opslab.LessonKey, error) {
	rs, err := h.store()
	if err != nil {
		return nil, nil, opslab.LessonKey{}, err
	}
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		return nil, nil, opslab.LessonKey{}, err
	}
	return rs, l, opslab.LessonKey{Course: c.Slug, Lesson: l.Slug}, nil
}
