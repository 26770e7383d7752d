package runbooks

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

type runbookVersionJSON struct {
	Number    int       `json:"number"`
	CreatedAt time.Time `json:"created_at"`
}

type runbookReviewJSON struct {
	ID           int64     `json:"id"`
	Version      int       `json:"version"`
	ReviewerName string    `json:"reviewer_name"`
	Decision     string    `json:"decision"`
	Comment      string    `json:"comment"`
	CommentHTML  string    `json:"comment_html"`
	CreatedAt    time.Time `json:"created_at"`
	// Unseen is true for a review newer than the author has seen.
	Unseen bool `json:"unseen"`
}

// myRunbookJSON is the learner's view of their runbook of a lesson.
type myRunbookJSON struct {
	ID             int64      `json:"id"` // 0 before the first save
	AuthorID       int64      `json:"author_id"`
	Course         string     `json:"course"`
	Lesson         string     `json:"lesson"`
	LessonTitle    string     `json:"lesson_title"`
	Draft          string     `json:"draft"`
	Revision       int64      `json:"revision"`
	DraftUpdatedAt *time.Time `json:"draft_updated_at"`
	Status         string     `json:"status"`
	SubmittedAt    *time.Time `json:"submitted_at"`
	// DraftChanged is true when the draft differs from the latest version.
	DraftChanged bool                 `json:"draft_changed"`
	SeenReview   int64                `json:"seen_review"`
	Template     string               `json:"template"`
	MaxBytes     int                  `json:"max_bytes"`
	Versions     []runbookVersionJSON `json:"versions"`
	Reviews      []runbookReviewJSON  `json:"reviews"`
}

// reviewerName is how a review's author is shown.
func reviewerName(v *opslab.RunbookReview) string {
	if v.ReviewerName == "" {
		return "A former reviewer"
	}
	return v.ReviewerName
}

func (h *Handler) toReviewsJSON(rb *opslab.Runbook) []runbookReviewJSON {
	out := []runbookReviewJSON{}
	for _, v := range rb.Reviews {
		out = append(out, runbookReviewJSON{ID: v.ID, Version: v.Version, ReviewerName: reviewerName(v), Decision: string(v.Decision),
			Comment: v.Comment, CommentHTML: string(h.renderUserMarkdown(v.Comment)), CreatedAt: v.CreatedAt, Unseen: v.ID > rb.SeenReviewID})
	}
	return out
}

func toVersionsJSON(rb *opslab.Runbook) []runbookVersionJSON {
	out := []runbookVersionJSON{}
	for _, v := range rb.Versions {
		out = append(out, runbookVersionJSON{Number: v.Number, CreatedAt: v.CreatedAt})
	}
	return out
}

// myRunbook describes the learner's runbook; rb nil means none saved yet.
func (h *Handler) myRunbook(u *opslab.User, l *course.Lesson, rb *opslab.Runbook) myRunbookJSON {
	out := myRunbookJSON{AuthorID: u.ID, Course: l.Course, Lesson: l.Slug, LessonTitle: l.Title,
		Status: string(opslab.RunbookDraft), Template: runbookTemplate(l), MaxBytes: opslab.MaxRunbookBytes,
		Versions: []runbookVersionJSON{}, Reviews: []runbookReviewJSON{}}
	if rb == nil {
		return out
	}
	at := rb.DraftUpdatedAt
	out.ID, out.Draft, out.Revision, out.DraftUpdatedAt = rb.ID, rb.Draft, rb.Revision, &at
	out.Status, out.SubmittedAt, out.SeenReview = string(rb.Status), rb.SubmittedAt, rb.SeenReviewID
	if rb.Versions != nil {
		out.Versions, out.Reviews = toVersionsJSON(rb), h.toReviewsJSON(rb)
		latest := rb.Latest()
		out.DraftChanged = latest == nil || latest.Body != rb.Draft
	}
	return out
}

// defaultRunbookSections start a runbook for a lesson whose Practice
// section names none.
var defaultRunbookSections = []string{"Prerequisites", "Commands", "Verification checks", "Risks", "Rollback", "Escalation contacts"}

// runbookTemplate is the text a new runbook starts from: a heading per
// subsection of the lesson's "Practice" section, or the usual runbook
// sections when the lesson has none.
func runbookTemplate(l *course.Lesson) string {
	var sections []string
	inPractice := false
	for _, h := range l.TOC {
		switch {
		case h.Level == 2:
			inPractice = strings.HasPrefix(strings.ToLower(h.Text), "practice")
		case inPractice && h.Level == 3:
			sections = append(sections, h.Text)
		}
	}
	if len(sections) == 0 {
		sections = defaultRunbookSections
	}
	var b strings.Builder
	b.WriteString("# Runbook: " + l.Title + "\n")
	for _, sec := range sections {
		b.WriteString("\n## " + sec + "\n\n")
	}
	return b.String()
}

