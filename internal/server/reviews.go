package server

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// statusLabel and decisionLabel are how runbook statuses and review
// decisions read on a page.
var (
	statusLabel = map[opslab.RunbookStatus]string{
		opslab.RunbookDraft: "Draft", opslab.RunbookSubmitted: "Waiting for review",
		opslab.RunbookChangesRequested: "Changes requested", opslab.RunbookApproved: "Approved",
	}
	decisionLabel = map[opslab.ReviewDecision]string{
		opslab.DecisionApprove: "Approved", opslab.DecisionChangesRequested: "Asked for changes",
		opslab.DecisionComment: "Commented",
	}
)

// requireReviewer returns the runbook store if u reviews runbooks (an
// admin, or a lead of any team); EFORBIDDEN otherwise.
func (s *Server) requireReviewer(ctx context.Context, u *opslab.User) (opslab.RunbookService, error) {
	rs, err := s.runbooks()
	if err != nil {
		return nil, err
	}
	b, err := rs.Badges(ctx, u)
	if err != nil {
		return nil, err
	}
	if !b.Reviewer {
		return nil, opslab.Errorf(opslab.EFORBIDDEN, "Only team leads and admins review runbooks.")
	}
	return rs, nil
}

// runbookForReview finds the route's {id} for the signed-in reviewer:
// ENOTFOUND for a runbook they may not review, whatever the reason.
func (s *Server) runbookForReview(r *http.Request) (opslab.RunbookService, *opslab.Runbook, error) {
	rs, err := s.runbooks()
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, opslab.Errorf(opslab.ENOTFOUND, "There is no such runbook.")
	}
	rb, err := rs.FindRunbookForReview(r.Context(), kit.CurrentUser(r), id)
	if err != nil {
		return nil, nil, err
	}
	return rs, rb, nil
}

// findAuthor returns the runbook's author.
func (s *Server) findAuthor(ctx context.Context, rb *opslab.Runbook) (*opslab.User, error) {
	return s.findUser(ctx, rb.UserID)
}

type queueItemJSON struct {
	ID          int64     `json:"id"`
	Author      userJSON  `json:"author"`
	Course      string    `json:"course"`
	Lesson      string    `json:"lesson"`
	LessonTitle string    `json:"lesson_title"`
	Status      string    `json:"status"`
	Version     int       `json:"version"`
	SubmittedAt time.Time `json:"submitted_at"`
	URL         string    `json:"url"`
}

