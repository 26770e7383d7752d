package server

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
	"github.com/opslab/opslab/internal/team"
)

// dashboardRoutes registers the team dashboard and the learner detail
// pages, and their JSON twins. Every one is for the team's leads and
// admins only.
func (s *Server) dashboardRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(s.kit.RequireUserPage)
		r.Get("/teams/{team}", s.handleTeamDashboardPage)
		r.Get("/teams/{team}/learners/{userID}", s.handleTeamLearnerPage)
	})
	r.Group(func(r chi.Router) {
		r.Use(s.kit.RequireUserAPI)
		r.Get("/api/teams/{team}/dashboard", s.handleAPITeamDashboard)
		r.Get("/api/teams/{team}/learners/{userID}", s.handleAPITeamLearner)
	})
}

// dashboardTeam resolves the route's {team} for the signed-in user. Admins
// get any team, or ENOTFOUND; anyone else gets EFORBIDDEN unless they lead
// it, an unknown team included, so that team names do not leak. Without a
// dashboard store it returns EUNAVAILABLE.
func (s *Server) dashboardTeam(r *http.Request) (*opslab.Team, error) {
	if s.cfg.Dashboard == nil || s.cfg.Teams == nil {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "The team dashboard is not available on this server.")
	}
	u := kit.CurrentUser(r)
	forbidden := opslab.Errorf(opslab.EFORBIDDEN, "Only the leads of this team and admins can see its dashboard.")
	t, err := s.cfg.Teams.FindTeamBySlug(r.Context(), chi.URLParam(r, "team"))
	if opslab.ErrorCode(err) == opslab.ENOTFOUND && !u.IsAdmin() {
		return nil, forbidden
	} else if err != nil {
		return nil, err
	}
	if u.IsAdmin() {
		return t, nil
	}
	lead, err := s.cfg.Teams.IsLead(r.Context(), t.ID, u.ID)
	if err != nil {
		return nil, fmt.Errorf("team dashboard: %w", err)
	}
	if !lead {
		return nil, forbidden
	}
	return t, nil
}

// dashboardCourse returns the course named by ?course=, or the
// catalogue's first course when there is none; ENOTFOUND for an unknown
// course or an empty catalogue.
func (s *Server) dashboardCourse(r *http.Request) (*course.Course, error) {
	cat := s.Catalog()
	if cat == nil || len(cat.Courses) == 0 {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no course to show yet.")
	}
	slug := r.URL.Query().Get("course")
	if slug == "" {
		return cat.Courses[0], nil
	}
	c, ok := cat.Course(slug)
	if !ok {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "There is no course %q.", slug)
	}
	return c, nil
}

// dashboardSort reads ?sort= and ?dir= (asc or desc; absent, the column's
// natural direction); EINVALID for an unknown column or direction.
func dashboardSort(r *http.Request) (team.SortKey, bool, error) {
	q := r.URL.Query()
	key, ok := team.ParseSortKey(q.Get("sort"))
	if !ok {
		return "", false, opslab.Errorf(opslab.EINVALID, "Unknown sort column %q.", q.Get("sort"))
	}
	switch q.Get("dir") {
	case "":
		return key, key.DescendingFirst(), nil
	case "asc":
		return key, false, nil
	case "desc":
		return key, true, nil
	}
	return "", false, opslab.Errorf(opslab.EINVALID, "Unknown sort direction %q: use asc or desc.", q.Get("dir"))
}

// teamDashboard is everything the dashboard page and its JSON twin show.
type teamDashboard struct {
	team      *opslab.Team
	name      string
	course    *course.Course
	dashboard *team.Dashboard
	sortKey   team.SortKey
	desc      bool
}

