package teams

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// Invite links: a team's lead makes one (it works for a number of hours
// and lets a number of people join, one by default), shares its URL, and
// whoever opens it signed in can join the team as a learner. The token in
// the URL is shown once; the store keeps only its SHA-256. A link that is
// unknown, revoked, expired or used up answers 404 with a sentence saying
// which.

// inviteLink is where a new invite link leads: its path on the site and,
// with --public-url, its absolute URL ("" without).
type inviteLink struct {
	Path, URL string
}

// createInvite makes a link for the team that works for hours (0: the
// default) and lets maxUses people join (0: one), and returns it with where
// it leads. The link is never built from the request's Host header.
func (h *Handler) createInvite(r *http.Request, t *opslab.TeamSummary, hours, maxUses int) (*opslab.Invite, inviteLink, error) {
	if hours < 0 || hours > int(opslab.MaxInviteTTL/time.Hour) {
		return nil, inviteLink{}, opslab.Errorf(opslab.EINVALID, "expires_in_hours must be between 1 and %d.", int(opslab.MaxInviteTTL/time.Hour))
	}
	inv, token, err := h.invites.CreateInvite(r.Context(), opslab.NewInvite{
		TeamID: t.ID, CreatedBy: kit.CurrentUser(r).ID, TTL: time.Duration(hours) * time.Hour, MaxUses: maxUses,
	})
	if err != nil {
		return nil, inviteLink{}, err
	}
	link := inviteLink{Path: "/invite/" + token}
	if u, ok := h.kit.AbsURL(link.Path); ok {
		link.URL = u
	}
	return inv, link, nil
}

// revokeInvite revokes the {id} link of the team.
func (h *Handler) revokeInvite(r *http.Request, t *opslab.TeamSummary) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return opslab.Errorf(opslab.ENOTFOUND, "This team has no such invite link.")
	}
	return h.invites.RevokeInvite(r.Context(), t.ID, id)
}

// acceptInvite puts the signed-in user in the team of the {token} link.
func (h *Handler) acceptInvite(r *http.Request) (*opslab.Invite, bool, error) {
	if err := h.teamStoresReady(); err != nil {
		return nil, false, err
	}
	return h.invites.AcceptInvite(r.Context(), chi.URLParam(r, "token"), kit.CurrentUser(r).ID)
}

// renderInvitePage shows the link's page for the request's user; failed is
// the error of an attempt to join, if any.
func (h *Handler) renderInvitePage(w http.ResponseWriter, r *http.Request, inv *opslab.Invite, failed error) {
	page := invitePage{TeamName: inv.TeamName, Path: "/invite/" + chi.URLParam(r, "token")}
	status := http.StatusOK
	u := kit.CurrentUser(r)
	if u != nil {
		_, err := h.admin.Membership(r.Context(), inv.TeamID, u.ID)
		if err == nil {
			page.State = "member"
			h.kit.Render(w, r, status, "invite", "Join "+inv.TeamName, page)
			return
		} else if opslab.ErrorCode(err) != opslab.ENOTFOUND {
			h.kit.PageError(w, r, err)
			return
		}
	}
	if failed == nil {
		failed = inv.Usable(h.now())
	}
	switch {
	case failed != nil:
		if kit.StatusOf(failed) == http.StatusInternalServerError {
			h.kit.PageError(w, r, failed)
			return
		}
		page.State, page.Message, status = "gone", opslab.ErrorMessage(failed), kit.StatusOf(failed)
	case u == nil:
		page.State = "signin"
	default:
		page.State = "join"
	}
	h.kit.Render(w, r, status, "invite", "Join "+inv.TeamName, page)
}
