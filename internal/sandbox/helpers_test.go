package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
)

// memRecords is an in-memory sandbox.Records. Sharing one between two
// managers plays a database that survives a platform crash.
type memRecords struct {
	mu     sync.Mutex
	recs   map[string]sandbox.Record
	putErr error // returned by Put when set
}

func newMemRecords() *memRecords { return &memRecords{recs: make(map[string]sandbox.Record)} }

func (r *memRecords) Put(_ context.Context, rec sandbox.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.putErr != nil {
		return r.putErr
	}
	r.recs[rec.ID] = rec
	return nil
}

func (r *memRecords) Delete(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.recs, id)
	return nil
}

func (r *memRecords) List(context.Context) ([]sandbox.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sandbox.Record
	for _, rec := range r.recs {
		out = append(out, rec)
	}
	return out, nil
}

func (r *memRecords) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.recs)
}

// newFakeClock returns a settable clock for Config.Now.
func newFakeClock() *testkit.Clock {
	return testkit.NewClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
}

// events is an Observer that remembers what it was told.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, s)
}

func (e *events) OnStart(kind sandbox.Kind, driver string, _ time.Duration, err error) {
	e.add(fmt.Sprintf("start %s %s ok=%v", kind, driver, err == nil))
}

func (e *events) OnStop(kind sandbox.Kind, driver string, reason sandbox.StopReason, _ time.Duration) {
	e.add(fmt.Sprintf("stop %s %s %s", kind, driver, reason))
}

func (e *events) OnRefuse(kind sandbox.Kind, scope sandbox.CapScope) {
	e.add(fmt.Sprintf("refuse %s %s", kind, scope))
}

func (e *events) count(s string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, got := range e.list {
		if got == s {
			n++
		}
	}
	return n
}

// scratchDir returns a new, short scratch directory, removed after the
// test, which also fails if a redis process still serves a sandbox in it.
func scratchDir(tb testing.TB) string {
	tb.Helper()
	return sandboxtest.ScratchDir(tb)
}

// processDriver returns a process driver over dir.
func processDriver(tb testing.TB, dir string) *process.Driver {
	tb.Helper()
	d, err := process.New(process.Options{Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = d.Close() })
	return d
}

// newManager returns a Manager that is stopped after the test.
func newManager(tb testing.TB, d sandbox.Driver, recs sandbox.Records, cfg sandbox.Config) *sandbox.Manager {
	tb.Helper()
	m, err := sandbox.NewManager(d, recs, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := m.StopAll(context.Background()); err != nil {
			tb.Errorf("StopAll: %v", err)
		}
	})
	return m
}

// countServers counts live redis processes (servers and their BGSAVE
// children) whose command line or working directory mentions dir.
func countServers(tb testing.TB, dir string) int {
	tb.Helper()
	return len(sandboxtest.RedisPIDs(dir))
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeDriver is an in-memory Driver with hooks to inject failures and
// delays.
type fakeDriver struct {
	mu      sync.Mutex
	running map[string]bool
	starts  int
	// beforeStart, when set, runs at the start of each Start; an error
	// fails the Start.
	beforeStart func(ctx context.Context, spec sandbox.Spec) error
}

func newFakeDriver() *fakeDriver { return &fakeDriver{running: make(map[string]bool)} }

func (d *fakeDriver) Name() string { return "fake" }

func (d *fakeDriver) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	d.mu.Lock()
	d.starts++
	hook := d.beforeStart
	d.mu.Unlock()
	if hook != nil {
		if err := hook(ctx, spec); err != nil {
			return sandbox.Instance{}, err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running[spec.ID] {
		return sandbox.Instance{}, sandbox.ErrExists
	}
	d.running[spec.ID] = true
	return sandbox.Instance{Spec: spec, Driver: d.Name(), StartedAt: time.Now()}, nil
}

func (d *fakeDriver) Stop(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running[id] {
		return sandbox.ErrNotFound
	}
	delete(d.running, id)
	return nil
}

func (d *fakeDriver) Alive(_ context.Context, id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.running[id]
}

func (d *fakeDriver) Capabilities(kind sandbox.Kind) sandbox.Capabilities {
	return sandbox.Capabilities{Runs: kind.Valid()}
}

func (d *fakeDriver) List(context.Context) ([]string, error) { return nil, nil }

func (d *fakeDriver) Adopt(context.Context, sandbox.Record) (sandbox.Instance, error) {
	return sandbox.Instance{}, sandbox.ErrUnsupported
}

func (d *fakeDriver) StopNode(context.Context, string, string) error { return sandbox.ErrUnsupported }

func (d *fakeDriver) StartNode(context.Context, string, string) error { return sandbox.ErrUnsupported }

func (d *fakeDriver) NodeRunning(context.Context, string, string) (bool, error) {
	return false, sandbox.ErrUnsupported
}

func (d *fakeDriver) StartShell(context.Context, sandbox.Instance, uint16, uint16) (sandbox.Terminal, error) {
	return nil, sandbox.ErrUnsupported
}

func (d *fakeDriver) RunShell(context.Context, sandbox.Instance, string) (sandbox.ShellResult, error) {
	return sandbox.ShellResult{}, sandbox.ErrUnsupported
}

func (d *fakeDriver) startCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.starts
}

func (d *fakeDriver) runningCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.running)
}

var errBoom = errors.New("boom")

// lk returns the lesson key written as "course/lesson", or as a lesson
// slug alone (of course "course"); "" gives the zero key.
func lk(s string) opslab.LessonKey {
	if s == "" {
		return opslab.LessonKey{}
	}
	if c, l, ok := strings.Cut(s, "/"); ok {
		return opslab.LessonKey{Course: c, Lesson: l}
	}
	return opslab.LessonKey{Course: "course", Lesson: s}
}
