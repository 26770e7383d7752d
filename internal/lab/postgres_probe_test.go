package lab_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/testkit"
)

// pgCheck is a postgres check built in code: exercises cannot name the
// postgres sandbox in a lesson yet (kinds.Kind.Exercises).
func pgCheck(probe, field string, m course.Matcher) course.Check {
	if m.Name == course.MatchMatches {
		m.Re = regexp.MustCompile(m.Value.(string))
	}
	return course.Check{Probe: course.Probe{Kind: course.SandboxPostgres, Command: probe}, Field: field, Matchers: []course.Matcher{m}}
}

func equals(v any) course.Matcher { return course.Matcher{Name: course.MatchEquals, Value: v} }

// pgFixture is a lab fixture that can run postgres sandboxes, or skips.
func pgFixture(t *testing.T) *fixture {
	t.Helper()
	testkit.RequireTool(t, "psql", "apt-get install postgresql (make deps-test)")
	f := newFixture(t, sandbox.Config{})
	if !f.mgr.Capabilities(sandbox.KindPostgres).Shell {
		t.Skip("this machine cannot fence sandboxes: PostgreSQL refuses to run as root unfenced")
	}
	return f
}

// pgAccountsSetup makes a table of two accounts, analysed, and an empty
// table never analysed.
var pgAccountsSetup = []string{
	"CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL, balance numeric(10,2) DEFAULT 0, opened timestamptz DEFAULT '2026-01-02 03:04:05+00')",
	"INSERT INTO accounts (name, balance) VALUES ('alice', 10.50), ('bob', 3);",
	"-- the planner's estimate comes from ANALYZE\nANALYZE accounts",
	"@db CREATE TABLE empty_t (x int)",
}

