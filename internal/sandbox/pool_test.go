package sandbox_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestWarmPool keeps two real Redis sandboxes warm, hands one to a
// learner, refills, and leaves nothing behind at StopAll.
func TestWarmPool(t *testing.T) {
	dir := scratchDir(t)
	recs := newMemRecords()
	ev := &events{}
	m := newManager(t, processDriver(t, dir), recs, sandbox.Config{Warm: map[sandbox.Kind]int{sandbox.KindRedis: 2}, Observer: ev})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)

	waitFor(t, "two warm Redis sandboxes", func() bool { return m.Warm(sandbox.KindRedis) == 2 })
	if n := recs.len(); n != 2 {
		t.Errorf("%d records for the warm pool, want 2 (a crash must not leave them unknown)", n)
	}
	inst, created, err := m.Acquire(ctx, 42, lk("course/lesson"), sandbox.KindRedis)
	if err != nil || !created {
		t.Fatalf("Acquire = %v, created %v", err, created)
	}
	if !strings.HasPrefix(inst.Spec.ID, "redis-0-") || inst.Spec.Owner != 42 || inst.Spec.Lesson != lk("course/lesson") {
		t.Errorf("claimed sandbox %s is owned by %d for %q; want a warm one, now the learner's", inst.Spec.ID, inst.Spec.Owner, inst.Spec.Lesson)
	}
	recList, _ := recs.List(ctx)
	for _, r := range recList {
		if r.ID == inst.Spec.ID && (r.Owner != 42 || r.Lesson != lk("course/lesson")) {
			t.Errorf("record of the claimed sandbox = %+v, want it to name the learner", r)
		}
	}
	if err := m.Touch(42, lk("course/lesson"), sandbox.KindRedis); err != nil {
		t.Error(err)
	}
	waitFor(t, "the pool to refill", func() bool { return m.Warm(sandbox.KindRedis) == 2 })
	if got := ev.count("start redis process ok=true"); got != 3 {
		t.Errorf("%d driver starts, want 3 (two warm, one refill)", got)
	}
	if err := m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := recs.len(); n != 0 {
		t.Errorf("%d records after StopAll, want 0", n)
	}
	if n := countServers(t, dir); n != 0 {
		t.Errorf("%d redis servers after StopAll, want 0", n)
	}
}

// TestWarmPoolConfig rejects a bad pool size.
func TestWarmPoolConfig(t *testing.T) {
	for _, warm := range []map[sandbox.Kind]int{{sandbox.KindRedis: -1}, {sandbox.KindKafka: sandbox.MaxWarm + 1}, {"nope": 1}} {
		if _, err := sandbox.NewManager(newFakeDriver(), nil, sandbox.Config{Warm: warm}); err == nil {
			t.Errorf("NewManager with Warm %v: no error", warm)
		}
	}
}

// TestWarmPoolMultiNode: a kind of several nodes is kept warm and handed
// out like any other, with its nodes.
func TestWarmPoolMultiNode(t *testing.T) {
	dir := scratchDir(t)
	m := newManager(t, processDriver(t, dir), newMemRecords(), sandbox.Config{Warm: map[sandbox.Kind]int{sandbox.KindKafkaCluster: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	waitFor(t, "a warm kafka-cluster", func() bool { return m.Warm(sandbox.KindKafkaCluster) == 1 })
	inst, created, err := m.Acquire(ctx, 7, lk("course/lesson"), sandbox.KindKafkaCluster)
	if err != nil || !created || !strings.HasPrefix(inst.Spec.ID, "kafka-cluster-0-") || len(inst.Nodes) != 3 || inst.Spec.Owner != 7 {
		t.Fatalf("Acquire = %+v, created %v, %v; want the warm cluster, now the learner's", inst.Spec, created, err)
	}
	waitFor(t, "the pool to refill", func() bool { return m.Warm(sandbox.KindKafkaCluster) == 1 })
	if err := m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
}
