package sqlite_test

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	_ "github.com/mattn/go-sqlite3"
	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/migrations"
)

// MustOpenDB opens a new database in a file under tb.TempDir() and closes
// it when the test ends.
func MustOpenDB(tb testing.TB) *sqlite.DB {
	tb.Helper()
	return MustOpenDBAt(tb, filepath.Join(tb.TempDir(), "opslab.db"))
}

// MustOpenDBAt opens the database at path and closes it when the test ends.
func MustOpenDBAt(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { MustClose(tb, db) })
	return db
}

// MustClose closes db; closing twice is harmless.
func MustClose(tb testing.TB, db *sqlite.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatal(err)
	}
}

// Clock is the settable clock the tests give DB.Now.
type Clock = testkit.Clock

// NewClock returns a settable clock for DB.Now set to a fixed instant
// with a nanosecond part, so storage precision is exercised.
func NewClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 3, 1, 9, 30, 0, 123456789, time.UTC))
}

// NewUserService returns a UserService with the cheapest bcrypt cost.
func NewUserService(db *sqlite.DB) *sqlite.UserService {
	s := sqlite.NewUserService(db)
	s.BcryptCost = bcrypt.MinCost
	return s
}

// MustCreateUser creates a user with the email, the role and an optional
// team, and the password "correct horse battery".
func MustCreateUser(tb testing.TB, db *sqlite.DB, email string, role opslab.Role, team string) *opslab.User {
	tb.Helper()
	u, err := NewUserService(db).CreateUser(context.Background(), opslab.NewUser{
		Email: email, Name: "Name of " + email, Password: "correct horse battery", Role: role, Team: team,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// AssertCode fails the test unless err carries the opslab error code.
func AssertCode(tb testing.TB, err error, code string) {
	tb.Helper()
	if got := opslab.ErrorCode(err); got != code {
		tb.Fatalf("error code = %q, want %q (err: %v)", got, code, err)
	}
	if _, ok := err.(*opslab.Error); !ok {
		tb.Fatalf("error is %T, want *opslab.Error", err)
	}
}

// rawDB opens the file with plain database/sql, to look behind the API.
func rawDB(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func tableExists(tb testing.TB, db *sql.DB, name string) bool {
	tb.Helper()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n == 1
}

func migrationNames(tb testing.TB, db *sqlite.DB) []string {
	tb.Helper()
	ms, err := db.Migrations(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, m := range ms {
		names = append(names, m.Name)
	}
	return names
}

func TestOpen(t *testing.T) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "nested", "dir", "opslab.db")
		db := MustOpenDBAt(t, path)
		if db.Path() != path {
			t.Fatalf("Path() = %q, want %q", db.Path(), path)
		}
		var mode string
		if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil {
			t.Fatal(err)
		}
		if mode != "wal" {
			t.Fatalf("journal_mode = %q, want wal", mode)
		}
		want, err := fs.Glob(migrations.FS, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)
		if got := migrationNames(t, db); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("migrations = %v, want every file of the migrations package: %v", got, want)
		}
	})

	t.Run("PathWithQueryCharacters", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "odd?name#1%.db")
		MustOpenDBAt(t, path)
		if !tableExists(t, rawDB(t, "file:"+strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23").Replace(path)), "users") {
			t.Fatal("schema not in the file at the odd path")
		}
	})

	t.Run("ErrMemory", func(t *testing.T) {
		for _, p := range []string{"", ":memory:", "file::memory:"} {
			if db, err := sqlite.Open(ctx, p); err == nil {
				db.Close()
				t.Fatalf("Open(%q) succeeded", p)
			}
		}
	})

	t.Run("ForeignKeysEnforced", func(t *testing.T) {
		db := MustOpenDB(t)
		err := sqlite.NewProgressService(db).RecordView(ctx, 999, opslab.LessonKey{Course: "redis", Lesson: "intro"})
		AssertCode(t, err, opslab.ENOTFOUND)
	})
}