// TestPostgresProbes: setup lines run as the learner (who owns what they
// make); query probes yield rows, their count, a single value and columns
// by name, with numbers, booleans, NULL and PostgreSQL's text for the
// rest; describe table yields columns, indexes, the row estimate and
// exists; a write in a probe (DELETE, nextval, CREATE TABLE) fails with
// PostgreSQL's read-only error and changes nothing; a slow probe is
// cancelled with a message naming the bound; two statements are refused;
// probes run as the learner, so a learner's function behind a view that
// a probe reads cannot run a program.
func TestPostgresProbes(t *testing.T) {
	f := pgFixture(t)
	checks := []course.Check{
		pgCheck("SELECT name, balance FROM accounts ORDER BY id", "count", equals(2)),
		pgCheck("SELECT name, balance FROM accounts ORDER BY id", "rows.name", equals([]any{"alice", "bob"})),
		pgCheck("SELECT name, balance FROM accounts ORDER BY id", "rows.alice.balance", equals("10.50")),
		pgCheck("SELECT name, balance FROM accounts ORDER BY id", "rows", course.Matcher{Name: course.MatchLength, Value: 2}),
		pgCheck("SELECT count(*) FROM accounts", "value", equals(2)),
		pgCheck("SELECT tableowner FROM pg_tables WHERE tablename = 'accounts'", "value", equals("learner")),
		pgCheck("SELECT opened FROM accounts WHERE name = 'bob'", "value", course.Matcher{Name: course.MatchMatches, Value: `^2026-01-02 03:04:05`}),
		pgCheck("SELECT balance > 5 AS rich, NULL::int AS nothing, 1.5::float8 AS f FROM accounts WHERE name = 'alice'", "rows.rich", equals([]any{true})),
		pgCheck("SELECT NULL::int AS nothing", "value", course.Matcher{Name: course.MatchExists, Value: false}),
		pgCheck("SELECT 1.5::float8 AS f", "value", course.Matcher{Name: course.MatchMin, Value: 1.4}),
		pgCheck("SELECT name FROM accounts WHERE name = 'nobody'", "count", equals(0)),
		pgCheck("describe table accounts", "exists", equals(true)),
		pgCheck("describe table accounts", "columns.name", equals([]any{"id", "name", "balance", "opened"})),
		pgCheck("describe table accounts", "columns.balance.type", equals("numeric(10,2)")),
		pgCheck("describe table accounts", "columns.name.nullable", equals(false)),
		pgCheck("describe table accounts", "columns.id.default", course.Matcher{Name: course.MatchMatches, Value: `^nextval\('accounts_id_seq'`}),
		pgCheck("describe table accounts", "index.accounts_pkey.primary", equals(true)),
		pgCheck("describe table accounts", "index.definition", course.Matcher{Name: course.MatchContains, Value: "USING btree (id)"}),
		pgCheck("describe table accounts", "estimate", equals(2)),
		pgCheck("DESCRIBE TABLE public.empty_t", "estimate", equals(-1)),
		pgCheck("describe table missing", "exists", equals(false)),
		// Writes: each fails, and the checks after them see nothing changed.
		pgCheck("DELETE FROM accounts", "count", equals(0)),
		pgCheck("SELECT nextval('accounts_id_seq')", "value", equals(3)),
		pgCheck("CREATE TABLE hack (x int)", "count", equals(0)),
		pgCheck("SELECT 1 AS a; DELETE FROM accounts", "count", equals(1)),
		pgCheck("SELECT pg_sleep(5)", "count", equals(1)),
		pgCheck("SELECT count(*) FROM accounts", "value", equals(2)),
		pgCheck("SELECT last_value FROM accounts_id_seq", "value", equals(2)),
		pgCheck("SELECT count(*) FROM pg_tables WHERE tablename = 'hack'", "value", equals(0)),
		// A learner's trap: a function the author's probe reaches through a
		// view runs as the probe's role, the learner, so it cannot run a
		// program (as the superuser it could, read-only or not).
		pgCheck("SELECT current_user", "value", equals("learner")),
		pgCheck("SELECT * FROM trap", "count", equals(1)),
		pgCheck("SELECT rolsuper FROM pg_roles WHERE rolname = 'learner'", "value", equals(false)),
		// Hostile or careless probes get clear errors.
		pgCheck("SELECT generate_series(1, 10001) AS n", "count", equals(10001)),
		pgCheck("describe table pg_tables", "exists", equals(true)),
		pgCheck("describe table a.b.c.d", "exists", equals(false)),
		pgCheck("describe table x'); DROP TABLE accounts; --", "exists", equals(false)),
		pgCheck("SELECT count(*) FROM accounts", "value", equals(2)),
		// The exercise format's names: a describe's rows (the estimate)
		// and indexes (the list of names).
		pgCheck("describe table accounts", "rows", equals(2)),
		pgCheck("describe table accounts", "indexes", course.Matcher{Name: course.MatchContains, Value: "accounts_pkey"}),
	}
	f.lesson.Exercises = append(f.lesson.Exercises, &course.Exercise{
		ID: "pg-probes", Title: "Probes", Sandbox: course.SandboxPostgres, Task: "Look.",
		Setup: append(pgAccountsSetup[:len(pgAccountsSetup):len(pgAccountsSetup)],
			`CREATE FUNCTION escalate() RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE 'RESET ROLE';
  EXECUTE $c$COPY (SELECT 'local all all trust') TO PROGRAM 'cat >> pg_hba.conf'$c$;
  PERFORM pg_reload_conf();
  RETURN current_user;
END $$`,
			"CREATE VIEW trap AS SELECT escalate() AS who"),
		Checks: checks, Hash: "h1",
	})
	ctx := context.Background()
	tg := f.target(0, "pg-probes")
	if st, err := f.svc.Start(ctx, tg); err != nil || !st.Fresh {
		t.Fatalf("start: %+v %v", st, err)
	}
	rep, err := f.svc.Check(ctx, tg)
	if err != nil || len(rep.Checks) != len(checks) {
		t.Fatalf("check: %+v %v", rep, err)
	}
	failing := map[int]string{
		21: "cannot execute DELETE in a read-only transaction",
		22: "cannot execute nextval() in a read-only transaction",
		23: "cannot execute CREATE TABLE in a read-only transaction",
		24: "cannot insert multiple commands into a prepared statement",
		25: "the probe ran longer than 3s and PostgreSQL cancelled it: ERROR: canceling statement due to statement timeout",
		32: "the probe returned more than 10000 rows: count or filter them in SQL",
		33: "pg_tables is not a table (pg_class.relkind v)",
		34: "ERROR: improper relation name (too many dotted names): a.b.c.d",
		35: "invalid name syntax",
		30: "must be superuser or have privileges of the pg_execute_server_program role to COPY to or from an external program",
	}
	for i, r := range rep.Checks {
		want, shouldFail := failing[i]
		switch {
		case shouldFail && (r.Passed || !strings.Contains(r.Saw, want)):
			t.Errorf("check %d (%s): want a failure saying %q, got %+v", i, checks[i].Probe.Command, want, r)
		case !shouldFail && !r.Passed:
			t.Errorf("check %d (%s, field %s): %+v", i, checks[i].Probe.Command, checks[i].Field, r)
		}
	}
}