// handleAPIRunbook returns the learner's runbook of the lesson: draft,
// revision, status, versions and reviews. Before the first save it is an
// empty draft at revision 0, with the template to start from.
func (h *Handler) handleAPIRunbook(w http.ResponseWriter, r *http.Request) {
	rs, l, k, err := h.runbookTarget(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	u := kit.CurrentUser(r)
	rb, err := rs.FindRunbook(r.Context(), u.ID, k)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		rb, err = nil, nil
	}
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, h.myRunbook(u, l, rb))
}

type runbookSaveRequest struct {
	Body     *string `json:"body"`
	Revision int64   `json:"revision"`
}

type runbookSaveResponse struct {
	Revision       int64     `json:"revision"`
	DraftUpdatedAt time.Time `json:"draft_updated_at"`
	Status         string    `json:"status"`
}

// handleAPIRunbookSave stores {"body","revision"} as the draft. A stale
// revision answers 409 with a sentence, a body over the cap 413.
func (h *Handler) handleAPIRunbookSave(w http.ResponseWriter, r *http.Request) {
	rs, _, k, err := h.runbookTarget(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var req runbookSaveRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if req.Body == nil {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, `Send the runbook's text as "body".`))
		return
	}
	if req.Revision < 0 {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, `"revision" cannot be negative.`))
		return
	}
	rb, err := rs.SaveDraft(r.Context(), kit.CurrentUser(r).ID, k, *req.Body, req.Revision)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, runbookSaveResponse{Revision: rb.Revision, DraftUpdatedAt: rb.DraftUpdatedAt, Status: string(rb.Status)})
}

type runbookPreviewRequest struct {
	Body string `json:"body"`
}

// handleAPIRunbookPreview renders {"body"} as the reviewers will see it:
// {"html"}, through the safe renderer.
func (h *Handler) handleAPIRunbookPreview(w http.ResponseWriter, r *http.Request) {
	if _, _, _, err := h.runbookTarget(r); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var req runbookPreviewRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if err := opslab.ValidateRunbookBody(req.Body); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, map[string]string{"html": string(h.renderUserMarkdown(req.Body))})
}

type runbookSubmitRequest struct {
	Revision int64 `json:"revision"`
}

// handleAPIRunbookSubmit submits the saved draft as a new version. The
// body is optional; {"revision": n} makes a stale page's submit a 409.
func (h *Handler) handleAPIRunbookSubmit(w http.ResponseWriter, r *http.Request) {
	rs, l, k, err := h.runbookTarget(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var req runbookSubmitRequest
	if r.ContentLength != 0 {
		if err := kit.DecodeJSON(r, &req); err != nil {
			h.kit.APIError(w, r, err)
			return
		}
	}
	u := kit.CurrentUser(r)
	rb, err := rs.Submit(r.Context(), u.ID, k, req.Revision)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, h.myRunbook(u, l, rb))
}

type runbookSeenRequest struct {
	Review int64 `json:"review"`
}

// handleAPIRunbookSeen records that the learner has read the reviews up to
// {"review": id}; 204.
func (h *Handler) handleAPIRunbookSeen(w http.ResponseWriter, r *http.Request) {
	rs, _, k, err := h.runbookTarget(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var req runbookSeenRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if req.Review <= 0 {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, `Send the id of the newest review read as "review".`))
		return
	}
	if err := rs.MarkSeen(r.Context(), kit.CurrentUser(r).ID, k, req.Review); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type runbookUpdateJSON struct {
	Course      string `json:"course"`
	Lesson      string `json:"lesson"`
	LessonTitle string `json:"lesson_title"`
	Status      string `json:"status"`
	Unseen      int    `json:"unseen"`
	URL         string `json:"url"`
}

type badgesJSON struct {
	Reviewer       bool                `json:"reviewer"`
	ReviewsWaiting int                 `json:"reviews_waiting"`
	RunbookUpdates int                 `json:"runbook_updates"`
	Updates        []runbookUpdateJSON `json:"updates"`
}

// handleAPIBadges tells what waits for the signed-in user: runbooks to
// review (for leads and admins) and reviews of their own runbooks they
// have not read yet, each with the lesson page that shows them.
func (h *Handler) handleAPIBadges(w http.ResponseWriter, r *http.Request) {
	out := badgesJSON{Updates: []runbookUpdateJSON{}}
	if h.runbooks == nil {
		kit.WriteJSON(w, http.StatusOK, out)
		return
	}
	b, err := h.runbooks.Badges(r.Context(), kit.CurrentUser(r))
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out.Reviewer, out.ReviewsWaiting, out.RunbookUpdates = b.Reviewer, b.ReviewsWaiting, b.RunbookUpdates
	for _, up := range b.Updates {
		out.Updates = append(out.Updates, runbookUpdateJSON{Course: up.Course, Lesson: up.Lesson,
			LessonTitle: h.kit.LessonTitle(up.Course, up.Lesson), Status: string(up.Status), Unseen: up.Unseen,
			URL: "/courses/" + url.PathEscape(up.Course) + "/lessons/" + url.PathEscape(up.Lesson) + "#runbook"})
	}
	kit.WriteJSON(w, http.StatusOK, out)
}
