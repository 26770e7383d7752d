package teams

import (
	"net/http"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// teamRow is one team on the teams page.
type teamRow struct {
	Slug, Name string
	Leads      []*opslab.User
	Learners   int
}

type teamsPage struct {
	Admin bool
	// Led holds the teams the user manages: every team for an admin.
	Led []teamRow
	// Joined holds the other teams the user belongs to, by name only.
	Joined []teamRow
	Form   teamForm
}

func (h *Handler) handleTeamsPage(w http.ResponseWriter, r *http.Request) {
	page, err := h.teamsPageData(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.kit.Render(w, r, http.StatusOK, "teams", "Teams", page)
}

// handleTeamCreateForm is the no-script form behind "Create team".
func (h *Handler) handleTeamCreateForm(w http.ResponseWriter, r *http.Request) {
	if err := requireAdmin(r, "create teams"); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	form := teamForm{Slug: r.PostForm.Get("slug"), Name: r.PostForm.Get("name"), Leads: r.PostForm.Get("leads")}
	t, err := h.createTeam(r, opslab.NewTeam{Slug: form.Slug, Name: form.Name, LeadEmails: splitEmails(form.Leads)})
	if err != nil {
		page, perr := h.teamsPageData(r)
		if perr != nil {
			h.kit.PageError(w, r, perr)
			return
		}
		form.Error = opslab.ErrorMessage(err)
		page.Form = form
		if kit.StatusOf(err) == http.StatusInternalServerError {
			h.kit.Log.Error("create team", "err", err)
		}
		h.kit.Render(w, r, kit.StatusOf(err), "teams", "Teams", page)
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

func (h *Handler) handleTeamMembersPage(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.renderMembersPage(w, r, t, http.StatusOK, nil)
}

// handleTeamMemberAddForm is the no-script form behind "Add member".
func (h *Handler) handleTeamMemberAddForm(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	if !kit.CurrentUser(r).IsAdmin() {
		h.membersFormError(w, r, t, errLeadsInvite(), "")
		return
	}
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	email := r.PostForm.Get("email")
	if _, _, err := h.addMember(r, t, email, r.PostForm.Get("lead") != ""); err != nil {
		h.membersFormError(w, r, t, err, email)
		return
	}
	http.Redirect(w, r, "/teams/"+t.Slug+"/members?done=added", http.StatusSeeOther)
}