// TestPostgresLines: an exercise's SQL lines run in order and stop at the
// first error, which names the line and gives PostgreSQL's message; a
// line of two statements is refused by the server too; the self-test of
// a postgres exercise passes its solution and rejects its counter-example.
func TestPostgresLines(t *testing.T) {
	f := pgFixture(t)
	ctx := context.Background()
	add := func(e *course.Exercise) {
		e.Title, e.Sandbox, e.Task, e.Hash = "T", course.SandboxPostgres, "Do it.", "h-"+e.ID
		f.lesson.Exercises = append(f.lesson.Exercises, e)
	}
	count := pgCheck("SELECT count(*) FROM t", "value", equals(1))
	add(&course.Exercise{ID: "pg-bad-setup", Setup: []string{"CREATE TABLE t (x int)", "INSERT INTO t VALUES ('nope')", "INSERT INTO t VALUES (1)"}, Checks: []course.Check{count}})
	add(&course.Exercise{ID: "pg-two", Setup: []string{"CREATE TABLE t (x int); DROP TABLE t"}, Checks: []course.Check{count}})

	// A learner who changed their role's password: the platform puts its
	// own back and signs in, for the checks and for the next lines.
	add(&course.Exercise{ID: "pg-password", Setup: []string{"CREATE TABLE t (x int)", "ALTER ROLE learner PASSWORD 'mine-now'"},
		Solution: []string{"INSERT INTO t VALUES (1)"}, Checks: []course.Check{count}})
	if v := f.svc.SelfTest(ctx, f.target(1, "pg-password")); !v.OK {
		t.Errorf("self-test after the learner's password changed: %+v", v)
	}

	_, err := f.svc.Start(ctx, f.target(0, "pg-bad-setup"))
	if err == nil || !strings.Contains(err.Error(), `line 2 "INSERT INTO t VALUES ('nope')": ERROR: invalid input syntax for type integer: "nope"`) {
		t.Errorf("a failing setup line: %v", err)
	}
	_, err = f.svc.Start(ctx, f.target(1, "pg-two"))
	if err == nil || !strings.Contains(err.Error(), "cannot insert multiple commands into a prepared statement") {
		t.Errorf("two statements on a line: %v", err)
	}

	unique := pgCheck("describe table accounts", "index.accounts_name_key.unique", equals(true))
	e := &course.Exercise{ID: "pg-unique", Setup: pgAccountsSetup,
		Solution: []string{"CREATE UNIQUE INDEX accounts_name_key ON accounts (name)"},
		Wrong:    [][]string{{"CREATE INDEX accounts_name_key ON accounts (name)"}},
		Checks:   []course.Check{unique}}
	add(e)
	v := f.svc.SelfTest(ctx, f.target(0, "pg-unique"))
	if !v.OK || v.Rejected != 1 {
		t.Errorf("self-test: %+v", v)
	}
}
