package process_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

func TestRedisStartStop(t *testing.T) {
	d := mustDriver(t, process.Options{})
	ctx := context.Background()
	s := spec(sandbox.KindRedis)
	inst, err := d.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if inst.PID <= 0 || inst.Driver != "process" || inst.Spec != s {
		t.Fatalf("instance = %+v", inst)
	}
	if ep := inst.Redis.Endpoint; ep.Network != "unix" || filepath.Dir(ep.Address) != inst.Dir {
		t.Fatalf("endpoint %v is not a socket in %s", ep, inst.Dir)
	}
	if !inst.Redis.TCP.IsZero() {
		t.Fatalf("TCP endpoint %v without LoopbackTCP", inst.Redis.TCP)
	}
	if b, err := os.ReadFile(filepath.Join(inst.Dir, "pid")); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(inst.PID) {
		t.Fatalf("pid file: %q, %v", b, err)
	}
	if fi, err := os.Stat(inst.Redis.Endpoint.Address); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("socket: %v, %v", fi, err)
	}
	if !d.Alive(ctx, s.ID) {
		t.Fatal("not alive after start")
	}

	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	if got := admin.ok("CONFIG", "GET", "maxmemory").Elems[1].Str; got != strconv.FormatInt(sandbox.DefaultMaxMemoryBytes, 10) {
		t.Errorf("maxmemory = %s", got)
	}
	for param, want := range map[string]string{"save": "", "appendonly": "no", "protected-mode": "yes", "dir": inst.Dir, "databases": "16", "io-threads": "1"} {
		if got := admin.ok("CONFIG", "GET", param).Elems[1].Str; got != want {
			t.Errorf("%s = %q, want %q", param, got, want)
		}
	}
	learner := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Learner)
	if got := learner.ok("PING").Str; got != "PONG" {
		t.Errorf("learner PING = %q", got)
	}
	anon := dialRedis(t, inst.Redis.Endpoint, sandbox.Credentials{})
	if v := anon.do("PING"); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOAUTH") {
		t.Errorf("unauthenticated PING = %#v, want NOAUTH", v)
	}
	if v := anon.do("AUTH", "default", ""); v.Kind != resp.Error {
		t.Errorf("AUTH default = %#v, want an error", v)
	}

	if err := d.Stop(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory left after stop: %v", err)
	}
	if d.Alive(ctx, s.ID) {
		t.Error("alive after stop")
	}
	if err := syscall.Kill(inst.PID, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists: %v", inst.PID, err)
	}
	if err := d.Stop(ctx, s.ID); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("second stop = %v, want ErrNotFound", err)
	}
}

