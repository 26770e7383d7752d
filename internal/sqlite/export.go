package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// ExportService reads what a team's progress report and its CSV export are
// made of. It implements opslab.ExportService.
type ExportService struct {
	db *DB
}

var _ opslab.ExportService = (*ExportService)(nil)

// NewExportService returns an ExportService over db.
func NewExportService(db *DB) *ExportService {
	return &ExportService{db: db}
}

// learnersOf joins a table aliased x to the team's learners; the query
// passes the team id once.
const learnersOf = ` JOIN team_members m ON m.user_id = x.user_id AND m.team_id = ? AND m.lead = 0`

// TeamRecords returns one record per learner of the team (its members who
// are not leads), ordered by email, over every course, from one snapshot:
// lesson progress rows, attempts counted per exercise, first passes, and
// the last activity. A learner without any activity has an empty record. It
// returns ENOTFOUND for an unknown team.
func (s *ExportService) TeamRecords(ctx context.Context, teamID int64) ([]*opslab.LearnerRecord, error) {
	t, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("team records: %w", err)
	}
	defer t.Rollback()
	if _, err := findTeamByID(ctx, t, teamID); err != nil {
		return nil, wrap("team records", err)
	}
	records, byUser, err := teamLearners(ctx, t, teamID)
	if err != nil {
		return nil, fmt.Errorf("team records: %w", err)
	}
	for _, read := range []func(context.Context, *tx, int64, map[int64]*opslab.LearnerRecord) error{
		readLessonRecords, readAttemptRecords, readPassRecords,
	} {
		if err := read(ctx, t, teamID, byUser); err != nil {
			return nil, fmt.Errorf("team records: %w", err)
		}
	}
	return records, nil
}

// teamLearners returns an empty record for each learner of the team,
// ordered by email, and the same records by user id.
func teamLearners(ctx context.Context, tx *tx, teamID int64) ([]*opslab.LearnerRecord, map[int64]*opslab.LearnerRecord, error) {
	rows, err := tx.QueryContext(ctx, `
		SELECT u.id, u.email, u.name FROM users u
		JOIN team_members m ON m.user_id = u.id
		WHERE m.team_id = ? AND m.lead = 0 ORDER BY u.email`, teamID)
	if err != nil {
		return nil, nil, fmt.Errorf("query learners: %w", err)
	}
	defer rows.Close()
	list := []*opslab.LearnerRecord{}
	byUser := map[int64]*opslab.LearnerRecord{}
	for rows.Next() {
		r := &opslab.LearnerRecord{Lessons: map[opslab.LessonKey]*opslab.LessonProgress{},
			Exercises: map[opslab.ExerciseKey]*opslab.ExerciseRecord{}}
		if err := rows.Scan(&r.UserID, &r.Email, &r.Name); err != nil {
			return nil, nil, fmt.Errorf("scan learner: %w", err)
		}
		list = append(list, r)
		byUser[r.UserID] = r
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("query learners: %w", err)
	}
	return list, byUser, nil
}

// readLessonRecords adds the learners' lesson progress rows.
func readLessonRecords(ctx context.Context, tx *tx, teamID int64, byUser map[int64]*opslab.LearnerRecord) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT x.user_id, x.course, x.lesson, x.first_viewed_at, x.last_activity_at, x.completed_at, x.time_spent_ms
		FROM lesson_progress x`+learnersOf, teamID)
	if err != nil {
		return fmt.Errorf("query lesson progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid, ms int64
		var first, last string
		var completed sql.NullString
		p := &opslab.LessonProgress{}
		if err := rows.Scan(&uid, &p.Course, &p.Lesson, &first, &last, &completed, &ms); err != nil {
			return fmt.Errorf("scan lesson progress: %w", err)
		}
		if p.FirstViewed, err = parseTime(first); err != nil {
			return err
		}
		if p.LastActivity, err = parseTime(last); err != nil {
			return err
		}
		if p.Completed, err = parseNullTime(completed); err != nil {
			return err
		}
		p.TimeSpent = time.Duration(ms) * time.Millisecond
		if r := byUser[uid]; r != nil {
			r.Lessons[opslab.LessonKey{Course: p.Course, Lesson: p.Lesson}] = p
			r.LastActivity = later(r.LastActivity, p.LastActivity)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query lesson progress: %w", err)
	}
	return nil
}

// readAttemptRecords adds the learners' attempt counts per exercise.
func readAttemptRecords(ctx context.Context, tx *tx, teamID int64, byUser map[int64]*opslab.LearnerRecord) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT x.user_id, x.course, x.lesson, x.exercise, COUNT(*), MAX(x.created_at)
		FROM exercise_attempts x`+learnersOf+`
		GROUP BY x.user_id, x.course, x.lesson, x.exercise`, teamID)
	if err != nil {
		return fmt.Errorf("query attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		var k opslab.ExerciseKey
		var n int
		var latest string
		if err := rows.Scan(&uid, &k.Course, &k.Lesson, &k.Exercise, &n, &latest); err != nil {
			return fmt.Errorf("scan attempts: %w", err)
		}
		at, err := parseTime(latest)
		if err != nil {
			return err
		}
		if r := byUser[uid]; r != nil {
			exerciseRecord(r, k).Attempts = n
			r.LastActivity = later(r.LastActivity, at)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query attempts: %w", err)
	}
	return nil
}

// readPassRecords adds the learners' first passes.
func readPassRecords(ctx context.Context, tx *tx, teamID int64, byUser map[int64]*opslab.LearnerRecord) error {
	rows, err := tx.QueryContext(ctx, `
		SELECT x.user_id, x.course, x.lesson, x.exercise, x.passed_at
		FROM exercise_passes x`+learnersOf, teamID)
	if err != nil {
		return fmt.Errorf("query passes: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var uid int64
		var k opslab.ExerciseKey
		var passed string
		if err := rows.Scan(&uid, &k.Course, &k.Lesson, &k.Exercise, &passed); err != nil {
			return fmt.Errorf("scan passes: %w", err)
		}
		at, err := parseTime(passed)
		if err != nil {
			return err
		}
		if r := byUser[uid]; r != nil {
			exerciseRecord(r, k).PassedAt = &at
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("query passes: %w", err)
	}
	return nil
}

// exerciseRecord returns r's record of the exercise, adding an empty one.
func exerciseRecord(r *opslab.LearnerRecord, k opslab.ExerciseKey) *opslab.ExerciseRecord {
	e := r.Exercises[k]
	if e == nil {
		e = &opslab.ExerciseRecord{}
		r.Exercises[k] = e
	}
	return e
}

// later returns the later of a (nil: none) and b.
func later(a *time.Time, b time.Time) *time.Time {
	if a == nil || b.After(*a) {
		return &b
	}
	return a
}

// TeamActivity returns the activity in the course of every learner of the
// team, as DashboardService.TeamActivity does: the team progress report and
// its CSV export compute their statuses and percentages from it, with the
// dashboard's rules. It returns ENOTFOUND for an unknown team.
func (s *ExportService) TeamActivity(ctx context.Context, teamID int64, course string) (*opslab.TeamActivity, error) {
	return NewDashboardService(s.db).TeamActivity(ctx, teamID, course)
}
