package teams

import (
	"net/http"

	"github.com/opslab/opslab/internal/course"
)

func (h *Handler) handleTeamDashboardPage(w http.ResponseWriter, r *http.Request) {
	td, err := h.loadTeamDashboard(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.kit.Render(w, r, http.StatusOK, "team", td.name+" · Team dashboard", h.teamPageView(td))
}

func (h *Handler) handleTeamLearnerPage(w http.ResponseWriter, r *http.Request) {
	ld, err := h.loadTeamLearner(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.kit.Render(w, r, http.StatusOK, "team_learner", ld.history.Name+" · "+ld.history.TeamName, learnerPageOf(ld))
}

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

// learnerPageView is what templates/team_learner.html reads.
type learnerPageView struct {
	TeamName, TeamURL string
	CourseTitle       string
	APIURL            string
	Row               learnerRowView
	Stuck             []stuckItemView
	Lessons           []learnerLessonView
}

type learnerLessonView struct {
	Slug        string
	Number      string
	Title       string
	Status      string // CSS suffix
	StatusLabel string
	TimeText    string
	Completed   string // "" when not completed
	Active      bool   // anything recorded on the lesson
	Exercises   []learnerExerciseView
}

type learnerExerciseView struct {
	ID, Title string
	Passed    string // when first passed; "" if not
	Attempts  []attemptView
	Hidden    int // earlier attempts left out
	Failed    int // failed attempts of kind check
	Hints     []revealView
	Solutions []revealView
}

type attemptView struct {
	ISO, When string
	Kind      string // "Check" or "Live check"
	Passed    bool
	Failed    []failedCheckText
	Commands  []string // run before a failed check, oldest first
}

type revealView struct {
	ISO, When string
	Hint      int // numbered from 1; 0 for a solution
}
