package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

// RunbookService stores learners' runbooks, their versions and reviews. It
// implements opslab.RunbookService.
type RunbookService struct {
	db *DB
}

var _ opslab.RunbookService = (*RunbookService)(nil)

// NewRunbookService returns a RunbookService over db.
func NewRunbookService(db *DB) *RunbookService {
	return &RunbookService{db: db}
}

// FindRunbook returns the user's runbook of the lesson with its versions
// and reviews, oldest first, or ENOTFOUND if they never saved one.
func (s *RunbookService) FindRunbook(ctx context.Context, userID int64, k opslab.LessonKey) (*opslab.Runbook, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find runbook: %w", err)
	}
	defer tx.Rollback()
	rb, err := findRunbookByKey(ctx, tx, userID, k)
	if err != nil {
		return nil, wrap("find runbook", err)
	}
	if err := loadRunbookHistory(ctx, tx, rb); err != nil {
		return nil, fmt.Errorf("find runbook: %w", err)
	}
	return rb, nil
}

// SaveDraft stores body as the user's draft for the lesson when revision
// is the draft's current one (0 when there is no runbook yet), and returns
// the runbook, without its history, at its next revision. Saving the text
// already stored changes nothing, the revision included, and succeeds
// whatever the revision: nothing is overwritten. It returns
// ECONFLICT for a stale revision, ETOOLARGE for a body over
// opslab.MaxRunbookBytes, EINVALID for a bad lesson key or non-UTF-8 text
// and ENOTFOUND for an unknown user.
func (s *RunbookService) SaveDraft(ctx context.Context, userID int64, k opslab.LessonKey, body string, revision int64) (*opslab.Runbook, error) {
	if err := validateLessonKey(k); err != nil {
		return nil, err
	}
	if err := opslab.ValidateRunbookBody(body); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("save runbook draft: %w", err)
	}
	defer tx.Rollback()

	rb, err := findRunbookByKey(ctx, tx, userID, k)
	switch {
	case opslab.ErrorCode(err) == opslab.ENOTFOUND:
		if revision != 0 {
			return nil, staleRevision(revision, 0)
		}
		rb, err = insertRunbook(ctx, tx, userID, k, body)
		if err != nil {
			return nil, wrap("save runbook draft", mapUserFK(err, userID))
		}
	case err != nil:
		return nil, wrap("save runbook draft", err)
	case rb.Draft == body:
		// Nothing to overwrite, even from a stale copy: a save that
		// arrives twice (a retry, a save sent as the page closed) is done.
		return rb, nil
	case rb.Revision != revision:
		return nil, staleRevision(revision, rb.Revision)
	default:
		if _, err := tx.ExecContext(ctx, `
			UPDATE runbooks SET draft = ?, revision = revision + 1, draft_updated_at = ? WHERE id = ?`,
			body, formatTime(tx.now), rb.ID); err != nil {
			return nil, fmt.Errorf("save runbook draft: %w", err)
		}
		rb.Draft, rb.Revision, rb.DraftUpdatedAt = body, rb.Revision+1, tx.now
	}
	if err := tx.commit("save runbook draft"); err != nil {
		return nil, err
	}
	return rb, nil
}

// staleRevision is the ECONFLICT of a save or submit made from an old copy.
func staleRevision(yours, stored int64) error {
	return opslab.Errorf(opslab.ECONFLICT,
		"This runbook was saved from another tab or device since you opened it (yours is revision %d, the saved one %d). "+
			"Copy your text if you need it, then reload to get the saved one.", yours, stored)
}

