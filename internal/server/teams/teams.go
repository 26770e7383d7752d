package teams

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// teamPageRoutes registers the team pages: the list of teams, a team's
// members and invite links, its progress as CSV, and the invite link.
func (h *Handler) teamPageRoutes(r chi.Router) {
	r.Get("/invite/{token}", h.handleInvitePage)
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserPage)
		r.Get("/teams", h.handleTeamsPage)
		r.Post("/teams", h.handleTeamCreateForm)
		r.Get("/teams/{team}/members", h.handleTeamMembersPage)
		r.Post("/teams/{team}/members", h.handleTeamMemberAddForm)
		r.Post("/teams/{team}/members/{userID}/remove", h.ledTeamForm(h.removeMember, "removed")) // "Remove"
		r.Post("/teams/{team}/invites", h.handleTeamInviteCreateForm)
		r.Post("/teams/{team}/invites/{id}/revoke", h.ledTeamForm(h.revokeInvite, "revoked")) // "Revoke"
		r.Get("/teams/{team}/progress.csv", h.handleTeamProgressCSV)
		r.Post("/invite/{token}", h.handleInviteAcceptForm)
	})
}

// teamAPIRoutes registers the team calls; r is the signed-in part of /api.
func (h *Handler) teamAPIRoutes(r chi.Router) {
	r.Get("/teams", h.handleAPITeams)
	r.Post("/teams", h.handleAPITeamCreate)
	r.Patch("/teams/{team}", h.handleAPITeamRename)
	r.Get("/teams/{team}/members", h.handleAPITeamMembers)
	r.Post("/teams/{team}/members", h.handleAPITeamMemberAdd)
	r.Delete("/teams/{team}/members/{userID}", h.ledTeamNoContent(h.removeMember)) // takes a member out
	r.Get("/teams/{team}/invites", h.handleAPITeamInvites)
	r.Post("/teams/{team}/invites", h.handleAPITeamInviteCreate)
	r.Delete("/teams/{team}/invites/{id}", h.ledTeamNoContent(h.revokeInvite)) // stops a link from working
	r.Post("/invites/{token}/accept", h.handleAPIInviteAccept)
	r.Get("/teams/{team}/progress", h.handleAPITeamProgress)
}

// teamStoresReady returns EUNAVAILABLE on a server wired without the team
// stores.
func (h *Handler) teamStoresReady() error {
	if h.admin == nil || h.invites == nil || h.exports == nil {
		return opslab.Errorf(opslab.EUNAVAILABLE, "Teams are not available on this server.")
	}
	return nil
}

// errNotTeamLead is the one answer for a team the user may not manage,
// whether or not it exists.
func errNotTeamLead() error {
	return opslab.Errorf(opslab.EFORBIDDEN, "Only this team's leads and admins can see this.")
}

// ledTeam returns the {team} of the route if the signed-in user may manage
// it: an admin, or one of its leads. An unknown team is ENOTFOUND for an
// admin and EFORBIDDEN for anyone else, like a team they do not lead.
func (h *Handler) ledTeam(r *http.Request) (*opslab.TeamSummary, error) {
	if err := h.teamStoresReady(); err != nil {
		return nil, err
	}
	u := kit.CurrentUser(r)
	team, err := h.admin.FindTeamSummary(r.Context(), chi.URLParam(r, "team"))
	if err != nil {
		if opslab.ErrorCode(err) == opslab.ENOTFOUND && !u.IsAdmin() {
			return nil, errNotTeamLead()
		}
		return nil, err
	}
	if u.IsAdmin() {
		return team, nil
	}
	m, err := h.admin.Membership(r.Context(), team.ID, u.ID)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND || (err == nil && !m.Lead) {
		return nil, errNotTeamLead()
	} else if err != nil {
		return nil, err
	}
	return team, nil
}

// requireAdmin returns EFORBIDDEN unless the signed-in user is an admin.
func requireAdmin(r *http.Request, what string) error {
	if !kit.CurrentUser(r).IsAdmin() {
		return opslab.Errorf(opslab.EFORBIDDEN, "Only admins can %s.", what)
	}
	return nil
}

