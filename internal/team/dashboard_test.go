package team_test

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

// t0 is the test's "now".
var t0 = time.Date(2026, 3, 20, 15, 0, 0, 0, time.UTC)

// testCourse has three lessons: intro (no exercise), sets (board, tally)
// and lists (push).
func testCourse() *course.Course {
	ex := func(id string) *course.Exercise { return &course.Exercise{ID: id, Title: "Exercise " + id} }
	return &course.Course{Slug: "redis", Title: "Redis", Lessons: []*course.Lesson{
		{Slug: "intro", Title: "Intro"},
		{Slug: "sets", Title: "Sets", Exercises: []*course.Exercise{ex("board"), ex("tally")}},
		{Slug: "lists", Title: "Lists", Exercises: []*course.Exercise{ex("push")}},
	}}
}

// learner builds a learner record with a fluent set of activities.
type learner struct{ a *opslab.LearnerActivity }

func newLearner(id int64, name string) *learner {
	return &learner{a: &opslab.LearnerActivity{UserID: id, Name: name, Email: name + "@example.com",
		Lessons: map[string]*opslab.LessonProgress{}, Exercises: map[opslab.LessonExercise]*opslab.ExerciseActivity{}}}
}

func (l *learner) viewed(lesson string, at time.Time, spent time.Duration) *learner {
	l.a.Lessons[lesson] = &opslab.LessonProgress{Course: "redis", Lesson: lesson, FirstViewed: at, LastActivity: at.Add(spent), TimeSpent: spent}
	return l
}

func (l *learner) marked(lesson string, at time.Time) *learner {
	if l.a.Lessons[lesson] == nil {
		l.viewed(lesson, at, 0)
	}
	l.a.Lessons[lesson].Completed = &at
	return l
}

func (l *learner) ex(lesson, id string) *opslab.ExerciseActivity {
	k := opslab.LessonExercise{Lesson: lesson, Exercise: id}
	e := l.a.Exercises[k]
	if e == nil {
		e = &opslab.ExerciseActivity{Lesson: lesson, Exercise: id}
		l.a.Exercises[k] = e
	}
	return e
}

// failed records n failed checks of the exercise, all on check 1 with the
// message, the last at at.
func (l *learner) failed(lesson, id string, n int, at time.Time, msg string) *learner {
	e := l.ex(lesson, id)
	e.Attempts += n
	e.FailedChecks += n
	e.LastAttempt = at
	e.Checks = append(e.Checks, opslab.CheckFailures{Number: 1, Failures: n, Message: msg, Last: at})
	return l
}

func (l *learner) passed(lesson, id string, at time.Time) *learner {
	e := l.ex(lesson, id)
	e.Attempts++
	e.LastAttempt = at
	e.Passed = &at
	return l
}

func (l *learner) hints(lesson, id string, n int, at time.Time) *learner {
	e := l.ex(lesson, id)
	e.HintsRevealed, e.LastHint = n, at
	return l
}

// build computes the dashboard of the learners as the store would give
// them: the team's checks summed over every learner, a learner's own checks
// only for the exercises they have not passed.
func build(rules team.Rules, ls ...*learner) *team.Dashboard {
	a := &opslab.TeamActivity{TeamID: 1, Course: "redis", Checks: map[string]map[string][]opslab.CheckFailures{}}
	for _, l := range ls {
		a.Learners = append(a.Learners, l.a)
		for k, e := range l.a.Exercises {
			if a.Checks[k.Lesson] == nil {
				a.Checks[k.Lesson] = map[string][]opslab.CheckFailures{}
			}
			for _, c := range e.Checks {
				a.Checks[k.Lesson][k.Exercise] = addCheck(a.Checks[k.Lesson][k.Exercise], c)
			}
			if e.Passed != nil {
				e.Checks = nil
			}
		}
	}
	return team.Build(testCourse(), a, rules, t0)
}

// addCheck adds c's failures to the list, in check number order, keeping
// the latest message.
func addCheck(list []opslab.CheckFailures, c opslab.CheckFailures) []opslab.CheckFailures {
	for i := range list {
		if list[i].Number == c.Number {
			list[i].Failures += c.Failures
			if !c.Last.Before(list[i].Last) {
				list[i].Message, list[i].Last = c.Message, c.Last
			}
			return list
		}
	}
	list = append(list, c)
	sort.Slice(list, func(i, j int) bool { return list[i].Number < list[j].Number })
	return list
}

