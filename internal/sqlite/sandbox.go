package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// SandboxRecord is what the sandbox manager remembers of a running
// sandbox, so that after a crash it can find and stop what was left behind.
// It mirrors one row of the sandboxes table.
type SandboxRecord struct {
	ID         string // the manager's id; the primary key
	UserID     int64
	Course     string
	Lesson     string
	Kind       string // e.g. "redis" or "kafka"
	Driver     string // the driver that started it
	PID        int    // process id, 0 if none (stored as NULL)
	Dir        string // working directory, "" if none
	Address    string // where it listens, "" if nowhere yet
	CreatedAt  time.Time
	LastUsedAt time.Time
}

// SandboxRecords stores SandboxRecord rows.
type SandboxRecords struct {
	db *DB
}

// NewSandboxRecords returns a SandboxRecords over db.
func NewSandboxRecords(db *DB) *SandboxRecords {
	return &SandboxRecords{db: db}
}

// Put stores rec, replacing the record with the same ID except for its
// CreatedAt, which keeps its first value. A zero CreatedAt or LastUsedAt is
// stored as the current time. It returns EINVALID for an empty ID, Driver or
// Kind or a negative PID. The user is not checked: a record must outlive
// its user until the sandbox is stopped.
func (s *SandboxRecords) Put(ctx context.Context, rec SandboxRecord) error {
	switch {
	case rec.ID == "":
		return opslab.Errorf(opslab.EINVALID, "A sandbox record needs an id.")
	case rec.Driver == "" || rec.Kind == "":
		return opslab.Errorf(opslab.EINVALID, "A sandbox record needs a driver and a kind.")
	case rec.PID < 0:
		return opslab.Errorf(opslab.EINVALID, "A process id cannot be negative.")
	}

	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("put sandbox record: %w", err)
	}
	defer tx.Rollback()
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = tx.now
	}
	if rec.LastUsedAt.IsZero() {
		rec.LastUsedAt = tx.now
	}
	var pid sql.NullInt64
	if rec.PID > 0 {
		pid = sql.NullInt64{Int64: int64(rec.PID), Valid: true}
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO sandboxes
			(id, user_id, course, lesson, kind, driver, pid, dir, address, created_at, last_used_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			user_id = excluded.user_id, course = excluded.course, lesson = excluded.lesson,
			kind = excluded.kind, driver = excluded.driver, pid = excluded.pid,
			dir = excluded.dir, address = excluded.address, last_used_at = excluded.last_used_at`,
		rec.ID, rec.UserID, rec.Course, rec.Lesson, rec.Kind, rec.Driver, pid, rec.Dir, rec.Address,
		formatTime(rec.CreatedAt), formatTime(rec.LastUsedAt))
	if err != nil {
		return fmt.Errorf("put sandbox record %s: %w", rec.ID, err)
	}
	return tx.commit("put sandbox record")
}

// Delete removes the record with the id. Deleting a missing record is not
// an error, so cleanup may run twice.
func (s *SandboxRecords) Delete(ctx context.Context, id string) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("delete sandbox record: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sandboxes WHERE id = ?`, id); err != nil {
		return fmt.Errorf("delete sandbox record %s: %w", id, err)
	}
	return tx.commit("delete sandbox record")
}

// List returns every record, oldest first; an empty list if none.
func (s *SandboxRecords) List(ctx context.Context) ([]SandboxRecord, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sandbox records: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `
		SELECT id, user_id, course, lesson, kind, driver, pid, dir, address, created_at, last_used_at
		FROM sandboxes ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list sandbox records: %w", err)
	}
	defer rows.Close()
	recs := []SandboxRecord{}
	for rows.Next() {
		var r SandboxRecord
		var pid sql.NullInt64
		var created, used string
		if err := rows.Scan(&r.ID, &r.UserID, &r.Course, &r.Lesson, &r.Kind, &r.Driver, &pid,
			&r.Dir, &r.Address, &created, &used); err != nil {
			return nil, fmt.Errorf("list sandbox records: %w", err)
		}
		r.PID = int(pid.Int64)
		if r.CreatedAt, err = parseTime(created); err != nil {
			return nil, fmt.Errorf("list sandbox records: %w", err)
		}
		if r.LastUsedAt, err = parseTime(used); err != nil {
			return nil, fmt.Errorf("list sandbox records: %w", err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sandbox records: %w", err)
	}
	return recs, nil
}