// loadTeamDashboard authorizes the request and computes the dashboard of
// the team in the requested course.
func (s *Server) loadTeamDashboard(r *http.Request) (*teamDashboard, error) {
	t, err := s.dashboardTeam(r)
	if err != nil {
		return nil, err
	}
	c, err := s.dashboardCourse(r)
	if err != nil {
		return nil, err
	}
	key, desc, err := dashboardSort(r)
	if err != nil {
		return nil, err
	}
	d, name, err := s.buildDashboard(r.Context(), t, c)
	if err != nil {
		return nil, err
	}
	return &teamDashboard{team: t, name: name, course: c, dashboard: d, sortKey: key, desc: desc}, nil
}

// buildDashboard reads the team's activity in the course and computes its
// dashboard, returning the team's display name with it.
func (s *Server) buildDashboard(ctx context.Context, t *opslab.Team, c *course.Course) (*team.Dashboard, string, error) {
	a, err := s.cfg.Dashboard.TeamActivity(ctx, t.ID, c.Slug)
	if err != nil {
		return nil, "", fmt.Errorf("team dashboard: %w", err)
	}
	return team.Build(c, a, team.DefaultRules, s.cfg.Now()), a.TeamName, nil
}

func (s *Server) handleTeamDashboardPage(w http.ResponseWriter, r *http.Request) {
	td, err := s.loadTeamDashboard(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.kit.Render(w, r, http.StatusOK, "team", td.name+" · Team dashboard", s.teamPageView(td))
}

func (s *Server) handleAPITeamDashboard(w http.ResponseWriter, r *http.Request) {
	td, err := s.loadTeamDashboard(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, dashboardJSONOf(td, s.Catalog()))
}

// teamLearnerDetail is what the learner detail page and its twin show.
type teamLearnerDetail struct {
	team    *opslab.Team
	course  *course.Course
	learner *team.Learner
	history *opslab.LearnerHistory
}

// loadTeamLearner authorizes the request and reads the learner's history
// and dashboard row. ENOTFOUND unless {userID} is a learner of the team.
func (s *Server) loadTeamLearner(r *http.Request) (*teamLearnerDetail, error) {
	t, err := s.dashboardTeam(r)
	if err != nil {
		return nil, err
	}
	c, err := s.dashboardCourse(r)
	if err != nil {
		return nil, err
	}
	notFound := opslab.Errorf(opslab.ENOTFOUND, "This team has no such learner.")
	userID, err := strconv.ParseInt(chi.URLParam(r, "userID"), 10, 64)
	if err != nil || userID <= 0 {
		return nil, notFound
	}
	h, err := s.cfg.Dashboard.LearnerHistory(r.Context(), t.ID, userID, c.Slug)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("learner detail: %w", err)
	}
	// The row comes from the whole team's dashboard: the stuck signal
	// compares the learner with the team.
	d, _, err := s.buildDashboard(r.Context(), t, c)
	if err != nil {
		return nil, err
	}
	for _, l := range d.Learners {
		if l.UserID == userID {
			return &teamLearnerDetail{team: t, course: c, learner: l, history: h}, nil
		}
	}
	// Removed from the team between the two reads.
	return nil, notFound
}

func (s *Server) handleTeamLearnerPage(w http.ResponseWriter, r *http.Request) {
	ld, err := s.loadTeamLearner(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.kit.Render(w, r, http.StatusOK, "team_learner", ld.history.Name+" · "+ld.history.TeamName, learnerPageOf(ld))
}

func (s *Server) handleAPITeamLearner(w http.ResponseWriter, r *http.Request) {
	ld, err := s.loadTeamLearner(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, learnerJSONOf(ld))
}

// teamURL returns the path of the team's dashboard with the query q (the
// course, the sort), e.g. /teams/ops?course=redis.
func teamURL(t *opslab.Team, q url.Values) string {
	u := "/teams/" + url.PathEscape(t.Slug)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// learnerURL returns the path of a learner's detail page in the course.
func learnerURL(t *opslab.Team, userID int64, c *course.Course) string {
	return "/teams/" + url.PathEscape(t.Slug) + "/learners/" + strconv.FormatInt(userID, 10) +
		"?" + url.Values{"course": {c.Slug}}.Encode()
}
