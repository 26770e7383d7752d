package process_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/testkit"
)

// TestPostgresEscape: the learner's role reaches nothing beyond its own
// database. Each attack gets PostgreSQL's own refusal: no programs, no
// server files read or written, no extension outside the stated list, no
// privilege it was not given, no other database. The learner's trusted
// extensions are exactly process.PostgresExtensions.
func TestPostgresEscape(t *testing.T) {
	d := pgDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindPostgres))
	learner := pgConnect(t, inst, inst.Postgres.Learner, "appdb")
	if err := pgExec(learner, "CREATE TABLE t (line text)"); err != nil {
		t.Fatal(err)
	}
	for _, attack := range []struct{ sql, want string }{
		{"COPY t FROM PROGRAM 'id'", "must be superuser or have privileges of the pg_execute_server_program role"},
		{"COPY t TO PROGRAM 'cat > /tmp/x'", "must be superuser or have privileges of the pg_execute_server_program role"},
		{"SELECT pg_read_file('/etc/passwd')", "permission denied for function pg_read_file"},
		{"SELECT pg_read_binary_file('/etc/passwd')", "permission denied for function pg_read_binary_file"},
		{"SELECT pg_ls_dir('/')", "permission denied for function pg_ls_dir"},
		{"SELECT pg_stat_file('/etc/passwd')", "permission denied for function pg_stat_file"},
		{"COPY t FROM '/etc/passwd'", "must be superuser or have privileges of the pg_read_server_files role"},
		{"COPY t TO '/tmp/x'", "must be superuser or have privileges of the pg_write_server_files role"},
		{"SELECT lo_import('/etc/passwd')", "permission denied for function lo_import"},
		{"SELECT lo_export(0, '/tmp/x')", "permission denied for function lo_export"},
		{"CREATE EXTENSION file_fdw", `permission denied to create extension "file_fdw"`},
		{"CREATE EXTENSION dblink", `permission denied to create extension "dblink"`},
		{"CREATE EXTENSION adminpack", `permission denied to create extension "adminpack"`},
		{"CREATE EXTENSION postgres_fdw", `permission denied to create extension "postgres_fdw"`},
		{"CREATE EXTENSION plperlu", `extension "plperlu" is not available`},
		{"ALTER ROLE learner SUPERUSER", "must be superuser to alter superuser roles or change superuser attribute"},
		{"ALTER ROLE learner CREATEROLE", "permission denied"},
		{"ALTER ROLE learner CREATEDB", "permission denied"},
		{"ALTER ROLE opslab PASSWORD 'x'", "must be superuser to alter superuser roles"},
		{"CREATE ROLE intruder LOGIN", "permission denied to create role"},
		{"CREATE ROLE intruder LOGIN SUPERUSER", "must be superuser to create superusers"},
		{"CREATE DATABASE other", "permission denied to create database"},
		{"GRANT pg_read_server_files TO learner", `must have admin option on role "pg_read_server_files"`},
		{"GRANT pg_execute_server_program TO learner", `must have admin option on role "pg_execute_server_program"`},
		{"SET ROLE opslab", `permission denied to set role "opslab"`},
		{"SET SESSION AUTHORIZATION opslab", "permission denied to set session authorization"},
		{"ALTER SYSTEM SET listen_addresses = '*'", `permission denied to set parameter "listen_addresses"`},
		{"SET log_statement = 'all'", `permission denied to set parameter "log_statement"`},
		{"LOAD 'file_fdw'", `access to library "file_fdw" is not allowed`},
		{"CREATE FUNCTION sh() RETURNS int LANGUAGE c AS '/lib/x86_64-linux-gnu/libc.so.6', 'system'", "permission denied for language c"},
		{"SELECT pg_reload_conf()", "permission denied for function pg_reload_conf"},
	} {
		err := pgExec(learner, attack.sql)
		if err == nil || !strings.Contains(err.Error(), attack.want) {
			t.Errorf("%s: %v, want an error with %q", attack.sql, err, attack.want)
		}
	}

	// Its role: no attribute nor membership beyond LOGIN.
	if got := pgValue(t, learner, `SELECT concat_ws(',', rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin)
		FROM pg_roles WHERE rolname = 'learner'`); got != "f,f,f,f,f,t" {
		t.Errorf("learner's super,createrole,createdb,replication,bypassrls,login = %s", got)
	}
	for _, role := range []string{"pg_read_server_files", "pg_write_server_files", "pg_execute_server_program", "pg_read_all_data", "pg_write_all_data", "pg_signal_backend", "pg_monitor", "opslab"} {
		if got := pgValue(t, learner, fmt.Sprintf("SELECT pg_has_role('learner', '%s', 'MEMBER')", role)); got != "false" {
			t.Errorf("learner is a member of %s", role)
		}
	}

	// Other databases: pg_hba.conf lets the learner into appdb only.
	for _, db := range []string{"postgres", "template1", "template0"} {
		c, err := pgTryConnect(inst, inst.Postgres.Learner, db)
		if err == nil {
			c.Close(context.Background())
			t.Errorf("the learner signed in to %s", db)
		} else if !strings.Contains(err.Error(), `no pg_hba.conf entry for host "[local]", user "learner", database "`+db+`"`) {
			t.Errorf("sign in to %s: %v", db, err)
		}
	}
	out, err := psql(t, inst, inst.Postgres.Learner, "postgres", "SELECT 1")
	if err == nil || !strings.Contains(out, "no pg_hba.conf entry") {
		t.Errorf("psql to postgres as learner: %v: %s", err, out)
	}

	// Extensions: the learner creates a trusted one, and the trusted ones
	// are the stated list.
	if err := pgExec(learner, "CREATE EXTENSION pg_trgm"); err != nil {
		t.Errorf("CREATE EXTENSION pg_trgm: %v", err)
	}
	trusted := strings.Split(pgValue(t, learner, "SELECT string_agg(DISTINCT name, ',' ORDER BY name) FROM pg_available_extension_versions WHERE trusted"), ",")
	want := slices.Sorted(slices.Values(process.PostgresExtensions))
	if !slices.Equal(trusted, want) {
		t.Errorf("trusted extensions %v, stated %v", trusted, want)
	}

	// The sandbox still answers the platform.
	admin := pgConnect(t, inst, inst.Postgres.Admin, "appdb")
	if got := pgValue(t, admin, "SELECT count(*) FROM pg_roles WHERE rolsuper"); got != "1" {
		t.Errorf("%s superusers", got)
	}
}