// Submit copies the user's draft into a new version and makes the runbook
// submitted; it returns the runbook with its history. A runbook that was
// already waiting keeps its place in the queue (its SubmittedAt). It
// returns ENOTFOUND when there is no runbook, ECONFLICT for a stale
// revision (when revision is not 0), for a draft that is the same text as
// the latest version and past opslab.MaxRunbookVersions, and EINVALID for
// an empty draft.
func (s *RunbookService) Submit(ctx context.Context, userID int64, k opslab.LessonKey, revision int64) (*opslab.Runbook, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("submit runbook: %w", err)
	}
	defer tx.Rollback()
	rb, err := findRunbookByKey(ctx, tx, userID, k)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no runbook to submit yet: write it first.")
	} else if err != nil {
		return nil, wrap("submit runbook", err)
	}
	if revision != 0 && revision != rb.Revision {
		return nil, staleRevision(revision, rb.Revision)
	}
	if strings.TrimSpace(rb.Draft) == "" {
		return nil, opslab.Errorf(opslab.EINVALID, "The runbook is empty: write it before you submit it.")
	}
	var last int
	var lastBody sql.NullString
	if err := tx.QueryRowContext(ctx, `
		SELECT number, body FROM runbook_versions WHERE runbook_id = ? ORDER BY number DESC LIMIT 1`, rb.ID).
		Scan(&last, &lastBody); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("submit runbook: %w", err)
	}
	if lastBody.Valid && lastBody.String == rb.Draft {
		return nil, opslab.Errorf(opslab.ECONFLICT, "Version %d already has this text: change the runbook before you submit it again.", last)
	}
	if last >= opslab.MaxRunbookVersions {
		return nil, opslab.Errorf(opslab.ECONFLICT, "This runbook has %d versions, the most one can have.", last)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO runbook_versions (runbook_id, number, body, created_at) VALUES (?, ?, ?, ?)`,
		rb.ID, last+1, rb.Draft, formatTime(tx.now)); err != nil {
		return nil, fmt.Errorf("submit runbook: insert version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE runbooks SET status = 'submitted',
			submitted_at = CASE WHEN status = 'submitted' THEN submitted_at ELSE ? END
		WHERE id = ?`, formatTime(tx.now), rb.ID); err != nil {
		return nil, fmt.Errorf("submit runbook: %w", err)
	}
	rb, err = findRunbookByID(ctx, tx, rb.ID)
	if err != nil {
		return nil, wrap("submit runbook", err)
	}
	if err := loadRunbookHistory(ctx, tx, rb); err != nil {
		return nil, fmt.Errorf("submit runbook: %w", err)
	}
	if err := tx.commit("submit runbook"); err != nil {
		return nil, err
	}
	return rb, nil
}

