// Package dbkit gives tests a real SQLite store: a fresh, migrated
// database file per test. It is a package apart from testkit because it
// imports internal/sqlite, which testkit's users must not need. Only tests
// import it.
package dbkit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/opslab/opslab/internal/sqlite"
)

// Open opens a new database (every migration applied) in a file under
// tb.TempDir() and closes it when tb ends, before the directory goes.
func Open(tb testing.TB) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "opslab.db"))
	if err != nil {
		tb.Fatalf("open a test database: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}
