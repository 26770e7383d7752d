package sandbox_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestManagerReplace replaces a running redis-server: the old one is
// stopped and its directory removed, the fresh one is reported created
// with the replacement counted, and the stop is reported as stuck.
func TestManagerReplace(t *testing.T) {
	ctx := context.Background()
	d := processDriver(t, scratchDir(t))
	obs := &events{}
	m := newManager(t, d, newMemRecords(), sandbox.Config{Observer: obs})

	old, _, err := m.Acquire(ctx, 1, lk("scripts"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	fresh, created, err := m.Replace(ctx, 1, lk("scripts"), sandbox.KindRedis, old.Spec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !created || fresh.Restarts != 1 || fresh.Spec.ID == old.Spec.ID {
		t.Fatalf("Replace: created=%v restarts=%d id=%s (old %s)", created, fresh.Restarts, fresh.Spec.ID, old.Spec.ID)
	}
	if d.Alive(ctx, old.Spec.ID) || !d.Alive(ctx, fresh.Spec.ID) {
		t.Errorf("alive after Replace: old %v, fresh %v", d.Alive(ctx, old.Spec.ID), d.Alive(ctx, fresh.Spec.ID))
	}
	if _, err := os.Stat(old.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("replaced sandbox's directory is left: %v", err)
	}
	if obs.count("stop redis process stuck") != 1 || obs.count("start redis process ok=true") != 2 {
		t.Errorf("events = %q", obs.list)
	}
	if got := m.Running(sandbox.KindRedis); got != 1 {
		t.Errorf("Running(redis) = %d, want 1", got)
	}
	// Acquire reuses the fresh one, still reporting the restart.
	again, created, err := m.Acquire(ctx, 1, lk("scripts"), sandbox.KindRedis)
	if err != nil || created || again.Spec.ID != fresh.Spec.ID || again.Restarts != 1 {
		t.Errorf("Acquire after Replace: id=%s created=%v restarts=%d err=%v", again.Spec.ID, created, again.Restarts, err)
	}
}

// TestManagerReplaceOnce checks that Replace acts only on the sandbox it
// names: callers that saw the same stuck sandbox replace it once, a stale
// id stops nothing, and a released sandbox is simply started again.
func TestManagerReplaceOnce(t *testing.T) {
	ctx := context.Background()
	d := newFakeDriver()
	obs := &events{}
	m := newManager(t, d, newMemRecords(), sandbox.Config{Observer: obs})

	old, _, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]int{}
		created int
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inst, c, err := m.Replace(ctx, 1, lk("a"), sandbox.KindRedis, old.Spec.ID)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[inst.Spec.ID]++
			if c {
				created++
			}
		}()
	}
	wg.Wait()
	if len(ids) != 1 || ids[old.Spec.ID] != 0 || created != 1 || d.startCount() != 2 || d.runningCount() != 1 {
		t.Fatalf("%d concurrent Replaces got ids %v, %d created, %d starts, %d running; want 1 new id, 1 created, 2 starts, 1 running",
			n, ids, created, d.startCount(), d.runningCount())
	}
	if obs.count("stop redis fake stuck") != 1 {
		t.Errorf("events = %q", obs.list)
	}

	// A stale id (the sandbox already replaced) stops nothing.
	cur, c, err := m.Replace(ctx, 1, lk("a"), sandbox.KindRedis, old.Spec.ID)
	if err != nil || c || ids[cur.Spec.ID] != n || cur.Restarts != 1 {
		t.Errorf("Replace of a stale id: id=%s created=%v restarts=%d err=%v", cur.Spec.ID, c, cur.Restarts, err)
	}
	// A released sandbox is started again, as Acquire would.
	if err := m.Release(ctx, 1, lk("a"), sandbox.KindRedis); err != nil {
		t.Fatal(err)
	}
	next, c, err := m.Replace(ctx, 1, lk("a"), sandbox.KindRedis, cur.Spec.ID)
	if err != nil || !c || next.Spec.ID == cur.Spec.ID || d.runningCount() != 1 {
		t.Errorf("Replace after Release: id=%s created=%v running=%d err=%v", next.Spec.ID, c, d.runningCount(), err)
	}
	if _, _, err := m.Replace(ctx, 1, lk("a"), sandbox.KindRedis, ""); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("Replace without an id = %v, want ErrInvalid", err)
	}
	if _, _, err := m.Replace(ctx, 0, lk("a"), sandbox.KindRedis, next.Spec.ID); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("Replace for learner 0 = %v, want ErrInvalid", err)
	}
}