func TestRedisStartErrors(t *testing.T) {
	d := mustDriver(t, process.Options{})
	ctx := context.Background()

	t.Run("ErrInvalid", func(t *testing.T) {
		s := spec(sandbox.KindRedis)
		s.ID = "../escape"
		if _, err := d.Start(ctx, s); !errors.Is(err, sandbox.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		s := spec(sandbox.KindRedis)
		mustStart(t, d, s)
		if _, err := d.Start(ctx, s); !errors.Is(err, sandbox.ErrExists) {
			t.Fatalf("err = %v, want ErrExists", err)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		s := spec(sandbox.KindRedis)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := d.Start(cctx, s); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		ids, _ := d.List(ctx)
		for _, id := range ids {
			if id == s.ID {
				t.Fatalf("failed start left its directory")
			}
		}
	})
	t.Run("NoRedisServer", func(t *testing.T) {
		d := mustDriver(t, process.Options{RedisServer: "/nonexistent/redis-server"})
		if _, err := d.Start(ctx, spec(sandbox.KindRedis)); !errors.Is(err, sandbox.ErrUnsupported) {
			t.Fatalf("err = %v, want ErrUnsupported", err)
		}
	})
	t.Run("DirTooLong", func(t *testing.T) {
		_, err := process.New(process.Options{Dir: "/tmp/" + strings.Repeat("d", 60)})
		if !errors.Is(err, sandbox.ErrInvalid) {
			t.Fatalf("err = %v, want ErrInvalid", err)
		}
	})
}

// TestRedisLearnerDenied checks each refused command twice: the platform's
// CheckLearnerCommand refuses it, and so does Redis itself when a learner
// bypasses the check.
func TestRedisLearnerDenied(t *testing.T) {
	d := mustDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	learner := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Learner)

	for _, args := range [][]string{
		{"DEBUG", "SLEEP", "0"},
		{"MODULE", "LOAD", "/tmp/evil.so"},
		{"SHUTDOWN", "NOSAVE"},
		{"MIGRATE", "10.0.0.1", "6379", "k", "0", "1000"},
		{"REPLICAOF", "10.0.0.1", "6379"},
		{"SLAVEOF", "10.0.0.1", "6379"},
		// ACL SETUSER, DELUSER and GETUSER are the learner's for users of
		// their own; only the platform refuses the sandbox's accounts
		// (see TestRedisACLPolicyEndToEnd in package sandbox).
		{"ACL", "LIST"},
		{"ACL", "SAVE"},
		{"CONFIG", "REWRITE"},
		{"SYNC"},
		{"FAILOVER"},
	} {
		t.Run(strings.Join(args[:min(2, len(args))], "_"), func(t *testing.T) {
			err := redisnode.CheckLearnerCommand(args)
			var denied *sandbox.DeniedError
			if !errors.As(err, &denied) || !errors.Is(err, sandbox.ErrDenied) {
				t.Fatalf("CheckLearnerCommand(%q) = %v, want a DeniedError", args, err)
			}
			v := learner.do(args...)
			if v.Kind != resp.Error {
				t.Fatalf("Redis ran %q for the learner: %#v", args, v)
			}
			if !strings.HasPrefix(denied.Reply, "NOPERM") {
				t.Errorf("check reply %q is not Redis's ACL text", denied.Reply)
			}
			// DEBUG and MODULE are disabled outright, so Redis words
			// their refusal differently; the ACL denies the others.
			if name := strings.ToLower(args[0]); name != "debug" && name != "module" && v.Str != denied.Reply {
				t.Errorf("check says %q, Redis says %q", denied.Reply, v.Str)
			}
		})
	}

	for _, param := range []string{"dir", "port", "bind", "dbfilename", "unixsocket", "protected-mode", "logfile", "appendfilename", "maxclients"} {
		t.Run("CONFIG_SET_"+param, func(t *testing.T) {
			err := redisnode.CheckLearnerCommand([]string{"config", "set", param, "x"})
			if !errors.Is(err, sandbox.ErrDenied) || !strings.Contains(err.Error(), "'"+param+"' is not allowed") {
				t.Fatalf("CheckLearnerCommand = %v, want a refusal naming %s", err, param)
			}
		})
	}
	// Redis protects dir and dbfilename on its own as well.
	for _, param := range []string{"dir", "dbfilename"} {
		if v := learner.do("CONFIG", "SET", param, "/tmp"); v.Kind != resp.Error {
			t.Errorf("Redis let the learner set %s: %#v", param, v)
		}
	}
	// Scripts may not reach CONFIG nor the ACL-denied commands.
	for _, script := range []string{
		"return redis.call('config', 'set', 'maxmemory', '0')",
		"return redis.call('shutdown')",
		"return redis.call('acl', 'setuser', 'learner', 'nopass')",
	} {
		if v := learner.do("EVAL", script, "0"); v.Kind != resp.Error {
			t.Errorf("script %q ran: %#v", script, v)
		}
	}
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	if got := admin.ok("CONFIG", "GET", "maxmemory").Elems[1].Str; got != strconv.FormatInt(sandbox.DefaultMaxMemoryBytes, 10) {
		t.Errorf("maxmemory changed to %s", got)
	}
}

// TestRedisLearnerAllowed runs the operator commands lessons teach.
func TestRedisLearnerAllowed(t *testing.T) {
	d := mustDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	learner := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Learner)
	run := func(args ...string) resp.Value {
		t.Helper()
		if err := redisnode.CheckLearnerCommandCap(args, inst.Spec.MemoryCap()); err != nil {
			t.Fatalf("CheckLearnerCommand(%q) = %v", args, err)
		}
		return learner.ok(args...)
	}

	run("SET", "greeting", "hello")
	run("RPUSH", "queue", "a", "b")
	if got := run("CONFIG", "GET", "maxmemory-policy").Elems[1].Str; got != "noeviction" {
		t.Errorf("maxmemory-policy = %q", got)
	}
	run("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	if got := run("CONFIG", "GET", "maxmemory-policy").Elems[1].Str; got != "allkeys-lru" {
		t.Errorf("maxmemory-policy after set = %q", got)
	}
	run("CONFIG", "SET", "slowlog-log-slower-than", "0", "latency-monitor-threshold", "1")
	run("CONFIG", "SET", "hash-max-listpack-entries", "64")
	run("CONFIG", "SET", "maxmemory", "32mb")
	if !strings.Contains(run("INFO", "memory").Str, "maxmemory:33554432") {
		t.Error("INFO memory does not show the new maxmemory")
	}
	if n := run("MEMORY", "USAGE", "greeting").Int; n <= 0 {
		t.Errorf("MEMORY USAGE = %d", n)
	}
	if got := run("OBJECT", "ENCODING", "greeting").Str; got != "embstr" {
		t.Errorf("OBJECT ENCODING = %q", got)
	}
	if v := run("SLOWLOG", "GET"); len(v.Elems) == 0 {
		t.Error("SLOWLOG GET is empty with slowlog-log-slower-than 0")
	}
	run("LATENCY", "DOCTOR")
	if !strings.Contains(run("CLIENT", "LIST").Str, "user=learner") {
		t.Error("CLIENT LIST does not show the learner")
	}
	if v := run("SCAN", "0", "COUNT", "100"); len(v.Elems) != 2 || len(v.Elems[1].Elems) != 2 {
		t.Errorf("SCAN = %#v", v)
	}
	run("KEYS", "*")
	if got := run("ACL", "WHOAMI").Str; got != "learner" {
		t.Errorf("ACL WHOAMI = %q", got)
	}
	run("ACL", "CAT")
	run("EVAL", "return redis.call('get', KEYS[1])", "1", "greeting")

	run("BGSAVE")
	waitFor(t, "dump.rdb in the sandbox directory", func() bool {
		_, err := os.Stat(filepath.Join(inst.Dir, "dump.rdb"))
		return err == nil
	})
	run("FLUSHALL")
	if n := run("DBSIZE").Int; n != 0 {
		t.Errorf("DBSIZE after FLUSHALL = %d", n)
	}
}

