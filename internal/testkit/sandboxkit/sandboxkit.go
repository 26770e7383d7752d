// Package sandboxkit gives tests a sandbox manager over real sandboxes:
// the process driver in a short scratch directory, optionally recording
// its sandboxes in a real SQLite store. It is a package apart from testkit
// because it imports the sandbox packages, which testkit's users (resp's
// test helpers among them) must not. Only tests import it.
package sandboxkit

import (
	"context"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
)

// ProcessManager returns a sandbox manager over a process driver made
// with opts, in a fresh short scratch directory (opts.Dir, which it sets
// and also returns) removed when t ends. With db, the manager records its
// sandboxes there; with nil, it keeps no records. When t ends, every
// sandbox is stopped and the driver closed, before the directory goes.
// It does not check for redis-server: tests that start Redis sandboxes
// call testkit.RequireTool first.
func ProcessManager(t testing.TB, db *sqlite.DB, opts process.Options, cfg sandbox.Config) (*sandbox.Manager, string) {
	t.Helper()
	opts.Dir = testkit.ShortDir(t, "osl-")
	drv, err := process.New(opts)
	if err != nil {
		t.Fatalf("process driver: %v", err)
	}
	t.Cleanup(func() { _ = drv.Close() })
	var records sandbox.Records
	if db != nil {
		records = sqlite.ManagerRecords{Records: sqlite.NewSandboxRecords(db)}
	}
	mgr, err := sandbox.NewManager(drv, records, cfg)
	if err != nil {
		t.Fatalf("sandbox manager: %v", err)
	}
	t.Cleanup(func() { _ = mgr.StopAll(context.Background()) })
	return mgr, opts.Dir
}
