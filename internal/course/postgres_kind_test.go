package course

import (
	"testing"
)

// TestPostgresExercise: an exercise may use a postgres sandbox, with SQL
// lines and postgres probes; the lint finds nothing to say.
func TestPostgresExercise(t *testing.T) {
	src := "id: schema\ntitle: Dump the schema\nsandbox: postgres\ntask: Dump it.\n" +
		"setup:\n  - CREATE TABLE t (id int PRIMARY KEY)\nsolution:\n  - \"$ pg_dump --schema-only appdb > schema.sql\"\n" +
		"checks:\n  - postgres: SELECT count(*) FROM t\n    field: value\n    equals: 0\n"
	e, ps := ParseExercise("l.md", 10, []byte(src), nil)
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	if e.Sandbox != "postgres" || len(e.Checks) != 1 || e.Checks[0].Probe.Kind != "postgres" {
		t.Fatalf("parsed %+v", e)
	}
}
