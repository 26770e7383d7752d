package container

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
)

// TestRedisLifecycle starts a Redis container, uses it, checks its fence
// and limits from inside, and stops it leaving nothing behind.
func TestRedisLifecycle(t *testing.T) {
	d := newDriver(t, shortDir(t))
	inst := start(t, d, sandbox.KindRedis)
	ctx := context.Background()

	c, err := resp.Dial(ctx, inst.Redis.Endpoint.Network, inst.Redis.Endpoint.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Auth(ctx, inst.Redis.Learner.User, inst.Redis.Learner.Password); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Do(ctx, "SET", "k", "v"); err != nil || v.Str != "OK" {
		t.Fatalf("SET as learner = %v, %v", v, err)
	}
	if v, _ := c.Do(ctx, "CONFIG", "GET", "maxmemory"); len(v.Elems) != 2 || v.Elems[1].Str != strconv.FormatInt(16<<20, 10) {
		t.Errorf("maxmemory = %v, want the spec's cap", v)
	}
	if v, _ := c.Do(ctx, "DEBUG", "SLEEP", "0"); v.Kind != resp.Error {
		t.Errorf("DEBUG as learner = %v, want a refusal", v)
	}

	// The limits show in the container's own cgroup.
	mem := readCgroup(t, d, inst.Spec.ID, "memory.max", "memory/memory.limit_in_bytes")
	if want := strconv.FormatInt(16<<20+DefaultRedisOverheadBytes, 10); mem != want {
		t.Errorf("memory limit in the container's cgroup = %s, want %s", mem, want)
	}
	pids := readCgroup(t, d, inst.Spec.ID, "pids.max", "pids/pids.max")
	if pids != strconv.Itoa(DefaultRedisPids) {
		t.Errorf("pids limit in the container's cgroup = %s, want %d", pids, DefaultRedisPids)
	}
	// No capabilities, no new privileges, a read-only root, its own user.
	status, _ := execIn(t, d, inst.Spec.ID, "cat", "/proc/self/status")
	for _, want := range []string{"CapEff:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(status, want) {
			t.Errorf("/proc/self/status in the container lacks %q:\n%s", want, status)
		}
	}
	if out, code := execIn(t, d, inst.Spec.ID, "sh", "-c", "echo x > /etc/x"); code == 0 || !strings.Contains(out, "Read-only file system") {
		t.Errorf("writing to the root file system: code %d, %q; want a read-only refusal", code, out)
	}
	if out, code := execIn(t, d, inst.Spec.ID, "sh", "-c", "echo x > /sandbox/data/x"); code != 0 {
		t.Errorf("writing to the data tmpfs: code %d, %q", code, out)
	}
	if out, _ := execIn(t, d, inst.Spec.ID, "id", "-u"); strings.TrimSpace(out) == "0" {
		t.Errorf("the server runs as root in its container")
	}

	if err := d.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if d.Alive(ctx, inst.Spec.ID) {
		t.Error("Alive after Stop")
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sandbox directory left after Stop: %v", err)
	}
	if left := containersOf(t, d.cli, d.opts.Scope); len(left) != 0 {
		t.Errorf("containers left after Stop: %v", left)
	}
	if err := d.Stop(ctx, inst.Spec.ID); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("second Stop = %v, want ErrNotFound", err)
	}
}

// readCgroup returns the first of the cgroup files (v2 name, v1 name) the
// container can read, trimmed.
func readCgroup(t *testing.T, d *Driver, id string, names ...string) string {
	t.Helper()
	for _, n := range names {
		out, code := execIn(t, d, id, "cat", filepath.Join("/sys/fs/cgroup", n))
		if code == 0 {
			return strings.TrimSpace(out)
		}
	}
	t.Fatalf("none of the cgroup files %v is readable in the container", names)
	return ""
}

// TestRedisLoopbackTCP: with LoopbackTCP, the learner's own redis-cli
// reaches their container's server on a host loopback port, with the
// client account, which has no CONFIG SET.
func TestRedisLoopbackTCP(t *testing.T) {
	d := newDriver(t, shortDir(t))
	d.opts.LoopbackTCP = true
	inst := start(t, d, sandbox.KindRedis)
	cli := requireTool(t, "redis-cli")
	host, port, _ := strings.Cut(inst.Redis.TCP.Address, ":")
	run := func(args ...string) string {
		base := []string{"-h", host, "-p", port, "--user", inst.Redis.Client.User, "--pass", inst.Redis.Client.Password, "--no-auth-warning"}
		out, err := exec.Command(cli, append(base, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v: %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("PING"); got != "PONG" {
		t.Errorf("PING over TCP = %q", got)
	}
	if got := run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"); !strings.Contains(got, "NOPERM") {
		t.Errorf("CONFIG SET as the client account = %q, want NOPERM", got)
	}
}

// TestAliveAsksTheEngineAtMostEvery: between two inspections a sandbox
// seen running counts as alive; after AliveEvery, a stopped container
// makes it dead.
func TestAliveAsksTheEngineAtMostEvery(t *testing.T) {
	d := newDriver(t, shortDir(t))
	d.opts.AliveEvery = time.Second
	inst := start(t, d, sandbox.KindRedis)
	ctx := context.Background()
	if !d.Alive(ctx, inst.Spec.ID) {
		t.Fatal("not Alive after Start")
	}
	if _, err := d.cli.ContainerKill(ctx, containerName(inst.Spec.ID), client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	if !d.Alive(ctx, inst.Spec.ID) {
		t.Error("Alive asked the engine again within AliveEvery")
	}
	time.Sleep(d.opts.AliveEvery)
	if d.Alive(ctx, inst.Spec.ID) {
		t.Error("Alive after AliveEvery with the container killed")
	}
}
