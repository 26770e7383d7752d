package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// DashboardService reads what team leads see of their learners, with
// read-only queries. It implements opslab.DashboardService.
type DashboardService struct {
	db *DB
}

var _ opslab.DashboardService = (*DashboardService)(nil)

// NewDashboardService returns a DashboardService over db.
func NewDashboardService(db *DB) *DashboardService {
	return &DashboardService{db: db}
}

// TeamActivity returns the activity in the course of every learner of the
// team, ordered by name then email: progress rows, per exercise the attempt
// and hint totals and the first pass, the failed checks of exercises not
// passed yet, and the team's failed checks per exercise. A failed check is
// counted from the "N: message" entries of failed attempts of kind check;
// entries without a number are left out. It returns ENOTFOUND for an
// unknown team.
//
// It runs six queries whatever the team's size. The totals come from the
// tables exercise_activity and check_failures (migration 0004), which
// triggers keep, so the rows read are one per learner and lesson, exercise
// or failing check, however long the learners' history. The per-exercise
// totals, the largest read, come from a second read transaction running
// alongside the first: they may be a moment newer than the rest, never
// older.
func (s *DashboardService) TeamActivity(ctx context.Context, teamID int64, course string) (*opslab.TeamActivity, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team activity: %w", err)
	}
	defer tx.Rollback()
	name, err := teamDisplayName(ctx, tx, teamID)
	if err != nil {
		return nil, wrap("team activity", err)
	}
	r := &activityReader{tx: tx, teamID: teamID, course: course,
		byID: map[int64]*opslab.LearnerActivity{}, names: map[string]string{},
		out: &opslab.TeamActivity{TeamID: teamID, TeamName: name, Course: course,
			Learners: []*opslab.LearnerActivity{}, Checks: map[string]map[string][]opslab.CheckFailures{}}}
	if err := r.learners(ctx); err != nil {
		return nil, fmt.Errorf("team activity: learners: %w", err)
	}
	if len(r.out.Learners) == 0 {
		return r.out, nil
	}

	tx2, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team activity: %w", err)
	}
	defer tx2.Rollback()
	// The second reader fills the learners' Exercises; the first only
	// their Lessons, and keeps its failed checks aside until both are done.
	r2 := &activityReader{tx: tx2, teamID: teamID, course: course, byID: r.byID, names: map[string]string{}, out: r.out}
	exercises := make(chan error, 1)
	go func() { exercises <- r2.exercises(ctx) }()
	steps := []struct {
		what string
		load func(context.Context) error
	}{
		{"lesson progress", r.lessons},
		{"failed checks", r.stuckChecks},
		{"team's failed checks", r.teamChecks},
	}
	var firstErr error
	for _, st := range steps {
		if err := st.load(ctx); err != nil {
			firstErr = fmt.Errorf("team activity: %s: %w", st.what, err)
			break
		}
	}
	if err := <-exercises; err != nil && firstErr == nil {
		firstErr = fmt.Errorf("team activity: exercises: %w", err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for _, sc := range r.stuck {
		e := r2.exerciseOf(sc.learner, sc.lesson, sc.exercise)
		e.Checks = append(e.Checks, sc.check)
	}
	return r.out, nil
}

// ofTeamLearners keeps the rows of the team's learners: m is their
// membership, its parameter the team id. Leads are not learners.
const ofTeamLearners = `m.team_id = ? AND m.lead = 0`

// activityReader reads one team's activity in one course, query by query,
// into out.
type activityReader struct {
	tx     *tx
	teamID int64
	course string
	out    *opslab.TeamActivity
	byID   map[int64]*opslab.LearnerActivity
	// names interns the lesson slugs and exercise ids read from rows: a few
	// dozen names repeat over thousands of rows.
	names map[string]string
	// The records not handed out yet; see slabSize.
	exerciseSlab []opslab.ExerciseActivity
	lessonSlab   []opslab.LessonProgress
	// stuck holds the failed checks read by stuckChecks, for TeamActivity
	// to add once the exercises are read.
	stuck []stuckCheck
}

// stuckCheck is one failing check of an exercise a learner has not passed.
type stuckCheck struct {
	learner          *opslab.LearnerActivity
	lesson, exercise string
	check            opslab.CheckFailures
}

// name returns the interned copy of a lesson or exercise name read from a
// row.
func (r *activityReader) name(b sql.RawBytes) string {
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	r.names[s] = s
	return s
}

func (r *activityReader) learners(ctx context.Context) error {
	rows, err := r.tx.QueryContext(ctx, `
		SELECT u.id, u.email, u.name FROM users u
		JOIN team_members m ON m.user_id = u.id
		WHERE `+ofTeamLearners+`
		ORDER BY u.name COLLATE NOCASE, u.email`, r.teamID)
	if err != nil {
		return err
	}
	return scanRows(rows, func() error {
		l := &opslab.LearnerActivity{Lessons: map[string]*opslab.LessonProgress{},
			Exercises: map[opslab.LessonExercise]*opslab.ExerciseActivity{}}
		if err := rows.Scan(&l.UserID, &l.Email, &l.Name); err != nil {
			return err
		}
		r.out.Learners = append(r.out.Learners, l)
		r.byID[l.UserID] = l
		return nil
	})
}

func (r *activityReader) lessons(ctx context.Context) error {
	rows, err := r.tx.QueryContext(ctx, `
		SELECT p.user_id, p.lesson, `+unixMillis("p.first_viewed_at")+`, `+unixMillis("p.last_activity_at")+`,
			COALESCE(`+unixMillis("p.completed_at")+`, 0), p.time_spent_ms
		FROM team_members m
		JOIN lesson_progress p ON p.user_id = m.user_id AND p.course = ?
		WHERE `+ofTeamLearners, r.course, r.teamID)
	if err != nil {
		return err
	}
	var lesson sql.RawBytes
	return scanRows(rows, func() error {
		var userID, first, last, completed, ms int64
		if err := rows.Scan(&userID, &lesson, &first, &last, &completed, &ms); err != nil {
			return err
		}
		l := r.byID[userID]
		if l == nil {
			return nil
		}
		p := r.newLesson()
		p.Course, p.Lesson, p.TimeSpent = r.course, r.name(lesson), time.Duration(ms)*time.Millisecond
		p.FirstViewed, p.LastActivity = fromMillis(first), fromMillis(last)
		if completed != 0 {
			t := fromMillis(completed)
			p.Completed = &t
		}
		l.Lessons[p.Lesson] = p
		return nil
	})
}

// exercises reads, per learner and exercise, the attempt and hint totals
// and the first pass (the earliest passing attempt: what exercise_passes
// records), the times to the millisecond.
func (r *activityReader) exercises(ctx context.Context) error {
	rows, err := r.tx.QueryContext(ctx, `
		SELECT m.user_id, e.lesson, e.exercise, e.attempts, e.failed_checks, COALESCE(e.last_attempt_ms, 0),
			e.hints, COALESCE(e.last_hint_ms, 0), COALESCE(e.passed_ms, 0)
		FROM team_members m
		JOIN exercise_activity e ON e.user_id = m.user_id AND e.course = ?
		WHERE `+ofTeamLearners, r.course, r.teamID)
	if err != nil {
		return err
	}
	var lesson, exercise sql.RawBytes
	return scanRows(rows, func() error {
		var userID, attempts, failed, hints, lastAttempt, lastHint, passed int64
		if err := rows.Scan(&userID, &lesson, &exercise, &attempts, &failed, &lastAttempt, &hints, &lastHint, &passed); err != nil {
			return err
		}
		l := r.byID[userID]
		if l == nil {
			return nil
		}
		e := r.exerciseOf(l, r.name(lesson), r.name(exercise))
		e.Attempts, e.FailedChecks, e.HintsRevealed = int(attempts), int(failed), int(hints)
		e.LastAttempt, e.LastHint = fromMillis(lastAttempt), fromMillis(lastHint)
		if passed != 0 {
			t := fromMillis(passed)
			e.Passed = &t
		}
		return nil
	})
}

// stuckChecks reads, per learner and exercise not passed, how often each
// check failed, into r.stuck.
func (r *activityReader) stuckChecks(ctx context.Context) error {
	rows, err := r.tx.QueryContext(ctx, `
		SELECT m.user_id, c.lesson, c.exercise, c.number, c.failures, c.message, `+unixMillis("c.last_failed_at")+`
		FROM team_members m
		JOIN check_failures c ON c.user_id = m.user_id AND c.course = ?
		WHERE `+ofTeamLearners+` AND NOT EXISTS (SELECT 1 FROM exercise_passes p
			WHERE p.user_id = c.user_id AND p.course = c.course AND p.lesson = c.lesson AND p.exercise = c.exercise)
		ORDER BY m.user_id, c.lesson, c.exercise, c.number`, r.course, r.teamID)
	if err != nil {
		return err
	}
	var lesson, exercise sql.RawBytes
	return scanRows(rows, func() error {
		var userID, last int64
		var c opslab.CheckFailures
		if err := rows.Scan(&userID, &lesson, &exercise, &c.Number, &c.Failures, &c.Message, &last); err != nil {
			return err
		}
		l := r.byID[userID]
		if l == nil {
			return nil
		}
		c.Last = fromMillis(last)
		r.stuck = append(r.stuck, stuckCheck{learner: l, lesson: r.name(lesson), exercise: r.name(exercise), check: c})
		return nil
	})
}

// teamChecks reads, per exercise, how often each check failed over the
// team's learners, with the latest message.
func (r *activityReader) teamChecks(ctx context.Context) error {
	// With one max() in the query, SQLite takes the bare column c.message
	// from the row holding that max: the latest failure.
	rows, err := r.tx.QueryContext(ctx, `
		SELECT c.lesson, c.exercise, c.number, SUM(c.failures), c.message, `+unixMillis("MAX(c.last_failed_at)")+`
		FROM team_members m
		JOIN check_failures c ON c.user_id = m.user_id AND c.course = ?
		WHERE `+ofTeamLearners+`
		GROUP BY c.lesson, c.exercise, c.number
		ORDER BY c.lesson, c.exercise, c.number`, r.course, r.teamID)
	if err != nil {
		return err
	}
	var lesson, exercise sql.RawBytes
	return scanRows(rows, func() error {
		var c opslab.CheckFailures
		var last int64
		if err := rows.Scan(&lesson, &exercise, &c.Number, &c.Failures, &c.Message, &last); err != nil {
			return err
		}
		c.Last = fromMillis(last)
		ls, ex := r.name(lesson), r.name(exercise)
		m := r.out.Checks[ls]
		if m == nil {
			m = map[string][]opslab.CheckFailures{}
			r.out.Checks[ls] = m
		}
		m[ex] = append(m[ex], c)
		return nil
	})
}

// unixMillis is the SQL expression for the stored timestamp column col in
// milliseconds since 1970: integers cross from SQLite to Go far cheaper
// than text to parse.
func unixMillis(col string) string {
	return "CAST(round(unixepoch(" + col + ", 'subsec') * 1000) AS INTEGER)"
}

// fromMillis reads a time in milliseconds since 1970, selected as 0 for
// NULL: 0 gives the zero time.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// exerciseOf returns the learner's record of the exercise, made on first
// use.
func (r *activityReader) exerciseOf(l *opslab.LearnerActivity, lesson, exercise string) *opslab.ExerciseActivity {
	k := opslab.LessonExercise{Lesson: lesson, Exercise: exercise}
	e := l.Exercises[k]
	if e == nil {
		e = r.newExercise()
		e.Lesson, e.Exercise = lesson, exercise
		l.Exercises[k] = e
	}
	return e
}

// slabSize is how many records activityReader allocates at once: a team
// has thousands, and one allocation per record is most of the cost of
// reading them.
const slabSize = 256

// newExercise returns a zero ExerciseActivity from the reader's slab.
func (r *activityReader) newExercise() *opslab.ExerciseActivity {
	if len(r.exerciseSlab) == 0 {
		r.exerciseSlab = make([]opslab.ExerciseActivity, slabSize)
	}
	e := &r.exerciseSlab[0]
	r.exerciseSlab = r.exerciseSlab[1:]
	return e
}

// newLesson returns a zero LessonProgress from the reader's slab.
func (r *activityReader) newLesson() *opslab.LessonProgress {
	if len(r.lessonSlab) == 0 {
		r.lessonSlab = make([]opslab.LessonProgress, slabSize)
	}
	p := &r.lessonSlab[0]
	r.lessonSlab = r.lessonSlab[1:]
	return p
}

// LearnerHistory returns every attempt, hint reveal and solution reveal of
// the learner in the course, each list oldest first. It returns ENOTFOUND
// for an unknown team, and for a user who is not a member of the team or
// is one of its leads.
func (s *DashboardService) LearnerHistory(ctx context.Context, teamID, userID int64, course string) (*opslab.LearnerHistory, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("learner history: %w", err)
	}
	defer tx.Rollback()
	name, err := teamDisplayName(ctx, tx, teamID)
	if err != nil {
		return nil, wrap("learner history", err)
	}
	h := &opslab.LearnerHistory{TeamName: name, UserID: userID, Course: course,
		Attempts: []*opslab.Attempt{}, Hints: []opslab.HintReveal{}, Solutions: []opslab.SolutionReveal{}}
	err = tx.QueryRowContext(ctx, `
		SELECT u.email, u.name FROM users u
		JOIN team_members m ON m.user_id = u.id
		WHERE m.team_id = ? AND m.user_id = ? AND m.lead = 0`, teamID, userID).Scan(&h.Email, &h.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "This team has no learner with id %d.", userID)
	} else if err != nil {
		return nil, fmt.Errorf("learner history: %w", err)
	}

	rows, err := tx.QueryContext(ctx, `
		SELECT id, lesson, exercise, content_hash, passed, failed_checks, kind, commands, created_at
		FROM exercise_attempts WHERE user_id = ? AND course = ? ORDER BY id`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("learner history: attempts: %w", err)
	}
	err = scanRows(rows, func() error {
		a := &opslab.Attempt{UserID: userID, Course: course}
		var failed, kind, commands, created string
		if err := rows.Scan(&a.ID, &a.Lesson, &a.Exercise, &a.ContentHash, &a.Passed, &failed, &kind, &commands, &created); err != nil {
			return err
		}
		if err := decodeCommands(commands, a); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(failed), &a.FailedChecks); err != nil {
			return fmt.Errorf("decode failed checks of attempt %d: %w", a.ID, err)
		}
		if len(a.FailedChecks) == 0 {
			a.FailedChecks = nil
		}
		a.Kind = opslab.AttemptKind(kind)
		var err error
		a.CreatedAt, err = parseTime(created)
		h.Attempts = append(h.Attempts, a)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("learner history: attempts: %w", err)
	}

	rows, err = tx.QueryContext(ctx, `
		SELECT lesson, exercise, hint_index, revealed_at FROM hint_reveals
		WHERE user_id = ? AND course = ? ORDER BY revealed_at, lesson, exercise, hint_index`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("learner history: hints: %w", err)
	}
	err = scanRows(rows, func() error {
		r := opslab.HintReveal{Key: opslab.ExerciseKey{Course: course}}
		var at string
		if err := rows.Scan(&r.Key.Lesson, &r.Key.Exercise, &r.Index, &at); err != nil {
			return err
		}
		var err error
		r.RevealedAt, err = parseTime(at)
		h.Hints = append(h.Hints, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("learner history: hints: %w", err)
	}

	rows, err = tx.QueryContext(ctx, `
		SELECT lesson, exercise, revealed_at FROM solution_reveals
		WHERE user_id = ? AND course = ? ORDER BY id`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("learner history: solutions: %w", err)
	}
	err = scanRows(rows, func() error {
		r := opslab.SolutionReveal{Key: opslab.ExerciseKey{Course: course}}
		var at string
		if err := rows.Scan(&r.Key.Lesson, &r.Key.Exercise, &at); err != nil {
			return err
		}
		var err error
		r.RevealedAt, err = parseTime(at)
		h.Solutions = append(h.Solutions, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("learner history: solutions: %w", err)
	}
	return h, nil
}

// teamDisplayName returns the display name of the team, or ENOTFOUND.
func teamDisplayName(ctx context.Context, tx *tx, teamID int64) (string, error) {
	var name string
	err := tx.QueryRowContext(ctx, `SELECT name FROM teams WHERE id = ?`, teamID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", opslab.Errorf(opslab.ENOTFOUND, "There is no team with id %d.", teamID)
	} else if err != nil {
		return "", fmt.Errorf("query team %d: %w", teamID, err)
	}
	return name, nil
}

// scanRows calls scan for each row, then closes rows and returns the first
// error of scan or of the iteration.
func scanRows(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}