func TestMigrations(t *testing.T) {
	ctx := context.Background()

	t.Run("AppliedOnceAndRecorded", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "opslab.db")
		clk := NewClock()
		db := MustOpenDBAt(t, path)
		ms, err := db.Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Every file of the migrations package, in name order.
		want, err := fs.Glob(migrations.FS, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(want)
		if len(ms) != len(want) || ms[0].Name != "0001_init.sql" || ms[0].AppliedAt.IsZero() {
			t.Fatalf("migrations = %+v, want %v", ms, want)
		}
		for i := range want {
			if ms[i].Name != want[i] {
				t.Fatalf("migration %d = %s, want %s", i, ms[i].Name, want[i])
			}
		}
		first := ms[0].AppliedAt
		u := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
		MustClose(t, db)

		// Reopening applies nothing again: data and the record's time stay.
		db2 := MustOpenDBAt(t, path)
		db2.Now = clk.Now
		ms, err = db2.Migrations(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != len(want) || !ms[0].AppliedAt.Equal(first) {
			t.Fatalf("after reopen migrations = %+v, want %d with the first applied at %v", ms, len(want), first)
		}
		if _, err := NewUserService(db2).FindUserByID(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NameOrderAndNewFilesLater", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "m.db")
		fsys := fstest.MapFS{
			"0002_b.sql": {Data: []byte(`CREATE TABLE b (a_id INTEGER REFERENCES a (id));`)},
			"0001_a.sql": {Data: []byte(`CREATE TABLE a (id INTEGER PRIMARY KEY);`)},
			"README.md":  {Data: []byte(`not a migration`)},
			"sub/9.sql":  {Data: []byte(`not at the root`)},
			"0010_c.sql": {Data: []byte(`ALTER TABLE b ADD COLUMN c TEXT;`)},
		}
		db, err := sqlite.OpenWithMigrations(ctx, path, fsys)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := strings.Join(migrationNames(t, db), ","), "0001_a.sql,0002_b.sql,0010_c.sql"; got != want {
			t.Fatalf("migrations = %s, want %s", got, want)
		}
		MustClose(t, db)

		fsys["0011_d.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE d (x INTEGER);`)}
		db, err = sqlite.OpenWithMigrations(ctx, path, fsys)
		if err != nil {
			t.Fatal(err)
		}
		defer MustClose(t, db)
		if got := migrationNames(t, db); len(got) != 4 || got[3] != "0011_d.sql" {
			t.Fatalf("migrations = %v", got)
		}
		if !tableExists(t, rawDB(t, path), "d") {
			t.Fatal("table d missing")
		}
	})

	t.Run("ErrBrokenMigrationRollsBack", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "broken.db")
		fsys := fstest.MapFS{
			"0001_ok.sql": {Data: []byte(`CREATE TABLE a (id INTEGER PRIMARY KEY);`)},
			// The failure comes after a table and a row were made.
			"0002_broken.sql": {Data: []byte(`
				CREATE TABLE b (x INTEGER NOT NULL);
				INSERT INTO b (x) VALUES (1);
				INSERT INTO b (x) VALUES (NULL);`)},
			"0003_later.sql": {Data: []byte(`CREATE TABLE c (id INTEGER);`)},
		}
		db, err := sqlite.OpenWithMigrations(ctx, path, fsys)
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded with a broken migration")
		}
		if !strings.Contains(err.Error(), "0002_broken.sql") {
			t.Fatalf("error %q does not name the file", err)
		}

		raw := rawDB(t, path)
		if !tableExists(t, raw, "a") {
			t.Fatal("the good migration before the broken one was not kept")
		}
		if tableExists(t, raw, "b") || tableExists(t, raw, "c") {
			t.Fatal("the broken migration or a later one left a table")
		}
		var names []string
		rows, err := raw.Query(`SELECT name FROM schema_migrations ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			names = append(names, n)
		}
		rows.Close()
		if strings.Join(names, ",") != "0001_ok.sql" {
			t.Fatalf("recorded = %v, want [0001_ok.sql]", names)
		}
		raw.Close()

		// Once fixed, the same file applies.
		fsys["0002_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE b (x INTEGER NOT NULL);`)}
		db, err = sqlite.OpenWithMigrations(ctx, path, fsys)
		if err != nil {
			t.Fatal(err)
		}
		defer MustClose(t, db)
		if got := strings.Join(migrationNames(t, db), ","); got != "0001_ok.sql,0002_broken.sql,0003_later.sql" {
			t.Fatalf("migrations = %s", got)
		}
	})

	t.Run("ErrSyntax", func(t *testing.T) {
		fsys := fstest.MapFS{"0001_bad.sql": {Data: []byte(`CREATE TABLE x (;`)}}
		db, err := sqlite.OpenWithMigrations(ctx, filepath.Join(t.TempDir(), "s.db"), fsys)
		if err == nil {
			db.Close()
			t.Fatal("Open succeeded")
		}
		if !strings.Contains(err.Error(), "0001_bad.sql") {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}
