package team_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/team"
)

func TestAssess(t *testing.T) {
	day := t0.Add(-24 * time.Hour)
	c := testCourse()
	assess := func(l *learner) *team.Learner { return team.Assess(c, l.a, team.DefaultRules, nil) }

	// Attempts alone start a lesson; four failed checks make it stuck,
	// with no view of the lesson and no team to compare with.
	stan := assess(newLearner(1, "stan").failed("sets", "board", 4, day, "m").passed("sets", "tally", day))
	if got := statuses(stan); !reflect.DeepEqual(got, []team.Status{team.NotStarted, team.Stuck, team.NotStarted}) {
		t.Errorf("stan: %v", got)
	}
	if cell := stan.Cells[1]; cell.Attempts != 5 || cell.Passed != 1 || cell.Marked || len(stan.Stuck) != 1 {
		t.Errorf("stan on sets: %+v, stuck %v", cell, stan.Stuck)
	}
	// A hint alone starts a lesson.
	if got := statuses(assess(newLearner(2, "hal").hints("lists", "push", 1, day))); got[2] != team.InProgress {
		t.Errorf("a hint: %v", got)
	}
	// Marking a lesson with exercises done does not complete it, but it is
	// a step; on a lesson without, it completes it.
	m := assess(newLearner(3, "max").marked("lists", day).marked("intro", day))
	if got := statuses(m); !reflect.DeepEqual(got, []team.Status{team.Done, team.NotStarted, team.InProgress}) ||
		!m.Cells[2].Marked || m.CompletedLessons != 1 || m.Percent != 50 {
		t.Errorf("max: %v, %d lessons, %d%%", got, m.CompletedLessons, m.Percent)
	}
	// Without the team's medians nobody is slow.
	if s := assess(newLearner(4, "sam").viewed("lists", day, 5*time.Hour)).Stuck; len(s) != 0 {
		t.Errorf("slow without a team: %v", s)
	}
}

func TestCompletionPercent(t *testing.T) {
	lesson := func(exercises int) *course.Lesson {
		l := &course.Lesson{Slug: fmt.Sprint("l", exercises)}
		for i := range exercises {
			l.Exercises = append(l.Exercises, &course.Exercise{ID: fmt.Sprint("e", i)})
		}
		return l
	}
	cell := func(exercises, passed int, marked bool) team.Cell {
		c := team.Cell{Lesson: lesson(exercises), Passed: passed, Marked: marked, Status: team.InProgress}
		if (exercises > 0 && passed == exercises) || (exercises == 0 && marked) {
			c.Status = team.Done
		}
		if c.Status != team.Done && passed == 0 && !marked {
			c.Status = team.NotStarted
		}
		return c
	}
	for _, tc := range []struct {
		name  string
		cells []team.Cell
		want  int
	}{
		{"NoLessons", nil, 0},
		{"Nothing", []team.Cell{cell(0, 0, false), cell(2, 0, false)}, 0},
		{"All", []team.Cell{cell(0, 0, true), cell(2, 2, false), cell(3, 3, true)}, 100},
		// 0.75 + 1 of 4 lessons: 43.75, rounded down.
		{"RoundedDown", []team.Cell{cell(0, 0, true), cell(1, 0, false), cell(3, 2, true), cell(0, 0, false)}, 43},
		// 2/3 of a lesson of 3: 22.2.
		{"Thirds", []team.Cell{cell(2, 1, true), cell(0, 0, false), cell(0, 0, false)}, 22},
		// 29 steps of 100: 29 exactly, where 29.0/100*100 in floating
		// point is 28.999999999999996.
		{"Exact", []team.Cell{cell(99, 28, true)}, 29},
		// A first step shows: 1/2 of one lesson of 60 is 0.83%.
		{"FirstStep", append([]team.Cell{cell(1, 0, true)}, repeat(cell(0, 0, false), 59)...), 1},
		// A step short of everything is not 100.
		{"AlmostAll", append([]team.Cell{cell(9, 8, true)}, repeat(cell(0, 0, true), 99)...), 99},
	} {
		if got := team.CompletionPercent(tc.cells); got != tc.want {
			t.Errorf("%s: %d%%, want %d%%", tc.name, got, tc.want)
		}
	}

	// Step counts with a huge common multiple (lessons of 1 to 60
	// exercises) take the arbitrary-precision path and agree with it.
	var cells []team.Cell
	for n := 1; n <= 60; n++ {
		cells = append(cells, cell(n, n/2, n%2 == 0))
	}
	// Σ (⌊n/2⌋ + [n even]) / (n+1) over n = 1..60, over 60 lessons.
	sum := 0.0
	for n := 1; n <= 60; n++ {
		k := n / 2
		if n%2 == 0 {
			k++
		}
		sum += float64(k) / float64(n+1)
	}
	if got, want := team.CompletionPercent(cells), int(100*sum/60); got != want {
		t.Errorf("many step counts: %d%%, want %d%%", got, want)
	}
}

func repeat(c team.Cell, n int) []team.Cell {
	out := make([]team.Cell, n)
	for i := range out {
		out[i] = c
	}
	return out
}
