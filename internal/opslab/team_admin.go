package opslab

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxTeamNameLength bounds a team's display name, in characters.
const MaxTeamNameLength = 100

// ValidateTeamName returns EINVALID for an empty name or one longer than
// MaxTeamNameLength characters.
func ValidateTeamName(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(EINVALID, "A team name is required.")
	}
	if utf8.RuneCountInString(name) > MaxTeamNameLength {
		return Errorf(EINVALID, "The team name is longer than %d characters.", MaxTeamNameLength)
	}
	return nil
}

// TeamSummary is a team with its display name, its leads and how many
// learners it has: one row of a list of teams.
type TeamSummary struct {
	ID   int64
	Slug string
	Name string
	// Leads are the team's leads, ordered by email.
	Leads []*User
	// Learners counts the members who are not leads.
	Learners  int
	CreatedAt time.Time
}

// Membership is one user's place in a team.
type Membership struct {
	User     *User
	Lead     bool
	JoinedAt time.Time
}

// NewTeam is the input to create a team with its leads.
type NewTeam struct {
	Slug string
	Name string // defaults to Slug
	// LeadEmails name existing accounts that lead the team.
	LeadEmails []string
}

// Normalize trims the fields, lower-cases the emails and drops empty and
// repeated ones.
func (n *NewTeam) Normalize() {
	n.Slug = strings.TrimSpace(n.Slug)
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" {
		n.Name = n.Slug
	}
	seen := map[string]bool{}
	emails := []string{}
	for _, e := range n.LeadEmails {
		e = strings.ToLower(strings.TrimSpace(e))
		if e != "" && !seen[e] {
			seen[e] = true
			emails = append(emails, e)
		}
	}
	n.LeadEmails = emails
}

// Validate returns EINVALID naming the first bad field.
func (n *NewTeam) Validate() error {
	if err := ValidateTeamSlug(n.Slug); err != nil {
		return err
	}
	if err := ValidateTeamName(n.Name); err != nil {
		return err
	}
	for _, e := range n.LeadEmails {
		if err := ValidateEmail(e); err != nil {
			return Errorf(EINVALID, "%q is not a valid email address.", e)
		}
	}
	return nil
}

// TeamAdminService manages teams: lists, creation with leads, members and
// names. Leads are members with the lead flag; naming a learner lead of a
// team also gives them the lead role, so that they see the team pages.
type TeamAdminService interface {
	// ListTeams returns every team, ordered by slug.
	ListTeams(ctx context.Context) ([]*TeamSummary, error)
	// TeamsLedBy returns the teams the user leads, ordered by slug.
	TeamsLedBy(ctx context.Context, userID int64) ([]*TeamSummary, error)
	// TeamsJoinedBy returns every team the user is a member of, leading or
	// not, ordered by slug.
	TeamsJoinedBy(ctx context.Context, userID int64) ([]*TeamSummary, error)
	// FindTeamSummary returns the team with the slug, or ENOTFOUND.
	FindTeamSummary(ctx context.Context, slug string) (*TeamSummary, error)
	// CreateTeamWithLeads creates the team and makes the named accounts its
	// leads, all or nothing. It returns EINVALID for bad input, ECONFLICT
	// for a taken slug and ENOTFOUND naming an email without an account.
	CreateTeamWithLeads(ctx context.Context, n NewTeam) (*TeamSummary, error)
	// AddMemberByEmail puts the account with the email in the team; with
	// lead it becomes a lead. A member already in the team keeps their
	// join time, and is never demoted: lead false leaves a lead a lead.
	// added is false when the user was already a member. It returns
	// EINVALID for a malformed email and ENOTFOUND for an unknown team or
	// an email without an account.
	AddMemberByEmail(ctx context.Context, teamID int64, email string, lead bool) (m *Membership, added bool, err error)
	// Membership returns the user's place in the team, or ENOTFOUND if they
	// are not a member.
	Membership(ctx context.Context, teamID, userID int64) (*Membership, error)
	// RemoveMember takes the user out of the team. It returns ENOTFOUND if
	// they are not a member.
	RemoveMember(ctx context.Context, teamID, userID int64) error
	// RenameTeam sets the team's display name. It returns EINVALID for a
	// bad name and ENOTFOUND for an unknown team.
	RenameTeam(ctx context.Context, teamID int64, name string) error
	// TeamRoster returns the team's members, leads first, then by email. It
	// returns ENOTFOUND for an unknown team.
	TeamRoster(ctx context.Context, teamID int64) ([]*Membership, error)
}
