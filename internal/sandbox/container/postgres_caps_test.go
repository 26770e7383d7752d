package container

import (
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestPostgresNotRunYet: the container driver does not run postgres
// sandboxes yet (issue 16's container step), and says so in Capabilities;
// its other kinds still run.
func TestPostgresNotRunYet(t *testing.T) {
	d := &Driver{}
	if c := d.Capabilities(sandbox.KindPostgres); c.Runs || c.Adopts || c.Shell || c.RealKafka {
		t.Errorf("postgres capabilities %+v, want none", c)
	}
	if !d.Capabilities(sandbox.KindRedis).Runs {
		t.Error("redis does not run")
	}
}
