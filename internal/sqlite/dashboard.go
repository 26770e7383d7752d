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
// read-only queries over one snapshot. It implements opslab.DashboardService.
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
// or failing check, however long the learners' history.
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
	steps := []struct {
		what string
		load func(context.Context) error
	}{
		{"learners", r.learners},
		{"lesson progress", r.lessons},
		{"exercises", r.exercises},
		{"failed checks", r.stuckChecks},
		{"team's failed checks", r.teamChecks},
	}
	for _, st := range steps {
		if err := st.load(ctx); err != nil {
			return nil, fmt.Errorf("team activity: %s: %w", st.what, err)
		}
		if len(r.out.Learners) == 0 {
			break
		}
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
			Exercises: map[string]map[string]*opslab.ExerciseActivity{}}
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
		SELECT p.user_id, p.lesson, p.first_viewed_at, p.last_activity_at, p.completed_at, p.time_spent_ms
		FROM team_members m
		JOIN lesson_progress p ON p.user_id = m.user_id AND p.course = ?
		WHERE `+ofTeamLearners, r.course, r.teamID)
	if err != nil {
		return err
	}
	var lesson sql.RawBytes
	return scanRows(rows, func() error {
		var userID, ms int64
		var first, last string
		var completed sql.NullString
		if err := rows.Scan(&userID, &lesson, &first, &last, &completed, &ms); err != nil {
			return err
		}
		l := r.byID[userID]
		if l == nil {
			return nil
		}
		p := &opslab.LessonProgress{Course: r.course, Lesson: r.name(lesson), TimeSpent: time.Duration(ms) * time.Millisecond}
		var err error
		if p.FirstViewed, err = parseTime(first); err != nil {
			return err
		}
		if p.LastActivity, err = parseTime(last); err != nil {
			return err
		}
		if p.Completed, err = parseNullTime(completed); err != nil {
			return err
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
		SELECT m.user_id, e.lesson, e.exercise, e.attempts, e.failed_checks, e.last_attempt_ms,
			e.hints, e.last_hint_ms, e.passed_ms
		FROM team_members m
		JOIN exercise_activity e ON e.user_id = m.user_id AND e.course = ?
		WHERE `+ofTeamLearners, r.course, r.teamID)
	if err != nil {
		return err
	}
	var lesson, exercise sql.RawBytes
	return scanRows(rows, func() error {
		var userID, attempts, failed, hints int64
		var lastAttempt, lastHint, passed sql.NullInt64
		if err := rows.Scan(&userID, &lesson, &exercise, &attempts, &failed, &lastAttempt, &hints, &lastHint, &passed); err != nil {
			return err
		}
		l := r.byID[userID]
		if l == nil {
			return nil
		}
		e := exerciseOf(l, r.name(lesson), r.name(exercise))
		e.Attempts, e.FailedChecks, e.HintsRevealed = int(attempts), int(failed), int(hints)
		e.LastAttempt, e.LastHint = fromMillis(lastAttempt), fromMillis(lastHint)
		if passed.Valid {
			t := fromMillis(passed)
			e.Passed = &t
		}
		return nil
	})
}

// stuckChecks reads, per learner and exercise not passed, how often each
// check failed.
func (r *activityReader) stuckChecks(ctx context.Context) error {
	rows, err := r.tx.QueryContext(ctx, `
		SELECT m.user_id, c.lesson, c.exercise, c.number, c.failures, c.message, c.last_failed_at
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
		var userID int64
		var c opslab.CheckFailures
		var last string
		if err := rows.Scan(&userID, &lesson, &exercise, &c.Number, &c.Failures, &c.Message, &last); err != nil {
			return err
		}
		l := r.byID[userID]
		if l == nil {
			return nil
		}
		var err error
		if c.Last, err = parseTime(last); err != nil {
			return err
		}
		e := exerciseOf(l, r.name(lesson), r.name(exercise))
		e.Checks = append(e.Checks, c)
		return nil
	})
}

// teamChecks reads, per exercise, how often each check failed over the
// team's learners, with the latest message.
func (r *activityReader) teamChecks(ctx context.Context) error {
	// With one max() in the query, SQLite takes the bare column c.message
	// from the row holding that max: the latest failure.
	rows, err := r.tx.QueryContext(ctx, `
		SELECT c.lesson, c.exercise, c.number, SUM(c.failures), c.message, MAX(c.last_failed_at)
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
		var last string
		if err := rows.Scan(&lesson, &exercise, &c.Number, &c.Failures, &c.Message, &last); err != nil {
			return err
		}
		var err error
		if c.Last, err = parseTime(last); err != nil {
			return err
		}
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

// fromMillis reads a nullable time stored as milliseconds since 1970;
// NULL gives the zero time.
func fromMillis(ms sql.NullInt64) time.Time {
	if !ms.Valid {
		return time.Time{}
	}
	return time.UnixMilli(ms.Int64).UTC()
}

// exerciseOf returns the learner's record of the exercise, made on first use.
func exerciseOf(l *opslab.LearnerActivity, lesson, exercise string) *opslab.ExerciseActivity {
	m := l.Exercises[lesson]
	if m == nil {
		m = map[string]*opslab.ExerciseActivity{}
		l.Exercises[lesson] = m
	}
	e := m[exercise]
	if e == nil {
		e = &opslab.ExerciseActivity{Lesson: lesson, Exercise: exercise}
		m[exercise] = e
	}
	return e
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
		SELECT id, lesson, exercise, content_hash, passed, failed_checks, kind, created_at
		FROM exercise_attempts WHERE user_id = ? AND course = ? ORDER BY id`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("learner history: attempts: %w", err)
	}
	err = scanRows(rows, func() error {
		a := &opslab.Attempt{UserID: userID, Course: course}
		var failed, kind, created string
		if err := rows.Scan(&a.ID, &a.Lesson, &a.Exercise, &a.ContentHash, &a.Passed, &failed, &kind, &created); err != nil {
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
