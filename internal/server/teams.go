package server

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// Who may do what with teams:
//
//   - admins: everything, on every team;
//   - a team's leads: see its members, progress and invite links, remove
//     learners, make and revoke invite links; people join a team only by
//     accepting an invite link while signed in, so a lead cannot put an
//     account in a team (or learn whether an email has one); adding an
//     account directly and naming or removing a lead are for admins only;
//   - anyone signed in: list the teams they belong to (names only) and
//     join one with an invite link.
//
// A team that does not exist answers 404 to admins only: everyone else gets
// the same 403 for an unknown team as for somebody else's, so that team
// names cannot be probed.

// teamPageRoutes registers the team pages: the list of teams, a team's
// members and invite links, its progress as CSV, and the invite link.
func (s *Server) teamPageRoutes(r chi.Router) {
	r.Get("/invite/{token}", s.handleInvitePage)
	r.Group(func(r chi.Router) {
		r.Use(s.kit.RequireUserPage)
		r.Get("/teams", s.handleTeamsPage)
		r.Post("/teams", s.handleTeamCreateForm)
		r.Get("/teams/{team}/members", s.handleTeamMembersPage)
		r.Post("/teams/{team}/members", s.handleTeamMemberAddForm)
		r.Post("/teams/{team}/members/{userID}/remove", s.ledTeamForm(s.removeMember, "removed")) // "Remove"
		r.Post("/teams/{team}/invites", s.handleTeamInviteCreateForm)
		r.Post("/teams/{team}/invites/{id}/revoke", s.ledTeamForm(s.revokeInvite, "revoked")) // "Revoke"
		r.Get("/teams/{team}/progress.csv", s.handleTeamProgressCSV)
		r.Post("/invite/{token}", s.handleInviteAcceptForm)
	})
}

// teamAPIRoutes registers the team calls; r is the signed-in part of /api.
func (s *Server) teamAPIRoutes(r chi.Router) {
	r.Get("/teams", s.handleAPITeams)
	r.Post("/teams", s.handleAPITeamCreate)
	r.Patch("/teams/{team}", s.handleAPITeamRename)
	r.Get("/teams/{team}/members", s.handleAPITeamMembers)
	r.Post("/teams/{team}/members", s.handleAPITeamMemberAdd)
	r.Delete("/teams/{team}/members/{userID}", s.ledTeamNoContent(s.removeMember)) // takes a member out
	r.Get("/teams/{team}/invites", s.handleAPITeamInvites)
	r.Post("/teams/{team}/invites", s.handleAPITeamInviteCreate)
	r.Delete("/teams/{team}/invites/{id}", s.ledTeamNoContent(s.revokeInvite)) // stops a link from working
	r.Post("/invites/{token}/accept", s.handleAPIInviteAccept)
	r.Get("/teams/{team}/progress", s.handleAPITeamProgress)
}