// MarkSeen records that the author has seen the reviews of their runbook
// up to reviewID; an id past the newest review counts as the newest, and
// the mark never moves backwards. It returns ENOTFOUND when there is no
// runbook.
func (s *RunbookService) MarkSeen(ctx context.Context, userID int64, k opslab.LessonKey, reviewID int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("mark runbook reviews seen: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `
		UPDATE runbooks SET author_seen_review = max(author_seen_review,
			min(?, COALESCE((SELECT MAX(v.id) FROM runbook_reviews v WHERE v.runbook_id = runbooks.id), 0)))
		WHERE user_id = ? AND course = ? AND lesson = ?`, reviewID, userID, k.Course, k.Lesson)
	if err != nil {
		return fmt.Errorf("mark runbook reviews seen: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("mark runbook reviews seen: %w", err)
	} else if n == 0 {
		return errNoRunbook()
	}
	return tx.commit("mark runbook reviews seen")
}

// FindRunbookForReview returns the runbook with its versions and reviews
// if reviewer may review it (see opslab.RunbookService) and it has been
// submitted at least once; ENOTFOUND otherwise. The reviewer's role is
// taken from the value passed.
func (s *RunbookService) FindRunbookForReview(ctx context.Context, reviewer *opslab.User, id int64) (*opslab.Runbook, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find runbook for review: %w", err)
	}
	defer tx.Rollback()
	rb, err := findReviewable(ctx, tx, reviewer, id)
	if err != nil {
		return nil, wrap("find runbook for review", err)
	}
	if err := loadRunbookHistory(ctx, tx, rb); err != nil {
		return nil, fmt.Errorf("find runbook for review: %w", err)
	}
	return rb, nil
}

// AddReview records reviewer's review of the runbook's latest version:
// approve makes the runbook approved, changes_requested makes it
// changes_requested, and a comment leaves the status as it is. It returns
// the review; ENOTFOUND as FindRunbookForReview does; EINVALID or
// ETOOLARGE for bad input; ECONFLICT when n.Version is set and the author
// has submitted a newer version since.
func (s *RunbookService) AddReview(ctx context.Context, reviewer *opslab.User, id int64, n opslab.NewReview) (*opslab.RunbookReview, error) {
	n.Normalize()
	if err := n.Validate(); err != nil {
		return nil, err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("add runbook review: %w", err)
	}
	defer tx.Rollback()
	rb, err := findReviewable(ctx, tx, reviewer, id)
	if err != nil {
		return nil, wrap("add runbook review", err)
	}
	var versionID int64
	var number int
	if err := tx.QueryRowContext(ctx, `
		SELECT id, number FROM runbook_versions WHERE runbook_id = ? ORDER BY number DESC LIMIT 1`, rb.ID).
		Scan(&versionID, &number); err != nil {
		return nil, fmt.Errorf("add runbook review: latest version: %w", err)
	}
	if n.Version != 0 && n.Version != number {
		return nil, opslab.Errorf(opslab.ECONFLICT,
			"The author submitted version %d after you opened version %d: read the new version before you review it.", number, n.Version)
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO runbook_reviews (runbook_id, version_id, reviewer_id, decision, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, rb.ID, versionID, reviewer.ID, string(n.Decision), n.Comment, formatTime(tx.now))
	if err != nil {
		return nil, wrap("add runbook review", mapUserFK(err, reviewer.ID))
	}
	reviewID, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("add runbook review: %w", err)
	}
	status := map[opslab.ReviewDecision]opslab.RunbookStatus{
		opslab.DecisionApprove:          opslab.RunbookApproved,
		opslab.DecisionChangesRequested: opslab.RunbookChangesRequested,
	}[n.Decision]
	if status != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE runbooks SET status = ? WHERE id = ?`, string(status), rb.ID); err != nil {
			return nil, fmt.Errorf("add runbook review: set status: %w", err)
		}
	}
	if err := tx.commit("add runbook review"); err != nil {
		return nil, err
	}
	return &opslab.RunbookReview{
		ID: reviewID, RunbookID: rb.ID, Version: number, ReviewerID: reviewer.ID, ReviewerName: reviewer.Name,
		Decision: n.Decision, Comment: n.Comment, CreatedAt: tx.now,
	}, nil
}

