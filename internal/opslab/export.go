package opslab

import "context"

// ExportService reads what a team's progress report and its CSV export are
// computed from. The reports apply the dashboard's rules to it (see
// team.Assess), so that every view of a learner's standing agrees.
type ExportService interface {
	// TeamActivity returns the activity in the course of every learner of
	// the team, as DashboardService.TeamActivity does. It returns
	// ENOTFOUND for an unknown team.
	TeamActivity(ctx context.Context, teamID int64, course string) (*TeamActivity, error)
}
