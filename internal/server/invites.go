package server

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

// inviteJSON is an invite link as its team's leads see it: never the token.
type inviteJSON struct {
	ID        int64     `json:"id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	MaxUses   int       `json:"max_uses"`
	Uses      int       `json:"uses"`
	State     string    `json:"state"`
}

// createdInviteJSON is the answer to making a link, shown once: its path
// always, and its absolute URL only when the server knows its public
// address (--public-url).
type createdInviteJSON struct {
	ID        int64     `json:"id"`
	Path      string    `json:"path"`
	URL       string    `json:"url,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	MaxUses   int       `json:"max_uses"`
}

// inviteLink is where a new invite link leads: its path on the site and,
// with --public-url, its absolute URL ("" without).
type inviteLink struct {
	Path, URL string
}

// createInvite makes a link for the team that works for hours (0: the
// default) and lets maxUses people join (0: one), and returns it with where
// it leads. The link is never built from the request's Host header.
func (s *Server) createInvite(r *http.Request, t *opslab.TeamSummary, hours, maxUses int) (*opslab.Invite, inviteLink, error) {
	if hours < 0 || hours > int(opslab.MaxInviteTTL/time.Hour) {
		return nil, inviteLink{}, opslab.Errorf(opslab.EINVALID, "expires_in_hours must be between 1 and %d.", int(opslab.MaxInviteTTL/time.Hour))
	}
	inv, token, err := s.cfg.Invites.CreateInvite(r.Context(), opslab.NewInvite{
		TeamID: t.ID, CreatedBy: kit.CurrentUser(r).ID, TTL: time.Duration(hours) * time.Hour, MaxUses: maxUses,
	})
	if err != nil {
		return nil, inviteLink{}, err
	}
	link := inviteLink{Path: "/invite/" + token}
	if u, ok := s.absURL(r, link.Path); ok {
		link.URL = u
	}
	return inv, link, nil
}

// handleAPITeamInvites lists the team's invite links, newest first.
func (s *Server) handleAPITeamInvites(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	invites, err := s.cfg.Invites.TeamInvites(r.Context(), t.ID)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	now := s.cfg.Now()
	out := []inviteJSON{}
	for _, inv := range invites {
		out = append(out, inviteJSON{ID: inv.ID, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
			MaxUses: inv.MaxUses, Uses: inv.Uses, State: string(inv.State(now))})
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

// handleAPITeamInviteCreate makes a link from {"expires_in_hours",
// "max_uses"}, both optional (an empty body takes the defaults): 201.
func (s *Server) handleAPITeamInviteCreate(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	var in struct {
		ExpiresInHours *int `json:"expires_in_hours"`
		MaxUses        *int `json:"max_uses"`
	}
	if r.ContentLength != 0 {
		if err := kit.DecodeJSON(r, &in); err != nil {
			s.kit.APIError(w, r, err)
			return
		}
	}
	hours, uses := 0, 0
	if in.ExpiresInHours != nil {
		if hours = *in.ExpiresInHours; hours < 1 {
			s.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "expires_in_hours must be between 1 and %d.", int(opslab.MaxInviteTTL/time.Hour)))
			return
		}
	}
	if in.MaxUses != nil {
		if uses = *in.MaxUses; uses < 1 {
			s.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "max_uses must be between 1 and %d.", opslab.MaxInviteUses))
			return
		}
	}
	inv, link, err := s.createInvite(r, t, hours, uses)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, createdInviteJSON{ID: inv.ID, Path: link.Path, URL: link.URL, ExpiresAt: inv.ExpiresAt, MaxUses: inv.MaxUses})
}

// revokeInvite revokes the {id} link of the team.
func (s *Server) revokeInvite(r *http.Request, t *opslab.TeamSummary) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return opslab.Errorf(opslab.ENOTFOUND, "This team has no such invite link.")
	}
	return s.cfg.Invites.RevokeInvite(r.Context(), t.ID, id)
}

// acceptInvite puts the signed-in user in the team of the {token} link.
func (s *Server) acceptInvite(r *http.Request) (*opslab.Invite, bool, error) {
	if err := s.teamStoresReady(); err != nil {
		return nil, false, err
	}
	return s.cfg.Invites.AcceptInvite(r.Context(), chi.URLParam(r, "token"), kit.CurrentUser(r).ID)
}