// ReviewQueue returns the submitted runbooks reviewer may review, the one
// waiting longest first; an empty list for a nil reviewer or one who may
// review none.
func (s *RunbookService) ReviewQueue(ctx context.Context, reviewer *opslab.User) ([]opslab.RunbookSummary, error) {
	queue := []opslab.RunbookSummary{}
	if reviewer == nil {
		return queue, nil
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	defer tx.Rollback()
	cond, args := reviewableBy(reviewer)
	rows, err := tx.QueryContext(ctx, `
		SELECT r.id, r.course, r.lesson, r.status, r.submitted_at,
			(SELECT MAX(v.number) FROM runbook_versions v WHERE v.runbook_id = r.id), `+userColumns+`
		FROM runbooks r JOIN users ON users.id = r.user_id
		WHERE r.status = 'submitted' AND `+cond+`
		ORDER BY r.submitted_at, r.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var q opslab.RunbookSummary
		var status, submitted string
		u, err := scanUser(rowPrefix{rows, []any{&q.RunbookID, &q.Course, &q.Lesson, &status, &submitted, &q.Version}})
		if err != nil {
			return nil, fmt.Errorf("review queue: %w", err)
		}
		q.Author, q.Status = *u, opslab.RunbookStatus(status)
		if q.SubmittedAt, err = parseTime(submitted); err != nil {
			return nil, fmt.Errorf("review queue: %w", err)
		}
		queue = append(queue, q)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return queue, nil
}

// Badges counts what waits for u: the runbooks in their review queue, and
// the reviews of their own runbooks they have not seen.
func (s *RunbookService) Badges(ctx context.Context, u *opslab.User) (*opslab.RunbookBadges, error) {
	b := &opslab.RunbookBadges{Updates: []opslab.RunbookUpdate{}}
	if u == nil {
		return b, nil
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("runbook badges: %w", err)
	}
	defer tx.Rollback()
	b.Reviewer = u.IsAdmin()
	if !b.Reviewer {
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM team_members WHERE user_id = ? AND lead = 1)`,
			u.ID).Scan(&b.Reviewer); err != nil {
			return nil, fmt.Errorf("runbook badges: %w", err)
		}
	}
	if b.Reviewer {
		cond, args := reviewableBy(u)
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM runbooks r WHERE r.status = 'submitted' AND `+cond,
			args...).Scan(&b.ReviewsWaiting); err != nil {
			return nil, fmt.Errorf("runbook badges: %w", err)
		}
	}
	rows, err := tx.QueryContext(ctx, `
		SELECT r.id, r.course, r.lesson, r.status, COUNT(*)
		FROM runbooks r JOIN runbook_reviews v ON v.runbook_id = r.id AND v.id > r.author_seen_review
		WHERE r.user_id = ?
		GROUP BY r.id ORDER BY MAX(v.id) DESC`, u.ID)
	if err != nil {
		return nil, fmt.Errorf("runbook badges: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var up opslab.RunbookUpdate
		var status string
		if err := rows.Scan(&up.RunbookID, &up.Course, &up.Lesson, &status, &up.Unseen); err != nil {
			return nil, fmt.Errorf("runbook badges: %w", err)
		}
		up.Status = opslab.RunbookStatus(status)
		b.RunbookUpdates += up.Unseen
		b.Updates = append(b.Updates, up)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("runbook badges: %w", err)
	}
	return b, nil
}

// rowPrefix scans columns into prefix before those its caller passes, so
// scanUser can read users' columns that follow others.
type rowPrefix struct {
	row    scanner
	prefix []any
}

func (p rowPrefix) Scan(dest ...any) error {
	return p.row.Scan(append(append([]any{}, p.prefix...), dest...)...)
}

// reviewableBy returns an SQL condition on the runbook aliased r, with its
// arguments, that holds when reviewer may review it: not their own, and
// they are an admin or lead a team its author is a member of.
func reviewableBy(reviewer *opslab.User) (string, []any) {
	return `r.user_id <> ? AND (? OR EXISTS (
		SELECT 1 FROM team_members author
		JOIN team_members lead ON lead.team_id = author.team_id AND lead.user_id = ? AND lead.lead = 1
		WHERE author.user_id = r.user_id))`, []any{reviewer.ID, reviewer.IsAdmin(), reviewer.ID}
}

// runbookColumns are the columns scanRunbook reads, in order.
const runbookColumns = `r.id, r.user_id, r.course, r.lesson, r.draft, r.revision, r.draft_updated_at,
	r.status, r.submitted_at, r.author_seen_review, r.created_at`

func scanRunbook(row scanner) (*opslab.Runbook, error) {
	var rb opslab.Runbook
	var status, draftUpdated, created string
	var submitted sql.NullString
	if err := row.Scan(&rb.ID, &rb.UserID, &rb.Course, &rb.Lesson, &rb.Draft, &rb.Revision, &draftUpdated,
		&status, &submitted, &rb.SeenReviewID, &created); err != nil {
		return nil, err
	}
	rb.Status = opslab.RunbookStatus(status)
	var err error
	if rb.DraftUpdatedAt, err = parseTime(draftUpdated); err != nil {
		return nil, err
	}
	if rb.SubmittedAt, err = parseNullTime(submitted); err != nil {
		return nil, err
	}
	if rb.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	return &rb, nil
}

func errNoRunbook() error {
	return opslab.Errorf(opslab.ENOTFOUND, "There is no runbook for this lesson yet.")
}

// findRunbookByKey returns the user's runbook of the lesson, or ENOTFOUND.
func findRunbookByKey(ctx context.Context, tx *tx, userID int64, k opslab.LessonKey) (*opslab.Runbook, error) {
	rb, err := scanRunbook(tx.QueryRowContext(ctx, `SELECT `+runbookColumns+` FROM runbooks r
		WHERE r.user_id = ? AND r.course = ? AND r.lesson = ?`, userID, k.Course, k.Lesson))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoRunbook()
	} else if err != nil {
		return nil, fmt.Errorf("query runbook: %w", err)
	}
	return rb, nil
}

// findRunbookByID returns the runbook with the id, or ENOTFOUND.
func findRunbookByID(ctx context.Context, tx *tx, id int64) (*opslab.Runbook, error) {
	rb, err := scanRunbook(tx.QueryRowContext(ctx, `SELECT `+runbookColumns+` FROM runbooks r WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no runbook %d.", id)
	} else if err != nil {
		return nil, fmt.Errorf("query runbook %d: %w", id, err)
	}
	return rb, nil
}

