package team

import (
	"math/big"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
)

// Assess computes one learner's standing in the course from what the store
// recorded of them (a): the status of every lesson, the lessons completed,
// the exercises passed and the completion percentage. It is the one
// definition of those numbers: the team dashboard (Build), its JSON, the
// CSV export, the learner detail page and the learner's own pages all show
// what it returns.
//
// A lesson's status is, in this order:
//
//   - Done: every exercise of the lesson passed (its first pass is
//     recorded); a lesson without exercises, marked done by the learner.
//     Marking a lesson with exercises done does not complete it.
//   - Stuck: not done, something recorded, and rules say stuck (see Rules).
//     medians are the team's median reading times per lesson slug (see
//     Dashboard.Medians); with none, as for a learner seen without their
//     team on their own pages, only the failures rule can apply.
//   - InProgress: not done, and anything recorded: the lesson opened, read
//     or marked done, or an attempt or a hint on one of its exercises.
//   - NotStarted: nothing recorded on the lesson or its exercises.
//
// Records of lessons or exercises no longer in the course are left out.
func Assess(c *course.Course, a *opslab.LearnerActivity, rules Rules, medians map[string]time.Duration) *Learner {
	l := &Learner{UserID: a.UserID, Email: a.Email, Name: a.Name, Cells: make([]Cell, 0, len(c.Lessons))}
	var act span
	for _, ls := range c.Lessons {
		cell := Cell{Lesson: ls}
		lp := a.Lessons[ls.Slug]
		touched := lp != nil
		if lp != nil {
			cell.TimeSpent = lp.TimeSpent
			cell.Marked = lp.Completed != nil
			l.TimeSpent += lp.TimeSpent
			act.see(lp.FirstViewed)
			act.see(lp.LastActivity)
		}
		var lastPass time.Time
		for _, ex := range ls.Exercises {
			ea := a.Exercise(ls.Slug, ex.ID)
			if ea == nil {
				continue
			}
			touched = true
			cell.Attempts += ea.Attempts
			l.FailedChecks += ea.FailedChecks
			l.HintsUsed += ea.HintsRevealed
			act.see(ea.LastAttempt)
			act.see(ea.LastHint)
			if ea.Passed != nil {
				cell.Passed++
				act.see(*ea.Passed)
				if ea.Passed.After(lastPass) {
					lastPass = *ea.Passed
				}
			}
		}
		l.PassedExercises += cell.Passed
		switch {
		case len(ls.Exercises) > 0 && cell.Passed == len(ls.Exercises):
			cell.Completed = &lastPass
		case len(ls.Exercises) == 0 && cell.Marked:
			t := *lp.Completed
			cell.Completed = &t
		}
		switch {
		case cell.Completed != nil:
			cell.Status = Done
			l.CompletedLessons++
		case touched:
			cell.Status = InProgress
			if s := stuckOn(ls, a, lp, rules, medians); s != nil {
				cell.Status, cell.Stuck = Stuck, s
				l.Stuck = append(l.Stuck, s)
			}
		default:
			cell.Status = NotStarted
		}
		l.Cells = append(l.Cells, cell)
	}
	l.Percent = CompletionPercent(l.Cells)
	l.FirstActivity, l.LastActivity = act.bounds()
	return l
}

// CompletionPercent is a learner's completion of a course from their
// standing on each of its lessons (cells, one per lesson of the course, as
// Assess makes them), the number on their own progress bar. Lessons weigh
// equally. A Done lesson counts whole; any other lesson counts in steps:
// each exercise passed and the done mark are one step each, out of its
// exercises plus one. So a lesson with 3 exercises, 2 passed and marked
// done, counts 3/4. The sum over lessons, over the number of lessons,
// times 100, is rounded down, so that 100 means every lesson done; but it
// is at least 1 once any step is taken, so that a first step shows. The
// arithmetic is exact (no floating point).
func CompletionPercent(cells []Cell) int {
	n := int64(len(cells))
	if n == 0 {
		return 0
	}
	// Count in units of 1/unit of a lesson: unit is the least common
	// multiple of the step counts of the lessons not done.
	const maxUnit = 1 << 40 // 100 × unit × lessons stays far inside int64
	unit := int64(1)
	for i := range cells {
		if cells[i].Status == Done {
			continue
		}
		s := steps(&cells[i])
		unit = unit / gcd(unit, s) * s
		if unit > maxUnit {
			return completionPercentBig(cells)
		}
	}
	var sum int64
	for i := range cells {
		c := &cells[i]
		if c.Status == Done {
			sum += unit
		} else {
			sum += taken(c) * (unit / steps(c))
		}
	}
	p := int(100 * sum / (unit * n))
	if p == 0 && sum > 0 {
		p = 1
	}
	return p
}

// completionPercentBig is CompletionPercent with arbitrary precision, for
// courses whose step counts have no small common multiple.
func completionPercentBig(cells []Cell) int {
	sum := new(big.Rat)
	for i := range cells {
		c := &cells[i]
		if c.Status == Done {
			sum.Add(sum, big.NewRat(1, 1))
		} else {
			sum.Add(sum, big.NewRat(taken(c), steps(c)))
		}
	}
	q := new(big.Rat).Mul(sum, big.NewRat(100, int64(len(cells))))
	p := int(new(big.Int).Quo(q.Num(), q.Denom()).Int64())
	if p == 0 && sum.Sign() > 0 {
		p = 1
	}
	return p
}

// steps is the number of steps of the cell's lesson: its exercises and the
// done mark.
func steps(c *Cell) int64 { return int64(len(c.Lesson.Exercises) + 1) }

// taken is the number of steps the learner took on the cell's lesson.
func taken(c *Cell) int64 {
	k := int64(c.Passed)
	if c.Marked {
		k++
	}
	return k
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
