package runbooks

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// queueRow is one line of the review queue page.
type queueRow struct {
	URL, Author, Email, LessonTitle string
	Version                         int
	SubmittedAt                     time.Time
	Waiting                         string
}

type reviewQueuePage struct {
	Rows []queueRow
}

// handleReviewQueuePage lists the runbooks waiting for the lead's review.
func (h *Handler) handleReviewQueuePage(w http.ResponseWriter, r *http.Request) {
	u := kit.CurrentUser(r)
	rs, err := h.requireReviewer(r.Context(), u)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	q, err := rs.ReviewQueue(r.Context(), u)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	page := reviewQueuePage{}
	now := h.now()
	for _, it := range q {
		page.Rows = append(page.Rows, queueRow{URL: reviewURL(it.RunbookID), Author: it.Author.Name, Email: it.Author.Email,
			LessonTitle: h.kit.LessonTitle(it.Course, it.Lesson), Version: it.Version, SubmittedAt: it.SubmittedAt,
			Waiting: waitedFor(now.Sub(it.SubmittedAt))})
	}
	h.kit.Render(w, r, http.StatusOK, "reviews", "Runbook reviews", page)
}

// waitedFor says how long something has waited, roughly.
func waitedFor(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return countUnit(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return countUnit(int(d/time.Hour), "hour")
	}
	return countUnit(int(d/(24*time.Hour)), "day")
}

// countUnit writes n and the unit, plural unless n is 1.
func countUnit(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

type reviewVersionLink struct {
	Number    int
	CreatedAt time.Time
	URL       string
	Current   bool
}

type reviewEntry struct {
	Reviewer, Decision, DecisionClass string
	Version                           int
	CommentHTML                       template.HTML
	CreatedAt                         time.Time
	Unseen                            bool
}

type reviewPage struct {
	ID          int64
	Action      string
	Author      *opslab.User
	LessonTitle string
	LessonURL   string
	Status      string
	StatusClass string
	Versions    []reviewVersionLink
	Shown       *opslab.RunbookVersion
	ShownHTML   template.HTML
	Latest      int
	IsLatest    bool
	Reviews     []reviewEntry
	// The form: what was sent back on an error, and the outcome.
	Error   string
	Comment string
	Done    string
}

// reviewPageFor builds the review page of rb.
func (h *Handler) reviewPageFor(r *http.Request, rb *opslab.Runbook) (*reviewPage, error) {
	author, err := h.findAuthor(r.Context(), rb)
	if err != nil {
		return nil, err
	}
	shown, err := pickVersion(r, rb)
	if err != nil {
		return nil, err
	}
	latest := rb.Latest()
	p := &reviewPage{ID: rb.ID, Action: reviewURL(rb.ID), Author: author, LessonTitle: h.kit.LessonTitle(rb.Course, rb.Lesson),
		Status: statusLabel[rb.Status], StatusClass: string(rb.Status), Shown: shown, ShownHTML: h.renderUserMarkdown(shown.Body),
		Latest: latest.Number, IsLatest: shown.Number == latest.Number}
	if c, ok := h.kit.Catalog().Course(rb.Course); ok {
		if _, ok := c.Lesson(rb.Lesson); ok {
			p.LessonURL = "/courses/" + url.PathEscape(rb.Course) + "/lessons/" + url.PathEscape(rb.Lesson)
		}
	}
	for i := len(rb.Versions) - 1; i >= 0; i-- {
		v := rb.Versions[i]
		p.Versions = append(p.Versions, reviewVersionLink{Number: v.Number, CreatedAt: v.CreatedAt,
			URL: reviewURL(rb.ID) + "?version=" + strconv.Itoa(v.Number), Current: v.Number == shown.Number})
	}
	for i := len(rb.Reviews) - 1; i >= 0; i-- {
		v := rb.Reviews[i]
		p.Reviews = append(p.Reviews, reviewEntry{Reviewer: reviewerName(v), Decision: decisionLabel[v.Decision],
			DecisionClass: string(v.Decision), Version: v.Version, CommentHTML: h.renderUserMarkdown(v.Comment),
			CreatedAt: v.CreatedAt, Unseen: v.ID > rb.SeenReviewID})
	}
	if d, err := opslab.ParseReviewDecision(r.URL.Query().Get("done")); err == nil {
		p.Done = decisionLabel[d]
	}
	return p, nil
}

// handleReviewPage shows a submitted runbook to its reviewer, rendered
// safely, with its versions, the reviews so far and the review form.
func (h *Handler) handleReviewPage(w http.ResponseWriter, r *http.Request) {
	_, rb, err := h.runbookForReview(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	page, err := h.reviewPageFor(r, rb)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.kit.Render(w, r, http.StatusOK, "review", "Review: "+page.LessonTitle, page)
}

// handleReviewForm records a review posted by the page's form (decision
// from the button pressed, comment, the version read) and goes back to
// the page; a refused review shows the page again with the reason and the
// comment kept.
func (h *Handler) handleReviewForm(w http.ResponseWriter, r *http.Request) {
	rs, rb, err := h.runbookForReview(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	req := reviewRequest{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment"), Version: version}
	err = h.addReview(r, rs, rb, req)
	switch opslab.ErrorCode(err) {
	case "":
		http.Redirect(w, r, reviewURL(rb.ID)+"?done="+url.QueryEscape(req.Decision), http.StatusSeeOther)
		return
	case opslab.EINVALID, opslab.ETOOLARGE, opslab.ECONFLICT:
	default:
		h.kit.PageError(w, r, err)
		return
	}
	// Show the latest version, which a conflict is about.
	r.URL.RawQuery = ""
	page, perr := h.reviewPageFor(r, rb)
	if perr != nil {
		h.kit.PageError(w, r, perr)
		return
	}
	page.Error, page.Comment = opslab.ErrorMessage(err), req.Comment
	h.kit.Render(w, r, kit.StatusOf(err), "review", "Review: "+page.LessonTitle, page)
}
