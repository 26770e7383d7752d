package redisnode_test

import (
	"testing"

	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
)

// scratchDir returns a new, short scratch directory (unix socket paths
// are short), removed after the test, which also fails if a redis process
// still serves a sandbox in it then.
func scratchDir(tb testing.TB) string {
	tb.Helper()
	dir := testkit.ShortDir(tb, "osl-")
	tb.Cleanup(func() {
		if pids := sandboxtest.RedisPIDs(dir); len(pids) != 0 {
			tb.Errorf("redis processes %v still serve sandboxes under %s", pids, dir)
		}
	})
	return dir
}

// processDriver returns a process driver keeping its sandboxes in dir,
// closed after the test.
func processDriver(tb testing.TB, dir string) *process.Driver {
	tb.Helper()
	d, err := process.New(process.Options{Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}