// teamStoresReady returns EUNAVAILABLE on a server wired without the team
// stores.
func (s *Server) teamStoresReady() error {
	if s.cfg.TeamAdmin == nil || s.cfg.Invites == nil || s.cfg.Exports == nil {
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
func (s *Server) ledTeam(r *http.Request) (*opslab.TeamSummary, error) {
	if err := s.teamStoresReady(); err != nil {
		return nil, err
	}
	u := kit.CurrentUser(r)
	team, err := s.cfg.TeamAdmin.FindTeamSummary(r.Context(), chi.URLParam(r, "team"))
	if err != nil {
		if opslab.ErrorCode(err) == opslab.ENOTFOUND && !u.IsAdmin() {
			return nil, errNotTeamLead()
		}
		return nil, err
	}
	if u.IsAdmin() {
		return team, nil
	}
	m, err := s.cfg.TeamAdmin.Membership(r.Context(), team.ID, u.ID)
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
func (s *Server) visibleTeams(ctx context.Context, u *opslab.User) (teams []*opslab.TeamSummary, full map[int64]bool, err error) {
	if err := s.teamStoresReady(); err != nil {
		return nil, nil, err
	}
	full = map[int64]bool{}
	if u.IsAdmin() {
		teams, err = s.cfg.TeamAdmin.ListTeams(ctx)
		for _, t := range teams {
			full[t.ID] = true
		}
		return teams, full, err
	}
	led, err := s.cfg.TeamAdmin.TeamsLedBy(ctx, u.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range led {
		full[t.ID] = true
	}
	teams, err = s.cfg.TeamAdmin.TeamsJoinedBy(ctx, u.ID)
	return teams, full, err
}

// personJSON names a user to someone allowed to see them.
type personJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func toPersonJSON(u *opslab.User) personJSON {
	return personJSON{ID: u.ID, Email: u.Email, Name: u.Name}
}

// teamJSON is a team as its leads and admins see it; members of a team
// they do not lead see only the slug and the name.
type teamJSON struct {
	Slug     string        `json:"slug"`
	Name     string        `json:"name"`
	Leads    *[]personJSON `json:"leads,omitempty"`
	Learners *int          `json:"learners,omitempty"`
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

// handleAPITeams lists the teams the user may see.
func (s *Server) handleAPITeams(w http.ResponseWriter, r *http.Request) {
	teams, full, err := s.visibleTeams(r.Context(), kit.CurrentUser(r))
	if err != nil {
		s.kit.APIError(w, r, err)
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

// createTeam makes a team with its leads; admins only.
func (s *Server) createTeam(r *http.Request, n opslab.NewTeam) (*opslab.TeamSummary, error) {
	if err := requireAdmin(r, "create teams"); err != nil {
		return nil, err
	}
	if err := s.teamStoresReady(); err != nil {
		return nil, err
	}
	return s.cfg.TeamAdmin.CreateTeamWithLeads(r.Context(), n)
}

// handleAPITeamCreate creates a team: 201 with the team.
func (s *Server) handleAPITeamCreate(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "create teams"); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	var in newTeamJSON
	if err := kit.DecodeJSON(r, &in); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	t, err := s.createTeam(r, opslab.NewTeam{Slug: in.Slug, Name: in.Name, LeadEmails: in.Leads})
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, toTeamJSON(t, true))
}

// handleAPITeamRename sets a team's display name; admins only.
func (s *Server) handleAPITeamRename(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "rename teams"); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	var in struct {
		Name string `json:"name"`
	}
	if err := kit.DecodeJSON(r, &in); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if err := s.cfg.TeamAdmin.RenameTeam(r.Context(), t.ID, in.Name); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	t, err = s.cfg.TeamAdmin.FindTeamSummary(r.Context(), t.Slug)
	if err != nil {
		s.kit.APIError(w, r, err)
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

func toMemberJSON(m *opslab.Membership) memberJSON {
	return memberJSON{personJSON: toPersonJSON(m.User), Lead: m.Lead, JoinedAt: m.JoinedAt}
}

// handleAPITeamMembers lists a team's members, leads first.
func (s *Server) handleAPITeamMembers(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	roster, err := s.cfg.TeamAdmin.TeamRoster(r.Context(), t.ID)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	out := []memberJSON{}
	for _, m := range roster {
		out = append(out, toMemberJSON(m))
	}
	kit.WriteJSON(w, http.StatusOK, out)
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
func (s *Server) addMember(r *http.Request, t *opslab.TeamSummary, email string, lead bool) (*opslab.Membership, bool, error) {
	if !kit.CurrentUser(r).IsAdmin() {
		return nil, false, errLeadsInvite()
	}
	if strings.TrimSpace(email) == "" {
		return nil, false, opslab.Errorf(opslab.EINVALID, "Enter the email address of the person to add.")
	}
	return s.cfg.TeamAdmin.AddMemberByEmail(r.Context(), t.ID, email, lead)
}

// handleAPITeamMemberAdd adds a member: 201 when new, 200 when the account
// was already a member.
func (s *Server) handleAPITeamMemberAdd(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if !kit.CurrentUser(r).IsAdmin() {
		s.kit.APIError(w, r, errLeadsInvite())
		return
	}
	var in struct {
		Email string `json:"email"`
		Lead  bool   `json:"lead"`
	}
	if err := kit.DecodeJSON(r, &in); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	m, added, err := s.addMember(r, t, in.Email, in.Lead)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	st := http.StatusOK
	if added {
		st = http.StatusCreated
	}
	kit.WriteJSON(w, st, toMemberJSON(m))
}

// removeMember takes the {userID} of the route out of the team; only
// admins may remove a lead.
func (s *Server) removeMember(r *http.Request, t *opslab.TeamSummary) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "userID"), 10, 64)
	if err != nil || id <= 0 {
		return opslab.Errorf(opslab.ENOTFOUND, "This user is not a member of the team.")
	}
	m, err := s.cfg.TeamAdmin.Membership(r.Context(), t.ID, id)
	if err != nil {
		return err
	}
	if m.Lead {
		if err := requireAdmin(r, "remove a team lead"); err != nil {
			return err
		}
	}
	return s.cfg.TeamAdmin.RemoveMember(r.Context(), t.ID, id)
}

// ledTeamNoContent answers 204 after act succeeds on the team the
// signed-in user leads (or any team, for an admin).
func (s *Server) ledTeamNoContent(act func(*http.Request, *opslab.TeamSummary) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := s.ledTeam(r)
		if err == nil {
			err = act(r, t)
		}
		if err != nil {
			s.kit.APIError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// teamRow is one team on the teams page.
type teamRow struct {
	Slug, Name string
	Leads      []*opslab.User
	Learners   int
}

type teamForm struct {
	Slug, Name, Leads string
	Error             string
}

type teamsPage struct {
	Admin bool
	// Led holds the teams the user manages: every team for an admin.
	Led []teamRow
	// Joined holds the other teams the user belongs to, by name only.
	Joined []teamRow
	Form   teamForm
}

// teamsPageData gathers the teams page for the signed-in user.
func (s *Server) teamsPageData(r *http.Request) (*teamsPage, error) {
	u := kit.CurrentUser(r)
	teams, full, err := s.visibleTeams(r.Context(), u)
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

func (s *Server) handleTeamsPage(w http.ResponseWriter, r *http.Request) {
	page, err := s.teamsPageData(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.kit.Render(w, r, http.StatusOK, "teams", "Teams", page)
}

// splitEmails reads a list of emails separated by commas, semicolons,
// spaces or new lines.
func splitEmails(s string) []string {
	return strings.FieldsFunc(s, func(c rune) bool {
		return c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
	})
}

// handleTeamCreateForm is the no-script form behind "Create team".
func (s *Server) handleTeamCreateForm(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "create teams"); err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	form := teamForm{Slug: r.PostForm.Get("slug"), Name: r.PostForm.Get("name"), Leads: r.PostForm.Get("leads")}
	t, err := s.createTeam(r, opslab.NewTeam{Slug: form.Slug, Name: form.Name, LeadEmails: splitEmails(form.Leads)})
	if err != nil {
		page, perr := s.teamsPageData(r)
		if perr != nil {
			s.kit.PageError(w, r, perr)
			return
		}
		form.Error = opslab.ErrorMessage(err)
		page.Form = form
		if kit.StatusOf(err) == http.StatusInternalServerError {
			s.log.Error("create team", "err", err)
		}
		s.kit.Render(w, r, kit.StatusOf(err), "teams", "Teams", page)
		return
	}
	http.Redirect(w, r, "/teams/"+t.Slug+"/members", http.StatusSeeOther)
}

// memberRow is one member on the members page.
type memberRow struct {
	ID        int64
	Email     string
	Name      string
	Lead      bool
	JoinedAt  string
	CanRemove bool
}

// inviteRow is one invite link on the members page.
type inviteRow struct {
	ID                   int64
	CreatedAt, ExpiresAt string
	Uses, MaxUses        int
	State, StateText     string
	Active               bool
}

var inviteStateText = map[opslab.InviteState]string{
	opslab.InviteActive: "Active", opslab.InviteExpired: "Expired",
	opslab.InviteRevoked: "Revoked", opslab.InviteUsedUp: "Used up",
}

// newInviteView is a link just made, shown this once: its absolute URL
// with --public-url, else its path alone ("" URL).
type newInviteView struct {
	URL, Path, ExpiresAt string
	MaxUses              int
}

type membersPage struct {
	Team      *opslab.TeamSummary
	Admin     bool
	Members   []memberRow
	Invites   []inviteRow
	NewInvite *newInviteView
	Notice    string
	Error     string
	AddEmail  string
	// TTLs are the lifetimes offered for a new invite link, in hours.
	TTLs []ttlChoice
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
func (s *Server) membersPageData(r *http.Request, t *opslab.TeamSummary) (*membersPage, error) {
	u := kit.CurrentUser(r)
	roster, err := s.cfg.TeamAdmin.TeamRoster(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	invites, err := s.cfg.Invites.TeamInvites(r.Context(), t.ID)
	if err != nil {
		return nil, err
	}
	page := &membersPage{Team: t, Admin: u.IsAdmin(), Notice: membersNotices[r.URL.Query().Get("done")]}
	for _, m := range roster {
		page.Members = append(page.Members, memberRow{ID: m.User.ID, Email: m.User.Email, Name: m.User.Name, Lead: m.Lead,
			JoinedAt: m.JoinedAt.UTC().Format("2006-01-02"), CanRemove: !m.Lead || u.IsAdmin()})
	}
	now := s.cfg.Now()
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
func (s *Server) renderMembersPage(w http.ResponseWriter, r *http.Request, t *opslab.TeamSummary, status int, fill func(*membersPage)) {
	page, err := s.membersPageData(r, t)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	if fill != nil {
		fill(page)
	}
	s.kit.Render(w, r, status, "team_members", t.Name+" · members", page)
}

func (s *Server) handleTeamMembersPage(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.renderMembersPage(w, r, t, http.StatusOK, nil)
}

// membersFormError shows the members page again with the error.
func (s *Server) membersFormError(w http.ResponseWriter, r *http.Request, t *opslab.TeamSummary, err error, email string) {
	if kit.StatusOf(err) == http.StatusInternalServerError {
		s.kit.PageError(w, r, err)
		return
	}
	s.renderMembersPage(w, r, t, kit.StatusOf(err), func(p *membersPage) {
		p.Error, p.AddEmail = opslab.ErrorMessage(err), email
	})
}

// handleTeamMemberAddForm is the no-script form behind "Add member".
func (s *Server) handleTeamMemberAddForm(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	if !kit.CurrentUser(r).IsAdmin() {
		s.membersFormError(w, r, t, errLeadsInvite(), "")
		return
	}
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	if _, _, err := s.addMember(r, t, email, r.PostForm.Get("lead") != ""); err != nil {
		s.membersFormError(w, r, t, err, email)
		return
	}
	http.Redirect(w, r, "/teams/"+t.Slug+"/members?done=added", http.StatusSeeOther)
}

// ledTeamForm is the no-script form of a team action: act on the team the
// signed-in user leads, then back to the members page with ?done=done.
func (s *Server) ledTeamForm(act func(*http.Request, *opslab.TeamSummary) error, done string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, err := s.ledTeam(r)
		if err != nil {
			s.kit.PageError(w, r, err)
			return
		}
		if err := act(r, t); err != nil {
			s.membersFormError(w, r, t, err, "")
			return
		}
		http.Redirect(w, r, "/teams/"+t.Slug+"/members?done="+done, http.StatusSeeOther)
	}
}
