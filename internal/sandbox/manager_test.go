package sandbox_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
)

func TestManagerAcquire(t *testing.T) {
	ctx := context.Background()
	d := processDriver(t, scratchDir(t))
	recs := newMemRecords()
	m := newManager(t, d, recs, sandbox.Config{})

	t.Run("OK", func(t *testing.T) {
		inst, created, err := m.Acquire(ctx, 1, lk("strings"), sandbox.KindRedis)
		if err != nil || !created {
			t.Fatalf("Acquire = %v, created=%v", err, created)
		}
		again, created, err := m.Acquire(ctx, 1, lk("strings"), sandbox.KindRedis)
		if err != nil || created || again.Spec.ID != inst.Spec.ID {
			t.Fatalf("second Acquire = %s, created=%v, %v; want %s reused", again.Spec.ID, created, err, inst.Spec.ID)
		}
		other, created, err := m.Acquire(ctx, 1, lk("lists"), sandbox.KindRedis)
		if err != nil || !created || other.Spec.ID == inst.Spec.ID {
			t.Fatalf("Acquire for another lesson = %s, created=%v, %v", other.Spec.ID, created, err)
		}
		kafka, created, err := m.Acquire(ctx, 1, lk("strings"), sandbox.KindKafka)
		if err != nil || !created || len(kafka.Kafka.Seeds) == 0 {
			t.Fatalf("Acquire kafka = %+v, created=%v, %v", kafka, created, err)
		}
		if got := m.Running(sandbox.KindRedis); got != 2 {
			t.Errorf("Running(redis) = %d, want 2", got)
		}
		if got := recs.len(); got != 3 {
			t.Errorf("%d records, want 3", got)
		}
		if err := m.Touch(1, lk("strings"), sandbox.KindRedis); err != nil {
			t.Errorf("Touch = %v", err)
		}
		if err := m.Release(ctx, 1, lk("strings"), sandbox.KindRedis); err != nil {
			t.Fatalf("Release = %v", err)
		}
		if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("released sandbox's directory is left: %v", err)
		}
		if got := recs.len(); got != 2 {
			t.Errorf("%d records after Release, want 2", got)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if err := m.Release(ctx, 1, lk("nothing"), sandbox.KindRedis); !errors.Is(err, sandbox.ErrNotFound) {
			t.Errorf("Release = %v, want ErrNotFound", err)
		}
		if err := m.Touch(1, lk("nothing"), sandbox.KindRedis); !errors.Is(err, sandbox.ErrNotFound) {
			t.Errorf("Touch = %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			owner  int64
			lesson string
			kind   sandbox.Kind
		}{{0, "x", sandbox.KindRedis}, {1, "", sandbox.KindRedis}, {1, "x", "mysql"}, {1, "a\nb", sandbox.KindKafka}} {
			if _, _, err := m.Acquire(ctx, tc.owner, lk(tc.lesson), tc.kind); !errors.Is(err, sandbox.ErrInvalid) {
				t.Errorf("Acquire(%d, %q, %q) = %v, want ErrInvalid", tc.owner, tc.lesson, tc.kind, err)
			}
		}
	})
}

func TestManagerRestartsDeadSandbox(t *testing.T) {
	ctx := context.Background()
	d := processDriver(t, scratchDir(t))
	obs := &events{}
	m := newManager(t, d, newMemRecords(), sandbox.Config{Observer: obs})

	inst, _, err := m.Acquire(ctx, 1, lk("persistence"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(inst.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the driver to see the death", func() bool { return !d.Alive(ctx, inst.Spec.ID) })

	fresh, created, err := m.Acquire(ctx, 1, lk("persistence"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	if !created || fresh.Restarts != 1 || fresh.Spec.ID == inst.Spec.ID {
		t.Fatalf("Acquire after death: created=%v restarts=%d id=%s (old %s)", created, fresh.Restarts, fresh.Spec.ID, inst.Spec.ID)
	}
	if !d.Alive(ctx, fresh.Spec.ID) {
		t.Error("the replacement is not alive")
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dead sandbox's directory is left: %v", err)
	}
	if obs.count("stop redis process dead") != 1 || obs.count("start redis process ok=true") != 2 {
		t.Errorf("events = %q", obs.list)
	}
	// Reused from now on, still reporting the restart.
	again, created, err := m.Acquire(ctx, 1, lk("persistence"), sandbox.KindRedis)
	if err != nil || created || again.Restarts != 1 {
		t.Errorf("next Acquire: created=%v restarts=%d err=%v", created, again.Restarts, err)
	}
}

func TestManagerCaps(t *testing.T) {
	ctx := context.Background()
	d := processDriver(t, scratchDir(t))
	clock := newFakeClock()
	obs := &events{}
	m := newManager(t, d, newMemRecords(), sandbox.Config{
		MaxPerLearner: 2,
		MaxPerKind:    map[sandbox.Kind]int{sandbox.KindKafka: 3},
		IdleTimeout:   10 * time.Minute,
		Now:           clock.Now,
		Observer:      obs,
	})
	acquire := func(owner int64, lesson string, kind sandbox.Kind) error {
		_, _, err := m.Acquire(ctx, owner, lk(lesson), kind)
		return err
	}

	if err := acquire(1, "a", sandbox.KindKafka); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Minute)
	if err := acquire(1, "b", sandbox.KindRedis); err != nil {
		t.Fatal(err)
	}

	t.Run("PerLearner", func(t *testing.T) {
		err := acquire(1, "c", sandbox.KindKafka)
		var capErr *sandbox.CapacityError
		if !errors.As(err, &capErr) || !errors.Is(err, sandbox.ErrCapacity) {
			t.Fatalf("third sandbox: err = %v, want a CapacityError", err)
		}
		// The first sandbox idles out 8 minutes from now.
		if capErr.RetryAfter != 8*time.Minute || !strings.Contains(capErr.Message, "2 sandboxes") || !strings.Contains(capErr.Message, "about 8 minutes") {
			t.Errorf("CapacityError = %q, retry after %v", capErr.Message, capErr.RetryAfter)
		}
		// The learner's existing sandboxes stay reachable.
		if _, created, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindKafka); err != nil || created {
			t.Errorf("reacquire at the cap: created=%v err=%v", created, err)
		}
	})
	t.Run("Global", func(t *testing.T) {
		if err := acquire(2, "a", sandbox.KindKafka); err != nil {
			t.Fatal(err)
		}
		if err := acquire(3, "a", sandbox.KindKafka); err != nil {
			t.Fatal(err)
		}
		err := acquire(4, "a", sandbox.KindKafka)
		var capErr *sandbox.CapacityError
		if !errors.As(err, &capErr) || !strings.Contains(capErr.Message, "All 3 Kafka sandboxes") || capErr.RetryAfter < time.Second {
			t.Fatalf("fourth Kafka sandbox: err = %v", err)
		}
		// Redis has its own, default cap.
		if err := acquire(4, "a", sandbox.KindRedis); err != nil {
			t.Errorf("redis while Kafka is full: %v", err)
		}
		if err := m.Release(ctx, 2, lk("a"), sandbox.KindKafka); err != nil {
			t.Fatal(err)
		}
		if err := acquire(4, "a", sandbox.KindKafka); err != nil {
			t.Errorf("after a release: %v", err)
		}
	})
	if obs.count("refuse kafka learner") != 1 || obs.count("refuse kafka global") != 1 {
		t.Errorf("events = %q", obs.list)
	}
}

func TestManagerReap(t *testing.T) {
	ctx := context.Background()
	dir := scratchDir(t)
	d := processDriver(t, dir)
	clock := newFakeClock()
	obs := &events{}
	m := newManager(t, d, newMemRecords(), sandbox.Config{
		IdleTimeout: time.Minute,
		MaxLifetime: 3 * time.Minute,
		Now:         clock.Now,
		Observer:    obs,
	})

	a, _, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := m.Acquire(ctx, 2, lk("b"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(30 * time.Second)
	if err := m.Touch(1, lk("a"), sandbox.KindRedis); err != nil {
		t.Fatal(err)
	}
	if n := m.Reap(ctx); n != 0 {
		t.Fatalf("Reap after 30s stopped %d", n)
	}
	clock.Add(40 * time.Second) // b idle 70s, a idle 40s
	if n := m.Reap(ctx); n != 1 {
		t.Fatalf("Reap after 70s stopped %d, want 1", n)
	}
	if d.Alive(ctx, b.Spec.ID) || !d.Alive(ctx, a.Spec.ID) {
		t.Fatal("reaped the wrong sandbox")
	}
	if err := m.Touch(2, lk("b"), sandbox.KindRedis); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("Touch of a reaped sandbox = %v", err)
	}

	// Used all along, a still expires at its max lifetime.
	for range 3 {
		clock.Add(30 * time.Second)
		if _, _, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis); err != nil {
			t.Fatal(err)
		}
	}
	clock.Add(30 * time.Second) // 3m10s since start, 30s since use
	if n := m.Reap(ctx); n != 1 {
		t.Fatalf("Reap at max lifetime stopped %d, want 1", n)
	}
	if m.Running(sandbox.KindRedis) != 0 || countServers(t, dir) != 0 {
		t.Errorf("running after reaping: %d sandboxes, %d servers", m.Running(sandbox.KindRedis), countServers(t, dir))
	}
	if obs.count("stop redis process idle") != 1 || obs.count("stop redis process expired") != 1 {
		t.Errorf("events = %q", obs.list)
	}

	// Acquire replaces a sandbox past its lifetime even before the reaper.
	c, _, err := m.Acquire(ctx, 3, lk("c"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(3 * time.Minute)
	c2, created, err := m.Acquire(ctx, 3, lk("c"), sandbox.KindRedis)
	if err != nil || !created || c2.Spec.ID == c.Spec.ID || c2.Restarts != 0 {
		t.Errorf("Acquire past lifetime: created=%v id=%s restarts=%d err=%v", created, c2.Spec.ID, c2.Restarts, err)
	}
}

func TestManagerRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := processDriver(t, scratchDir(t))
	m := newManager(t, d, newMemRecords(), sandbox.Config{IdleTimeout: 50 * time.Millisecond, ReapInterval: 10 * time.Millisecond})
	if _, _, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		m.Run(ctx)
		close(done)
	}()
	waitFor(t, "the reaper", func() bool { return m.Running(sandbox.KindRedis) == 0 })
	cancel()
	<-done
}

// TestManagerRecover plays a crash: a manager is dropped without stopping
// its sandboxes, and a new one, over the same records and directory,
// removes them all, including one that was never recorded.
func TestManagerRecover(t *testing.T) {
	ctx := context.Background()
	dir := scratchDir(t)
	recs := newMemRecords()

	crashed := processDriver(t, dir)
	m1, err := sandbox.NewManager(crashed, recs, sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	var kafkaID string
	for _, acq := range []struct {
		owner int64
		kind  sandbox.Kind
	}{{1, sandbox.KindRedis}, {2, sandbox.KindRedis}, {1, sandbox.KindKafka}} {
		inst, _, err := m1.Acquire(ctx, acq.owner, lk("lesson"), acq.kind)
		if err != nil {
			t.Fatal(err)
		}
		if acq.kind == sandbox.KindKafka {
			kafkaID = inst.Spec.ID
		}
	}
	// Started, but the crash came before the record was written.
	unrecorded := sandbox.Spec{ID: sandbox.NewID(sandbox.KindRedis, 9), Kind: sandbox.KindRedis, Owner: 9, Lesson: lk("lesson")}
	if _, err := crashed.Start(ctx, unrecorded); err != nil {
		t.Fatal(err)
	}
	// The in-process Kafka cluster would die with a real crash.
	t.Cleanup(func() { crashed.Stop(ctx, kafkaID) })
	if n := countServers(t, dir); n != 3 {
		t.Fatalf("%d redis-server before the crash, want 3", n)
	}

	obs := &events{}
	m2 := newManager(t, processDriver(t, dir), recs, sandbox.Config{Observer: obs})
	n, err := m2.Recover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("Recover stopped %d, want 4", n)
	}
	if got := countServers(t, dir); got != 0 {
		t.Errorf("%d redis-server left after Recover", got)
	}
	if got := recs.len(); got != 0 {
		t.Errorf("%d records left after Recover", got)
	}
	if entries, _ := os.ReadDir(dir + "/sandboxes"); len(entries) != 0 {
		t.Errorf("%d sandbox directories left after Recover", len(entries))
	}
	if obs.count("stop redis process recovered") != 3 {
		t.Errorf("events = %q", obs.list)
	}
	// A second Recover finds nothing.
	if n, err := m2.Recover(ctx); n != 0 || err != nil {
		t.Errorf("second Recover = %d, %v", n, err)
	}
}

func TestManagerStopAll(t *testing.T) {
	ctx := context.Background()
	dir := scratchDir(t)
	recs := newMemRecords()
	m, err := sandbox.NewManager(processDriver(t, dir), recs, sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for owner := int64(1); owner <= 3; owner++ {
		for _, kind := range []sandbox.Kind{sandbox.KindRedis, sandbox.KindKafka} {
			if _, _, err := m.Acquire(ctx, owner, lk("lesson"), kind); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := countServers(t, dir); n != 3 {
		t.Fatalf("%d redis-server running, want 3", n)
	}
	if err := m.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countServers(t, dir); n != 0 {
		t.Errorf("%d redis-server left after StopAll", n)
	}
	if m.Running(sandbox.KindRedis)+m.Running(sandbox.KindKafka) != 0 || recs.len() != 0 {
		t.Errorf("after StopAll: %d running, %d records", m.Running(sandbox.KindRedis)+m.Running(sandbox.KindKafka), recs.len())
	}
	if _, _, err := m.Acquire(ctx, 1, lk("lesson"), sandbox.KindRedis); !errors.Is(err, sandbox.ErrClosed) {
		t.Errorf("Acquire after StopAll = %v, want ErrClosed", err)
	}
}

func TestManagerStartFailure(t *testing.T) {
	ctx := context.Background()
	d := newFakeDriver()
	failures := 1
	d.beforeStart = func(context.Context, sandbox.Spec) error {
		if failures > 0 {
			failures--
			return errBoom
		}
		return nil
	}
	m := newManager(t, d, newMemRecords(), sandbox.Config{MaxPerLearner: 1})
	if _, _, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis); !errors.Is(err, errBoom) {
		t.Fatalf("Acquire = %v, want the driver's error", err)
	}
	if m.Running(sandbox.KindRedis) != 0 {
		t.Fatal("a failed start still counts")
	}
	// The failed start gave its place back under the cap of one.
	if _, created, err := m.Acquire(ctx, 1, lk("b"), sandbox.KindRedis); err != nil || !created {
		t.Fatalf("Acquire after a failure: created=%v err=%v", created, err)
	}
}

func TestManagerRecordFailure(t *testing.T) {
	ctx := context.Background()
	d := newFakeDriver()
	recs := newMemRecords()
	recs.putErr = errBoom
	m := newManager(t, d, recs, sandbox.Config{})
	if _, _, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis); !errors.Is(err, errBoom) {
		t.Fatalf("Acquire = %v, want the records' error", err)
	}
	if d.runningCount() != 0 || m.Running(sandbox.KindRedis) != 0 {
		t.Error("an unrecorded sandbox is left running")
	}
}

func TestManagerConcurrentAcquire(t *testing.T) {
	ctx := context.Background()
	d := newFakeDriver()
	release := make(chan struct{})
	d.beforeStart = func(_ context.Context, spec sandbox.Spec) error {
		if spec.Owner == 1 {
			<-release // learner 1's start hangs until told
		}
		return nil
	}
	m := newManager(t, d, newMemRecords(), sandbox.Config{})

	const n = 20
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
			inst, c, err := m.Acquire(ctx, 1, lk("a"), sandbox.KindRedis)
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
	waitFor(t, "learner 1's start", func() bool { return d.startCount() == 1 })

	// Another learner is not held up by the hung start.
	if _, created, err := m.Acquire(ctx, 2, lk("a"), sandbox.KindRedis); err != nil || !created {
		t.Fatalf("learner 2: created=%v err=%v", created, err)
	}
	// A caller that gives up waiting returns its context's error.
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, _, err := m.Acquire(short, 1, lk("a"), sandbox.KindRedis); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Acquire with a short deadline = %v", err)
	}

	close(release)
	wg.Wait()
	if len(ids) != 1 || created != 1 || d.startCount() != 2 {
		t.Errorf("%d concurrent Acquires got ids %v, %d created, %d starts; want 1 id, 1 created, 2 starts", n, ids, created, d.startCount())
	}
}

func TestNewManagerErrInvalid(t *testing.T) {
	for name, cfg := range map[string]sandbox.Config{
		"negative idle":   {IdleTimeout: -1},
		"negative cap":    {MaxPerLearner: -1},
		"unknown kind":    {MaxPerKind: map[sandbox.Kind]int{"mysql": 1}},
		"memory too high": {MaxMemoryBytes: 2 << 30},
	} {
		if _, err := sandbox.NewManager(newFakeDriver(), nil, cfg); !errors.Is(err, sandbox.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := sandbox.NewManager(nil, nil, sandbox.Config{}); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("nil driver: err = %v, want ErrInvalid", err)
	}
}

func TestManagerWeighsMultiNodeKinds(t *testing.T) {
	ctx := context.Background()
	d := newFakeDriver()
	// Room for four Kafka brokers: a kafka-cluster (3) and one kafka (1).
	m := newManager(t, d, nil, sandbox.Config{MaxPerKind: map[sandbox.Kind]int{sandbox.KindKafka: 4}})
	if _, _, err := m.Acquire(ctx, 1, lk("l"), sandbox.KindKafkaCluster); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Acquire(ctx, 2, lk("l"), sandbox.KindKafka); err != nil {
		t.Fatal(err)
	}
	_, _, err := m.Acquire(ctx, 3, lk("l"), sandbox.KindKafka)
	var capErr *sandbox.CapacityError
	if !errors.As(err, &capErr) {
		t.Fatalf("a fifth broker: err = %v, want a CapacityError", err)
	}
	_, _, err = m.Acquire(ctx, 3, lk("l"), sandbox.KindKafkaCluster)
	if !errors.As(err, &capErr) || !strings.Contains(capErr.Message, "needs 3 Kafka servers") {
		t.Fatalf("a second cluster: err = %v", err)
	}
	if m.Running(sandbox.KindKafkaCluster) != 1 || m.Running(sandbox.KindKafka) != 1 {
		t.Errorf("running: %d clusters, %d single", m.Running(sandbox.KindKafkaCluster), m.Running(sandbox.KindKafka))
	}
	// Releasing the cluster gives its three brokers back.
	if err := m.Release(ctx, 1, lk("l"), sandbox.KindKafkaCluster); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Acquire(ctx, 3, lk("l"), sandbox.KindKafkaCluster); err != nil {
		t.Fatal(err)
	}
}

// TestManagerWeighsStackInEachFamily: a stack takes one server of each of
// Postgres, Redis and Kafka: with one Postgres server left it starts,
// and a second finds no Postgres server free though Redis and Kafka have
// room; its release gives each back.
func TestManagerWeighsStackInEachFamily(t *testing.T) {
	ctx := context.Background()
	d := newFakeDriver()
	m := newManager(t, d, nil, sandbox.Config{MaxPerKind: map[sandbox.Kind]int{
		sandbox.KindPostgres: 2, sandbox.KindRedis: 10, sandbox.KindKafka: 10,
	}})
	if _, _, err := m.Acquire(ctx, 1, lk("l"), sandbox.KindPostgres); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Acquire(ctx, 2, lk("l"), sandbox.KindStack); err != nil {
		t.Fatal(err)
	}
	_, _, err := m.Acquire(ctx, 3, lk("l"), sandbox.KindStack)
	var capErr *sandbox.CapacityError
	if !errors.As(err, &capErr) || !strings.Contains(capErr.Message, "needs 1 PostgreSQL server") {
		t.Fatalf("a second stack: err = %v", err)
	}
	if _, _, err := m.Acquire(ctx, 3, lk("l"), sandbox.KindPostgres); !errors.As(err, &capErr) {
		t.Fatalf("a third postgres server: err = %v", err)
	}
	// Redis and Kafka servers are still free for their own kinds.
	if _, _, err := m.Acquire(ctx, 3, lk("l"), sandbox.KindRedis); err != nil {
		t.Fatal(err)
	}
	if err := m.Release(ctx, 2, lk("l"), sandbox.KindStack); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.Acquire(ctx, 4, lk("l"), sandbox.KindStack); err != nil {
		t.Fatalf("a stack after the first was released: %v", err)
	}
}
