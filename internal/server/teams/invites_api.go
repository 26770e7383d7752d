package teams

import (
	"net/http"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

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

// handleAPITeamInvites lists the team's invite links, newest first.
func (h *Handler) handleAPITeamInvites(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	invites, err := h.invites.TeamInvites(r.Context(), t.ID)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	now := h.now()
	out := []inviteJSON{}
	for _, inv := range invites {
		out = append(out, inviteJSON{ID: inv.ID, CreatedAt: inv.CreatedAt, ExpiresAt: inv.ExpiresAt,
			MaxUses: inv.MaxUses, Uses: inv.Uses, State: string(inv.State(now))})
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

// handleAPITeamInviteCreate makes a link from {"expires_in_hours",
// "max_uses"}, both optional (an empty body takes the defaults): 201.
func (h *Handler) handleAPITeamInviteCreate(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var in struct {
		ExpiresInHours *int `json:"expires_in_hours"`
		MaxUses        *int `json:"max_uses"`
	}
	if r.ContentLength != 0 {
		if err := kit.DecodeJSON(r, &in); err != nil {
			h.kit.APIError(w, r, err)
			return
		}
	}
	hours, uses := 0, 0
	if in.ExpiresInHours != nil {
		if hours = *in.ExpiresInHours; hours < 1 {
			h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "expires_in_hours must be between 1 and %d.", int(opslab.MaxInviteTTL/time.Hour)))
			return
		}
	}
	if in.MaxUses != nil {
		if uses = *in.MaxUses; uses < 1 {
			h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "max_uses must be between 1 and %d.", opslab.MaxInviteUses))
			return
		}
	}
	inv, link, err := h.createInvite(r, t, hours, uses)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, createdInviteJSON{ID: inv.ID, Path: link.Path, URL: link.URL, ExpiresAt: inv.ExpiresAt, MaxUses: inv.MaxUses})
}

// handleAPIInviteAccept joins the link's team: 200 {"team", "joined"},
// joined false for someone who was already a member.
func (h *Handler) handleAPIInviteAccept(w http.ResponseWriter, r *http.Request) {
	inv, joined, err := h.acceptInvite(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, struct {
		Team   teamJSON `json:"team"`
		Joined bool     `json:"joined"`
	}{teamJSON{Slug: inv.TeamSlug, Name: inv.TeamName}, joined})
}
