package teams

import (
	"net/http"
	"time"

	"github.com/opslab/opslab/internal/server/kit"
)

func (h *Handler) handleAPITeamDashboard(w http.ResponseWriter, r *http.Request) {
	td, err := h.loadTeamDashboard(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, dashboardJSONOf(td, h.kit.Catalog()))
}

func (h *Handler) handleAPITeamLearner(w http.ResponseWriter, r *http.Request) {
	ld, err := h.loadTeamLearner(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, learnerJSONOf(ld))
}

// dashboardJSON is GET /api/teams/{team}/dashboard: the team dashboard's
// data for automation. Durations are in whole seconds, times RFC 3339 in
// UTC, statuses "not-started", "in-progress", "done" or "stuck".
type dashboardJSON struct {
	Team       string              `json:"team"`
	TeamName   string              `json:"team_name"`
	Course     courseRefJSON       `json:"course"`
	Courses    []courseRefJSON     `json:"courses"`
	Rules      rulesJSON           `json:"stuck_rules"`
	Lessons    []dashLessonJSON    `json:"lessons"`
	Learners   []dashLearnerJSON   `json:"learners"`
	Exercises  []exerciseFailJSON  `json:"exercises"`
	Completion []completionDayJSON `json:"completion"`
}

type courseRefJSON struct {
	Slug  string `json:"slug"`
	Title string `json:"title"`
}

type rulesJSON struct {
	FailedChecks       int     `json:"failed_checks"`
	SlowFactor         float64 `json:"slow_factor"`
	SlowMinimumSeconds int64   `json:"slow_minimum_seconds"`
	MedianPeers        int     `json:"median_peers"`
}

type dashLessonJSON struct {
	Slug      string             `json:"slug"`
	Title     string             `json:"title"`
	Number    int                `json:"number"`
	Exercises []dashExerciseJSON `json:"exercises"`
	Median    *int64             `json:"median_time_spent_seconds"` // null without enough learners
}

type dashExerciseJSON struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type dashLearnerJSON struct {
	ID                int64            `json:"id"`
	Email             string           `json:"email"`
	Name              string           `json:"name"`
	CompletionPercent int              `json:"completion_percent"`
	CompletedLessons  int              `json:"completed_lessons"`
	TotalLessons      int              `json:"total_lessons"`
	PassedExercises   int              `json:"passed_exercises"`
	FirstActivity     *time.Time       `json:"first_activity"`
	LastActivity      *time.Time       `json:"last_activity"`
	TimeSpentSeconds  int64            `json:"time_spent_seconds"`
	FailedChecks      int              `json:"failed_checks"`
	HintsUsed         int              `json:"hints_used"`
	Stuck             []stuckJSON      `json:"stuck"`
	Lessons           []lessonCellJSON `json:"lessons"`
}

type lessonCellJSON struct {
	Lesson           string     `json:"lesson"`
	Status           string     `json:"status"`
	PassedExercises  int        `json:"passed_exercises"`
	TimeSpentSeconds int64      `json:"time_spent_seconds"`
	CompletedAt      *time.Time `json:"completed_at"`
}

type stuckJSON struct {
	Lesson           string           `json:"lesson"`
	Reason           string           `json:"reason"`   // "failures" or "slow"
	Exercise         *string          `json:"exercise"` // id; null when the lesson has none left to pass
	FailedChecks     int              `json:"failed_checks"`
	Check            *failedCheckJSON `json:"check"` // the most failed check; null if none
	TimeSpentSeconds int64            `json:"time_spent_seconds"`
	MedianSeconds    int64            `json:"median_seconds"` // for "slow"; 0 otherwise
}

type exerciseFailJSON struct {
	Lesson          string           `json:"lesson"`
	Exercise        string           `json:"exercise"`
	Title           string           `json:"title"`
	Attempts        int              `json:"attempts"`
	FailedChecks    int              `json:"failed_checks"`
	Learners        int              `json:"learners"`
	FailingLearners int              `json:"failing_learners"`
	StillFailing    int              `json:"still_failing"`
	PassedLearners  int              `json:"passed_learners"`
	Checks          []checkFailsJSON `json:"checks"`
}

type checkFailsJSON struct {
	Check      int       `json:"check"`
	Message    string    `json:"message"`
	Failures   int       `json:"failures"`
	LastFailed time.Time `json:"last_failed"`
}

type completionDayJSON struct {
	Date      string `json:"date"`
	Completed int    `json:"completed"`
	Total     int    `json:"total"`
}

// learnerJSON is GET /api/teams/{team}/learners/{userID}: the learner's
// dashboard row and, per lesson and exercise of the course, every
// attempt, hint reveal and solution reveal, oldest first.
type learnerJSON struct {
	Team    string              `json:"team"`
	Course  courseRefJSON       `json:"course"`
	Learner dashLearnerJSON     `json:"learner"`
	Lessons []learnerLessonJSON `json:"lessons"`
}

type learnerLessonJSON struct {
	Lesson    string                `json:"lesson"`
	Title     string                `json:"title"`
	Status    string                `json:"status"`
	Exercises []learnerExerciseJSON `json:"exercises"`
}

type learnerExerciseJSON struct {
	ID              string        `json:"id"`
	Title           string        `json:"title"`
	PassedAt        *time.Time    `json:"passed_at"`
	Attempts        []attemptJSON `json:"attempts"`
	Hints           []hintJSON    `json:"hints"`
	SolutionReveals []time.Time   `json:"solution_reveals"`
}

type attemptJSON struct {
	At           time.Time         `json:"at"`
	Kind         string            `json:"kind"` // "check" or "live"
	Passed       bool              `json:"passed"`
	FailedChecks []failedCheckText `json:"failed_checks"`
	// Commands are the console and terminal commands run before a failed
	// check (terminal lines start with "$ "); absent when none were kept.
	Commands []string `json:"commands,omitempty"`
}

type hintJSON struct {
	Hint       int       `json:"hint"` // numbered from 1, as the page shows them
	RevealedAt time.Time `json:"revealed_at"`
}

// failedCheckJSON is the check of an exercise that failed most often.
type failedCheckJSON struct {
	Check    int    `json:"check"` // numbered from 1, as in the checks list
	Message  string `json:"message"`
	Failures int    `json:"failures"`
}
