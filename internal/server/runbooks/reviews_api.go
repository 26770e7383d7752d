package runbooks

import (
	"net/http"
	"strconv"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

type queueItemJSON struct {
	ID          int64        `json:"id"`
	Author      kit.UserJSON `json:"author"`
	Course      string       `json:"course"`
	Lesson      string       `json:"lesson"`
	LessonTitle string       `json:"lesson_title"`
	Status      string       `json:"status"`
	Version     int          `json:"version"`
	SubmittedAt time.Time    `json:"submitted_at"`
	URL         string       `json:"url"`
}

// handleAPIReviewQueue lists the submitted runbooks the signed-in lead or
// admin may review, the longest waiting first: {"queue": [...]}.
func (h *Handler) handleAPIReviewQueue(w http.ResponseWriter, r *http.Request) {
	rs, err := h.requireReviewer(r.Context(), kit.CurrentUser(r))
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	q, err := rs.ReviewQueue(r.Context(), kit.CurrentUser(r))
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out := struct {
		Queue []queueItemJSON `json:"queue"`
	}{Queue: []queueItemJSON{}}
	for _, it := range q {
		out.Queue = append(out.Queue, queueItemJSON{ID: it.RunbookID, Author: kit.ToUserJSON(&it.Author), Course: it.Course,
			Lesson: it.Lesson, LessonTitle: h.kit.LessonTitle(it.Course, it.Lesson), Status: string(it.Status),
			Version: it.Version, SubmittedAt: it.SubmittedAt, URL: reviewURL(it.RunbookID)})
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

func reviewURL(id int64) string { return "/reviews/" + strconv.FormatInt(id, 10) }

type versionJSON struct {
	Number    int       `json:"number"`
	CreatedAt time.Time `json:"created_at"`
	Body      string    `json:"body"`
	HTML      string    `json:"html"`
}

// reviewRunbookJSON is a reviewer's view of a runbook: its submitted
// versions (not the draft), one of them in full, and the reviews. A
// review's "unseen" tells whether the author has read it yet.
type reviewRunbookJSON struct {
	ID          int64                `json:"id"`
	Author      kit.UserJSON         `json:"author"`
	Course      string               `json:"course"`
	Lesson      string               `json:"lesson"`
	LessonTitle string               `json:"lesson_title"`
	Status      string               `json:"status"`
	SubmittedAt *time.Time           `json:"submitted_at"`
	Versions    []runbookVersionJSON `json:"versions"`
	Version     versionJSON          `json:"version"`
	Reviews     []runbookReviewJSON  `json:"reviews"`
}

// pickVersion returns the version that ?version=n names, the latest
// without it, or ENOTFOUND.
func pickVersion(r *http.Request, rb *opslab.Runbook) (*opslab.RunbookVersion, error) {
	q := r.URL.Query().Get("version")
	if q == "" {
		return rb.Latest(), nil
	}
	n, err := strconv.Atoi(q)
	if err == nil {
		for _, v := range rb.Versions {
			if v.Number == n {
				return v, nil
			}
		}
	}
	return nil, opslab.Errorf(opslab.ENOTFOUND, "This runbook has no version %q.", q)
}

func (h *Handler) reviewRunbook(r *http.Request, rb *opslab.Runbook) (*reviewRunbookJSON, error) {
	author, err := h.findAuthor(r.Context(), rb)
	if err != nil {
		return nil, err
	}
	v, err := pickVersion(r, rb)
	if err != nil {
		return nil, err
	}
	return &reviewRunbookJSON{ID: rb.ID, Author: kit.ToUserJSON(author), Course: rb.Course, Lesson: rb.Lesson,
		LessonTitle: h.kit.LessonTitle(rb.Course, rb.Lesson), Status: string(rb.Status), SubmittedAt: rb.SubmittedAt,
		Versions: toVersionsJSON(rb), Reviews: h.toReviewsJSON(rb),
		Version: versionJSON{Number: v.Number, CreatedAt: v.CreatedAt, Body: v.Body, HTML: string(h.renderUserMarkdown(v.Body))},
	}, nil
}

// handleAPIRunbookForReview shows a runbook to a lead of one of its
// author's teams or an admin (?version=n for an older version); 404 for
// anyone else.
func (h *Handler) handleAPIRunbookForReview(w http.ResponseWriter, r *http.Request) {
	_, rb, err := h.runbookForReview(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out, err := h.reviewRunbook(r, rb)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

type reviewRequest struct {
	Decision string `json:"decision"`
	Comment  string `json:"comment"`
	Version  int    `json:"version"`
}

// handleAPIRunbookReview records {"decision","comment","version"} on the
// runbook's latest version and answers 201 with the runbook as
// GET /api/runbooks/{id} shows it.
func (h *Handler) handleAPIRunbookReview(w http.ResponseWriter, r *http.Request) {
	rs, rb, err := h.runbookForReview(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var req reviewRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if err := h.addReview(r, rs, rb, req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if rb, err = rs.FindRunbookForReview(r.Context(), kit.CurrentUser(r), rb.ID); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out, err := h.reviewRunbook(r, rb)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, out)
}

// addReview records req as the signed-in user's review of rb.
func (h *Handler) addReview(r *http.Request, rs opslab.RunbookService, rb *opslab.Runbook, req reviewRequest) error {
	d, err := opslab.ParseReviewDecision(req.Decision)
	if err != nil {
		return err
	}
	_, err = rs.AddReview(r.Context(), kit.CurrentUser(r), rb.ID, opslab.NewReview{Decision: d, Comment: req.Comment, Version: req.Version})
	return err
}
