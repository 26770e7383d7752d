package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/pgnode"
	"github.com/opslab/opslab/internal/testkit"
)

// postgresDriver is newDriver with the postgres image `make engine`
// built, as root (the driver mounts the data directory's tmpfs).
func postgresDriver(t *testing.T) *Driver {
	t.Helper()
	testkit.RequireEnv(t, "make engine builds the postgres image", "OPSLAB_POSTGRES_IMAGE")
	if os.Geteuid() != 0 {
		t.Skip("the container driver runs postgres sandboxes only as root")
	}
	d := newDriver(t, shortDir(t))
	d.opts.PostgresImage = os.Getenv("OPSLAB_POSTGRES_IMAGE")
	return d
}

// learnerConn signs in to inst's appdb as the learner.
func learnerConn(t *testing.T, inst sandbox.Instance) *pgx.Conn {
	t.Helper()
	c, err := pgnode.Connect(context.Background(), inst.Postgres.Dir, inst.Postgres.Learner, inst.Postgres.Database)
	if err != nil {
		t.Fatalf("connect as the learner: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// TestContainerPostgres: a postgres sandbox in a container is a real
// PostgreSQL server the learner's role reaches over the socket with the
// sandbox's own password, owning appdb and nothing more; the template's
// password no longer opens it; the server runs in the container's fence;
// Stop removes the container and the folder (its tmpfs unmounted).
func TestContainerPostgres(t *testing.T) {
	d := postgresDriver(t)
	if c := d.Capabilities(sandbox.KindPostgres); !c.Runs || !c.Adopts {
		t.Fatalf("postgres capabilities %+v, want it run and adopted", c)
	}
	inst := start(t, d, sandbox.KindPostgres)
	ctx := context.Background()
	c := learnerConn(t, inst)
	var owner, version string
	if err := c.QueryRow(ctx, `SELECT pg_catalog.pg_get_userbyid(datdba), version() FROM pg_database WHERE datname = current_database()`).Scan(&owner, &version); err != nil {
		t.Fatal(err)
	}
	if owner != pgnode.Learner || !strings.HasPrefix(version, "PostgreSQL ") {
		t.Fatalf("appdb's owner %q, server %q", owner, version)
	}
	if _, err := c.Exec(ctx, `CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders VALUES (1, 9.5)`); err != nil {
		t.Fatal(err)
	}
	// What the learner may not do, in PostgreSQL's own words.
	for stmt, want := range map[string]string{
		`COPY orders FROM PROGRAM 'id'`:                    "pg_execute_server_program",
		`SELECT pg_read_file('/etc/passwd')`:               "permission denied",
		`COPY orders TO '/tmp/x'`:                          "pg_write_server_files",
		`ALTER ROLE learner SUPERUSER`:                     "must be superuser",
		`CREATE EXTENSION file_fdw`:                        "permission denied",
		`SET statement_timeout = '1s'; SELECT pg_sleep(3)`: "statement timeout",
	} {
		if _, err := c.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", stmt, err, want)
		}
	}
	if _, err := pgnode.Connect(ctx, inst.Postgres.Dir, inst.Postgres.Learner, "postgres"); err == nil {
		t.Error("the learner signed in to database postgres")
	}
	if _, err := pgnode.Connect(ctx, inst.Postgres.Dir, sandbox.Credentials{User: pgnode.Admin, Password: d.pg.secret}, "postgres"); err == nil {
		t.Error("the template's admin password still opens the sandbox")
	}
	// The server runs as the container's user, no network, no capabilities.
	out, code := execIn(t, d, inst.Spec.ID, "sh", "-c", "id -u; grep CapEff /proc/1/status; cat /proc/net/dev | grep -c :")
	if code != 0 || !strings.HasPrefix(out, "999\n") || !strings.Contains(out, "0000000000000000") || !strings.HasSuffix(strings.TrimSpace(out), "1") {
		t.Fatalf("inside the container: %q (code %d), want user 999, no capabilities, loopback only", out, code)
	}
	// Adopted after a restart of the platform, with its access file.
	d2 := newDriver(t, filepath.Dir(d.root))
	got, err := d2.Adopt(ctx, sandbox.Record{ID: inst.Spec.ID, Kind: inst.Spec.Kind, Owner: inst.Spec.Owner, Lesson: inst.Spec.Lesson})
	if err != nil || got.Postgres.Learner != inst.Postgres.Learner {
		t.Fatalf("Adopt: %+v %v", got.Postgres, err)
	}
	if err := d.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cli.ContainerInspect(ctx, containerName(inst.Spec.ID), client.ContainerInspectOptions{}); err == nil {
		t.Error("the container outlived Stop")
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the sandbox's folder after Stop: %v", err)
	}
}

// TestContainerPostgresApart: two postgres sandboxes: one's learner
// cannot sign in to the other's server, and one's passwords are not the
// other's.
func TestContainerPostgresApart(t *testing.T) {
	d := postgresDriver(t)
	a := start(t, d, sandbox.KindPostgres)
	b := start(t, d, sandbox.KindPostgres)
	if a.Postgres.Learner.Password == b.Postgres.Learner.Password || a.Postgres.Admin.Password == b.Postgres.Admin.Password {
		t.Fatal("two sandboxes share a password")
	}
	if _, err := pgnode.Connect(context.Background(), b.Postgres.Dir, a.Postgres.Learner, b.Postgres.Database); err == nil {
		t.Fatal("a's learner signed in to b's server")
	}
	learnerConn(t, a)
	learnerConn(t, b)
}

// TestContainerWorkstationPostgres: beside a postgres container sandbox
// the workstation reaches the server as db with the real client tools,
// signed in as the learner by ~/.pgpass and libpq's environment, and the
// admin password is nowhere in it.
func TestContainerWorkstationPostgres(t *testing.T) {
	d := postgresDriver(t)
	testkit.RequireEnv(t, "make engine builds the workstation image; make build the binary",
		"OPSLAB_WORKSTATION_IMAGE", "OPSLAB_WORKSTATION_BINARY")
	d.opts.WorkstationImage = os.Getenv("OPSLAB_WORKSTATION_IMAGE")
	d.opts.WorkstationBinary = os.Getenv("OPSLAB_WORKSTATION_BINARY")
	inst := start(t, d, sandbox.KindPostgres)
	ctx := context.Background()
	if _, err := learnerConn(t, inst).Exec(ctx, `CREATE TABLE orders (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	// The admin password is looked for in every file the learner can
	// read and in the shell's environment (the script carries it, so
	// /proc is left out).
	res, err := d.RunShell(ctx, inst, `pg_isready -q && echo ready
psql -X -At -c 'SELECT current_user, current_database()'
pg_dump --schema-only appdb > schema.sql && grep -c 'CREATE TABLE public.orders' schema.sql
stat -c '%a %U' ~/.pgpass
pw='`+inst.Postgres.Admin.Password+`'
{ env; grep -rsF -- "$pw" ~ /etc /run /tmp /var 2>/dev/null; } | grep -cF -- "$pw"`)
	if err != nil {
		t.Fatal(err)
	}
	want := "ready\nlearner|appdb\n1\n600 learner\n0\n"
	if res.Stdout != want {
		t.Fatalf("the workstation printed\n%s(stderr %q), want\n%s", res.Stdout, res.Stderr, want)
	}
}
