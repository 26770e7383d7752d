package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// MaxTimeSpentPerCall is the most one AddTimeSpent call adds: a page that
// reports more (a tab left open, a forged request) counts this much.
const MaxTimeSpentPerCall = 5 * time.Minute

// ProgressService stores lesson progress and reads passed exercises. It
// implements opslab.ProgressService.
type ProgressService struct {
	db *DB
}

var _ opslab.ProgressService = (*ProgressService)(nil)

// NewProgressService returns a ProgressService over db.
func NewProgressService(db *DB) *ProgressService {
	return &ProgressService{db: db}
}

// RecordView notes that the user opened the lesson: the first call sets the
// first view, every call moves the last activity forward. It returns
// EINVALID for an empty course or lesson and ENOTFOUND for an unknown user.
func (s *ProgressService) RecordView(ctx context.Context, userID int64, k opslab.LessonKey) error {
	return s.upsert(ctx, "record view", userID, k, 0, false)
}

// AddTimeSpent adds d, capped at MaxTimeSpentPerCall, to the user's reading
// time on the lesson and moves the last activity forward; a zero d changes
// nothing. It returns EINVALID for a negative d or an empty course or lesson,
// and ENOTFOUND for an unknown user.
func (s *ProgressService) AddTimeSpent(ctx context.Context, userID int64, k opslab.LessonKey, d time.Duration) error {
	if d < 0 {
		return opslab.Errorf(opslab.EINVALID, "The time spent cannot be negative.")
	}
	if err := validateLessonKey(k); err != nil {
		return err
	}
	if d == 0 {
		return nil
	}
	return s.upsert(ctx, "add time spent", userID, k, min(d, MaxTimeSpentPerCall), false)
}

