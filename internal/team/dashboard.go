// Package team computes what a team lead's dashboard shows, from a course
// of the catalogue and the store's record of the team's learners: each
// learner's status on each lesson, who is stuck and on what, which
// exercises and checks fail most, and completion over time. Its functions
// are pure: no I/O, and the current time is an argument.
package team

import (
	"sort"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
)

// Status is a learner's standing on one lesson.
type Status string

// The statuses, in the order a lesson usually goes through them. Done is
// the contract's "completed": every exercise passed, or, for a lesson
// without exercises, marked done by the learner. Assess applies them.
const (
	NotStarted Status = "not-started" // nothing recorded on the lesson
	InProgress Status = "in-progress" // opened, tried or hinted, not done
	Done       Status = "done"        // completed
	Stuck      Status = "stuck"       // not done, and Rules says stuck
)

// Statuses lists every status, for legends.
var Statuses = []Status{NotStarted, InProgress, Done, Stuck}

// Label is the status in words, for people.
func (s Status) Label() string {
	switch s {
	case InProgress:
		return "In progress"
	case Done:
		return "Done"
	case Stuck:
		return "Stuck"
	}
	return "Not started"
}

// Rules holds the thresholds of the stuck signal. A learner is stuck on a
// lesson they have not completed when either:
//
//   - failures: on one exercise of the lesson they have not passed, they
//     pressed Check and failed at least FailedChecks times (live checks,
//     recorded while they type, do not count); or
//   - slow: their reading time on the lesson is at least SlowMinimum and
//     more than SlowFactor times the team's median time on that lesson.
//     The median is taken over the team's learners with any time on the
//     lesson, done or not, and only when there are at least MedianPeers of
//     them: with fewer, a median says little and nobody is slow.
//
// When both apply, failures wins: it names the exercise.
type Rules struct {
	FailedChecks int
	SlowFactor   float64
	SlowMinimum  time.Duration
	MedianPeers  int
}

// DefaultRules are the thresholds the dashboard uses: three failed checks
// on one exercise, or more than twice the team's median time (at least
// ten minutes, with at least three learners to take a median of).
var DefaultRules = Rules{FailedChecks: 3, SlowFactor: 2, SlowMinimum: 10 * time.Minute, MedianPeers: 3}

// Dashboard is a team's standing in one course.
type Dashboard struct {
	Course *course.Course
	// Learners holds one row per learner of the team: the stuck ones first,
	// then in the order of the activity (by name).
	Learners []*Learner
	// Medians is the team's median reading time per lesson slug, for the
	// lessons with at least Rules.MedianPeers learners who spent time on them.
	Medians map[string]time.Duration
	// Exercises holds the failure statistics of every exercise of the course
	// with at least one failed check, most failed first.
	Exercises []*ExerciseFailures
	// Completion is the team's completed lessons per day, see CompletionDays.
	Completion []Day
}

