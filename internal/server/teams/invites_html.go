package teams

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/opslab"
)

// invitePage is the page an invite link opens.
type invitePage struct {
	TeamName string
	// State is "join" (signed in, may join), "member" (already in the
	// team), "signin" (signed out) or "gone" (the link no longer works).
	State   string
	Message string
	// Path is the invite link's path, where sign-in and sign-up return.
	Path string
}

// handleInvitePage shows an invite link: a Join button for a signed-in
// user, the ways to sign in or sign up (and come back) for anyone else.
func (h *Handler) handleInvitePage(w http.ResponseWriter, r *http.Request) {
	if err := h.teamStoresReady(); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	inv, err := h.invites.FindInvite(r.Context(), chi.URLParam(r, "token"))
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.renderInvitePage(w, r, inv, nil)
}

// handleInviteAcceptForm is the form behind "Join": it joins and shows the
// link's page again, which then says the user is a member.
func (h *Handler) handleInviteAcceptForm(w http.ResponseWriter, r *http.Request) {
	_, _, err := h.acceptInvite(r)
	if err == nil {
		http.Redirect(w, r, "/invite/"+chi.URLParam(r, "token"), http.StatusSeeOther)
		return
	}
	inv, ferr := h.invites.FindInvite(r.Context(), chi.URLParam(r, "token"))
	if ferr != nil {
		h.kit.PageError(w, r, ferr)
		return
	}
	h.renderInvitePage(w, r, inv, err)
}

// handleTeamInviteCreateForm is the no-script form behind "Create invite
// link": the members page again, showing the new link this once.
func (h *Handler) handleTeamInviteCreateForm(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	hours, uses := 0, 0
	if v := r.PostForm.Get("expires_in_hours"); v != "" {
		if hours, err = strconv.Atoi(v); err != nil || hours < 1 {
			h.membersFormError(w, r, t, opslab.Errorf(opslab.EINVALID, "Choose how long the link works."), "")
			return
		}
	}
	if v := r.PostForm.Get("max_uses"); v != "" {
		if uses, err = strconv.Atoi(v); err != nil || uses < 1 {
			h.membersFormError(w, r, t, opslab.Errorf(opslab.EINVALID, "The number of people must be between 1 and %d.", opslab.MaxInviteUses), "")
			return
		}
	}
	inv, link, err := h.createInvite(r, t, hours, uses)
	if err != nil {
		h.membersFormError(w, r, t, err, "")
		return
	}
	h.renderMembersPage(w, r, t, http.StatusOK, func(p *membersPage) {
		p.NewInvite = &newInviteView{URL: link.URL, Path: link.Path, ExpiresAt: inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), MaxUses: inv.MaxUses}
	})
}
