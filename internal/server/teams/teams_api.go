package teams

import (
	"net/http"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// personJSON names a user to someone allowed to see them.
type personJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

// teamJSON is a team as its leads and admins see it; members of a team
// they do not lead see only the slug and the name.
type teamJSON struct {
	Slug     string        `json:"slug"`
	Name     string        `json:"name"`
	Leads    *[]personJSON `json:"leads,omitempty"`
	Learners *int          `json:"learners,omitempty"`
}

// handleAPITeams lists the teams the user may see.
func (h *Handler) handleAPITeams(w http.ResponseWriter, r *http.Request) {
	teams, full, err := h.visibleTeams(r.Context(), kit.CurrentUser(r))
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out := []teamJSON{}
	for _, t := range teams {
		out = append(out, toTeamJSON(t, full[t.ID]))
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

type newTeamJSON struct {
	Slug  string   `json:"slug"`
	Name  string   `json:"name"`
	Leads []string `json:"leads"`
}

// handleAPITeamCreate creates a team: 201 with the team.
func (h *Handler) handleAPITeamCreate(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "create teams"); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var in newTeamJSON
	if err := kit.DecodeJSON(r, &in); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	t, err := h.createTeam(r, opslab.NewTeam{Slug: in.Slug, Name: in.Name, LeadEmails: in.Leads})
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, toTeamJSON(t, true))
}

// handleAPITeamRename sets a team's display name; admins only.
func (h *Handler) handleAPITeamRename(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "rename teams"); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := kit.DecodeJSON(r, &in); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if err := h.admin.RenameTeam(r.Context(), t.ID, in.Name); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	t, err = h.admin.FindTeamSummary(r.Context(), t.Slug)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, toTeamJSON(t, true))
}

// memberJSON is one member of a team.
type memberJSON struct {
	personJSON
	Lead     bool      `json:"lead"`
	JoinedAt time.Time `json:"joined_at"`
}

// handleAPITeamMembers lists a team's members, leads first.
func (h *Handler) handleAPITeamMembers(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	roster, err := h.admin.TeamRoster(r.Context(), t.ID)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out := []memberJSON{}
	for _, m := range roster {
		out = append(out, toMemberJSON(m))
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

// handleAPITeamMemberAdd adds a member: 201 when new, 200 when the account
// was already a member.
func (h *Handler) handleAPITeamMemberAdd(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if !kit.CurrentUser(r).IsAdmin() {
		h.kit.APIError(w, r, errLeadsInvite())
		return
	}
	var in struct {
		Email string `json:"email"`
		Lead  bool   `json:"lead"`
	}
	if err := kit.DecodeJSON(r, &in); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	m, added, err := h.addMember(r, t, in.Email, in.Lead)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	st := http.StatusOK
	if added {
		st = http.StatusCreated
	}
	kit.WriteJSON(w, st, toMemberJSON(m))
}
