package teams

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
	"github.com/opslab/opslab/internal/team"
)

// dashboardRoutes registers the team dashboard and the learner detail
// pages, and their JSON twins. Every one is for the team's leads and
// admins only.
func (h *Handler) dashboardRoutes(r chi.Router) {
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserPage)
		r.Get("/teams/{team}", h.handleTeamDashboardPage)
		r.Get("/teams/{team}/learners/{userID}", h.handleTeamLearnerPage)
	})
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserAPI)
		r.Get("/api/teams/{team}/dashboard", h.handleAPITeamDashboard)
		r.Get("/api/teams/{team}/learners/{userID}", h.handleAPITeamLearner)
	})
}

// dashboardTeam resolves the route's {team} for the signed-in user. Admins
// get any team, or ENOTFOUND; anyone else gets EFORBIDDEN unless they lead
// it, an unknown team included, so that team names do not leak. Without a
// dashboard store it returns EUNAVAILABLE.
func (h *Handler) dashboardTeam(r *http.Request) (*opslab.Team, error) {
	if h.dashboard == nil || h.teams == nil {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "The team dashboard is not available on this server.")
	}
	u := kit.CurrentUser(r)
	forbidden := opslab.Errorf(opslab.EFORBIDDEN, "Only the leads of this team and admins can see its dashboard.")
	t, err := h.teams.FindTeamBySlug(r.Context(), chi.URLParam(r, "team"))
	if opslab.ErrorCode(err) == opslab.ENOTFOUND && !u.IsAdmin() {
		return nil, forbidden
	} else if err != nil {
		return nil, err
	}
	if u.IsAdmin() {
		return t, nil
	}
	lead, err := h.teams.IsLead(r.Context(), t.ID, u.ID)
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
func (h *Handler) dashboardCourse(r *http.Request) (*course.Course, error) {
	cat := h.kit.Catalog()
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
func (h *Handler) loadTeamDashboard(r *http.Request) (*teamDashboard, error) {
	t, err := h.dashboardTeam(r)
	if err != nil {
		return nil, err
	}
	c, err := h.dashboardCourse(r)
	if err != nil {
		return nil, err
	}
	key, desc, err := dashboardSort(r)
	if err != nil {
		return nil, err
	}
	d, name, err := h.buildDashboard(r.Context(), t, c)
	if err != nil {
		return nil, err
	}
	return &teamDashboard{team: t, name: name, course: c, dashboard: d, sortKey: key, desc: desc}, nil
}

// buildDashboard reads the team's activity in the course and computes its
// dashboard, returning the team's display name with it.
func (h *Handler) buildDashboard(ctx context.Context, t *opslab.Team, c *course.Course) (*team.Dashboard, string, error) {
	a, err := h.dashboard.TeamActivity(ctx, t.ID, c.Slug)
	if err != nil {
		return nil, "", fmt.Errorf("team dashboard: %w", err)
	}
	return team.Build(c, a, team.DefaultRules, h.now()), a.TeamName, nil
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
func (h *Handler) loadTeamLearner(r *http.Request) (*teamLearnerDetail, error) {
	t, err := h.dashboardTeam(r)
	if err != nil {
		return nil, err
	}
	c, err := h.dashboardCourse(r)
	if err != nil {
		return nil, err
	}
	notFound := opslab.Errorf(opslab.ENOTFOUND, "This team has no such learner.")
	userID, err := strconv.ParseInt(chi.URLParam(r, "userID"), 10, 64)
	if err != nil || userID <= 0 {
		return nil, notFound
	}
	history, err := h.dashboard.LearnerHistory(r.Context(), t.ID, userID, c.Slug)
	if opslab.ErrorCode(err) == opslab.ENOTFOUND {
		return nil, notFound
	} else if err != nil {
		return nil, fmt.Errorf("learner detail: %w", err)
	}
	// The row comes from the whole team's dashboard: the stuck signal
	// compares the learner with the team.
	d, _, err := h.buildDashboard(r.Context(), t, c)
	if err != nil {
		return nil, err
	}
	for _, l := range d.Learners {
		if l.UserID == userID {
			return &teamLearnerDetail{team: t, course: c, learner: l, history: history}, nil
		}
	}
	// Removed from the team between the two reads.
	return nil, notFound
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

// dashboardJSONOf renders the dashboard for the API, learners in the
// requested sort order.
func dashboardJSONOf(td *teamDashboard, cat *course.Catalog) dashboardJSON {
	d, c := td.dashboard, td.course
	out := dashboardJSON{Team: td.team.Slug, TeamName: td.name, Course: courseRefJSON{c.Slug, c.Title},
		Courses: []courseRefJSON{}, Lessons: []dashLessonJSON{}, Learners: []dashLearnerJSON{},
		Exercises: []exerciseFailJSON{}, Completion: []completionDayJSON{},
		Rules: rulesJSON{FailedChecks: team.DefaultRules.FailedChecks, SlowFactor: team.DefaultRules.SlowFactor,
			SlowMinimumSeconds: seconds(team.DefaultRules.SlowMinimum), MedianPeers: team.DefaultRules.MedianPeers}}
	for _, x := range cat.Courses {
		out.Courses = append(out.Courses, courseRefJSON{x.Slug, x.Title})
	}
	for _, l := range c.Lessons {
		lj := dashLessonJSON{Slug: l.Slug, Title: l.Title, Number: l.Number, Exercises: []dashExerciseJSON{}}
		for _, e := range l.Exercises {
			lj.Exercises = append(lj.Exercises, dashExerciseJSON{ID: e.ID, Title: e.Title})
		}
		if m, ok := d.Medians[l.Slug]; ok {
			s := seconds(m)
			lj.Median = &s
		}
		out.Lessons = append(out.Lessons, lj)
	}
	for _, l := range team.SortLearners(d.Learners, td.sortKey, td.desc) {
		out.Learners = append(out.Learners, learnerJSONRow(l, len(c.Lessons)))
	}
	for _, f := range d.Exercises {
		fj := exerciseFailJSON{Lesson: f.Lesson.Slug, Exercise: f.Exercise.ID, Title: f.Exercise.Title,
			Attempts: f.Attempts, FailedChecks: f.FailedChecks, Learners: f.Learners, FailingLearners: f.Failing,
			StillFailing: f.StillFailing, PassedLearners: f.Passed, Checks: []checkFailsJSON{}}
		for _, ch := range f.Checks {
			fj.Checks = append(fj.Checks, checkFailsJSON{Check: ch.Number, Message: ch.Message, Failures: ch.Failures, LastFailed: ch.Last})
		}
		out.Exercises = append(out.Exercises, fj)
	}
	for _, day := range d.Completion {
		out.Completion = append(out.Completion, completionDayJSON{Date: day.Date.Format("2006-01-02"), Completed: day.Completed, Total: day.Total})
	}
	return out
}

// learnerJSONRow is one learner's row of the dashboard.
func learnerJSONRow(l *team.Learner, lessons int) dashLearnerJSON {
	out := dashLearnerJSON{ID: l.UserID, Email: l.Email, Name: l.Name, CompletionPercent: l.Percent,
		CompletedLessons: l.CompletedLessons, TotalLessons: lessons, PassedExercises: l.PassedExercises,
		FirstActivity: utcPtr(l.FirstActivity), LastActivity: utcPtr(l.LastActivity),
		TimeSpentSeconds: seconds(l.TimeSpent), FailedChecks: l.FailedChecks, HintsUsed: l.HintsUsed,
		Stuck: []stuckJSON{}, Lessons: make([]lessonCellJSON, 0, len(l.Cells))}
	for _, s := range l.Stuck {
		sj := stuckJSON{Lesson: s.Lesson.Slug, Reason: string(s.Reason), FailedChecks: s.FailedChecks,
			TimeSpentSeconds: seconds(s.TimeSpent), MedianSeconds: seconds(s.Median)}
		if s.Exercise != nil {
			id := s.Exercise.ID
			sj.Exercise = &id
		}
		if ch := s.Check; ch != nil {
			sj.Check = &failedCheckJSON{Check: ch.Number, Message: ch.Message, Failures: ch.Failures}
		}
		out.Stuck = append(out.Stuck, sj)
	}
	for _, c := range l.Cells {
		out.Lessons = append(out.Lessons, lessonCellJSON{Lesson: c.Lesson.Slug, Status: string(c.Status),
			PassedExercises: c.Passed, TimeSpentSeconds: seconds(c.TimeSpent), CompletedAt: utcPtr(c.Completed)})
	}
	return out
}

// failedCheckText is one failed check of an attempt; Check is 0 when the
// stored message carries no number.
type failedCheckText struct {
	Check   int    `json:"check"`
	Message string `json:"message"`
}

// learnerJSONOf renders a learner's detail for the API.
func learnerJSONOf(ld *teamLearnerDetail) learnerJSON {
	c := ld.course
	out := learnerJSON{Team: ld.team.Slug, Course: courseRefJSON{c.Slug, c.Title},
		Learner: learnerJSONRow(ld.learner, len(c.Lessons)), Lessons: []learnerLessonJSON{}}
	hist := historyByExercise(ld.history)
	for i, l := range c.Lessons {
		lj := learnerLessonJSON{Lesson: l.Slug, Title: l.Title, Status: string(ld.learner.Cells[i].Status),
			Exercises: []learnerExerciseJSON{}}
		for _, e := range l.Exercises {
			h := hist[exerciseRef{l.Slug, e.ID}]
			if h == nil {
				h = &exerciseHistory{}
			}
			ej := learnerExerciseJSON{ID: e.ID, Title: e.Title, Attempts: []attemptJSON{}, Hints: []hintJSON{},
				SolutionReveals: []time.Time{}}
			for _, a := range h.attempts {
				aj := attemptJSON{At: a.CreatedAt.UTC(), Kind: string(a.Kind), Passed: a.Passed, FailedChecks: []failedCheckText{}, Commands: a.Commands}
				for _, f := range a.FailedChecks {
					aj.FailedChecks = append(aj.FailedChecks, splitFailedCheck(f))
				}
				if a.Passed && ej.PassedAt == nil {
					at := a.CreatedAt.UTC()
					ej.PassedAt = &at
				}
				ej.Attempts = append(ej.Attempts, aj)
			}
			for _, hr := range h.hints {
				ej.Hints = append(ej.Hints, hintJSON{Hint: hr.Index + 1, RevealedAt: hr.RevealedAt.UTC()})
			}
			for _, sr := range h.solutions {
				ej.SolutionReveals = append(ej.SolutionReveals, sr.RevealedAt.UTC())
			}
			lj.Exercises = append(lj.Exercises, ej)
		}
		out.Lessons = append(out.Lessons, lj)
	}
	return out
}

// exerciseRef names an exercise within a course.
type exerciseRef struct{ lesson, exercise string }

// exerciseHistory is a learner's history of one exercise, oldest first.
type exerciseHistory struct {
	attempts  []*opslab.Attempt
	hints     []opslab.HintReveal
	solutions []opslab.SolutionReveal
}

// historyByExercise groups a learner's history by exercise.
func historyByExercise(h *opslab.LearnerHistory) map[exerciseRef]*exerciseHistory {
	out := map[exerciseRef]*exerciseHistory{}
	get := func(k opslab.ExerciseKey) *exerciseHistory {
		ref := exerciseRef{k.Lesson, k.Exercise}
		e := out[ref]
		if e == nil {
			e = &exerciseHistory{}
			out[ref] = e
		}
		return e
	}
	for _, a := range h.Attempts {
		e := get(a.Key())
		e.attempts = append(e.attempts, a)
	}
	for _, r := range h.Hints {
		e := get(r.Key)
		e.hints = append(e.hints, r)
	}
	for _, r := range h.Solutions {
		e := get(r.Key)
		e.solutions = append(e.solutions, r)
	}
	return out
}

// splitFailedCheck reads a stored failed check, "N: message".
func splitFailedCheck(s string) failedCheckText {
	num, msg, ok := strings.Cut(s, ": ")
	if n, err := strconv.Atoi(num); ok && err == nil && n > 0 {
		return failedCheckText{Check: n, Message: msg}
	}
	return failedCheckText{Message: s}
}

// seconds returns d in whole seconds.
func seconds(d time.Duration) int64 { return int64(d / time.Second) }

// utcPtr returns t in UTC, nil for nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

type courseChoice struct {
	Slug, Title string
	Selected    bool
}

// sortColumn is a header of the learners table: a link that sorts by it
// without JavaScript, and the data dashboard.js sorts by with it.
type sortColumn struct {
	Key, Label string
	URL        string
	AriaSort   string // "ascending", "descending", or "" when not sorted by it
	Type       string // "text" or "number"
	First      string // the direction of a first click: "ascending" or "descending"
}

// maxChecksShown bounds the failing checks listed per exercise.
const maxChecksShown = 3

// teamPageView turns a computed dashboard into the page's view.
func (h *Handler) teamPageView(td *teamDashboard) teamPageView {
	d, t, c := td.dashboard, td.team, td.course
	v := teamPageView{TeamName: td.name, TeamSlug: t.Slug, Course: c, Learners: len(d.Learners),
		Rules: rulesView{FailedChecks: team.DefaultRules.FailedChecks,
			SlowFactor:  strconv.FormatFloat(team.DefaultRules.SlowFactor, 'f', -1, 64),
			SlowMinimum: formatSpent(team.DefaultRules.SlowMinimum), MedianPeers: team.DefaultRules.MedianPeers},
		APIURL: "/api/teams/" + url.PathEscape(t.Slug) + "/dashboard?" + url.Values{"course": {c.Slug}}.Encode()}
	if cat := h.kit.Catalog(); cat != nil && len(cat.Courses) > 1 {
		for _, x := range cat.Courses {
			v.Courses = append(v.Courses, courseChoice{Slug: x.Slug, Title: x.Title, Selected: x == c})
		}
	}
	for _, l := range d.Stuck() {
		sv := stuckView{Name: l.Name, Email: l.Email, URL: learnerURL(t, l.UserID, c)}
		for _, so := range l.Stuck {
			sv.Items = append(sv.Items, stuckItemOf(so))
		}
		v.Stuck = append(v.Stuck, sv)
	}
	v.Heatmap = heatmapOf(d, t)
	v.Columns = sortColumns(t, c, td.sortKey, td.desc)
	for _, l := range team.SortLearners(d.Learners, td.sortKey, td.desc) {
		v.Rows = append(v.Rows, learnerRowOf(l, t, c))
	}
	for _, f := range d.Exercises {
		fv := failureView{Lesson: f.Lesson.Title, Exercise: f.Exercise.Title,
			LessonURL:    "/courses/" + url.PathEscape(c.Slug) + "/lessons/" + url.PathEscape(f.Lesson.Slug) + "#exercise-" + f.Exercise.ID,
			FailedChecks: f.FailedChecks, Attempts: f.Attempts, Learners: f.Learners,
			Failing: f.Failing, StillFailing: f.StillFailing, Passed: f.Passed}
		for i, ch := range f.Checks {
			if i == maxChecksShown {
				fv.MoreChecks = len(f.Checks) - i
				break
			}
			fv.Checks = append(fv.Checks, checkFailView{Number: ch.Number, Message: ch.Message, Failures: ch.Failures})
		}
		v.Failures = append(v.Failures, fv)
	}
	v.Chart = chartOf(d.Completion)
	return v
}

// stuckItemOf words what a learner is stuck on.
func stuckItemOf(s *team.StuckOn) stuckItemView {
	it := stuckItemView{Lesson: s.Lesson.Title}
	if s.Exercise != nil {
		it.Exercise = s.Exercise.Title
	}
	switch s.Reason {
	case team.StuckFailures:
		it.Why = plural(s.FailedChecks, "failed check", "failed checks") + ", no pass yet"
		if c := s.Check; c != nil {
			it.Why += fmt.Sprintf("; check %d failed most (%s): “%s”", c.Number, plural(c.Failures, "time", "times"), c.Message)
		}
	case team.StuckSlow:
		it.Why = fmt.Sprintf("%s on this lesson, more than %s times the team's median of %s",
			formatSpent(s.TimeSpent), strconv.FormatFloat(team.DefaultRules.SlowFactor, 'f', -1, 64), formatSpent(s.Median))
		if s.FailedChecks > 0 {
			it.Why += "; " + plural(s.FailedChecks, "failed check", "failed checks") + " on this exercise"
		}
	}
	return it
}

// learnerRowOf is one row of the learners table.
func learnerRowOf(l *team.Learner, t *opslab.Team, c *course.Course) learnerRowView {
	row := learnerRowView{Name: l.Name, Email: l.Email, URL: learnerURL(t, l.UserID, c),
		NameKey: strings.ToLower(l.Name) + "\x00" + l.Email, Percent: l.Percent, Completed: l.CompletedLessons,
		Total: len(c.Lessons), TimeMs: l.TimeSpent.Milliseconds(), TimeText: formatSpent(l.TimeSpent),
		Failed: l.FailedChecks, Hints: l.HintsUsed, Stuck: len(l.Stuck) > 0, LastText: "never"}
	if l.LastActivity != nil {
		row.LastUnix, row.LastText, row.LastISO = l.LastActivity.Unix(), formatWhen(*l.LastActivity), l.LastActivity.UTC().Format(time.RFC3339)
	}
	return row
}

// sortColumns returns the learners table's headers for the current sort:
// each links to sorting by it, the current column in the other direction.
func sortColumns(t *opslab.Team, c *course.Course, key team.SortKey, desc bool) []sortColumn {
	labels := map[team.SortKey]string{
		team.SortName: "Learner", team.SortCompletion: "Completion", team.SortLastActivity: "Last activity",
		team.SortTimeSpent: "Time spent", team.SortFailedChecks: "Failed checks", team.SortHints: "Hints used",
	}
	var out []sortColumn
	for _, k := range team.SortKeys {
		col := sortColumn{Key: string(k), Label: labels[k], Type: "number", First: "descending"}
		if !k.DescendingFirst() {
			col.Type, col.First = "text", "ascending"
		}
		nextDesc := k.DescendingFirst()
		if k == key {
			col.AriaSort = "ascending"
			if desc {
				col.AriaSort = "descending"
			}
			nextDesc = !desc
		}
		dir := "asc"
		if nextDesc {
			dir = "desc"
		}
		col.URL = teamURL(t, url.Values{"course": {c.Slug}, "sort": {string(k)}, "dir": {dir}}) + "#learners"
		out = append(out, col)
	}
	return out
}

// formatWhen renders a time for people, in UTC to the minute.
func formatWhen(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// formatSpent renders a duration for people: "0 min", "under 1 min",
// "12 min", "2 h 05 min".
func formatSpent(d time.Duration) string {
	switch {
	case d <= 0:
		return "0 min"
	case d < time.Minute:
		return "under 1 min"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min"
	}
	return fmt.Sprintf("%d h %02d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// plural renders n with the word for one or for several.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// shorten cuts s to at most n characters, ending in an ellipsis when cut.
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// maxAttemptsShown bounds the attempts listed per exercise on the learner
// page: the latest ones are kept. The JSON twin has them all.
const maxAttemptsShown = 100

// learnerPageOf turns a learner's detail into the page's view.
func learnerPageOf(ld *teamLearnerDetail) learnerPageView {
	c, l := ld.course, ld.learner
	v := learnerPageView{TeamName: ld.history.TeamName, CourseTitle: c.Title,
		TeamURL: teamURL(ld.team, url.Values{"course": {c.Slug}}),
		APIURL: "/api/teams/" + url.PathEscape(ld.team.Slug) + "/learners/" + strconv.FormatInt(l.UserID, 10) +
			"?" + url.Values{"course": {c.Slug}}.Encode(),
		Row: learnerRowOf(l, ld.team, c)}
	for _, s := range l.Stuck {
		v.Stuck = append(v.Stuck, stuckItemOf(s))
	}
	hist := historyByExercise(ld.history)
	for i, ls := range c.Lessons {
		cell := l.Cells[i]
		lv := learnerLessonView{Slug: ls.Slug, Number: lessonNumber(ls.Number, i), Title: ls.Title, Status: string(cell.Status),
			StatusLabel: cell.Status.Label(), TimeText: formatSpent(cell.TimeSpent), Active: cell.Status != team.NotStarted}
		if cell.Completed != nil {
			lv.Completed = formatWhen(*cell.Completed)
		}
		for _, e := range ls.Exercises {
			ev := learnerExerciseView{ID: e.ID, Title: e.Title}
			if h := hist[exerciseRef{ls.Slug, e.ID}]; h != nil {
				attempts := h.attempts
				if len(attempts) > maxAttemptsShown {
					ev.Hidden = len(attempts) - maxAttemptsShown
					attempts = attempts[ev.Hidden:]
				}
				for _, a := range h.attempts {
					if a.Passed && ev.Passed == "" {
						ev.Passed = formatWhen(a.CreatedAt)
					}
					if !a.Passed && a.Kind == opslab.AttemptCheck {
						ev.Failed++
					}
				}
				for _, a := range attempts {
					av := attemptView{ISO: a.CreatedAt.UTC().Format(time.RFC3339), When: formatWhen(a.CreatedAt),
						Kind: "Check", Passed: a.Passed, Commands: a.Commands}
					if a.Kind == opslab.AttemptLive {
						av.Kind = "Live check"
					}
					for _, f := range a.FailedChecks {
						av.Failed = append(av.Failed, splitFailedCheck(f))
					}
					ev.Attempts = append(ev.Attempts, av)
				}
				for _, r := range h.hints {
					ev.Hints = append(ev.Hints, revealView{ISO: r.RevealedAt.UTC().Format(time.RFC3339), When: formatWhen(r.RevealedAt), Hint: r.Index + 1})
				}
				for _, r := range h.solutions {
					ev.Solutions = append(ev.Solutions, revealView{ISO: r.RevealedAt.UTC().Format(time.RFC3339), When: formatWhen(r.RevealedAt)})
				}
			}
			lv.Exercises = append(lv.Exercises, ev)
		}
		v.Lessons = append(v.Lessons, lv)
	}
	return v
}
