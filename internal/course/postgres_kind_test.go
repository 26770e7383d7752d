package course

import (
	"strings"
	"testing"
)

// TestPostgresNotInExercisesYet: drivers run postgres sandboxes, but an
// exercise cannot use one until its console and probes exist; the lint
// says so and lists the kinds it may use.
func TestPostgresNotInExercisesYet(t *testing.T) {
	src := "id: schema\ntitle: Dump the schema\nsandbox: postgres\ntask: Dump it.\nchecks:\n  - redis: DBSIZE\n    equals: 0\n"
	_, ps := ParseExercise("l.md", 10, []byte(src), nil)
	var msgs []string
	for _, p := range ps {
		msgs = append(msgs, p.String())
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, `unknown sandbox "postgres": use one of redis, kafka,`) || strings.Contains(joined, "postgres,") {
		t.Errorf("problems: %v", msgs)
	}
}
