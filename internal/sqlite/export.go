package sqlite

import (
	"context"

	"github.com/opslab/opslab/internal/opslab"
)

// ExportService reads what a team's progress report and its CSV export are
// made of. It implements opslab.ExportService.
type ExportService struct {
	db *DB
}

var _ opslab.ExportService = (*ExportService)(nil)

// NewExportService returns an ExportService over db.
func NewExportService(db *DB) *ExportService {
	return &ExportService{db: db}
}

// TeamActivity returns the activity in the course of every learner of the
// team, read exactly as DashboardService.TeamActivity reads it: the team
// progress report and its CSV export compute their statuses and
// percentages from it with the dashboard's rules. It returns ENOTFOUND for
// an unknown team.
func (s *ExportService) TeamActivity(ctx context.Context, teamID int64, course string) (*opslab.TeamActivity, error) {
	return NewDashboardService(s.db).TeamActivity(ctx, teamID, course)
}
