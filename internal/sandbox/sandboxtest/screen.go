package sandboxtest

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/terminal"
)

// Screen is a test's terminal window on a learner's shell: everything the
// shell printed. It is a terminal.Window.
type Screen struct {
	mu  sync.Mutex
	out bytes.Buffer
}

// Output keeps what the shell printed.
func (s *Screen) Output(_ context.Context, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Write(p)
	return nil
}

// Detached and Ended are no-ops: tests watch Shell.Done.
func (s *Screen) Detached()      {}
func (s *Screen) Ended(code int) {}

// String returns everything the shell printed so far.
func (s *Screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// OpenShell starts a learner's shell beside inst with d.StartShell, with a
// Screen attached as its window; the shell is ended after the test.
func OpenShell(t testing.TB, d sandbox.Driver, inst sandbox.Instance) (*terminal.Shell, *Screen) {
	t.Helper()
	sh, err := terminal.Start(context.Background(), terminal.StarterFunc(func(ctx context.Context, size terminal.Size) (terminal.PTY, error) {
		return d.StartShell(ctx, inst, size.Cols, size.Rows)
	}), terminal.DefaultSize, terminal.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Close() })
	s := &Screen{}
	if err := sh.Attach(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	return sh, s
}

// csi matches the terminal control sequences bash prints (bracketed
// paste on and off), which are not part of a line's text.
var csi = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]`)

// Run types line into the shell and waits (up to a minute: a JVM tool
// may be run) for a line of output that starts with marker; it returns
// the rest of that line.
func (s *Screen) Run(t testing.TB, sh *terminal.Shell, line, marker string) string {
	t.Helper()
	if err := sh.Input(s, []byte(line+"\r")); err != nil {
		t.Fatalf("type %q: %v", line, err)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		out := csi.ReplaceAllString(s.String(), "")
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimRight(l, "\r")
			l = l[strings.LastIndex(l, "\r")+1:] // a carriage return starts the line over
			if rest, ok := strings.CutPrefix(l, marker); ok {
				return rest
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("typed %q; no line starting %q came; the screen:\n%s", line, marker, s.String())
	return ""
}
