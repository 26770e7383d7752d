// Package sqlite stores the platform's data in one SQLite file.
//
// Open applies the schema from the migrations package. Each service (users,
// teams, progress, attempts, sandbox records) is a small type over a *DB;
// every public method runs in its own transaction.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/migrations"
)

// BusyTimeout is how long a transaction waits for another writer before it
// fails with SQLITE_BUSY.
const BusyTimeout = 5 * time.Second

// timeLayout is RFC 3339 with a fixed-width fraction, so that stored
// timestamps sort as text in time order.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// DB is an open SQLite database with its schema up to date. It is safe for
// concurrent use.
type DB struct {
	db   *sql.DB // writers: transactions take the write lock at BEGIN
	read *sql.DB // readers: deferred, query-only transactions that never block writers under WAL
	path string

	// Now returns the current time; every timestamp written goes through it.
	// Replace it before use (in tests) to control time; it defaults to time.Now.
	Now func() time.Time
}

// Open opens the SQLite file at path, creating it and its parent directory
// if missing, and applies the migrations of the migrations package that are
// not yet recorded. See OpenWithMigrations.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWithMigrations(ctx, path, migrations.FS)
}

// OpenWithMigrations opens the SQLite file at path like Open, with the
// migrations taken from the .sql files at the root of fsys.
//
// The database runs in WAL mode with foreign keys enforced, and its
// transactions take the write lock when they begin, waiting up to
// BusyTimeout for it. Migrations run in name order, each in one transaction
// together with its row in schema_migrations, so a migration that fails
// leaves nothing of itself behind; the error then names the file.
func OpenWithMigrations(ctx context.Context, path string, fsys fs.FS) (*DB, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open database: %q is not a file path", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}

	sqldb, err := sql.Open("sqlite3", dsn(abs))
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	db := &DB{db: sqldb, path: abs, Now: time.Now}
	if err := db.init(ctx, fsys); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open database %s: %w", abs, err)
	}
	// The read pool opens after the migrations so that it sees the schema.
	readdb, err := sql.Open("sqlite3", readDSN(abs))
	if err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("open database %s for reading: %w", abs, err)
	}
	db.read = readdb
	return db, nil
}

// dsn returns the go-sqlite3 data source name for the file at abs. The
// file: form lets SQLite decode percent escapes, so a path holding '?' or
// '#' survives.
func dsn(abs string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(abs))
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_txlock", "immediate")
	// NORMAL is safe under WAL: a power cut may lose the last commits,
	// never corrupt the file; FULL would fsync every commit.
	q.Set("_synchronous", "NORMAL")
	return "file:" + escaped + "?" + q.Encode()
}

// readDSN is dsn for the read pool: deferred transactions on query-only
// connections, so reads see a snapshot and never take the write lock.
func readDSN(abs string) string {
	escaped := strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(filepath.ToSlash(abs))
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_busy_timeout", fmt.Sprint(BusyTimeout.Milliseconds()))
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "1")
	return "file:" + escaped + "?" + q.Encode()
}

func (db *DB) init(ctx context.Context, fsys fs.FS) error {
	var mode string
	if err := db.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil {
		return fmt.Errorf("read journal mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	return db.migrate(ctx, fsys)
}

// Path returns the absolute path of the database file.
func (db *DB) Path() string { return db.path }

// Close closes the database. It waits for running queries to finish.
func (db *DB) Close() error {
	if db.read != nil {
		if err := db.read.Close(); err != nil {
			db.db.Close()
			return fmt.Errorf("close database: %w", err)
		}
	}
	if err := db.db.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	return nil
}

// tx is a transaction with the time it began, used for every timestamp it
// writes so that the rows of one operation agree.
type tx struct {
	*sql.Tx
	now time.Time
}

// begin starts a transaction. It holds the write lock until Commit or
// Rollback.
func (db *DB) begin(ctx context.Context) (*tx, error) {
	t, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin transaction: %w", err)
	}
	return &tx{Tx: t, now: db.Now().UTC()}, nil
}

// beginRead starts a read-only transaction on the read pool: a consistent
// snapshot that does not wait for writers. Roll it back when done.
func (db *DB) beginRead(ctx context.Context) (*tx, error) {
	t, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin read transaction: %w", err)
	}
	return &tx{Tx: t, now: db.Now().UTC()}, nil
}

// commit commits t, naming the operation in the error.
func (t *tx) commit(op string) error {
	if err := t.Commit(); err != nil {
		return fmt.Errorf("%s: commit: %w", op, err)
	}
	return nil
}

// formatTime renders t for storage.
func formatTime(t time.Time) string {
	return t.UTC().Format(timeLayout)
}

// parseTime reads a stored timestamp.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t.UTC(), nil
}

// parseNullTime reads a nullable stored timestamp; NULL gives nil.
func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// wrap returns err itself when it is an *opslab.Error, meant for the caller,
// and otherwise wraps it with the operation.
func wrap(op string, err error) error {
	if e, ok := err.(*opslab.Error); ok {
		return e
	}
	return fmt.Errorf("%s: %w", op, err)
}

// isConstraint reports whether err is the SQLite constraint violation code.
func isConstraint(err error, code sqlite3.ErrNoExtended) bool {
	var e sqlite3.Error
	return errors.As(err, &e) && e.ExtendedCode == code
}

// errUnknownUser is returned when a row names a user that does not exist.
func errUnknownUser(id int64) error {
	return opslab.Errorf(opslab.ENOTFOUND, "There is no user with id %d.", id)
}

// mapUserFK turns a foreign key failure on a row owned by userID into
// ENOTFOUND, the only reference such rows hold.
func mapUserFK(err error, userID int64) error {
	if isConstraint(err, sqlite3.ErrConstraintForeignKey) {
		return errUnknownUser(userID)
	}
	return err
}

// validateLessonKey returns EINVALID unless both parts of k are set and
// short enough.
func validateLessonKey(k opslab.LessonKey) error {
	// An exercise name stands in so the lesson parts get the same rules.
	return opslab.ExerciseKey{Course: k.Course, Lesson: k.Lesson, Exercise: "-"}.Validate()
}