// handleAPIReviewQueue lists the submitted runbooks the signed-in lead or
// admin may review, the longest waiting first: {"queue": [...]}.
func (s *Server) handleAPIReviewQueue(w http.ResponseWriter, r *http.Request) {
	rs, err := s.requireReviewer(r.Context(), kit.CurrentUser(r))
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	q, err := rs.ReviewQueue(r.Context(), kit.CurrentUser(r))
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	out := struct {
		Queue []queueItemJSON `json:"queue"`
	}{Queue: []queueItemJSON{}}
	for _, it := range q {
		out.Queue = append(out.Queue, queueItemJSON{ID: it.RunbookID, Author: toUserJSON(&it.Author), Course: it.Course,
			Lesson: it.Lesson, LessonTitle: s.kit.LessonTitle(it.Course, it.Lesson), Status: string(it.Status),
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
	Author      userJSON             `json:"author"`
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

func (s *Server) reviewRunbook(r *http.Request, rb *opslab.Runbook) (*reviewRunbookJSON, error) {
	author, err := s.findAuthor(r.Context(), rb)
	if err != nil {
		return nil, err
	}
	v, err := pickVersion(r, rb)
	if err != nil {
		return nil, err
	}
	return &reviewRunbookJSON{ID: rb.ID, Author: toUserJSON(author), Course: rb.Course, Lesson: rb.Lesson,
		LessonTitle: s.kit.LessonTitle(rb.Course, rb.Lesson), Status: string(rb.Status), SubmittedAt: rb.SubmittedAt,
		Versions: toVersionsJSON(rb), Reviews: s.toReviewsJSON(rb),
		Version: versionJSON{Number: v.Number, CreatedAt: v.CreatedAt, Body: v.Body, HTML: string(s.renderUserMarkdown(v.Body))},
	}, nil
}

// handleAPIRunbookForReview shows a runbook to a lead of one of its
// author's teams or an admin (?version=n for an older version); 404 for
// anyone else.
func (s *Server) handleAPIRunbookForReview(w http.ResponseWriter, r *http.Request) {
	_, rb, err := s.runbookForReview(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	out, err := s.reviewRunbook(r, rb)
	if err != nil {
		s.kit.APIError(w, r, err)
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
func (s *Server) handleAPIRunbookReview(w http.ResponseWriter, r *http.Request) {
	rs, rb, err := s.runbookForReview(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	var req reviewRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if err := s.addReview(r, rs, rb, req); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if rb, err = rs.FindRunbookForReview(r.Context(), kit.CurrentUser(r), rb.ID); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	out, err := s.reviewRunbook(r, rb)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, out)
}

// addReview records req as the signed-in user's review of rb.
func (s *Server) addReview(r *http.Request, rs opslab.RunbookService, rb *opslab.Runbook, req reviewRequest) error {
	d, err := opslab.ParseReviewDecision(req.Decision)
	if err != nil {
		return err
	}
	_, err = rs.AddReview(r.Context(), kit.CurrentUser(r), rb.ID, opslab.NewReview{Decision: d, Comment: req.Comment, Version: req.Version})
	return err
}

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
func (s *Server) handleReviewQueuePage(w http.ResponseWriter, r *http.Request) {
	u := kit.CurrentUser(r)
	rs, err := s.requireReviewer(r.Context(), u)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	q, err := rs.ReviewQueue(r.Context(), u)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	page := reviewQueuePage{}
	now := s.cfg.Now()
	for _, it := range q {
		page.Rows = append(page.Rows, queueRow{URL: reviewURL(it.RunbookID), Author: it.Author.Name, Email: it.Author.Email,
			LessonTitle: s.kit.LessonTitle(it.Course, it.Lesson), Version: it.Version, SubmittedAt: it.SubmittedAt,
			Waiting: waitedFor(now.Sub(it.SubmittedAt))})
	}
	s.kit.Render(w, r, http.StatusOK, "reviews", "Runbook reviews", page)
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
func (s *Server) reviewPageFor(r *http.Request, rb *opslab.Runbook) (*reviewPage, error) {
	author, err := s.findAuthor(r.Context(), rb)
	if err != nil {
		return nil, err
	}
	shown, err := pickVersion(r, rb)
	if err != nil {
		return nil, err
	}
	latest := rb.Latest()
	p := &reviewPage{ID: rb.ID, Action: reviewURL(rb.ID), Author: author, LessonTitle: s.kit.LessonTitle(rb.Course, rb.Lesson),
		Status: statusLabel[rb.Status], StatusClass: string(rb.Status), Shown: shown, ShownHTML: s.renderUserMarkdown(shown.Body),
		Latest: latest.Number, IsLatest: shown.Number == latest.Number}
	if c, ok := s.Catalog().Course(rb.Course); ok {
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
			DecisionClass: string(v.Decision), Version: v.Version, CommentHTML: s.renderUserMarkdown(v.Comment),
			CreatedAt: v.CreatedAt, Unseen: v.ID > rb.SeenReviewID})
	}
	if d, err := opslab.ParseReviewDecision(r.URL.Query().Get("done")); err == nil {
		p.Done = decisionLabel[d]
	}
	return p, nil
}

// handleReviewPage shows a submitted runbook to its reviewer, rendered
// safely, with its versions, the reviews so far and the review form.
func (s *Server) handleReviewPage(w http.ResponseWriter, r *http.Request) {
	_, rb, err := s.runbookForReview(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	page, err := s.reviewPageFor(r, rb)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.kit.Render(w, r, http.StatusOK, "review", "Review: "+page.LessonTitle, page)
}

// handleReviewForm records a review posted by the page's form (decision
// from the button pressed, comment, the version read) and goes back to
// the page; a refused review shows the page again with the reason and the
// comment kept.
func (s *Server) handleReviewForm(w http.ResponseWriter, r *http.Request) {
	rs, rb, err := s.runbookForReview(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	version, _ := strconv.Atoi(r.PostForm.Get("version"))
	req := reviewRequest{Decision: r.PostForm.Get("decision"), Comment: r.PostForm.Get("comment"), Version: version}
	err = s.addReview(r, rs, rb, req)
	switch opslab.ErrorCode(err) {
	case "":
		http.Redirect(w, r, reviewURL(rb.ID)+"?done="+url.QueryEscape(req.Decision), http.StatusSeeOther)
		return
	case opslab.EINVALID, opslab.ETOOLARGE, opslab.ECONFLICT:
	default:
		s.kit.PageError(w, r, err)
		return
	}
	// Show the latest version, which a conflict is about.
	r.URL.RawQuery = ""
	page, perr := s.reviewPageFor(r, rb)
	if perr != nil {
		s.kit.PageError(w, r, perr)
		return
	}
	page.Error, page.Comment = opslab.ErrorMessage(err), req.Comment
	s.kit.Render(w, r, kit.StatusOf(err), "review", "Review: "+page.LessonTitle, page)
}
