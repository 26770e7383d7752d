package sqlite

import (
	"context"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

// Migration is a schema migration recorded as applied.
type Migration struct {
	Name      string // file name, e.g. 0001_init.sql
	AppliedAt time.Time
}

// migrate applies, in name order, every .sql file at the root of fsys that
// schema_migrations does not list yet.
func (db *DB) migrate(ctx context.Context, fsys fs.FS) error {
	if _, err := db.db.ExecContext(ctx, `
		CREATE TABLE IF NOT EXISTS schema_migrations (
			name       TEXT PRIMARY KEY,
			applied_at TEXT NOT NULL
		) STRICT`); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}

	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return fmt.Errorf("list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, fsys, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// migrateFile applies one migration unless it is recorded. The check runs
// inside the transaction, which holds the write lock, so two processes
// opening the same new file do not both apply it.
func (db *DB) migrateFile(ctx context.Context, fsys fs.FS, name string) error {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}

	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()

	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return fmt.Errorf("check schema_migrations: %w", err)
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(src)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`,
		name, formatTime(tx.now)); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return tx.commit("apply")
}

// Migrations lists the applied migrations in name order.
func (db *DB) Migrations(ctx context.Context) ([]Migration, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `SELECT name, applied_at FROM schema_migrations ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	defer rows.Close()
	var ms []Migration
	for rows.Next() {
		var m Migration
		var at string
		if err := rows.Scan(&m.Name, &at); err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
		if m.AppliedAt, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
		ms = append(ms, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	return ms, nil
}
