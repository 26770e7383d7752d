package sqlite

import (
	"context"
	"fmt"

	"github.com/opslab/opslab/internal/opslab"
)

// StatsService reads summaries of recorded attempts with read-only
// queries. It implements opslab.StatsService.
type StatsService struct {
	db *DB
}

var _ opslab.StatsService = (*StatsService)(nil)

// NewStatsService returns a StatsService over db.
func NewStatsService(db *DB) *StatsService {
	return &StatsService{db: db}
}

// notStaff leaves instructors and admins out of statistics: they try
// exercises, they do not learn from them. The role is the user's current one.
const notStaff = `u.role NOT IN ('instructor', 'admin')`

// ExerciseStats returns the anonymous statistics of every exercise of the
// lesson that learners attempted, keyed by exercise id; an empty map if
// none. Attempts by users who are now instructors or admins are left out.
// The numbers span every content version of an exercise. The most failed
// check is counted by its number in the attempts' failed_checks ("N:
// message") and carries the message of its latest failure; a tie goes to
// the lower number.
func (s *StatsService) ExerciseStats(ctx context.Context, course, lesson string) (map[string]opslab.ExerciseStats, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("exercise stats: %w", err)
	}
	defer tx.Rollback()

	out, err := attemptCounts(ctx, tx, course, lesson)
	if err != nil {
		return nil, fmt.Errorf("exercise stats: %w", err)
	}
	failed, err := failedChecks(ctx, tx, course, lesson)
	if err != nil {
		return nil, fmt.Errorf("exercise stats: %w", err)
	}
	for exercise, checks := range failed {
		st := out[exercise]
		for _, c := range checks {
			if st.MostFailed == nil || c.Failures > st.MostFailed.Failures ||
				(c.Failures == st.MostFailed.Failures && c.Number < st.MostFailed.Number) {
				st.MostFailed = &c
			}
		}
		out[exercise] = st
	}
	return out, nil
}

// attemptCounts counts the attempts, learners and passing learners of each
// exercise of the lesson.
func attemptCounts(ctx context.Context, tx *tx, course, lesson string) (map[string]opslab.ExerciseStats, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT a.exercise, COUNT(*), COUNT(DISTINCT a.user_id),
			COUNT(DISTINCT CASE WHEN a.passed = 1 THEN a.user_id END)
		FROM exercise_attempts a JOIN users u ON u.id = a.user_id
		WHERE a.course = ? AND a.lesson = ? AND `+notStaff+`
		GROUP BY a.exercise`, course, lesson)
	if err != nil {
		return nil, fmt.Errorf("count attempts: %w", err)
	}
	defer rows.Close()
	out := map[string]opslab.ExerciseStats{}
	for rows.Next() {
		var exercise string
		var st opslab.ExerciseStats
		if err := rows.Scan(&exercise, &st.Attempts, &st.Learners, &st.Passed); err != nil {
			return nil, fmt.Errorf("count attempts: %w", err)
		}
		out[exercise] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count attempts: %w", err)
	}
	return out, nil
}

// failedChecks counts the failures of each check of each exercise of the
// lesson, from the "N: message" entries of failed attempts; entries that
// do not start with a number are skipped.
func failedChecks(ctx context.Context, tx *tx, course, lesson string) (map[string][]opslab.FailedCheck, error) {
	// With exactly one max() in the query, SQLite takes the bare column
	// f.message from the row holding that max: the latest failure.
	rows, err := tx.QueryContext(ctx, `
		SELECT f.exercise, f.number, COUNT(*), f.message, MAX(f.id)
		FROM (
			SELECT a.id, a.exercise,
				CAST(substr(j.value, 1, instr(j.value, ':') - 1) AS INTEGER) AS number,
				substr(j.value, instr(j.value, ':') + 2) AS message
			FROM exercise_attempts a
			JOIN users u ON u.id = a.user_id
			JOIN json_each(a.failed_checks) j
			WHERE a.course = ? AND a.lesson = ? AND a.passed = 0 AND `+notStaff+`
		) f
		WHERE f.number > 0
		GROUP BY f.exercise, f.number`, course, lesson)
	if err != nil {
		return nil, fmt.Errorf("count failed checks: %w", err)
	}
	defer rows.Close()
	out := map[string][]opslab.FailedCheck{}
	for rows.Next() {
		var exercise string
		var c opslab.FailedCheck
		var latest int64
		if err := rows.Scan(&exercise, &c.Number, &c.Failures, &c.Message, &latest); err != nil {
			return nil, fmt.Errorf("count failed checks: %w", err)
		}
		out[exercise] = append(out[exercise], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count failed checks: %w", err)
	}
	return out, nil
}

// PassHashes returns the content hash of the user's first pass of each
// exercise of the lesson they passed, keyed by exercise id; an empty map
// if none. A hash that differs from the exercise's current one means the
// exercise changed after the pass.
func (s *StatsService) PassHashes(ctx context.Context, userID int64, course, lesson string) (map[string]string, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("pass hashes: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `
		SELECT exercise, content_hash FROM exercise_passes
		WHERE user_id = ? AND course = ? AND lesson = ?`, userID, course, lesson)
	if err != nil {
		return nil, fmt.Errorf("pass hashes: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var exercise, hash string
		if err := rows.Scan(&exercise, &hash); err != nil {
			return nil, fmt.Errorf("pass hashes: %w", err)
		}
		out[exercise] = hash
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("pass hashes: %w", err)
	}
	return out, nil
}
