package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

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
}

// failedCheckText is one failed check of an attempt; Check is 0 when the
// stored message carries no number.
type failedCheckText struct {
	Check   int    `json:"check"`
	Message string `json:"message"`
}

type hintJSON struct {
	Hint       int       `json:"hint"` // numbered from 1, as the page shows them
	RevealedAt time.Time `json:"revealed_at"`
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
				aj := attemptJSON{At: a.CreatedAt.UTC(), Kind: string(a.Kind), Passed: a.Passed, FailedChecks: []failedCheckText{}}
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

// failedCheckJSON is the check of an exercise that failed most often.
type failedCheckJSON struct {
	Check    int    `json:"check"` // numbered from 1, as in the checks list
	Message  string `json:"message"`
	Failures int    `json:"failures"`
}
