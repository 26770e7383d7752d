package process_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
)

// runPG runs script in a workstation beside inst and fails the test if it
// cannot run; it returns its standard output and error together.
func runPG(t *testing.T, d *process.Driver, inst sandbox.Instance, script string) (string, int) {
	t.Helper()
	res, err := d.RunShell(context.Background(), inst, script)
	if err != nil {
		t.Fatalf("run %q: %v", script, err)
	}
	return res.Stdout + res.Stderr, res.Exit
}

// TestWorkstationPostgres: beside a postgres sandbox the learner's
// terminal reaches the server as "db" with Debian's own psql, pg_isready,
// pg_dump and pg_restore, signed in as the learner role without typing a
// password (a ~/.pgpass of mode 0600 that the learner owns, PGHOST,
// PGUSER and PGDATABASE in the environment); the seed's
// "pg_dump --schema-only appdb > schema.sql" writes the schema into the
// home. A ~/.pgpass the learner turned into a link is replaced, not
// written through.
func TestWorkstationPostgres(t *testing.T) {
	testkit.Slow(t, "starts a fenced postgres sandbox and workstations")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	for _, tool := range []string{"psql", "pg_dump", "pg_restore", "pg_isready"} {
		testkit.RequireTool(t, tool, "apt-get install postgresql-client")
	}
	d := pgDriver(t, process.Options{})
	if !d.Fence().Fenced() {
		t.Skipf("this machine cannot fence sandboxes: %v", d.Fence().Problems())
	}
	if !d.Capabilities(sandbox.KindPostgres).Shell {
		t.Fatal("a fenced process driver offers no shell beside a postgres sandbox")
	}
	inst := mustStart(t, d, spec(sandbox.KindPostgres))

	if out, code := runPG(t, d, inst, `pg_isready`); code != 0 || out != "db:5432 - accepting connections\n" {
		t.Fatalf("pg_isready: %q (exit %d)", out, code)
	}
	if out, code := runPG(t, d, inst, `echo "$PGHOST $PGUSER $PGDATABASE"; stat -c '%a %U' ~/.pgpass`); code != 0 || out != "db learner appdb\n600 learner\n" {
		t.Fatalf("environment and ~/.pgpass: %q (exit %d)", out, code)
	}
	out, code := runPG(t, d, inst, `psql -X -h db -v ON_ERROR_STOP=1 -c 'CREATE TABLE orders (id int PRIMARY KEY, note text)' -c "INSERT INTO orders VALUES (1, 'one'), (2, 'two')" && psql -XAt -c 'SELECT current_user, count(*) FROM orders'`)
	if code != 0 || !strings.HasSuffix(out, "learner|2\n") {
		t.Fatalf("psql -h db: %q (exit %d)", out, code)
	}

	// The seed's command, then a custom-format dump read back.
	out, code = runPG(t, d, inst, `pg_dump --schema-only appdb > schema.sql && grep -c 'CREATE TABLE public.orders' schema.sql && pg_dump -Fc appdb > appdb.dump && pg_restore -l appdb.dump | grep -c 'TABLE DATA public orders'`)
	if code != 0 || out != "1\n1\n" {
		t.Fatalf("pg_dump and pg_restore: %q (exit %d)", out, code)
	}
	if out, _ := runPG(t, d, inst, `ls -l schema.sql | cut -c1-10; grep -c INSERT schema.sql`); out != "-rw-r--r--\n0\n" {
		t.Fatalf("schema.sql in the home: %q, want a schema only", out)
	}

	// An interactive shell: the same, with the login profile.
	sh, s := sandboxtest.OpenShell(t, d, inst)
	if got := s.Run(t, sh, `echo "T=$(psql -XAt -c 'SELECT count(*) FROM orders')"`, "T="); got != "2" {
		t.Fatalf("psql in the terminal: %q; the screen:\n%s", got, s.String())
	}

	// The learner makes ~/.pgpass a link to another file: the next
	// workstation replaces the link and leaves the file as it was.
	if _, code := runPG(t, d, inst, `echo mine > target && ln -sf target .pgpass`); code != 0 {
		t.Fatal("could not make the link")
	}
	out, code = runPG(t, d, inst, `cat target; test -L .pgpass && echo link; stat -c '%a %U' .pgpass; pg_isready -q && echo ready`)
	if code != 0 || out != "mine\n600 learner\nready\n" {
		t.Fatalf("after a link in place of ~/.pgpass: %q (exit %d)", out, code)
	}
}

// TestWorkstationPostgresNoAdminPassword: the platform's admin password
// is nowhere the learner can read in the workstation (files, their own
// processes' environment and command lines), while the learner's own is
// in ~/.pgpass.
func TestWorkstationPostgresNoAdminPassword(t *testing.T) {
	testkit.Slow(t, "starts a fenced postgres sandbox and workstations")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	d := pgDriver(t, process.Options{})
	if !d.Fence().Fenced() {
		t.Skipf("this machine cannot fence sandboxes: %v", d.Fence().Problems())
	}
	inst := mustStart(t, d, spec(sandbox.KindPostgres))
	// The script must not carry a password whole, or its own command line
	// would hold it: it joins two halves into a pattern file with printf
	// (a builtin: no command line), which grep reads.
	search := func(secret string) string {
		half := len(secret) / 2
		script := `a='` + secret[:half] + `'; b='` + secret[half:] + `'; printf '%s\n' "$a$b" > /tmp/pattern
grep -rlsF -f /tmp/pattern /home /tmp /etc /run /var /opt /root /proc/[0-9]*/environ /proc/[0-9]*/cmdline 2>/dev/null | grep -v '^/tmp/pattern$'
true`
		out, _ := runPG(t, d, inst, script)
		return out
	}
	if strings.ContainsAny(inst.Postgres.Admin.Password+inst.Postgres.Learner.Password, `'\`) {
		t.Fatalf("passwords with quotes: the search script cannot hold them")
	}
	if found := search(inst.Postgres.Admin.Password); found != "" {
		t.Fatalf("the admin password is readable in the workstation at:\n%s", found)
	}
	if found := search(inst.Postgres.Learner.Password); found != "/home/learner/.pgpass\n" {
		t.Fatalf("the learner's password found at %q, want only ~/.pgpass", found)
	}
}