func TestRedisMaxMemoryCap(t *testing.T) {
	for _, tc := range []struct {
		value string
		ok    bool
	}{
		{"64mb", true}, {"67108864", true}, {"1mb", true}, {"32MB", true}, {"64000k", true},
		{"64mb1", false}, {"65mb", false}, {"128mb", false}, {"1gb", false}, {"0", false},
		{"-1", false}, {"", false}, {"99999999999999999999", false}, {"1.5mb", false},
	} {
		err := redisnode.CheckLearnerCommand([]string{"CONFIG", "SET", "maxmemory", tc.value})
		if (err == nil) != tc.ok {
			t.Errorf("CONFIG SET maxmemory %q: err = %v, want ok=%v", tc.value, err, tc.ok)
		}
	}
	// A sandbox with a smaller cap refuses what the default would allow.
	d := mustDriver(t, process.Options{})
	s := spec(sandbox.KindRedis)
	s.MaxMemoryBytes = 8 << 20
	inst := mustStart(t, d, s)
	if err := redisnode.CheckLearnerCommandCap([]string{"config", "set", "maxmemory", "16mb"}, inst.Spec.MemoryCap()); !errors.Is(err, sandbox.ErrDenied) {
		t.Errorf("16mb over an 8mb cap: err = %v", err)
	}
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	if got := admin.ok("CONFIG", "GET", "maxmemory").Elems[1].Str; got != "8388608" {
		t.Errorf("maxmemory = %s, want 8388608", got)
	}
	// The cap holds: writes beyond it fail with OOM under noeviction.
	learner := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Learner)
	big := strings.Repeat("x", 1<<20)
	var oom bool
	for i := range 16 {
		if v := learner.do("SET", "k"+strconv.Itoa(i), big); v.Kind == resp.Error {
			oom = strings.HasPrefix(v.Str, "OOM")
			break
		}
	}
	if !oom {
		t.Error("16 MiB of writes fit in an 8 MiB sandbox")
	}
}

func TestRedisIsolation(t *testing.T) {
	d := mustDriver(t, process.Options{})
	a := mustStart(t, d, spec(sandbox.KindRedis))
	b := mustStart(t, d, spec(sandbox.KindRedis))
	if a.Dir == b.Dir || a.Redis.Endpoint == b.Redis.Endpoint || a.Redis.Learner.Password == b.Redis.Learner.Password {
		t.Fatal("two sandboxes share a directory, socket or password")
	}
	dialRedis(t, a.Redis.Endpoint, a.Redis.Learner).ok("SET", "secret", "a")
	if v := dialRedis(t, b.Redis.Endpoint, b.Redis.Learner).ok("GET", "secret"); v.Kind != resp.Nil {
		t.Errorf("GET in the other sandbox = %#v, want nil", v)
	}
	// One sandbox's password does not open the other.
	c := dialRedis(t, b.Redis.Endpoint, sandbox.Credentials{})
	if v := c.do("AUTH", a.Redis.Learner.User, a.Redis.Learner.Password); v.Kind != resp.Error {
		t.Errorf("sandbox A's password opened sandbox B: %#v", v)
	}
}