// MarkCompleted with done sets the lesson's completion time unless it is
// already set, so the first completion is kept; with !done it clears it.
// Both move the last activity forward. It returns EINVALID for an empty
// course or lesson and ENOTFOUND for an unknown user.
func (s *ProgressService) MarkCompleted(ctx context.Context, userID int64, k opslab.LessonKey, done bool) error {
	if done {
		return s.upsert(ctx, "mark completed", userID, k, 0, true)
	}
	if err := validateLessonKey(k); err != nil {
		return err
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("clear completion: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `
		UPDATE lesson_progress
		SET completed_at = NULL, last_activity_at = max(last_activity_at, ?)
		WHERE user_id = ? AND course = ? AND lesson = ?`,
		formatTime(tx.now), userID, k.Course, k.Lesson)
	if err != nil {
		return fmt.Errorf("clear completion: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("clear completion: %w", err)
	} else if n == 0 {
		// Nothing to clear; only an unknown user is an error.
		if _, err := findUserByID(ctx, tx, userID); err != nil {
			return wrap("clear completion", err)
		}
	}
	return tx.commit("clear completion")
}

// upsert creates the user's row for the lesson if missing, then adds spent
// to its time, sets its completion if complete and unset, and moves its
// last activity forward.
func (s *ProgressService) upsert(ctx context.Context, op string, userID int64, k opslab.LessonKey, spent time.Duration, complete bool) error {
	if err := validateLessonKey(k); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()

	now := formatTime(tx.now)
	var completed sql.NullString
	if complete {
		completed = sql.NullString{String: now, Valid: true}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO lesson_progress
			(user_id, course, lesson, first_viewed_at, last_activity_at, completed_at, time_spent_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, course, lesson) DO UPDATE SET
			last_activity_at = max(last_activity_at, excluded.last_activity_at),
			completed_at = COALESCE(completed_at, excluded.completed_at),
			time_spent_ms = time_spent_ms + excluded.time_spent_ms`,
		userID, k.Course, k.Lesson, now, now, completed, spent.Milliseconds())
	if err != nil {
		return wrap(op, mapUserFK(err, userID))
	}
	return tx.commit(op)
}

// CourseProgress returns the user's progress on every lesson of the course
// that has any, keyed by lesson slug; an empty map if there is none.
func (s *ProgressService) CourseProgress(ctx context.Context, userID int64, course string) (map[string]*opslab.LessonProgress, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("course progress: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `
		SELECT lesson, first_viewed_at, last_activity_at, completed_at, time_spent_ms
		FROM lesson_progress WHERE user_id = ? AND course = ?`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("course progress: %w", err)
	}
	defer rows.Close()
	out := map[string]*opslab.LessonProgress{}
	for rows.Next() {
		p := &opslab.LessonProgress{Course: course}
		var first, last string
		var completed sql.NullString
		var ms int64
		if err := rows.Scan(&p.Lesson, &first, &last, &completed, &ms); err != nil {
			return nil, fmt.Errorf("course progress: %w", err)
		}
		if p.FirstViewed, err = parseTime(first); err != nil {
			return nil, fmt.Errorf("course progress: %w", err)
		}
		if p.LastActivity, err = parseTime(last); err != nil {
			return nil, fmt.Errorf("course progress: %w", err)
		}
		if p.Completed, err = parseNullTime(completed); err != nil {
			return nil, fmt.Errorf("course progress: %w", err)
		}
		p.TimeSpent = time.Duration(ms) * time.Millisecond
		out[p.Lesson] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("course progress: %w", err)
	}
	return out, nil
}

// PassedExercises returns the exercises of the course the user passed at
// least once, as lesson slug → exercise id → true; an empty map if none.
func (s *ProgressService) PassedExercises(ctx context.Context, userID int64, course string) (map[string]map[string]bool, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("passed exercises: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `
		SELECT lesson, exercise FROM exercise_passes WHERE user_id = ? AND course = ?`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("passed exercises: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var lesson, exercise string
		if err := rows.Scan(&lesson, &exercise); err != nil {
			return nil, fmt.Errorf("passed exercises: %w", err)
		}
		if out[lesson] == nil {
			out[lesson] = map[string]bool{}
		}
		out[lesson][exercise] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("passed exercises: %w", err)
	}
	return out, nil
}

// LearnerActivity returns the user's record in the course as
// DashboardService.TeamActivity reads each learner of a team (same tables,
// same meaning): their lesson progress rows and, per exercise, the attempt
// and hint totals and the first pass. It leaves out the per-check failures
// (Checks), which only say what a team lead reads about a stuck learner,
// and the user's email and name. The learner's own pages compute their
// standing from it with the dashboard's rules (team.Assess), so that a
// learner and their lead see the same statuses and percentage. An unknown
// user has an empty record.
func (s *ProgressService) LearnerActivity(ctx context.Context, userID int64, course string) (*opslab.LearnerActivity, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("learner activity: %w", err)
	}
	defer tx.Rollback()
	a := &opslab.LearnerActivity{UserID: userID, Lessons: map[string]*opslab.LessonProgress{},
		Exercises: map[opslab.LessonExercise]*opslab.ExerciseActivity{}}
	rows, err := tx.QueryContext(ctx, `
		SELECT lesson, `+unixMillis("first_viewed_at")+`, `+unixMillis("last_activity_at")+`,
			COALESCE(`+unixMillis("completed_at")+`, 0), time_spent_ms
		FROM lesson_progress WHERE user_id = ? AND course = ?`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("learner activity: lesson progress: %w", err)
	}
	err = scanRows(rows, func() error {
		p := &opslab.LessonProgress{Course: course}
		var first, last, completed, ms int64
		if err := rows.Scan(&p.Lesson, &first, &last, &completed, &ms); err != nil {
			return err
		}
		p.FirstViewed, p.LastActivity, p.TimeSpent = fromMillis(first), fromMillis(last), time.Duration(ms)*time.Millisecond
		if completed != 0 {
			t := fromMillis(completed)
			p.Completed = &t
		}
		a.Lessons[p.Lesson] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("learner activity: lesson progress: %w", err)
	}
	rows, err = tx.QueryContext(ctx, `
		SELECT lesson, exercise, attempts, failed_checks, COALESCE(last_attempt_ms, 0),
			hints, COALESCE(last_hint_ms, 0), COALESCE(passed_ms, 0)
		FROM exercise_activity WHERE user_id = ? AND course = ?`, userID, course)
	if err != nil {
		return nil, fmt.Errorf("learner activity: exercises: %w", err)
	}
	err = scanRows(rows, func() error {
		e := &opslab.ExerciseActivity{}
		var lastAttempt, lastHint, passed int64
		if err := rows.Scan(&e.Lesson, &e.Exercise, &e.Attempts, &e.FailedChecks, &lastAttempt, &e.HintsRevealed, &lastHint, &passed); err != nil {
			return err
		}
		e.LastAttempt, e.LastHint = fromMillis(lastAttempt), fromMillis(lastHint)
		if passed != 0 {
			t := fromMillis(passed)
			e.Passed = &t
		}
		a.Exercises[opslab.LessonExercise{Lesson: e.Lesson, Exercise: e.Exercise}] = e
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("learner activity: exercises: %w", err)
	}
	return a, nil
}