// findReviewable returns the runbook with the id if reviewer may review it
// and it has been submitted; ENOTFOUND otherwise, whichever the reason.
func findReviewable(ctx context.Context, tx *tx, reviewer *opslab.User, id int64) (*opslab.Runbook, error) {
	notFound := opslab.Errorf(opslab.ENOTFOUND, "There is no runbook %d waiting for your review.", id)
	if reviewer == nil {
		return nil, notFound
	}
	cond, args := reviewableBy(reviewer)
	rb, err := scanRunbook(tx.QueryRowContext(ctx, `SELECT `+runbookColumns+` FROM runbooks r
		WHERE r.id = ? AND r.submitted_at IS NOT NULL AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("query runbook %d: %w", id, err)
	}
	return rb, nil
}

// insertRunbook creates the user's runbook of the lesson with its first
// draft, at revision 1.
func insertRunbook(ctx context.Context, tx *tx, userID int64, k opslab.LessonKey, body string) (*opslab.Runbook, error) {
	now := formatTime(tx.now)
	res, err := tx.ExecContext(ctx, `
		INSERT INTO runbooks (user_id, course, lesson, draft, revision, draft_updated_at, status, created_at)
		VALUES (?, ?, ?, ?, 1, ?, 'draft', ?)`, userID, k.Course, k.Lesson, body, now, now)
	if err != nil {
		return nil, fmt.Errorf("insert runbook: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("insert runbook: %w", err)
	}
	return &opslab.Runbook{ID: id, UserID: userID, Course: k.Course, Lesson: k.Lesson, Draft: body, Revision: 1,
		DraftUpdatedAt: tx.now, Status: opslab.RunbookDraft, CreatedAt: tx.now}, nil
}

// loadRunbookHistory fills rb's versions and reviews, oldest first.
func loadRunbookHistory(ctx context.Context, tx *tx, rb *opslab.Runbook) error {
	rb.Versions, rb.Reviews = []*opslab.RunbookVersion{}, []*opslab.RunbookReview{}
	rows, err := tx.QueryContext(ctx, `
		SELECT id, number, body, created_at FROM runbook_versions WHERE runbook_id = ? ORDER BY number`, rb.ID)
	if err != nil {
		return fmt.Errorf("query runbook versions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v := &opslab.RunbookVersion{RunbookID: rb.ID}
		var created string
		if err := rows.Scan(&v.ID, &v.Number, &v.Body, &created); err != nil {
			return fmt.Errorf("scan runbook version: %w", err)
		}
		if v.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		rb.Versions = append(rb.Versions, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query runbook versions: %w", err)
	}
	rows.Close()

	rows, err = tx.QueryContext(ctx, `
		SELECT v.id, ver.number, COALESCE(v.reviewer_id, 0), COALESCE(u.name, ''), v.decision, v.comment, v.created_at
		FROM runbook_reviews v
		JOIN runbook_versions ver ON ver.id = v.version_id
		LEFT JOIN users u ON u.id = v.reviewer_id
		WHERE v.runbook_id = ? ORDER BY v.id`, rb.ID)
	if err != nil {
		return fmt.Errorf("query runbook reviews: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v := &opslab.RunbookReview{RunbookID: rb.ID}
		var decision, created string
		if err := rows.Scan(&v.ID, &v.Version, &v.ReviewerID, &v.ReviewerName, &decision, &v.Comment, &created); err != nil {
			return fmt.Errorf("scan runbook review: %w", err)
		}
		v.Decision = opslab.ReviewDecision(decision)
		if v.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		rb.Reviews = append(rb.Reviews, v)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query runbook reviews: %w", err)
	}
	return nil
}
