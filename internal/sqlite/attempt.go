package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

// AttemptService stores exercise attempts, first passes and hint and
// solution reveals. It implements opslab.AttemptService.
type AttemptService struct {
	db *DB
}

var _ opslab.AttemptService = (*AttemptService)(nil)

// NewAttemptService returns an AttemptService over db.
func NewAttemptService(db *DB) *AttemptService {
	return &AttemptService{db: db}
}

// RecordAttempt stores the attempt and returns a copy with ID and CreatedAt
// set. A passing attempt also records the exercise's first pass, in the same
// transaction, unless one exists: the first pass keeps its time and content
// hash. It returns EINVALID for an attempt that fails Validate and ENOTFOUND
// for an unknown user.
func (s *AttemptService) RecordAttempt(ctx context.Context, a opslab.Attempt) (*opslab.Attempt, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	failed := a.FailedChecks
	if failed == nil {
		failed = []string{}
	}
	failedJSON, err := json.Marshal(failed)
	if err != nil {
		return nil, fmt.Errorf("record attempt: encode failed checks: %w", err)
	}

	commands := a.Commands
	if commands == nil {
		commands = []string{}
	}
	commandsJSON, err := json.Marshal(commands)
	if err != nil {
		return nil, fmt.Errorf("record attempt: encode commands: %w", err)
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("record attempt: %w", err)
	}
	defer tx.Rollback()

	a.CreatedAt = tx.now
	a.FailedChecks = append([]string(nil), a.FailedChecks...)
	a.Commands = append([]string(nil), a.Commands...)
	// The commands column (migration 0007) is named only when there are
	// commands: its default is the empty list, and the migration tests
	// record attempts on the schemas before it.
	cols, args := "", []any{a.UserID, a.Course, a.Lesson, a.Exercise, a.ContentHash, a.Passed, string(failedJSON), string(a.Kind), formatTime(a.CreatedAt)}
	if len(commands) > 0 {
		cols, args = ", commands", append(args, string(commandsJSON))
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO exercise_attempts
			(user_id, course, lesson, exercise, content_hash, passed, failed_checks, kind, created_at`+cols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?`+strings.Repeat(", ?", len(args)-9)+`)`, args...)
	if err != nil {
		return nil, wrap("record attempt", mapUserFK(err, a.UserID))
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("record attempt: %w", err)
	}
	if a.Passed {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO exercise_passes (user_id, course, lesson, exercise, content_hash, passed_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (user_id, course, lesson, exercise) DO NOTHING`,
			a.UserID, a.Course, a.Lesson, a.Exercise, a.ContentHash, formatTime(a.CreatedAt))
		if err != nil {
			return nil, fmt.Errorf("record attempt: record pass: %w", err)
		}
	}
	if err := tx.commit("record attempt"); err != nil {
		return nil, err
	}
	return &a, nil
}

// ListAttempts returns the user's attempts at the exercise, newest first,
// at most limit of them (all if limit <= 0); an empty list if none.
func (s *AttemptService) ListAttempts(ctx context.Context, userID int64, k opslab.ExerciseKey, limit int) ([]*opslab.Attempt, error) {
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `
		SELECT id, content_hash, passed, failed_checks, kind, commands, created_at
		FROM exercise_attempts
		WHERE user_id = ? AND course = ? AND lesson = ? AND exercise = ?
		ORDER BY id DESC LIMIT ?`,
		userID, k.Course, k.Lesson, k.Exercise, limit)
	if err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	attempts := []*opslab.Attempt{}
	for rows.Next() {
		a := &opslab.Attempt{UserID: userID, Course: k.Course, Lesson: k.Lesson, Exercise: k.Exercise}
		var failed, kind, commands, created string
		if err := rows.Scan(&a.ID, &a.ContentHash, &a.Passed, &failed, &kind, &commands, &created); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
		if err := decodeCommands(commands, a); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
		if err := json.Unmarshal([]byte(failed), &a.FailedChecks); err != nil {
			return nil, fmt.Errorf("list attempts: decode failed checks of attempt %d: %w", a.ID, err)
		}
		if len(a.FailedChecks) == 0 {
			a.FailedChecks = nil
		}
		a.Kind = opslab.AttemptKind(kind)
		if a.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("list attempts: %w", err)
		}
		attempts = append(attempts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list attempts: %w", err)
	}
	return attempts, nil
}

// FindPass returns the user's first pass of the exercise, or ENOTFOUND if
// they have not passed it.
func (s *AttemptService) FindPass(ctx context.Context, userID int64, k opslab.ExerciseKey) (*opslab.ExercisePass, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find pass: %w", err)
	}
	defer tx.Rollback()

	p := &opslab.ExercisePass{UserID: userID, Key: k}
	var at string
	err = tx.QueryRowContext(ctx, `
		SELECT content_hash, passed_at FROM exercise_passes
		WHERE user_id = ? AND course = ? AND lesson = ? AND exercise = ?`,
		userID, k.Course, k.Lesson, k.Exercise).Scan(&p.ContentHash, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, opslab.Errorf(opslab.ENOTFOUND, "The exercise %s is not passed yet.", k.Exercise)
	} else if err != nil {
		return nil, fmt.Errorf("find pass: %w", err)
	}
	if p.PassedAt, err = parseTime(at); err != nil {
		return nil, fmt.Errorf("find pass: %w", err)
	}
	return p, nil
}

// RecordHintReveal notes that the user revealed the hint with the zero-based
// index; revealing it again keeps the first time. It returns EINVALID for a
// bad key or a negative index and ENOTFOUND for an unknown user.
func (s *AttemptService) RecordHintReveal(ctx context.Context, userID int64, k opslab.ExerciseKey, index int) error {
	if err := k.Validate(); err != nil {
		return err
	}
	if index < 0 {
		return opslab.Errorf(opslab.EINVALID, "A hint index cannot be negative.")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("record hint reveal: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `
		INSERT INTO hint_reveals (user_id, course, lesson, exercise, hint_index, revealed_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id, course, lesson, exercise, hint_index) DO NOTHING`,
		userID, k.Course, k.Lesson, k.Exercise, index, formatTime(tx.now))
	if err != nil {
		return wrap("record hint reveal", mapUserFK(err, userID))
	}
	return tx.commit("record hint reveal")
}

// HintsRevealed returns how many distinct hints of the exercise the user
// revealed; 0 if none.
func (s *AttemptService) HintsRevealed(ctx context.Context, userID int64, k opslab.ExerciseKey) (int, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return 0, fmt.Errorf("hints revealed: %w", err)
	}
	defer tx.Rollback()
	var n int
	err = tx.QueryRowContext(ctx, `
		SELECT COUNT(*) FROM hint_reveals
		WHERE user_id = ? AND course = ? AND lesson = ? AND exercise = ?`,
		userID, k.Course, k.Lesson, k.Exercise).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("hints revealed: %w", err)
	}
	return n, nil
}

// RecordSolutionReveal notes that the user revealed the exercise's
// solution; every reveal is kept. It returns EINVALID for a bad key and
// ENOTFOUND for an unknown user.
func (s *AttemptService) RecordSolutionReveal(ctx context.Context, userID int64, k opslab.ExerciseKey) error {
	if err := k.Validate(); err != nil {
		return err
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("record solution reveal: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `
		INSERT INTO solution_reveals (user_id, course, lesson, exercise, revealed_at)
		VALUES (?, ?, ?, ?, ?)`,
		userID, k.Course, k.Lesson, k.Exercise, formatTime(tx.now))
	if err != nil {
		return wrap("record solution reveal", mapUserFK(err, userID))
	}
	return tx.commit("record solution reveal")
}

// SolutionRevealed reports whether the user ever revealed the exercise's
// solution.
func (s *AttemptService) SolutionRevealed(ctx context.Context, userID int64, k opslab.ExerciseKey) (bool, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return false, fmt.Errorf("solution revealed: %w", err)
	}
	defer tx.Rollback()
	var revealed bool
	err = tx.QueryRowContext(ctx, `
		SELECT EXISTS (SELECT 1 FROM solution_reveals
			WHERE user_id = ? AND course = ? AND lesson = ? AND exercise = ?)`,
		userID, k.Course, k.Lesson, k.Exercise).Scan(&revealed)
	if err != nil {
		return false, fmt.Errorf("solution revealed: %w", err)
	}
	return revealed, nil
}

// decodeCommands reads an attempt's commands column into a (nil when
// none).
func decodeCommands(col string, a *opslab.Attempt) error {
	if err := json.Unmarshal([]byte(col), &a.Commands); err != nil {
		return fmt.Errorf("decode commands of attempt %d: %w", a.ID, err)
	}
	if len(a.Commands) == 0 {
		a.Commands = nil
	}
	return nil
}