// handleAPIInviteAccept joins the link's team: 200 {"team", "joined"},
// joined false for someone who was already a member.
func (s *Server) handleAPIInviteAccept(w http.ResponseWriter, r *http.Request) {
	inv, joined, err := s.acceptInvite(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, struct {
		Team   teamJSON `json:"team"`
		Joined bool     `json:"joined"`
	}{teamJSON{Slug: inv.TeamSlug, Name: inv.TeamName}, joined})
}

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
func (s *Server) handleInvitePage(w http.ResponseWriter, r *http.Request) {
	if err := s.teamStoresReady(); err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	inv, err := s.cfg.Invites.FindInvite(r.Context(), chi.URLParam(r, "token"))
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.renderInvitePage(w, r, inv, nil)
}

// renderInvitePage shows the link's page for the request's user; failed is
// the error of an attempt to join, if any.
func (s *Server) renderInvitePage(w http.ResponseWriter, r *http.Request, inv *opslab.Invite, failed error) {
	page := invitePage{TeamName: inv.TeamName, Path: "/invite/" + chi.URLParam(r, "token")}
	status := http.StatusOK
	u := kit.CurrentUser(r)
	if u != nil {
		_, err := s.cfg.TeamAdmin.Membership(r.Context(), inv.TeamID, u.ID)
		if err == nil {
			page.State = "member"
			s.kit.Render(w, r, status, "invite", "Join "+inv.TeamName, page)
			return
		} else if opslab.ErrorCode(err) != opslab.ENOTFOUND {
			s.kit.PageError(w, r, err)
			return
		}
	}
	if failed == nil {
		failed = inv.Usable(s.cfg.Now())
	}
	switch {
	case failed != nil:
		if kit.StatusOf(failed) == http.StatusInternalServerError {
			s.kit.PageError(w, r, failed)
			return
		}
		page.State, page.Message, status = "gone", opslab.ErrorMessage(failed), kit.StatusOf(failed)
	case u == nil:
		page.State = "signin"
	default:
		page.State = "join"
	}
	s.kit.Render(w, r, status, "invite", "Join "+inv.TeamName, page)
}

// handleInviteAcceptForm is the form behind "Join": it joins and shows the
// link's page again, which then says the user is a member.
func (s *Server) handleInviteAcceptForm(w http.ResponseWriter, r *http.Request) {
	_, _, err := s.acceptInvite(r)
	if err == nil {
		http.Redirect(w, r, "/invite/"+chi.URLParam(r, "token"), http.StatusSeeOther)
		return
	}
	inv, ferr := s.cfg.Invites.FindInvite(r.Context(), chi.URLParam(r, "token"))
	if ferr != nil {
		s.kit.PageError(w, r, ferr)
		return
	}
	s.renderInvitePage(w, r, inv, err)
}

// handleTeamInviteCreateForm is the no-script form behind "Create invite
// link": the members page again, showing the new link this once.
func (s *Server) handleTeamInviteCreateForm(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	hours, uses := 0, 0
	if v := r.PostForm.Get("expires_in_hours"); v != "" {
		if hours, err = strconv.Atoi(v); err != nil || hours < 1 {
			s.membersFormError(w, r, t, opslab.Errorf(opslab.EINVALID, "Choose how long the link works."), "")
			return
		}
	}
	if v := r.PostForm.Get("max_uses"); v != "" {
		if uses, err = strconv.Atoi(v); err != nil || uses < 1 {
			s.membersFormError(w, r, t, opslab.Errorf(opslab.EINVALID, "The number of people must be between 1 and %d.", opslab.MaxInviteUses), "")
			return
		}
	}
	inv, link, err := s.createInvite(r, t, hours, uses)
	if err != nil {
		s.membersFormError(w, r, t, err, "")
		return
	}
	s.renderMembersPage(w, r, t, http.StatusOK, func(p *membersPage) {
		p.NewInvite = &newInviteView{URL: link.URL, Path: link.Path, ExpiresAt: inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), MaxUses: inv.MaxUses}
	})
}
