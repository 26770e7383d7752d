package process_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/kafkaready"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// TestStackSandbox: a stack sandbox runs a real PostgreSQL ("db"), a real
// redis-server ("redis") and a kfake broker ("broker") in one fence,
// each reachable as the single-server kinds are, every node named as the
// seed's commands name them; all three run as the sandbox's one user;
// killing any one of them makes the sandbox dead; Stop leaves nothing.
func TestStackSandbox(t *testing.T) {
	d := pgDriver(t, process.Options{})
	s := spec(sandbox.KindStack)
	inst := mustStart(t, d, s)
	var names []string
	for _, n := range inst.Nodes {
		names = append(names, n.Name)
	}
	if !slices.Equal(names, []string{"db", "redis", "broker"}) {
		t.Fatalf("nodes %v", names)
	}
	db, _ := inst.Node("db")
	cache, _ := inst.Node("redis")
	broker, _ := inst.Node("broker")
	if db.Postgres != inst.Postgres || cache.Redis != inst.Redis || !slices.Equal(broker.Kafka.Seeds, inst.Kafka.Seeds) ||
		db.PID <= 0 || cache.PID <= 0 || broker.PID <= 0 || len(inst.Kafka.Seeds) != 1 {
		t.Fatalf("instance %+v", inst)
	}

	// Each server answers as its kind's own sandbox does.
	learner := pgConnect(t, inst, inst.Postgres.Learner, "appdb")
	if err := pgExec(learner, "CREATE TABLE users (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	r := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Learner)
	r.ok("SET", "user:1", "alice")
	if got := r.do("GET", "user:1"); got.Str != "alice" {
		t.Errorf("GET = %+v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := kafkaready.Ready(ctx, inst.Kafka.Seeds); err != nil {
		t.Errorf("broker: %v", err)
	}

	// One fence: the three servers run as one user, in one network.
	uid := func(pid int) string {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "Uid:") {
				return l
			}
		}
		return ""
	}
	if a, b, c := uid(db.PID), uid(cache.PID), uid(broker.PID); a != b || b != c {
		t.Errorf("users: db %q, redis %q, broker %q", a, b, c)
	}
	if !d.Alive(context.Background(), s.ID) {
		t.Fatal("not alive")
	}
	// The cache dying kills the sandbox, though its database still runs.
	if err := syscall.Kill(cache.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for d.Alive(context.Background(), s.ID) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if d.Alive(context.Background(), s.ID) {
		t.Error("alive with its redis-server killed")
	}
	if err := d.Stop(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder after Stop: %v", err)
	}
	for _, pid := range []int{db.PID, broker.PID} {
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("process %d runs after Stop", pid)
		}
	}
}

// TestStackFailedStartLeavesNothing: a stack whose broker cannot start
// (no opslab-kfake) fails with the reason, and its database and cache,
// which did start, are stopped with its folder.
func TestStackFailedStartLeavesNothing(t *testing.T) {
	dir := scratchDir(t)
	d := pgDriver(t, process.Options{Dir: dir, KfakeBinary: "/nonexistent/opslab-kfake"})
	s := spec(sandbox.KindStack)
	_, err := d.Start(context.Background(), s)
	if err == nil || !errors.Is(err, sandbox.ErrUnsupported) {
		t.Fatalf("start = %v, want ErrUnsupported", err)
	}
	if n := countServers(t, dir); n != 0 {
		t.Errorf("%d redis processes left", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "sandboxes", s.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("folder after a failed start: %v", err)
	}
}