func statuses(l *team.Learner) []team.Status {
	var out []team.Status
	for _, c := range l.Cells {
		out = append(out, c.Status)
	}
	return out
}

func find(t *testing.T, d *team.Dashboard, name string) *team.Learner {
	t.Helper()
	for _, l := range d.Learners {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no learner %s on the dashboard", name)
	return nil
}

func TestBuild_Statuses(t *testing.T) {
	day := t0.Add(-48 * time.Hour)
	d := build(team.DefaultRules,
		newLearner(1, "none"),
		// Opened intro only.
		newLearner(2, "viewer").viewed("intro", day, time.Minute),
		// Marked intro done; tried sets without opening it (an API client).
		newLearner(3, "marker").marked("intro", day).failed("sets", "board", 1, day, "m"),
		// Passed both sets exercises: done at the later pass. Marked lists done
		// without passing push: a lesson with exercises needs the passes.
		newLearner(4, "passer").passed("sets", "tally", day).passed("sets", "board", day.Add(time.Hour)).marked("lists", day),
		// A hint alone starts a lesson.
		newLearner(5, "hinter").hints("lists", "push", 1, day),
	)
	want := map[string][]team.Status{
		"none":   {team.NotStarted, team.NotStarted, team.NotStarted},
		"viewer": {team.InProgress, team.NotStarted, team.NotStarted},
		"marker": {team.Done, team.InProgress, team.NotStarted},
		"passer": {team.NotStarted, team.Done, team.InProgress},
		"hinter": {team.NotStarted, team.NotStarted, team.InProgress},
	}
	for name, w := range want {
		if got := statuses(find(t, d, name)); !reflect.DeepEqual(got, w) {
			t.Errorf("%s: statuses %v, want %v", name, got, w)
		}
	}
	passer := find(t, d, "passer")
	if c := passer.Cells[1].Completed; c == nil || !c.Equal(day.Add(time.Hour)) {
		t.Errorf("sets completed at %v, want the later pass %v", c, day.Add(time.Hour))
	}
	if passer.CompletedLessons != 1 || passer.PassedExercises != 2 || passer.Percent != 50 {
		// sets done (1) and lists marked done with push not passed (1/2): 1.5 of 3 lessons.
		t.Errorf("passer: %d lessons, %d exercises, %d%%; want 1, 2, 50%%", passer.CompletedLessons, passer.PassedExercises, passer.Percent)
	}
	if c := find(t, d, "marker").Cells[0].Completed; c == nil || !c.Equal(day) {
		t.Errorf("intro completed at %v, want the done mark %v", c, day)
	}
	for _, s := range team.Statuses {
		if s.Label() == "" {
			t.Errorf("status %q has no label", s)
		}
	}
}

func TestBuild_LearnerTotals(t *testing.T) {
	day := t0.Add(-72 * time.Hour)
	l := newLearner(1, "ann").
		viewed("sets", day, 4*time.Minute).
		viewed("lists", day.Add(time.Hour), 6*time.Minute).
		failed("sets", "board", 2, day.Add(2*time.Hour), "m").
		passed("sets", "board", day.Add(3*time.Hour)).
		hints("sets", "board", 2, day.Add(150*time.Minute)).
		hints("lists", "push", 1, day.Add(4*time.Hour))
	// Records of a lesson and an exercise the course no longer has.
	l.viewed("gone", day.Add(-time.Hour), time.Hour).failed("gone", "old", 9, day.Add(9*time.Hour), "x")
	l.failed("sets", "removed", 7, day.Add(8*time.Hour), "x")
	got := find(t, build(team.DefaultRules, l), "ann")
	if got.TimeSpent != 10*time.Minute || got.FailedChecks != 2 || got.HintsUsed != 3 || got.PassedExercises != 1 {
		t.Errorf("totals: %v, %d failed, %d hints, %d passed; want 10m, 2, 3, 1", got.TimeSpent, got.FailedChecks, got.HintsUsed, got.PassedExercises)
	}
	if got.FirstActivity == nil || !got.FirstActivity.Equal(day) || got.LastActivity == nil || !got.LastActivity.Equal(day.Add(4*time.Hour)) {
		t.Errorf("activity from %v to %v, want %v to %v", got.FirstActivity, got.LastActivity, day, day.Add(4*time.Hour))
	}
	if got := find(t, build(team.DefaultRules, newLearner(2, "new")), "new"); got.FirstActivity != nil || got.LastActivity != nil || got.Percent != 0 {
		t.Errorf("a learner without activity: %+v", got)
	}
}

func TestBuild_StuckOnFailures(t *testing.T) {
	day := t0.Add(-24 * time.Hour)
	ann := newLearner(1, "ann").viewed("sets", day, time.Minute).failed("sets", "board", 3, day, "board must be a sorted set")
	// Check 2 fails as often as check 1 but later: the lower number wins,
	// with its own latest message.
	ann.ex("sets", "board").Checks = []opslab.CheckFailures{
		{Number: 1, Failures: 2, Message: "board must be a sorted set", Last: day},
		{Number: 2, Failures: 2, Message: "expected 2 members", Last: day.Add(time.Minute)},
	}
	bob := newLearner(2, "bob").failed("sets", "board", 2, day, "m")                                        // below the threshold
	cid := newLearner(3, "cid").failed("sets", "board", 5, day, "m").passed("sets", "board", day)           // passed since
	dan := newLearner(4, "dan").passed("sets", "board", day).failed("sets", "tally", 4, day, "tally wrong") // the other exercise
	dan.failed("lists", "push", 6, day, "push wrong")
	d := build(team.DefaultRules, bob, ann, cid, dan)

	if got := statuses(find(t, d, "ann")); got[1] != team.Stuck {
		t.Fatalf("ann: %v, want stuck on sets", got)
	}
	s := find(t, d, "ann").Stuck
	if len(s) != 1 || s[0].Reason != team.StuckFailures || s[0].Lesson.Slug != "sets" || s[0].Exercise.ID != "board" || s[0].FailedChecks != 3 {
		t.Fatalf("ann stuck on %+v", s)
	}
	if c := s[0].Check; c == nil || c.Number != 1 || c.Message != "board must be a sorted set" || c.Failures != 2 {
		t.Errorf("ann's most failed check = %+v, want check 1 (tie to the lower number)", c)
	}
	if find(t, d, "ann").Cells[1].Stuck != s[0] {
		t.Errorf("the cell does not point at what ann is stuck on")
	}
	for _, name := range []string{"bob", "cid"} {
		if l := find(t, d, name); len(l.Stuck) != 0 || l.Cells[1].Status == team.Stuck {
			t.Errorf("%s is stuck: %v", name, statuses(l))
		}
	}
	ds := find(t, d, "dan").Stuck
	if len(ds) != 2 || ds[0].Exercise.ID != "tally" || ds[1].Lesson.Slug != "lists" || ds[1].Exercise.ID != "push" {
		t.Errorf("dan stuck on %+v, want tally then push", ds)
	}
	// Stuck learners come first, in name order; then the others.
	var order []string
	for _, l := range d.Learners {
		order = append(order, l.Name)
	}
	if want := []string{"ann", "dan", "bob", "cid"}; !reflect.DeepEqual(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}
	if st := d.Stuck(); len(st) != 2 || st[0].Name != "ann" || st[1].Name != "dan" {
		t.Errorf("Stuck() = %v", st)
	}

	// Other thresholds apply.
	strict := team.DefaultRules
	strict.FailedChecks = 2
	if l := find(t, build(strict, bob), "bob"); len(l.Stuck) != 1 {
		t.Errorf("with 2 failed checks as the threshold bob is not stuck")
	}
}

func TestBuild_StuckSlow(t *testing.T) {
	day := t0.Add(-24 * time.Hour)
	team4 := func(slow time.Duration) []*learner {
		return []*learner{
			newLearner(1, "a").viewed("lists", day, 5*time.Minute),
			newLearner(2, "b").viewed("lists", day, 6*time.Minute),
			newLearner(3, "c").viewed("lists", day, 7*time.Minute).passed("lists", "push", day),
			newLearner(4, "slow").viewed("lists", day, slow),
		}
	}
	// Median of 5, 6, 7 and 20 minutes: 6.5; 20 > 13.
	d := build(team.DefaultRules, team4(20*time.Minute)...)
	if m := d.Medians["lists"]; m != 6*time.Minute+30*time.Second {
		t.Errorf("median = %v, want 6m30s", m)
	}
	s := find(t, d, "slow").Stuck
	if len(s) != 1 || s[0].Reason != team.StuckSlow || s[0].TimeSpent != 20*time.Minute || s[0].Median != d.Medians["lists"] ||
		s[0].Exercise == nil || s[0].Exercise.ID != "push" {
		t.Fatalf("slow stuck on %+v", s)
	}
	if len(find(t, d, "a").Stuck) != 0 {
		t.Errorf("a learner under the median is stuck")
	}
	// 13 minutes is not more than twice 6.5.
	if s := find(t, build(team.DefaultRules, team4(13*time.Minute)...), "slow").Stuck; len(s) != 0 {
		t.Errorf("13 minutes against a median of 6.5 is stuck: %+v", s)
	}
	// Under the minimum: 4 min against a median of 1.
	small := []*learner{
		newLearner(1, "a").viewed("lists", day, time.Minute),
		newLearner(2, "b").viewed("lists", day, time.Minute),
		newLearner(3, "slow").viewed("lists", day, 9*time.Minute),
	}
	if s := find(t, build(team.DefaultRules, small...), "slow").Stuck; len(s) != 0 {
		t.Errorf("9 minutes is under the minimum and stuck: %+v", s)
	}
	// Too few learners for a median.
	pair := []*learner{newLearner(1, "a").viewed("lists", day, time.Minute), newLearner(2, "slow").viewed("lists", day, time.Hour)}
	if d := build(team.DefaultRules, pair...); len(find(t, d, "slow").Stuck) != 0 || len(d.Medians) != 0 {
		t.Errorf("with two learners: medians %v, slow stuck %v", d.Medians, find(t, d, "slow").Stuck)
	}
	// Done is never stuck.
	done := team4(time.Hour)
	done[3].passed("lists", "push", day)
	if l := find(t, build(team.DefaultRules, done...), "slow"); len(l.Stuck) != 0 || l.Cells[2].Status != team.Done {
		t.Errorf("a learner who completed the lesson is %v", statuses(l))
	}
	// Failures win over slowness, and name the exercise.
	both := team4(time.Hour)
	both[3].failed("lists", "push", 3, day, "push wrong")
	if s := find(t, build(team.DefaultRules, both...), "slow").Stuck; len(s) != 1 || s[0].Reason != team.StuckFailures {
		t.Errorf("slow and failing: %+v, want failures", s)
	}
}

func TestBuild_ExerciseFailures(t *testing.T) {
	day := t0.Add(-24 * time.Hour)
	ann := newLearner(1, "ann").failed("sets", "board", 3, day, "old message")
	ann.ex("sets", "board").Checks = append(ann.ex("sets", "board").Checks, opslab.CheckFailures{Number: 2, Failures: 1, Message: "two", Last: day})
	bob := newLearner(2, "bob").failed("sets", "board", 2, day.Add(time.Hour), "new message").passed("sets", "board", day.Add(2*time.Hour))
	cid := newLearner(3, "cid").passed("sets", "board", day).failed("lists", "push", 1, day, "push")
	dan := newLearner(4, "dan").passed("sets", "tally", day)
	d := build(team.DefaultRules, ann, bob, cid, dan)

	if len(d.Exercises) != 2 {
		t.Fatalf("exercises with failures: %d, want board and push", len(d.Exercises))
	}
	b := d.Exercises[0]
	if b.Exercise.ID != "board" || b.Lesson.Slug != "sets" || b.Attempts != 7 || b.FailedChecks != 5 || b.Learners != 3 ||
		b.Failing != 2 || b.StillFailing != 1 || b.Passed != 2 {
		t.Errorf("board = %+v", b)
	}
	want := []opslab.CheckFailures{
		{Number: 1, Failures: 5, Message: "new message", Last: day.Add(time.Hour)},
		{Number: 2, Failures: 1, Message: "two", Last: day},
	}
	if !reflect.DeepEqual(b.Checks, want) {
		t.Errorf("board's checks = %+v, want %+v", b.Checks, want)
	}
	if p := d.Exercises[1]; p.Exercise.ID != "push" || p.FailedChecks != 1 || p.StillFailing != 1 {
		t.Errorf("push = %+v", p)
	}
}
