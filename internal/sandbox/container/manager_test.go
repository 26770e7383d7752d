package container

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sqlite"
)

// records opens the platform's real SQLite store at path.
func records(t *testing.T, path string) (sandbox.Records, func()) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return sqlite.ManagerRecords{Records: sqlite.NewSandboxRecords(db)}, func() { db.Close() }
}

// TestReadoptAfterRestart restarts the platform (a new driver and manager
// on the same data) while a learner's Redis and Kafka sandboxes run: the
// new run adopts both, with the learner's data, their last use and their
// idle timeout; a container with a label but no record is removed.
func TestReadoptAfterRestart(t *testing.T) {
	dir := shortDir(t)
	dbPath := filepath.Join(t.TempDir(), "opslab.db")
	ctx := context.Background()
	cfg := sandbox.Config{IdleTimeout: time.Hour}

	// First run: a learner's two sandboxes, and one orphan (a container
	// the platform started but never recorded, as after a crash mid-start).
	d1 := newDriver(t, dir)
	recs1, close1 := records(t, dbPath)
	m1, err := sandbox.NewManager(d1, recs1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	redis, _, err := m1.Acquire(ctx, 5, lessonKey("course/lesson"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	kafka, _, err := m1.Acquire(ctx, 5, lessonKey("course/lesson"), sandbox.KindKafka)
	if err != nil {
		t.Fatal(err)
	}
	setKey(t, redis, "kept", "across the restart")
	orphan, err := d1.Start(ctx, spec(sandbox.KindRedis))
	if err != nil {
		t.Fatal(err)
	}
	if err := m1.Detach(ctx); err != nil {
		t.Fatal(err)
	}
	d1.Close() // the process ends: its relays close, containers stay
	close1()
	if !runningContainer(t, d1, redis.Spec.ID) || !runningContainer(t, d1, kafka.Spec.ID) {
		t.Fatal("Detach stopped the learner's containers")
	}

	// Second run.
	d2 := newDriver(t, dir)
	recs2, close2 := records(t, dbPath)
	defer close2()
	m2, err := sandbox.NewManager(d2, recs2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := m2.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if stopped != 1 {
		t.Errorf("Recover stopped %d sandboxes, want 1 (the unrecorded orphan)", stopped)
	}
	if runningContainer(t, d2, orphan.Spec.ID) {
		t.Error("the orphan container (label, no record) still runs")
	}
	got, created, err := m2.Acquire(ctx, 5, lessonKey("course/lesson"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	if created || got.Spec.ID != redis.Spec.ID {
		t.Fatalf("after the restart the learner got %s (created %v), want their adopted %s", got.Spec.ID, created, redis.Spec.ID)
	}
	if v := getKey(t, got, "kept"); v != "across the restart" {
		t.Errorf("GET kept = %q after the restart", v)
	}
	gotKafka, created, err := m2.Acquire(ctx, 5, lessonKey("course/lesson"), sandbox.KindKafka)
	if err != nil {
		t.Fatal(err)
	}
	if created || gotKafka.Spec.ID != kafka.Spec.ID || gotKafka.Kafka.Seeds[0] != kafka.Kafka.Seeds[0] {
		t.Errorf("Kafka after the restart: %s at %v (created %v), want %s at %v", gotKafka.Spec.ID, gotKafka.Kafka.Seeds, created, kafka.Spec.ID, kafka.Kafka.Seeds)
	}
	if err := pingKafka(ctx, gotKafka.Kafka.Seeds); err != nil {
		t.Errorf("the adopted broker does not answer through the new relay: %v", err)
	}
	if err := m2.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	if left := containersOf(t, d2.cli, d2.opts.Scope); len(left) != 0 {
		t.Errorf("containers left after StopAll: %v", left)
	}
}

// TestIdleTimeoutHoldsAcrossRestart: a sandbox idle past its timeout while
// the platform was down is removed at Recover, not adopted.
func TestIdleTimeoutHoldsAcrossRestart(t *testing.T) {
	dir := shortDir(t)
	dbPath := filepath.Join(t.TempDir(), "opslab.db")
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }

	d1 := newDriver(t, dir)
	recs1, close1 := records(t, dbPath)
	m1, _ := sandbox.NewManager(d1, recs1, sandbox.Config{IdleTimeout: 10 * time.Minute, Now: clock})
	inst, _, err := m1.Acquire(ctx, 9, lessonKey("course/lesson"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(6 * time.Minute)
	if err := m1.Detach(ctx); err != nil {
		t.Fatal(err)
	}
	d1.Close()
	close1()

	// Down for five minutes: 11 minutes since the last use.
	now = now.Add(5 * time.Minute)
	d2 := newDriver(t, dir)
	recs2, close2 := records(t, dbPath)
	defer close2()
	m2, _ := sandbox.NewManager(d2, recs2, sandbox.Config{IdleTimeout: 10 * time.Minute, Now: clock})
	if n, err := m2.Recover(ctx); err != nil || n != 1 {
		t.Fatalf("Recover = %d, %v; want the idle sandbox stopped", n, err)
	}
	if runningContainer(t, d2, inst.Spec.ID) {
		t.Error("the sandbox idle for 11 minutes of a 10-minute timeout was adopted")
	}
}

func runningContainer(t *testing.T, d *Driver, id string) bool {
	t.Helper()
	res, err := d.cli.ContainerInspect(context.Background(), containerName(id), client.ContainerInspectOptions{})
	return err == nil && res.Container.State != nil && res.Container.State.Running
}

func setKey(t *testing.T, inst sandbox.Instance, k, v string) {
	t.Helper()
	if got := redisDo(t, inst, "SET", k, v); got != "OK" {
		t.Fatalf("SET %s = %q", k, got)
	}
}

func getKey(t *testing.T, inst sandbox.Instance, k string) string {
	t.Helper()
	return redisDo(t, inst, "GET", k)
}

func redisDo(t *testing.T, inst sandbox.Instance, args ...string) string {
	t.Helper()
	ctx := context.Background()
	c, err := resp.Dial(ctx, inst.Redis.Endpoint.Network, inst.Redis.Endpoint.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(ctx, inst.Redis.Admin.User, inst.Redis.Admin.Password); err != nil {
		t.Fatal(err)
	}
	v, err := c.Do(ctx, args...)
	if err != nil {
		t.Fatal(err)
	}
	return v.Str
}
