// Package testkit holds the helpers that tests of several packages share:
// skipping slow tests under -short, requiring a program on PATH, short
// scratch directories (unix socket paths must fit in about 100 bytes) and
// free TCP ports. Only test files and test-helper packages import it; the
// platform itself never does.
package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Slow skips t under `go test -short` with a message naming what makes it
// slow (a browser, a real server, Apache Kafka, a container engine...).
// `make test` runs without -short, so every slow test still runs there.
func Slow(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("%s: slow; runs in make test (go test without -short)", what)
	}
}

// RequireTool returns the path of the named program. When it is not on
// PATH, t is skipped with a message naming it and how to install it, except
// when the CI environment variable is set: there a missing program fails
// the test, since it means a broken install step, not a reason to skip.
func RequireTool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	missing(t, fmt.Sprintf("%s is not on PATH (%v); %s", name, err, install))
	return ""
}

// RequireEnv skips t unless every named environment variable is set (to
// anything but ""), with a message naming the unset ones and what sets
// them; under CI (CI set) it fails t instead, as RequireTool does.
func RequireEnv(t testing.TB, setBy string, names ...string) {
	t.Helper()
	var unset []string
	for _, n := range names {
		if os.Getenv(n) == "" {
			unset = append(unset, n)
		}
	}
	if len(unset) > 0 {
		missing(t, fmt.Sprintf("%s not set; %s", strings.Join(unset, ", "), setBy))
	}
}

// missing ends t for want of something the test needs: a skip, or a
// failure under CI, where everything is installed first and a skip would
// hide a broken install step behind a green run.
func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set and %s", why)
	}
	t.Skipf("skipping: %s", why)
}

// ShortDir makes a fresh directory with a short path under the system's
// temporary directory (t.TempDir's paths can be too long for unix
// sockets), named after prefix, and removes it when t ends.
func ShortDir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatalf("make a short temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// FreeAddr returns a loopback TCP address ("127.0.0.1:port") that was free
// a moment ago: for a server that must be told its address before it
// starts. Another process may take the port in between; tests that can
// listen on ":0" themselves should.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreePort is FreeAddr's port number.
func FreePort(t testing.TB) int {
	t.Helper()
	addr := FreeAddr(t)
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("free port of %s: %v", addr, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("free port of %s: %v", addr, err)
	}
	return n
}
