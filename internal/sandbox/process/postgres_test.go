package process_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/testkit"
)

// pgConnect signs in to database as user on inst's server, and closes
// the connection after the test.
func pgConnect(tb testing.TB, inst sandbox.Instance, user sandbox.Credentials, database string) *pgx.Conn {
	tb.Helper()
	c, err := pgTryConnect(inst, user, database)
	if err != nil {
		tb.Fatalf("connect to %s as %s: %v", database, user.User, err)
	}
	tb.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// pgTryConnect signs in to database as user on inst's server.
func pgTryConnect(inst sandbox.Instance, user sandbox.Credentials, database string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port = inst.Postgres.Dir, uint16(inst.Postgres.Port)
	cfg.User, cfg.Password, cfg.Database = user.User, user.Password, database
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	cfg.ConnectTimeout = 5 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}

// pgExec runs sql and returns the server's error, if any.
func pgExec(c *pgx.Conn, sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.Exec(ctx, sql)
	return err
}

// pgValue runs a query of one cell and returns it as text.
func pgValue(tb testing.TB, c *pgx.Conn, sql string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var v any
	if err := c.QueryRow(ctx, sql).Scan(&v); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return fmt.Sprint(v)
}

// psql runs the real psql against inst as user on database, with the
// lines on its command line, and returns its combined output and error.
func psql(tb testing.TB, inst sandbox.Instance, user sandbox.Credentials, database string, commands ...string) (string, error) {
	tb.Helper()
	args := []string{"-X", "-v", "ON_ERROR_STOP=1", "-h", inst.Postgres.Dir, "-p", fmt.Sprint(inst.Postgres.Port), "-U", user.User, "-d", database}
	for _, c := range commands {
		args = append(args, "-c", c)
	}
	cmd := exec.Command("psql", args...)
	cmd.Env = []string{"PGPASSWORD=" + user.Password, "PGCONNECT_TIMEOUT=5", "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// postgresPIDs returns the processes whose command line or working
// directory names dir: PostgreSQL's postmaster and backends.
func postgresPIDs(dir string) []int {
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscan(e.Name(), &pid); err != nil {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.HasPrefix(cwd, dir+"/") || strings.Contains(string(cmdline), dir+"/") {
			if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && !strings.Contains(string(stat), ") Z ") {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}

// pgDriver returns a fenced Driver whose scratch folder is checked for
// postgres processes left after the test.
func pgDriver(t *testing.T, opts process.Options) *process.Driver {
	t.Helper()
	testkit.RequireTool(t, "psql", "apt-get install postgresql (make deps-test)")
	if opts.Dir == "" {
		opts.Dir = scratchDir(t)
	}
	dir := opts.Dir
	t.Cleanup(func() {
		if pids := postgresPIDs(dir); len(pids) != 0 {
			t.Errorf("postgres processes %v still run under %s", pids, dir)
		}
	})
	return mustDriver(t, opts)
}

// TestPostgresSandbox: a postgres sandbox runs a real PostgreSQL in its
// fence, as its own user, on a unix socket only; the learner signs in
// with the instance's password (pgx and the real psql), owns appdb and
// creates a table there; the server has the caps docs/postgres.md
// states; the admin has a password of its own; Stop leaves nothing.
func TestPostgresSandbox(t *testing.T) {
	d := pgDriver(t, process.Options{})
	s := spec(sandbox.KindPostgres)
	inst := mustStart(t, d, s)
	pg := inst.Postgres
	if inst.PID <= 0 || inst.Dir == "" || pg.Database != "appdb" || pg.Port != 5432 ||
		pg.Endpoint != (sandbox.Endpoint{Network: "unix", Address: filepath.Join(inst.Dir, ".s.PGSQL.5432")}) ||
		pg.Learner.User != "learner" || pg.Admin.User != "opslab" || pg.Learner.Password == "" || pg.Admin.Password == "" {
		t.Fatalf("instance %+v", inst)
	}
	if n, ok := inst.Node(""); !ok || n.Name != "db" || n.Postgres != pg {
		t.Errorf("default node %+v", n)
	}
	if !d.Alive(context.Background(), s.ID) {
		t.Fatal("not alive after start")
	}

	// Fenced: the server and its files are the sandbox's user's.
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(inst.Dir, "pgdata"), &st); err != nil {
		t.Fatal(err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", inst.PID))
	if err != nil {
		t.Fatal(err)
	}
	if st.Uid < fence.DefaultFirstUID || !strings.Contains(string(status), fmt.Sprintf("Uid:\t%d\t", st.Uid)) {
		t.Errorf("data directory owned by %d; server status %s", st.Uid, status)
	}

	learner := pgConnect(t, inst, pg.Learner, "appdb")
	for _, sql := range []string{
		"CREATE TABLE orders (id bigint PRIMARY KEY, total numeric NOT NULL)",
		"INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 100) g",
		"CREATE INDEX orders_total ON orders (total)",
	} {
		if err := pgExec(learner, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	if got := pgValue(t, learner, "SELECT count(*) FROM orders"); got != "100" {
		t.Errorf("count = %s", got)
	}
	if got := pgValue(t, learner, "SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"); got != "learner" {
		t.Errorf("appdb owner %s", got)
	}

	// The real psql, as a learner's client would be.
	out, err := psql(t, inst, pg.Learner, "appdb", "SELECT sum(id) AS s FROM orders")
	if err != nil || !strings.Contains(out, "5050") {
		t.Errorf("psql: %v: %s", err, out)
	}
	out, err = psql(t, inst, pg.Learner, "appdb", "SELECT * FROM nope")
	if err == nil || !strings.Contains(out, `ERROR:  relation "nope" does not exist`) {
		t.Errorf("psql of a bad query: %v: %s", err, out)
	}

	admin := pgConnect(t, inst, pg.Admin, "postgres")
	for setting, want := range map[string]string{
		"listen_addresses":               "",
		"max_connections":                "20",
		"superuser_reserved_connections": "3",
		"shared_buffers":                 "16MB",
		"work_mem":                       "4MB",
		"temp_file_limit":                fmt.Sprintf("%dMB", inst.Spec.MemoryCap()>>20),
		"fsync":                          "off",
		"unix_socket_directories":        inst.Dir,
		"password_encryption":            "scram-sha-256",
		"dynamic_shared_memory_type":     "mmap",
		"server_version_num":             pgValue(t, admin, "SHOW server_version_num"),
	} {
		if got := pgValue(t, admin, "SHOW "+setting); got != want {
			t.Errorf("%s = %q, want %q", setting, got, want)
		}
	}
	if got := pgValue(t, learner, "SHOW statement_timeout"); got != "5s" {
		t.Errorf("learner's statement_timeout = %s", got)
	}
	// The template's bootstrap password no longer opens it: each role's
	// password is the sandbox's own.
	if got := pgValue(t, admin, "SELECT count(*) FROM pg_authid WHERE rolname IN ('opslab', 'learner') AND rolpassword LIKE 'SCRAM-SHA-256$4096:%'"); got != "2" {
		t.Errorf("%s roles with SCRAM verifiers, want 2", got)
	}
	if _, err := pgTryConnect(inst, sandbox.Credentials{User: "learner", Password: pg.Admin.Password}, "appdb"); err == nil {
		t.Error("the learner signed in with the admin's password")
	}

	if err := d.Stop(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder after Stop: %v", err)
	}
	if pids := postgresPIDs(inst.Dir); len(pids) != 0 {
		t.Errorf("processes %v of the sandbox after Stop", pids)
	}
	if d.Alive(context.Background(), s.ID) {
		t.Error("alive after Stop")
	}
	if err := d.Stop(context.Background(), s.ID); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("second Stop = %v, want ErrNotFound", err)
	}
}

// TestPostgresKilledIsNotAlive: a server killed from outside is seen by
// Alive, and Stop then still removes the sandbox.
func TestPostgresKilledIsNotAlive(t *testing.T) {
	d := pgDriver(t, process.Options{})
	s := spec(sandbox.KindPostgres)
	inst := mustStart(t, d, s)
	pgConnect(t, inst, inst.Postgres.Learner, "appdb") // a backend, left behind by the kill
	if err := syscall.Kill(inst.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.Alive(context.Background(), s.ID) {
		if time.Now().After(deadline) {
			t.Fatal("still alive 10s after its server was killed")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := d.Stop(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if pids := postgresPIDs(inst.Dir); len(pids) != 0 {
		t.Errorf("processes %v of the sandbox after Stop", pids)
	}
}

// TestPostgresConcurrentFirstStarts: several sandboxes started at once on
// a fresh driver share one template (made once), and each is its own
// server with its own user and passwords.
func TestPostgresConcurrentFirstStarts(t *testing.T) {
	d := pgDriver(t, process.Options{})
	const n = 4
	insts := make([]sandbox.Instance, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := spec(sandbox.KindPostgres)
		s.ID = fmt.Sprintf("%s-%d", s.ID, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			insts[i], errs[i] = d.Start(context.Background(), s)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		id := insts[i].Spec.ID
		t.Cleanup(func() { _ = d.Stop(context.Background(), id) })
	}
	var uids, passwords []string
	for _, inst := range insts {
		c := pgConnect(t, inst, inst.Postgres.Learner, "appdb")
		if err := pgExec(c, "CREATE TABLE mine (id int)"); err != nil {
			t.Fatal(err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(inst.Dir, &st); err != nil {
			t.Fatal(err)
		}
		uids = append(uids, fmt.Sprint(st.Uid))
		passwords = append(passwords, inst.Postgres.Learner.Password, inst.Postgres.Admin.Password)
	}
	slices.Sort(uids)
	slices.Sort(passwords)
	if len(slices.Compact(uids)) != n || len(slices.Compact(passwords)) != 2*n {
		t.Errorf("users %v, %d distinct passwords of %d", uids, len(passwords), 2*n)
	}
}

// TestPostgresUnsupported: without PostgreSQL's programs, or unfenced as
// root (postgres refuses root), Start fails with ErrUnsupported saying
// why, and leaves no folder.
func TestPostgresUnsupported(t *testing.T) {
	empty := t.TempDir()
	d := pgDriver(t, process.Options{PostgresBin: empty})
	s := spec(sandbox.KindPostgres)
	_, err := d.Start(context.Background(), s)
	if !errors.Is(err, sandbox.ErrUnsupported) || !strings.Contains(err.Error(), "no postgres program in "+empty) {
		t.Errorf("Start without postgres = %v", err)
	}
	if ids, _ := d.List(context.Background()); len(ids) != 0 {
		t.Errorf("left %v", ids)
	}
	if os.Geteuid() == 0 {
		d := pgDriver(t, process.Options{Fence: fence.Options{Off: true}})
		_, err := d.Start(context.Background(), s)
		if !errors.Is(err, sandbox.ErrUnsupported) || !strings.Contains(err.Error(), "refuses to run as root") {
			t.Errorf("Start unfenced as root = %v", err)
		}
		if ids, _ := d.List(context.Background()); len(ids) != 0 {
			t.Errorf("left %v", ids)
		}
	}
	if c := d.Capabilities(sandbox.KindPostgres); !c.Runs || c.Shell != d.Fence().Fenced() || c.RealKafka {
		t.Errorf("capabilities %+v: runs, a shell when fenced", c)
	}
}

// TestPostgresTemplateLeftovers: what a platform that died while making
// its template left (a staging folder, a half-written copy, a build fence
// with its tmpfs, an old template) is removed by the next template build.
func TestPostgresTemplateLeftovers(t *testing.T) {
	scratch := scratchDir(t)
	d := pgDriver(t, process.Options{Dir: scratch})
	var left []string
	for _, name := range []string{"pginit-0123456789ab", "pgtemplate.tmp-0123456789ab", "pgtemplate"} {
		dir := filepath.Join(scratch, name)
		if err := os.MkdirAll(filepath.Join(dir, "pgdata"), 0o700); err != nil {
			t.Fatal(err)
		}
		left = append(left, dir)
	}
	build := filepath.Join(scratch, "pgbuild-0123456789ab")
	if _, err := d.Fence().New("pgbuild-0123456789ab", build, process.Limits(spec(sandbox.KindPostgres), false)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(build, "PG_VERSION"), []byte("15\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	left = append(left, build)
	mustStart(t, d, spec(sandbox.KindPostgres))
	for _, dir := range left[:3] {
		if _, err := os.Stat(filepath.Join(dir, "pgdata")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s/data after the build: %v", dir, err)
		}
	}
	if _, err := os.Stat(build); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the old build fence after the build: %v", err)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), build) {
		t.Errorf("the old build fence's tmpfs is still mounted")
	}
}

// TestPostgresThroughManager: the Manager runs postgres sandboxes like the
// others: its own cap (a family of one kind, in PostgreSQL's words), and a
// server found dead replaced by a fresh one with Restarts counted.
func TestPostgresThroughManager(t *testing.T) {
	d := pgDriver(t, process.Options{})
	m, err := sandbox.NewManager(d, nil, sandbox.Config{MaxPerKind: map[sandbox.Kind]int{sandbox.KindPostgres: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = m.StopAll(ctx) })
	if _, err := m.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	inst, created, err := m.Acquire(ctx, 7, lessonKey("schema"), sandbox.KindPostgres)
	if err != nil || !created || inst.Postgres.Learner.Password == "" {
		t.Fatalf("acquire: %+v, %v, %v", inst.Postgres, created, err)
	}
	pgConnect(t, inst, inst.Postgres.Learner, "appdb")
	if m.Running(sandbox.KindPostgres) != 1 {
		t.Errorf("running %d", m.Running(sandbox.KindPostgres))
	}
	var capErr *sandbox.CapacityError
	if _, _, err := m.Acquire(ctx, 8, lessonKey("schema"), sandbox.KindPostgres); !errors.As(err, &capErr) || !strings.Contains(capErr.Message, "All 1 PostgreSQL sandboxes are in use") {
		t.Errorf("a second learner: %v", err)
	}
	if _, _, err := m.Acquire(ctx, 8, lessonKey("schema"), sandbox.KindRedis); err != nil {
		t.Errorf("a Redis sandbox beside the capped postgres ones: %v", err)
	}

	if err := syscall.Kill(inst.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	for d.Alive(ctx, inst.Spec.ID) {
		time.Sleep(10 * time.Millisecond)
	}
	again, created, err := m.Acquire(ctx, 7, lessonKey("schema"), sandbox.KindPostgres)
	if err != nil || !created || again.Restarts != 1 || again.Postgres.Learner.Password == inst.Postgres.Learner.Password {
		t.Fatalf("after the kill: restarts %d, created %v, %v", again.Restarts, created, err)
	}
	c := pgConnect(t, again, again.Postgres.Learner, "appdb")
	if err := pgExec(c, "CREATE TABLE fresh (id int)"); err != nil {
		t.Error(err)
	}
}
