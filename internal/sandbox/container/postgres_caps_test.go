package container

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// TestPostgresStartUnsupported: starting a postgres sandbox fails with
// ErrUnsupported, naming the kind, and leaves no folder nor container.
func TestPostgresStartUnsupported(t *testing.T) {
	dir := shortDir(t)
	d := newDriver(t, dir)
	s := spec(sandbox.KindPostgres)
	_, err := d.Start(context.Background(), s)
	if !errors.Is(err, sandbox.ErrUnsupported) || !strings.Contains(err.Error(), "does not run postgres sandboxes") {
		t.Errorf("Start = %v, want ErrUnsupported", err)
	}
	if _, err := os.Stat(filepath.Join(d.root, s.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("its folder: %v", err)
	}
}
