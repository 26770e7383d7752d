package testkit

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records how a helper ended the test:
// Skipf and Fatalf stop the goroutine as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// call runs f with a recorder in its own goroutine, as a test runs.
func call(t *testing.T, f func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestRequireToolFindsAProgram(t *testing.T) {
	r := call(t, func(tb testing.TB) {
		if p := RequireTool(tb, "sh", "install sh"); !strings.HasSuffix(p, "/sh") {
			tb.Errorf("RequireTool(sh) = %q", p)
		}
	})
	if r.skipped != "" || r.failed != "" {
		t.Fatalf("skipped %q, failed %q; want neither", r.skipped, r.failed)
	}
}

func TestRequireToolSkipsOutsideCIAndFailsInCI(t *testing.T) {
	const missing = "opslab-no-such-program"
	t.Setenv("CI", "")
	r := call(t, func(tb testing.TB) { RequireTool(tb, missing, "apt-get install it") })
	if !strings.Contains(r.skipped, missing) || !strings.Contains(r.skipped, "apt-get install it") || r.failed != "" {
		t.Errorf("outside CI: skipped %q, failed %q; want a skip naming the program and the install", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = call(t, func(tb testing.TB) { RequireTool(tb, missing, "apt-get install it") })
	if !strings.Contains(r.failed, missing) || r.skipped != "" {
		t.Errorf("in CI: skipped %q, failed %q; want a failure naming the program", r.skipped, r.failed)
	}
}

func TestSlowSkipsOnlyUnderShort(t *testing.T) {
	r := call(t, func(tb testing.TB) { Slow(tb, "a browser") })
	if testing.Short() {
		if !strings.Contains(r.skipped, "a browser: slow") {
			t.Errorf("under -short: skipped %q, want the reason", r.skipped)
		}
	} else if r.skipped != "" {
		t.Errorf("without -short: skipped %q, want the test to run", r.skipped)
	}
}

func TestShortDirIsShortAndRemoved(t *testing.T) {
	var dir string
	t.Run("use", func(t *testing.T) {
		dir = ShortDir(t, "tk-")
		if len(dir) > 60 {
			t.Errorf("ShortDir = %q (%d bytes), want a short path", dir, len(dir))
		}
		if err := os.WriteFile(dir+"/f", []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after the test, stat %s: %v, want it removed", dir, err)
	}
}

func TestFreeAddrCanBeListenedOn(t *testing.T) {
	addr := FreeAddr(t)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on FreeAddr's %s: %v", addr, err)
	}
	ln.Close()
	if p := FreePort(t); p <= 0 || p > 65535 {
		t.Errorf("FreePort = %d", p)
	}
}

func TestClockMovesOnlyWhenTold(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	c := NewClock(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	c.Add(90 * time.Second)
	if got, want := c.Now(), start.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Add: Now = %v, want %v", got, want)
	}
}

func TestRequireEnvNamesWhatIsUnset(t *testing.T) {
	t.Setenv("OPSLAB_TESTKIT_SET", "x")
	t.Setenv("OPSLAB_TESTKIT_UNSET", "")
	t.Setenv("CI", "")
	if r := call(t, func(tb testing.TB) { RequireEnv(tb, "make engine sets it", "OPSLAB_TESTKIT_SET") }); r.skipped != "" || r.failed != "" {
		t.Errorf("all set: skipped %q, failed %q; want neither", r.skipped, r.failed)
	}
	r := call(t, func(tb testing.TB) {
		RequireEnv(tb, "make engine sets it", "OPSLAB_TESTKIT_SET", "OPSLAB_TESTKIT_UNSET")
	})
	if !strings.Contains(r.skipped, "OPSLAB_TESTKIT_UNSET not set; make engine sets it") || strings.Contains(r.skipped, "OPSLAB_TESTKIT_SET,") {
		t.Errorf("outside CI: skipped %q, want a skip naming only the unset variable", r.skipped)
	}
	t.Setenv("CI", "true")
	r = call(t, func(tb testing.TB) { RequireEnv(tb, "make engine sets it", "OPSLAB_TESTKIT_UNSET") })
	if !strings.Contains(r.failed, "OPSLAB_TESTKIT_UNSET") || r.skipped != "" {
		t.Errorf("in CI: skipped %q, failed %q; want a failure", r.skipped, r.failed)
	}
}
