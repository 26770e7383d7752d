package resptest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireTool returns the path of the named program. When it is not on
// PATH the test is skipped with a message naming it, except when the CI
// environment variable is set: there a missing tool fails the test, so an
// absent install step cannot hide behind a green run.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not on PATH (needed by this test; install Debian's redis-server package): %v", name, err)
	}
	t.Skipf("skipping: %s is not on PATH (install Debian's redis-server package to run this test)", name)
	return ""
}

// shortTempDir makes a temporary directory with a short path, since unix
// socket paths are limited to about 100 bytes, and removes it at cleanup.
func shortTempDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatalf("make temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
