package runbooks

import (
	"context"
	"net/http"
	"strconv"

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
func (h *Handler) requireReviewer(ctx context.Context, u *opslab.User) (opslab.RunbookService, error) {
	rs, err := h.store()
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
func (h *Handler) runbookForReview(r *http.Request) (opslab.RunbookService, *opslab.Runbook, error) {
	rs, err := h.store()
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
func (h *Handler) findAuthor(ctx context.Context, rb *opslab.Runbook) (*opslab.User, error) {
	return h.kit.FindUser(ctx, rb.UserID)
}
