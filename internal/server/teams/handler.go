// Package teams serves what team leads and admins do: the team pages and
// calls, invite links, the team dashboard and learner detail (HTML, JSON
// and the SVG heatmap) and the progress reports (JSON and CSV).
//
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
package teams

import (
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// Config is what the team routes need. Without Admin, Invites and Exports
// the team pages and calls answer 503; without Dashboard (or Teams) the
// dashboard pages and calls do.
type Config struct {
	Kit       *kit.Kit
	Teams     opslab.TeamService
	Admin     opslab.TeamAdminService
	Invites   opslab.InviteService
	Exports   opslab.ExportService
	Dashboard opslab.DashboardService
	Now       func() time.Time
}

// Handler serves the team routes. Make one with New.
type Handler struct {
	kit       *kit.Kit
	teams     opslab.TeamService
	admin     opslab.TeamAdminService
	invites   opslab.InviteService
	exports   opslab.ExportService
	dashboard opslab.DashboardService
	now       func() time.Time
}

// New returns the team handlers.
func New(cfg Config) *Handler {
	return &Handler{kit: cfg.Kit, teams: cfg.Teams, admin: cfg.Admin, invites: cfg.Invites, exports: cfg.Exports,
		dashboard: cfg.Dashboard, now: cfg.Now}
}

// Routes registers the team pages, the invite page and the dashboard
// (pages and JSON) on the site's router.
func (h *Handler) Routes(r chi.Router) {
	h.teamPageRoutes(r)
	h.dashboardRoutes(r)
}

// APIRoutes registers the team calls on r, the signed-in part of /api.
func (h *Handler) APIRoutes(r chi.Router) {
	h.teamAPIRoutes(r)
}