func TestRedisLoopbackTCP(t *testing.T) {
	d := mustDriver(t, process.Options{LoopbackTCP: true})
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	tcp := inst.Redis.TCP
	if tcp.Network != "tcp" || !strings.HasPrefix(tcp.Address, "127.0.0.1:") {
		t.Fatalf("TCP endpoint = %v", tcp)
	}
	if got := dialRedis(t, tcp, inst.Redis.Learner).ok("PING").Str; got != "PONG" {
		t.Errorf("PING over TCP = %q", got)
	}
}

func TestRedisKilledFromOutside(t *testing.T) {
	d := mustDriver(t, process.Options{})
	ctx := context.Background()
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	if err := syscall.Kill(inst.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Alive to turn false", func() bool { return !d.Alive(ctx, inst.Spec.ID) })
	if err := d.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatalf("stop a dead sandbox: %v", err)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory left: %v", err)
	}
}

// TestRedisLeftover plays a platform restart: a second Driver over the same
// directory finds the first one's sandbox, and its Stop kills the server.
func TestRedisLeftover(t *testing.T) {
	dir := scratchDir(t)
	ctx := context.Background()
	first := mustDriver(t, process.Options{Dir: dir})
	inst, err := first.Start(ctx, spec(sandbox.KindRedis))
	if err != nil {
		t.Fatal(err)
	}
	// A background save leaves a child in the server's process group.
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	admin.ok("SET", "k", "v")
	admin.ok("CONFIG", "SET", "rdb-key-save-delay", "100000000")
	admin.ok("BGSAVE")
	waitFor(t, "the BGSAVE child", func() bool { return countServers(t, dir) == 2 })

	second := mustDriver(t, process.Options{Dir: dir})
	ids, err := second.List(ctx)
	if err != nil || len(ids) != 1 || ids[0] != inst.Spec.ID {
		t.Fatalf("List = %v, %v; want [%s]", ids, err, inst.Spec.ID)
	}
	if second.Alive(ctx, inst.Spec.ID) {
		t.Error("a Driver says a sandbox it did not start is alive")
	}
	if err := second.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if n := countServers(t, dir); n != 0 {
		t.Fatalf("%d redis-server left after Stop of a leftover", n)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory left: %v", err)
	}
	waitFor(t, "the first Driver to see the death", func() bool { return !first.Alive(ctx, inst.Spec.ID) })
	if err := second.Stop(ctx, inst.Spec.ID); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("second stop = %v, want ErrNotFound", err)
	}
}

// waitFor polls cond until it holds, failing the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A machine that cannot fence (here: no cgroup hierarchy where the driver
// looks) starts no sandbox, and says what is missing and how to get it.
func TestNoFenceNoSandbox(t *testing.T) {
	d := mustDriver(t, process.Options{Fence: fence.Options{CgroupRoot: t.TempDir()}})
	problems := d.Fence().Problems()
	if len(problems) == 0 {
		t.Fatal("no problem reported for a machine without cgroups")
	}
	if !strings.Contains(problems[len(problems)-1].What, "cgroup") || problems[len(problems)-1].Fix == "" {
		t.Fatalf("problems = %v", problems)
	}
	for _, kind := range []sandbox.Kind{sandbox.KindRedis, sandbox.KindKafka} {
		_, err := d.Start(context.Background(), spec(kind))
		if !errors.Is(err, sandbox.ErrUnsupported) || !strings.Contains(err.Error(), "cannot be fenced") || !strings.Contains(err.Error(), "--unfenced") {
			t.Fatalf("start %s on an unfenceable machine: %v", kind, err)
		}
	}
	// Asked for explicitly, it runs them unfenced.
	off := mustDriver(t, process.Options{Fence: fence.Options{Off: true, CgroupRoot: t.TempDir()}})
	if len(off.Fence().Problems()) != 0 || !strings.Contains(off.Fence().Describe(), "unfenced") {
		t.Fatalf("unfenced driver: %v %q", off.Fence().Problems(), off.Fence().Describe())
	}
	inst := mustStart(t, off, spec(sandbox.KindRedis))
	if st, err := os.Stat(inst.Dir); err != nil || st.Sys().(*syscall.Stat_t).Uid != uint32(os.Geteuid()) {
		t.Fatalf("an unfenced sandbox's folder should be the platform's: %v", err)
	}
}
