package opslab

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxRunbookBytes caps a runbook's Markdown, draft or version.
const MaxRunbookBytes = 64 << 10

// MaxReviewCommentBytes caps a reviewer's comment.
const MaxReviewCommentBytes = 16 << 10

// MaxRunbookVersions caps how many versions one runbook keeps; a submit
// past it is refused, so a runaway client cannot fill the disk.
const MaxRunbookVersions = 200

// RunbookStatus is where a runbook stands in review.
type RunbookStatus string

// The runbook statuses. A runbook is a draft until its first submit; a
// submit makes it submitted, and a reviewer's decision moves it to
// changes_requested or approved. A plain comment leaves the status alone;
// a new submit makes it submitted again.
const (
	RunbookDraft            RunbookStatus = "draft"
	RunbookSubmitted        RunbookStatus = "submitted"
	RunbookChangesRequested RunbookStatus = "changes_requested"
	RunbookApproved         RunbookStatus = "approved"
)

// ReviewDecision is what a reviewer says about a version.
type ReviewDecision string

// The review decisions.
const (
	DecisionApprove          ReviewDecision = "approve"
	DecisionChangesRequested ReviewDecision = "changes_requested"
	DecisionComment          ReviewDecision = "comment"
)

// ParseReviewDecision returns the decision named s, or EINVALID.
func ParseReviewDecision(s string) (ReviewDecision, error) {
	switch d := ReviewDecision(s); d {
	case DecisionApprove, DecisionChangesRequested, DecisionComment:
		return d, nil
	}
	return "", Errorf(EINVALID, "Unknown review decision %q: use approve, changes_requested or comment.", s)
}

// Runbook is one learner's runbook for one lesson: a draft saved as they
// type, and the versions they submitted for review.
type Runbook struct {
	ID     int64
	UserID int64
	Course string
	Lesson string

	// Draft is the text being written; Revision counts its saves, so a
	// save from a stale copy (another tab) can be refused.
	Draft          string
	Revision       int64
	DraftUpdatedAt time.Time

	Status      RunbookStatus
	SubmittedAt *time.Time // the latest submit; nil for a draft
	CreatedAt   time.Time

	// SeenReviewID is the newest review the author has seen; reviews with
	// a larger id are news to them.
	SeenReviewID int64

	// Filled by the finders that say so: oldest first.
	Versions []*RunbookVersion
	Reviews  []*RunbookReview
}

// LessonKey returns the lesson the runbook belongs to.
func (r *Runbook) LessonKey() LessonKey { return LessonKey{Course: r.Course, Lesson: r.Lesson} }

// Latest returns the newest submitted version, or nil if there is none.
func (r *Runbook) Latest() *RunbookVersion {
	if len(r.Versions) == 0 {
		return nil
	}
	return r.Versions[len(r.Versions)-1]
}

// RunbookVersion is the text of one submit. Versions are numbered from 1
// and never change.
type RunbookVersion struct {
	ID        int64
	RunbookID int64
	Number    int
	Body      string
	CreatedAt time.Time
}

// RunbookReview is a reviewer's decision and comment on one version.
type RunbookReview struct {
	ID        int64
	RunbookID int64
	Version   int // the number of the version reviewed
	// ReviewerID is 0 and ReviewerName empty once the reviewer's account
	// is gone; the review stays.
	ReviewerID   int64
	ReviewerName string
	Decision     ReviewDecision
	Comment      string
	CreatedAt    time.Time
}

// NewReview is the input to review a runbook.
type NewReview struct {
	Decision ReviewDecision
	Comment  string
	// Version, when not 0, is the version the reviewer read: the review is
	// refused with ECONFLICT if the author has submitted a newer one since.
	Version int
}

// Normalize trims the comment.
func (n *NewReview) Normalize() { n.Comment = strings.TrimSpace(n.Comment) }

// Validate returns EINVALID for an unknown decision, a missing comment
// where one is needed, or bad text, and ETOOLARGE for a comment over
// MaxReviewCommentBytes.
func (n *NewReview) Validate() error {
	if _, err := ParseReviewDecision(string(n.Decision)); err != nil {
		return err
	}
	if n.Comment == "" && n.Decision != DecisionApprove {
		return Errorf(EINVALID, "Write a comment: say what should change, or what you noticed.")
	}
	if len(n.Comment) > MaxReviewCommentBytes {
		return Errorf(ETOOLARGE, "The comment is longer than %d KiB.", MaxReviewCommentBytes>>10)
	}
	if !utf8.ValidString(n.Comment) {
		return Errorf(EINVALID, "The comment is not valid UTF-8 text.")
	}
	return nil
}

