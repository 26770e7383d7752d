package server

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

// teamPageView is what templates/team.html reads. Its strings are plain
// text that the template escapes (names, emails, check messages), except
// the heatmap's rows: markup written with html/template's escaper, see
// heatmapView.
type teamPageView struct {
	TeamName string
	TeamSlug string
	Course   *course.Course
	Courses  []courseChoice // empty with a single course
	Learners int
	Rules    rulesView
	Stuck    []stuckView
	Heatmap  heatmapView
	Columns  []sortColumn
	Rows     []learnerRowView
	Failures []failureView
	Chart    chartView
	APIURL   string // the page's JSON twin, for automation
}

type courseChoice struct {
	Slug, Title string
	Selected    bool
}

// rulesView words the stuck thresholds for the page.
type rulesView struct {
	FailedChecks int
	SlowFactor   string
	SlowMinimum  string
	MedianPeers  int
}

type stuckView struct {
	Name, Email, URL string
	Items            []stuckItemView
}

type stuckItemView struct {
	Lesson   string
	Exercise string // "" when the lesson has no exercise to name
	Why      string
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

type learnerRowView struct {
	Name, Email, URL string
	NameKey          string // sort value: the lower-case name, then the email
	Percent          int
	Completed, Total int
	LastUnix         int64 // 0 when never active
	LastText         string
	LastISO          string
	TimeMs           int64
	TimeText         string
	Failed, Hints    int
	Stuck            bool
}

type failureView struct {
	Lesson, Exercise string
	LessonURL        string
	FailedChecks     int
	Attempts         int
	Learners         int
	Failing          int
	StillFailing     int
	Passed           int
	Checks           []checkFailView
	MoreChecks       int
}

type checkFailView struct {
	Number   int
	Message  string
	Failures int
}

// maxChecksShown bounds the failing checks listed per exercise.
const maxChecksShown = 3

// teamPageView turns a computed dashboard into the page's view.
func (s *Server) teamPageView(td *teamDashboard) teamPageView {
	d, t, c := td.dashboard, td.team, td.course
	v := teamPageView{TeamName: td.name, TeamSlug: t.Slug, Course: c, Learners: len(d.Learners),
		Rules: rulesView{FailedChecks: team.DefaultRules.FailedChecks,
			SlowFactor:  strconv.FormatFloat(team.DefaultRules.SlowFactor, 'f', -1, 64),
			SlowMinimum: formatSpent(team.DefaultRules.SlowMinimum), MedianPeers: team.DefaultRules.MedianPeers},
		APIURL: "/api/teams/" + url.PathEscape(t.Slug) + "/dashboard?" + url.Values{"course": {c.Slug}}.Encode()}
	if cat := s.Catalog(); cat != nil && len(cat.Courses) > 1 {
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
