package course

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// pgChecks parses a checks list of YAML as a lesson's exercise would.
func pgChecks(t *testing.T, src string) ([]Check, []string) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	var ps Problems
	checks, _ := parseChecks(&ps, "l.md", 10, doc.Content[0])
	var msgs []string
	for _, p := range ps {
		msgs = append(msgs, p.String())
	}
	return checks, msgs
}

// TestPostgresProbeLint: a postgres probe is one SQL statement (a final
// ';' allowed; ';' inside quotes, dollar quotes, quoted names and
// comments are text) or "describe table T", which needs a table and a
// field among exists, columns, indexes, index, rows and estimate.
func TestPostgresProbeLint(t *testing.T) {
	good := `
- postgres: SELECT count(*) FROM orders;
  field: value
  equals: 3
- postgres: "SELECT ';' AS semi, $$a;b$$ AS d, $x$;$x$ AS t, \"odd;name\" FROM t -- trailing; comment"
  field: count
  min: 1
- postgres: |
    SELECT name
    FROM users /* not; a second statement */
    WHERE id = 1;  -- done
  field: value
  equals: alice
- postgres: describe table public.orders
  field: columns.email.type
  equals: text
- postgres: DESCRIBE TABLE "Odd Name"
  field: exists
  equals: true
`
	checks, msgs := pgChecks(t, good)
	if len(msgs) != 0 || len(checks) != 5 {
		t.Fatalf("valid probes: %d checks, problems %v", len(checks), msgs)
	}
	if checks[3].Probe.Kind != SandboxPostgres || checks[3].Probe.Command != "describe table public.orders" {
		t.Errorf("probe %+v", checks[3].Probe)
	}
	if table, ok := DescribeTable(checks[4].Probe.Command); !ok || table != `"Odd Name"` {
		t.Errorf("describe of a quoted name: %q %v", table, ok)
	}

	bad := []struct{ src, want string }{
		{"- postgres: SELECT 1; SELECT 2\n  equals: 1", "l.md:11: postgres probe: more than one SQL statement: a line or probe runs one (split it at the ';')"},
		{"- postgres: DELETE FROM t; -- x\n  rows: 1", `unknown key "rows" in check`},
		{"- postgres: \"  \"\n  equals: 1", "l.md:11: the postgres probe is empty"},
		{"- postgres: \"-- only a comment\"\n  equals: 1", "l.md:11: postgres probe: an SQL line needs a statement, not only blanks and comments"},
		{"- postgres: \";\"\n  equals: 1", "l.md:11: postgres probe: an SQL line needs a statement, not only blanks and comments"},
		{"- postgres: SELECT 'open\n  equals: 1", "l.md:11: postgres probe: unclosed ' quote"},
		{"- postgres: SELECT $$open\n  equals: 1", `l.md:11: postgres probe: unclosed $$ quote`},
		{"- postgres: SELECT /* open\n  equals: 1", `l.md:11: postgres probe: unclosed /* comment`},
		{"- postgres: SELECT 1 AS \"x\n  equals: 1", `l.md:11: postgres probe: unclosed " quote`},
		{"- postgres: describe table\n  field: exists\n  equals: true", `l.md:11: postgres probe: a describe probe is "describe table NAME"`},
		{"- postgres: describe orders\n  field: exists\n  equals: true", `l.md:11: postgres probe: a describe probe is "describe table NAME"`},
		{"- postgres: describe table a b\n  field: exists\n  equals: true", `l.md:11: postgres probe: a describe probe is "describe table NAME"`},
		{"- postgres: describe table orders\n  equals: true", "l.md:11: a describe table probe needs a field to match: one of exists, columns, indexes, index, rows, estimate"},
		{"- postgres: describe table orders\n  field: owner\n  equals: x", "l.md:11: a describe table probe needs a field to match"},
	}
	for _, c := range bad {
		checks, msgs := pgChecks(t, c.src)
		if len(checks) != 0 || !strings.Contains(strings.Join(msgs, "\n"), c.want) {
			t.Errorf("%q: checks %d, problems %v, want %q", c.src, len(checks), msgs, c.want)
		}
	}
}

// TestPostgresLinesLint: in a postgres exercise each setup, solution and
// wrong line is one SQL statement (or a "$ " workstation line, or a
// "# wait"); a postgres probe in a redis exercise is refused.
func TestPostgresLinesLint(t *testing.T) {
	src := `id: pg
title: PG
sandbox: postgres
task: Do it.
setup:
  - CREATE TABLE t (x int);
  - INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)
  - "$ psql -c 'SELECT 1; SELECT 2'"
solution:
  - "   "
wrong:
  - - "@db CREATE INDEX ON t (x);;"
checks:
  - postgres: SELECT count(*) FROM t
    field: value
    equals: 2
`
	_, ps := ParseExercise("l.md", 10, []byte(src), func(kind, line string) error {
		t.Errorf("the console's checker was asked about %s line %q", kind, line)
		return nil
	})
	joined := ""
	for _, p := range ps {
		joined += p.String() + "\n"
	}
	for _, want := range []string{
		`l.md:17: setup: "INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)": more than one SQL statement`,
		`l.md:20: solution: "   ": an SQL line needs a statement`,
		`l.md:22: wrong 1: "@db CREATE INDEX ON t (x);;": more than one SQL statement`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("missing %q in:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "l.md:16") || strings.Contains(joined, "l.md:18") || strings.Contains(joined, "l.md:24") {
		t.Errorf("a valid line or probe was refused:\n%s", joined)
	}

	redis := "id: r\ntitle: R\nsandbox: redis\ntask: T.\nchecks:\n  - postgres: SELECT 1\n    equals: 1\n"
	_, ps = ParseExercise("l.md", 10, []byte(redis), nil)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), "a postgres probe cannot run in a redis sandbox") {
		t.Errorf("postgres probe in a redis exercise: %v", ps)
	}
}