// visibleTeams returns the teams the signed-in user may see, ordered by
// slug: every team for an admin; otherwise the teams they belong to, with
// full marking those they lead.
func (h *Handler) visibleTeams(ctx context.Context, u *opslab.User) (teams []*opslab.TeamSummary, full map[int64]bool, err error) {
	if err := h.teamStoresReady(); err != nil {
		return nil, nil, err
	}
	full = map[int64]bool{}
	if u.IsAdmin() {
		teams, err = h.admin.ListTeams(ctx)
		for _, t := range teams {
			full[t.ID] = true
		}
		return teams, full, err
	}
	led, err := h.admin.TeamsLedBy(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range led {
		full[t.ID] = true
	}
	teams, err = h.admin.TeamsJoinedBy(ctx, u.ID)
	return teams, full, err
}

func toPersonJSON(u *opslab.User) personJSON {
	return personJSON{ID: u.ID, Email: u.Email, Name: u.Name}
}

func toTeamJSON(t *opslab.TeamSummary, full bool) teamJSON {
	out := teamJSON{Slug: t.Slug, Name: t.Name}
	if full {
		leads := []personJSON{}
		for _, l := range t.Leads {
			leads = append(leads, toPersonJSON(l))
		}
		n := t.Learners
		out.Leads, out.Learners = &leads, &n
	}
	return out
}

// createTeam makes a team with its leads; admins only.
func (h *Handler) createTeam(r *http.Request, n opslab.NewTeam) (*opslab.TeamSummary, error) {
	if err := requireAdmin(r, "create teams"); err != nil {
		return nil, err
	}
	if err := h.teamStoresReady(); err != nil {
		return nil, err
	}
	return h.admin.CreateTeamWithLeads(r.Context(), n)
}

func toMemberJSON(m *opslab.Membership) memberJSON {
	return memberJSON{personJSON: toPersonJSON(m.User), Lead: m.Lead, JoinedAt: m.JoinedAt}
}

// errLeadsInvite is the one answer to a lead who tries to add an account
// directly, whatever the email: leads bring people in with invite links,
// which the person accepts while signed in.
func errLeadsInvite() error {
	return opslab.Errorf(opslab.EFORBIDDEN, "Team leads add people with an invite link: make one under Invites.")
}

// addMember puts the account with the email in the team, as a lead when
// lead is set. Only admins may add an account directly: anyone else gets
// errLeadsInvite before any account is looked up, so the answer cannot
// tell whether the email has an account.
func (h *Handler) addMember(r *http.Request, t *opslab.TeamSummary, email string, lead bool) (*opslab.Membership, bool, error) {
	if !kit.CurrentUser(r).IsAdmin() {
		return nil, false, errLeadsInvite()
	}
	if strings.TrimSpace(email) == "" {
		return nil, false, opslab.Errorf(opslab.EINVALID, "Enter the email address of the person to add.")
	}
	return h.admin.AddMemberByEmail(r.Context(), t.ID, email, lead)
}

// removeMember takes the {userID} of the route out of the team; only
// admins may remove a lead.
func (h *Handler) removeMember(r *http.Request, t *opslab.TeamSummary) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "userID"), 10, 64)
	if err != nil || id <= 0 {
		return opslab.Errorf(opslab.ENOTFOUND, "This user is not a member of the team.")
	}
	m, err := h.admin.Membership(r.Context(), t.ID, id)
	if err != nil {
		return err
	}
	if m.Lead {
		if err := requireAdmin(r, "remove a team lead"); err != nil {
			return err
		}
	}
	return h.admin.RemoveMember(r.Context(), t.ID, id)
}

