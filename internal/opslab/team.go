package opslab

import (
	"context"
	"regexp"
	"time"
)

var teamSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// ValidateTeamSlug returns EINVALID unless s is a team slug: lower-case
// letters, digits and dashes, at most 63 characters.
func ValidateTeamSlug(s string) error {
	if !teamSlugRE.MatchString(s) {
		return Errorf(EINVALID, "A team name is 1-63 lower-case letters, digits and dashes, starting with a letter or digit.")
	}
	return nil
}

// Team is a group of learners with one or more leads.
type Team struct {
	ID   int64
	Slug string
}

// Member is a user's place in a team.
type Member struct {
	UserID int64
	Lead   bool
}

// LearnerProgress is one learner's row on a team's progress report.
type LearnerProgress struct {
	UserID           int64
	Email            string
	Name             string
	PassedExercises  int
	CompletedLessons int
	LastActivity     *time.Time
}

// TeamService manages teams and memberships.
type TeamService interface {
	// FindTeamBySlug returns ENOTFOUND if there is no such team.
	FindTeamBySlug(ctx context.Context, slug string) (*Team, error)
	// IsLead reports whether the user leads the team.
	IsLead(ctx context.Context, teamID, userID int64) (bool, error)
	// TeamMembers lists the team's members (leads and learners), by email.
	TeamMembers(ctx context.Context, teamID int64) ([]*User, error)
}