// Stuck returns the learners who are stuck on at least one lesson, in the
// dashboard's order.
func (d *Dashboard) Stuck() []*Learner {
	var out []*Learner
	for _, l := range d.Learners {
		if len(l.Stuck) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// Learner is one learner's row of the dashboard. Every number covers the
// lessons and exercises of the course as the catalogue has them now.
type Learner struct {
	UserID int64
	Email  string
	Name   string
	// Cells holds the learner's standing on each lesson, in course order.
	Cells            []Cell
	CompletedLessons int // lessons Done
	PassedExercises  int
	// Percent is the learner's completion of the course, see
	// CompletionPercent: what the learner's own progress bar shows.
	Percent int
	// FirstActivity and LastActivity bound the times the dashboard reads:
	// first and last lesson views, completions, last attempts, first passes
	// and latest hints; nil when there is none.
	FirstActivity *time.Time
	LastActivity  *time.Time
	TimeSpent     time.Duration // reading time over the course's lessons
	FailedChecks  int           // failed attempts of kind check
	HintsUsed     int           // distinct hints revealed
	// Stuck holds what the learner is stuck on, one entry per lesson, in
	// course order; empty when not stuck.
	Stuck []*StuckOn
}

// Cell is one learner's standing on one lesson.
type Cell struct {
	Lesson    *course.Lesson
	Status    Status
	Passed    int  // exercises of the lesson passed
	Marked    bool // the learner marked the lesson done ("I have read this")
	Attempts  int  // graded attempts, of any kind, on the lesson's exercises
	TimeSpent time.Duration
	// Completed is when the lesson was completed (the last exercise's first
	// pass, or the done mark of a lesson without exercises); nil if not.
	Completed *time.Time
	// Stuck says why the status is Stuck; nil otherwise.
	Stuck *StuckOn
}

// StuckReason names the rule that flagged a learner.
type StuckReason string

// The reasons, see Rules.
const (
	StuckFailures StuckReason = "failures"
	StuckSlow     StuckReason = "slow"
)

// StuckOn is what a learner is stuck on in one lesson.
type StuckOn struct {
	Lesson *course.Lesson
	Reason StuckReason
	// Exercise is, for failures, the exercise failed most; for slow, the
	// first exercise of the lesson not passed yet (nil if none).
	Exercise *course.Exercise
	// FailedChecks counts the failed checks on Exercise.
	FailedChecks int
	// Check is the check of Exercise that failed most often, with its latest
	// message; nil when no failure named a check.
	Check *opslab.CheckFailures
	// TimeSpent and Median are the learner's and the team's time on the
	// lesson, for slow.
	TimeSpent time.Duration
	Median    time.Duration
}

// ExerciseFailures sums up how the team's learners fail one exercise.
type ExerciseFailures struct {
	Lesson   *course.Lesson
	Exercise *course.Exercise
	Attempts int // attempts of any kind
	// FailedChecks counts failed attempts of kind check.
	FailedChecks int
	Learners     int // learners with at least one attempt
	// Failing counts learners with at least one failed check, and
	// StillFailing those of them who have not passed.
	Failing      int
	StillFailing int
	Passed       int // learners who passed
	// Checks holds every check that failed, most failures first (then by
	// number), with the latest message a learner saw.
	Checks []opslab.CheckFailures
}

// Build computes the dashboard of the course from the team's activity,
// with the stuck thresholds of rules and the chart ending on now's day.
// Records of lessons or exercises no longer in the course are left out.
func Build(c *course.Course, a *opslab.TeamActivity, rules Rules, now time.Time) *Dashboard {
	d := &Dashboard{Course: c, Medians: medians(c, a.Learners, rules.MedianPeers)}
	var stuck, rest []*Learner
	for _, la := range a.Learners {
		l := Assess(c, la, rules, d.Medians)
		if len(l.Stuck) > 0 {
			stuck = append(stuck, l)
		} else {
			rest = append(rest, l)
		}
	}
	d.Learners = append(stuck, rest...)
	d.Exercises = exerciseFailures(c, a)
	d.Completion = CompletionDays(d.Learners, now, CompletionWindow)
	return d
}

// span is the first and last of the times it has seen; a zero time is
// no time.
type span struct{ first, last time.Time }

func (s *span) see(t time.Time) {
	if t.IsZero() {
		return
	}
	if s.first.IsZero() || t.Before(s.first) {
		s.first = t
	}
	if t.After(s.last) {
		s.last = t
	}
}

// bounds returns the first and last time seen, nil for none.
func (s *span) bounds() (first, last *time.Time) {
	if s.first.IsZero() {
		return nil, nil
	}
	f, l := s.first, s.last
	return &f, &l
}

// stuckOn applies the rules to a lesson the learner has not completed; nil
// when they are not stuck on it.
func stuckOn(ls *course.Lesson, a *opslab.LearnerActivity, lp *opslab.LessonProgress, rules Rules, med map[string]time.Duration) *StuckOn {
	var worst *StuckOn
	for _, ex := range ls.Exercises {
		ea := a.Exercise(ls.Slug, ex.ID)
		if ea == nil || ea.Passed != nil || ea.FailedChecks < rules.FailedChecks {
			continue
		}
		if worst == nil || ea.FailedChecks > worst.FailedChecks {
			worst = &StuckOn{Lesson: ls, Reason: StuckFailures, Exercise: ex, FailedChecks: ea.FailedChecks, Check: mostFailed(ea.Checks)}
		}
	}
	if worst != nil {
		return worst
	}
	m, ok := med[ls.Slug]
	if !ok || lp == nil || lp.TimeSpent < rules.SlowMinimum || float64(lp.TimeSpent) <= rules.SlowFactor*float64(m) {
		return nil
	}
	s := &StuckOn{Lesson: ls, Reason: StuckSlow, TimeSpent: lp.TimeSpent, Median: m}
	for _, ex := range ls.Exercises {
		if ea := a.Exercise(ls.Slug, ex.ID); ea == nil || ea.Passed == nil {
			s.Exercise = ex
			if ea != nil {
				s.FailedChecks, s.Check = ea.FailedChecks, mostFailed(ea.Checks)
			}
			break
		}
	}
	return s
}

// mostFailed returns the check with the most failures (the lower number
// on a tie), or nil for none.
func mostFailed(checks []opslab.CheckFailures) *opslab.CheckFailures {
	var best *opslab.CheckFailures
	for i := range checks {
		c := &checks[i]
		if best == nil || c.Failures > best.Failures || (c.Failures == best.Failures && c.Number < best.Number) {
			best = c
		}
	}
	if best == nil {
		return nil
	}
	out := *best
	return &out
}

// medians returns the median reading time of each lesson over the learners
// with time on it, for lessons with at least peers such learners. With an
// even count it is the mean of the two middle values.
func medians(c *course.Course, learners []*opslab.LearnerActivity, peers int) map[string]time.Duration {
	out := map[string]time.Duration{}
	times := make([]time.Duration, 0, len(learners))
	for _, ls := range c.Lessons {
		times = times[:0]
		for _, l := range learners {
			if lp := l.Lessons[ls.Slug]; lp != nil && lp.TimeSpent > 0 {
				times = append(times, lp.TimeSpent)
			}
		}
		if len(times) == 0 || len(times) < peers {
			continue
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		n := len(times)
		if n%2 == 1 {
			out[ls.Slug] = times[n/2]
		} else {
			out[ls.Slug] = (times[n/2-1] + times[n/2]) / 2
		}
	}
	return out
}

// exerciseFailures sums up the failures of every exercise of the course
// that failed at least once, most failed checks first, then most failing
// learners, then course order.
func exerciseFailures(c *course.Course, a *opslab.TeamActivity) []*ExerciseFailures {
	var out []*ExerciseFailures
	for _, ls := range c.Lessons {
		for _, ex := range ls.Exercises {
			f := &ExerciseFailures{Lesson: ls, Exercise: ex}
			for _, l := range a.Learners {
				ea := l.Exercise(ls.Slug, ex.ID)
				if ea == nil {
					continue
				}
				if ea.Attempts > 0 {
					f.Learners++
				}
				f.Attempts += ea.Attempts
				f.FailedChecks += ea.FailedChecks
				if ea.Passed != nil {
					f.Passed++
				}
				if ea.FailedChecks > 0 {
					f.Failing++
					if ea.Passed == nil {
						f.StillFailing++
					}
				}
			}
			if f.FailedChecks == 0 {
				continue
			}
			f.Checks = append([]opslab.CheckFailures(nil), a.Checks[ls.Slug][ex.ID]...)
			sort.SliceStable(f.Checks, func(i, j int) bool {
				a, b := f.Checks[i], f.Checks[j]
				if a.Failures != b.Failures {
					return a.Failures > b.Failures
				}
				return a.Number < b.Number
			})
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.FailedChecks != b.FailedChecks {
			return a.FailedChecks > b.FailedChecks
		}
		return a.Failing > b.Failing
	})
	return out
}