// ValidateRunbookBody returns ETOOLARGE for a body over MaxRunbookBytes and
// EINVALID for one that is not UTF-8 text.
func ValidateRunbookBody(body string) error {
	if len(body) > MaxRunbookBytes {
		return Errorf(ETOOLARGE, "The runbook is longer than %d KiB (%d bytes): shorten it.", MaxRunbookBytes>>10, len(body))
	}
	if !utf8.ValidString(body) {
		return Errorf(EINVALID, "The runbook is not valid UTF-8 text.")
	}
	return nil
}

// RunbookSummary is one line of a review queue.
type RunbookSummary struct {
	RunbookID   int64
	Author      User
	Course      string
	Lesson      string
	Status      RunbookStatus
	Version     int // the newest version's number
	SubmittedAt time.Time
}

// RunbookUpdate tells an author that a runbook has reviews they have not
// seen.
type RunbookUpdate struct {
	RunbookID int64
	Course    string
	Lesson    string
	Status    RunbookStatus
	Unseen    int
}

// RunbookBadges is what waits for a user: for a reviewer, the runbooks
// in their queue; for an author, the reviews they have not seen.
type RunbookBadges struct {
	// Reviewer is true for an admin and for a lead of any team.
	Reviewer       bool
	ReviewsWaiting int
	RunbookUpdates int             // unseen reviews, over all runbooks
	Updates        []RunbookUpdate // the runbooks with unseen reviews, newest first
}

// RunbookService stores runbooks, their versions and reviews.
//
// A reviewer of a runbook is an admin, or a lead of a team its author is a
// member of; nobody reviews their own runbook. To anyone else a runbook is
// ENOTFOUND, so its existence is not given away.
type RunbookService interface {
	// FindRunbook returns the user's runbook of the lesson with its
	// versions and reviews, or ENOTFOUND if they never saved one.
	FindRunbook(ctx context.Context, userID int64, k LessonKey) (*Runbook, error)
	// SaveDraft stores body as the draft if revision is the draft's current
	// revision (0 for a runbook not saved yet) and returns the runbook
	// with the next revision. A stale revision gets ECONFLICT, a body over
	// MaxRunbookBytes ETOOLARGE, an unknown user ENOTFOUND.
	SaveDraft(ctx context.Context, userID int64, k LessonKey, body string, revision int64) (*Runbook, error)
	// Submit makes the current draft a new version and the runbook
	// submitted. revision, when not 0, must be the draft's revision
	// (ECONFLICT otherwise). An empty draft is EINVALID; a draft that is
	// the same text as the latest version, or one more version than
	// MaxRunbookVersions, is ECONFLICT; no runbook is ENOTFOUND.
	Submit(ctx context.Context, userID int64, k LessonKey, revision int64) (*Runbook, error)
	// MarkSeen records that the author has seen the runbook's reviews up
	// to and including reviewID. It never moves backwards.
	MarkSeen(ctx context.Context, userID int64, k LessonKey, reviewID int64) error

	// FindRunbookForReview returns the runbook with its versions and
	// reviews if reviewer may review it and it has a version; ENOTFOUND
	// otherwise.
	FindRunbookForReview(ctx context.Context, reviewer *User, id int64) (*Runbook, error)
	// AddReview records the review of the runbook's latest version and
	// applies its decision to the status. It returns ENOTFOUND as
	// FindRunbookForReview does, EINVALID or ETOOLARGE for bad input, and
	// ECONFLICT when n.Version is set and is not the latest version.
	AddReview(ctx context.Context, reviewer *User, id int64, n NewReview) (*RunbookReview, error)
	// ReviewQueue returns the submitted runbooks the reviewer may review,
	// the longest waiting first; an empty list for anyone else.
	ReviewQueue(ctx context.Context, reviewer *User) ([]RunbookSummary, error)
	// Badges counts what waits for the user.
	Badges(ctx context.Context, u *User) (*RunbookBadges, error)
}
