package server

import (
	"net/url"
	"strconv"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

// maxAttemptsShown bounds the attempts listed per exercise on the learner
// page: the latest ones are kept. The JSON twin has them all.
const maxAttemptsShown = 100

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
}

type revealView struct {
	ISO, When string
	Hint      int // numbered from 1; 0 for a solution
}

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
						Kind: "Check", Passed: a.Passed}
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