// ledTeamNoContent answers 204 after act succeeds on the team the
// signed-in user leads (or any team, for an admin).
func (h *Handler) ledTeamNoContent(act func(*http.Request, *opslab.TeamSummary) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := h.ledTeam(r)
		if err == nil {
			err = act(r, t)
		}
		if err != nil {
			h.kit.APIError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

type teamForm struct {
	Slug, Name, Leads string
	Error             string
}

// teamsPageData gathers the teams page for the signed-in user.
func (h *Handler) teamsPageData(r *http.Request) (*teamsPage, error) {
	u := kit.CurrentUser(r)
	teams, full, err := h.visibleTeams(r.Context(), u)
	if err != nil {
		return nil, err
	}
	page := &teamsPage{Admin: u.IsAdmin()}
	for _, t := range teams {
		row := teamRow{Slug: t.Slug, Name: t.Name}
		if full[t.ID] {
			row.Leads, row.Learners = t.Leads, t.Learners
			page.Led = append(page.Led, row)
		} else {
			page.Joined = append(page.Joined, row)
		}
	}
	return page, nil
}

// splitEmails reads a list of emails separated by commas, semicolons,
// spaces or new lines.
func splitEmails(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool {
		return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
	})
}

var inviteStateText = map[opslab.InviteState]string{
	opslab.InviteActive: "Active", opslab.InviteExpired: "Expired",
	opslab.InviteRevoked: "Revoked", opslab.InviteUsedUp: "Used up",
}

type ttlChoice struct {
	Hours    int
	Label    string
	Selected bool
}

// membersNotices are the sentences the members page shows after a form
// redirects to it with ?done=….
var membersNotices = map[string]string{
	"added": "Member added.", "removed": "Member removed.", "revoked": "Invite link revoked.",
}

// membersPageData gathers a team's members page.
func (h *Handler) membersPageData(r *http.Request, t *opslab.TeamSummary) (*membersPage, error) {
	u := kit.CurrentUser(r)
	roster, err := h.admin.TeamRoster(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	invites, err := h.invites.TeamInvites(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	page := &membersPage{Team: t, Admin: u.IsAdmin(), Notice: membersNotices[r.URL.Query().Get("done")]}
	for _, m := range roster {
		page.Members = append(page.Members, memberRow{ID: m.User.ID, Email: m.User.Email, Name: m.User.Name, Lead: m.Lead,
			JoinedAt: m.JoinedAt.UTC().Format("2006-01-02"), CanRemove: !m.Lead || u.IsAdmin()})
	}
	now := h.now()
	for _, inv := range invites {
		st := inv.State(now)
		page.Invites = append(page.Invites, inviteRow{ID: inv.ID, CreatedAt: inv.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
			ExpiresAt: inv.ExpiresAt.UTC().Format("2006-01-02 15:04 UTC"), Uses: inv.Uses, MaxUses: inv.MaxUses,
			State: string(st), StateText: inviteStateText[st], Active: st == opslab.InviteActive})
	}
	page.TTLs = []ttlChoice{{Hours: 24, Label: "1 day"}, {Hours: 72, Label: "3 days"},
		{Hours: 168, Label: "7 days", Selected: true}, {Hours: 720, Label: "30 days"}}
	return page, nil
}

// renderMembersPage renders the members page with status, after fill
// changes the page data.
func (h *Handler) renderMembersPage(w http.ResponseWriter, r *http.Request, t *opslab.TeamSummary, status int, fill func(*membersPage)) {
	page, err := h.membersPageData(r, t)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	if fill != nil {
		fill(page)
	}
	h.kit.Render(w, r, status, "team_members", t.Name+" · members", page)
}

// membersFormError shows the members page again with the error.
func (h *Handler) membersFormError(w http.ResponseWriter, r *http.Request, t *opslab.TeamSummary, err error, email string) {
	if kit.StatusOf(err) == http.StatusInternalServerError {
		h.kit.PageError(w, r, err)
		return
	}
	h.renderMembersPage(w, r, t, kit.StatusOf(err), func(p *membersPage) {
		p.Error, p.AddEmail = opslab.ErrorMessage(err), email
	})
}

// ledTeamForm is the no-script form of a team action: act on the team the
// signed-in user leads, then back to the members page with ?done=done.
func (h *Handler) ledTeamForm(act func(*http.Request, *opslab.TeamSummary) error, done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := h.ledTeam(r)
		if err != nil {
			h.kit.PageError(w, r, err)
			return
		}
		if err := act(r, t); err != nil {
			h.membersFormError(w, r, t, err, "")
			return
		}
		http.Redirect(w, r, "/teams/"+t.Slug+"/members?done="+done, http.StatusSeeOther)
	}
}