// TestPostgresStatementTimeout: a learner's statement past the role's
// statement_timeout is cancelled with PostgreSQL's message, through pgx
// and through the real psql, and the session goes on.
func TestPostgresStatementTimeout(t *testing.T) {
	testkit.Slow(t, "waits out the 5 s statement timeout twice")
	d := pgDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindPostgres))
	learner := pgConnect(t, inst, inst.Postgres.Learner, "appdb")
	err := pgExec(learner, "SELECT pg_sleep(10)")
	if err == nil || !strings.Contains(err.Error(), "canceling statement due to statement timeout (SQLSTATE 57014)") {
		t.Errorf("past the timeout: %v", err)
	}
	if got := pgValue(t, learner, "SELECT 1"); got != "1" {
		t.Errorf("after the timeout: %s", got)
	}
	out, err := psql(t, inst, inst.Postgres.Learner, "appdb", "SELECT pg_sleep(10)")
	if err == nil || !strings.Contains(out, "ERROR:  canceling statement due to statement timeout") {
		t.Errorf("psql past the timeout: %v: %s", err, out)
	}
}

// TestPostgresSandboxesApart: two sandboxes' servers cannot reach each
// other. Even the first's superuser, running a program in its fence (as
// its user), cannot enter the second's folder, read its files or connect
// to its socket; and neither's passwords open the other.
func TestPostgresSandboxesApart(t *testing.T) {
	d := pgDriver(t, process.Options{})
	a := mustStart(t, d, spec(sandbox.KindPostgres))
	b := mustStart(t, d, spec(sandbox.KindPostgres))
	var sa, sb syscall.Stat_t
	if err := syscall.Stat(a.Dir, &sa); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Stat(b.Dir, &sb); err != nil {
		t.Fatal(err)
	}
	if sa.Uid == sb.Uid || sa.Mode&0o077 != 0 {
		t.Errorf("folders owned by %d and %d, mode %o", sa.Uid, sb.Uid, sa.Mode&0o777)
	}

	admin := pgConnect(t, a, a.Postgres.Admin, "appdb")
	if err := pgExec(admin, "CREATE TABLE out (line text)"); err != nil {
		t.Fatal(err)
	}
	psqlBin := "/usr/lib/postgresql/15/bin/psql"
	for _, cmd := range []string{
		"ls " + b.Dir,
		"cat " + b.Dir + "/data/PG_VERSION",
		fmt.Sprintf("PGPASSWORD=%s %s -h %s -U learner -d appdb -c 'SELECT 1'", b.Postgres.Learner.Password, psqlBin, b.Dir),
	} {
		if err := pgExec(admin, "TRUNCATE out"); err != nil {
			t.Fatal(err)
		}
		// Tabs and backslashes would be COPY's column separators and escapes.
		sql := fmt.Sprintf(`COPY out FROM PROGRAM '(%s; echo exit=$?) 2>&1 | tr -d ''\t\\'''`, strings.ReplaceAll(cmd, "'", "''"))
		if err := pgExec(admin, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		got := pgValue(t, admin, "SELECT string_agg(line, ' | ') FROM out")
		if !strings.Contains(got, "Permission denied") || strings.Contains(got, "exit=0") {
			t.Errorf("%s from sandbox a: %s", cmd, got)
		}
	}

	for _, pair := range []struct {
		to   sandbox.Instance
		user sandbox.Credentials
	}{{b, a.Postgres.Learner}, {b, a.Postgres.Admin}, {a, b.Postgres.Learner}} {
		if c, err := pgTryConnect(pair.to, pair.user, "appdb"); err == nil {
			c.Close(context.Background())
			t.Errorf("%s's password from the other sandbox opened %s", pair.user.User, pair.to.Spec.ID)
		} else if !strings.Contains(err.Error(), "password authentication failed") {
			t.Errorf("wrong password: %v", err)
		}
	}
}

// TestPostgresCaps: the learner's exhaustion attacks hit the sandbox's
// caps with PostgreSQL's own errors: a sort past temp_file_limit, more
// connections than the role may hold (the platform's reserved ones stay
// free), and a table that fills the sandbox's tmpfs (of the size
// process.Limits promises). A full disk gets PostgreSQL's error, or,
// when it is the WAL that cannot grow, a PANIC after which the server
// restarts itself; either way it answers again, or Alive says it died.
func TestPostgresCaps(t *testing.T) {
	testkit.Slow(t, "fills a PostgreSQL sandbox's disk")
	d := pgDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindPostgres))
	var st syscall.Statfs_t
	if err := syscall.Statfs(inst.Dir, &st); err != nil {
		t.Fatal(err)
	}
	if size, limit := int64(st.Blocks)*st.Bsize, process.Limits(inst.Spec, false).DiskBytes; size != limit {
		t.Fatalf("the sandbox's folder is %d bytes, want its tmpfs of %d", size, limit)
	}
	learner := pgConnect(t, inst, inst.Postgres.Learner, "appdb")

	err := pgExec(learner, "SELECT count(*) FROM (SELECT g, md5(g::text) FROM generate_series(1, 5000000) g ORDER BY 2 DESC) s")
	if want := fmt.Sprintf("temporary file size exceeds temp_file_limit (%dkB)", inst.Spec.MemoryCap()>>10); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("a sort past temp_file_limit: %v, want %q", err, want)
	}

	// The learner holds at most max_connections minus the 3 reserved.
	conns := []*pgx.Conn{learner}
	for len(conns) < process.PostgresMaxConnections {
		c, err := pgTryConnect(inst, inst.Postgres.Learner, "appdb")
		if err != nil {
			if !strings.Contains(err.Error(), `too many connections for role "learner"`) {
				t.Fatalf("connection %d: %v", len(conns)+1, err)
			}
			break
		}
		conns = append(conns, c)
	}
	if len(conns) != process.PostgresMaxConnections-3 {
		t.Errorf("the learner held %d connections, want %d", len(conns), process.PostgresMaxConnections-3)
	}
	admin := pgConnect(t, inst, inst.Postgres.Admin, "appdb")
	if got := pgValue(t, admin, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'learner'"); got != fmt.Sprint(len(conns)) {
		t.Errorf("admin sees %s learner sessions, want %d", got, len(conns))
	}
	for _, c := range conns[1:] {
		c.Close(context.Background())
	}

	if err := pgExec(learner, "CREATE TABLE big (s text)"); err != nil {
		t.Fatal(err)
	}
	var fillErr error
	for range 20 { // 48 MB a statement: the tmpfs fills long before 20
		if fillErr = pgExec(learner, "INSERT INTO big SELECT repeat(md5(g::text), 30) FROM generate_series(1, 50000) g"); fillErr != nil {
			break
		}
	}
	if fillErr == nil {
		t.Fatal("the sandbox's disk never filled")
	}
	if !strings.Contains(fillErr.Error(), "could not extend file") {
		t.Logf("the server restarted itself: %v", fillErr)
	}
	// Free the disk; the DROP itself may meet the full disk's PANIC.
	deadline := time.Now().Add(time.Minute)
	for {
		if !d.Alive(context.Background(), inst.Spec.ID) {
			t.Logf("the server gave up after its disk filled, and Alive says so: %s", tailFile(t, filepath.Join(inst.Dir, "postgres.output")))
			return
		}
		c, err := pgTryConnect(inst, inst.Postgres.Learner, "appdb")
		if err == nil {
			err = pgExec(c, "DROP TABLE big")
			c.Close(context.Background())
			if err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the disk filled: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(fillErr.Error(), "could not extend file") && !strings.Contains(tailFile(t, filepath.Join(inst.Dir, "postgres.output")), "No space left on device") {
		t.Errorf("filling the disk: %v; the server's log says nothing of the disk", fillErr)
	}
	c := pgConnect(t, inst, inst.Postgres.Learner, "appdb")
	if err := pgExec(c, "CREATE TABLE after (id int)"); err != nil {
		t.Errorf("after the disk was freed: %v", err)
	}
}

// tailFile returns the content of path, or "" if it cannot be read.
func tailFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}
