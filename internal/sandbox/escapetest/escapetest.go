// Package escapetest is the escape suite every sandbox driver must pass:
// attacks on the fence of a sandbox, run by each driver's tests through
// Run. Each attack runs as the sandbox's admin account, which no learner
// has: what holds against it holds against a learner whatever the console
// lets through, because it is the fence that holds (the kernel's, for the
// process driver; the container engine's, for containers). Each asserts
// the same three things: the attacker gets an error or only their own
// sandbox dies (the Manager replaces a dead one at the next command);
// another learner's sandbox keeps its data and keeps answering; nothing
// arrives at a listener outside the sandbox.
package escapetest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/testkit"
)

// Config is what Run needs of a driver.
type Config struct {
	// Driver runs the sandboxes; its Alive must tell (see sandbox.Driver).
	Driver sandbox.Driver
	// Spec returns a valid spec of kind with a fresh id.
	Spec func(kind sandbox.Kind) sandbox.Spec
	// Disk, when set, checks after the disk attack that inst's writable
	// area is capped as the driver promises.
	Disk func(t *testing.T, inst sandbox.Instance)
	// KafkaBomb is the partition count of the Kafka bomb. Default 2000000.
	KafkaBomb int32
	// KafkaBombKills asserts that the bomb exhausts the sandbox's memory
	// limit: its broker dies, proving the limit is there.
	KafkaBombKills bool
	// StartTimeout bounds each Start. Default 90 s.
	StartTimeout time.Duration
}

// Run runs every attack as a subtest.
func Run(t *testing.T, cfg Config) {
	testkit.Slow(t, "the escape suite (bombs and floods until the fence holds)")
	s := newSuite(cfg)
	t.Run("Network", s.network)
	t.Run("Memory", s.memory)
	t.Run("Disk", s.disk)
	t.Run("CPU", s.cpu)
	t.Run("Processes", s.processes)
	t.Run("KafkaBomb", s.kafkaBomb)
}

// RunKafka runs the Kafka attacks only, for a driver whose Kafka differs
// from its default one (the process driver with real Apache Kafka).
func RunKafka(t *testing.T, cfg Config) {
	s := newSuite(cfg)
	t.Run("KafkaBomb", s.kafkaBomb)
}

type suite struct{ cfg Config }

// newSuite returns a suite of cfg with its defaults filled in.
func newSuite(cfg Config) *suite {
	if cfg.KafkaBomb == 0 {
		cfg.KafkaBomb = 2000000
	}
	if cfg.StartTimeout == 0 {
		cfg.StartTimeout = 90 * time.Second
	}
	return &suite{cfg: cfg}
}

// start starts a sandbox of kind, stopped at the end of the test.
func (s *suite) start(t *testing.T, kind sandbox.Kind) sandbox.Instance {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.StartTimeout)
	defer cancel()
	sp := s.cfg.Spec(kind)
	inst, err := s.cfg.Driver.Start(ctx, sp)
	if err != nil {
		t.Fatalf("start %s: %v", kind, err)
	}
	t.Cleanup(func() {
		if err := s.cfg.Driver.Stop(context.Background(), sp.ID); err != nil && !errors.Is(err, sandbox.ErrNotFound) {
			t.Errorf("stop %s: %v", sp.ID, err)
		}
	})
	return inst
}

// alive reports whether the sandbox id still runs.
func (s *suite) alive(id string) bool {
	return s.cfg.Driver.Alive(context.Background(), id)
}

// dies reports whether the sandbox id is found dead within 30 s.
func (s *suite) dies(id string) bool {
	deadline := time.Now().Add(30 * time.Second)
	for s.alive(id) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return !s.alive(id)
}

// conn is a connection to a Redis node as one account.
type conn struct {
	t *testing.T
	c *resp.Conn
}

func dial(t *testing.T, ep sandbox.Endpoint, user sandbox.Credentials) *conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, ep.Network, ep.Address)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Auth(ctx, user.User, user.Password); err != nil {
		t.Fatal(err)
	}
	return &conn{t: t, c: c}
}

// do sends args and returns the reply, or the error of a connection that
// broke (the server died).
func (c *conn) do(timeout time.Duration, args ...string) (resp.Value, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return c.c.Do(ctx, args...)
}

// ok sends args and fails the test on anything but a reply that is no error.
func (c *conn) ok(args ...string) resp.Value {
	c.t.Helper()
	v, err := c.do(5*time.Second, args...)
	if err != nil || v.Kind == resp.Error {
		c.t.Fatalf("%s: %v %q", args[0], err, v.Str)
	}
	return v
}

// bystander starts another learner's sandbox with data in it, and returns
// a check that it still has the data and answers.
func (s *suite) bystander(t *testing.T) func() {
	t.Helper()
	inst := s.start(t, sandbox.KindRedis)
	c := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
	c.ok("SET", "mine", "safe")
	return func() {
		t.Helper()
		if v := c.ok("GET", "mine"); v.Str != "safe" {
			t.Fatalf("the other learner's sandbox lost its data: %+v", v)
		}
	}
}

// listener is a TCP listener on the host's loopback that the test owns.
type listener struct {
	port     string
	accepted chan struct{}
}

func listenOutside(t *testing.T) *listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	o := &listener{port: strconv.Itoa(l.Addr().(*net.TCPAddr).Port), accepted: make(chan struct{}, 100)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			o.accepted <- struct{}{}
			c.Close()
		}
	}()
	return o
}

// none fails the test if the listener got a connection.
func (o *listener) none(t *testing.T, what string) {
	t.Helper()
	if n := len(o.accepted); n > 0 {
		t.Fatalf("%s: the listener outside the sandbox accepted %d connections", what, n)
	}
}

// network: every command that makes a server connect out, typed and from
// a script, to a listener the test owns.
func (s *suite) network(t *testing.T) {
	out := listenOutside(t)
	other := s.bystander(t)
	port := out.port
	// Servers dial in the background (a replica its primary, the cluster
	// bus, a Sentinel its master): give them the time to try.
	const dialWait = 500 * time.Millisecond

	t.Run("Redis", func(t *testing.T) {
		inst := s.start(t, sandbox.KindRedis)
		admin := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
		admin.ok("SET", "k", "v")
		for _, attack := range [][]string{
			{"MIGRATE", "127.0.0.1", port, "k", "0", "1000"},
			{"EVAL", "return redis.call('MIGRATE','127.0.0.1','" + port + "','k','0','1000')", "1", "k"},
			{"REPLICAOF", "127.0.0.1", port},
			{"FAILOVER", "TO", "127.0.0.1", port},
		} {
			_, _ = admin.do(5*time.Second, attack...)
		}
		time.Sleep(dialWait)
		_, _ = admin.do(5*time.Second, "REPLICAOF", "NO", "ONE")
		out.none(t, "Redis")
	})
	t.Run("AnotherSandbox", func(t *testing.T) {
		// The victim's primary listens on its port inside its own sandbox;
		// the attacker names that address from another.
		victim := s.start(t, sandbox.KindRedisReplica)
		primary := dial(t, victim.Nodes[0].Redis.Endpoint, victim.Redis.Admin)
		primary.ok("SET", "victim", "data")
		host, vport, _ := strings.Cut(victim.Nodes[0].Redis.TCP.Address, ":")
		inst := s.start(t, sandbox.KindRedis)
		admin := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
		admin.ok("SET", "k", "v")
		_, _ = admin.do(5*time.Second, "MIGRATE", host, vport, "k", "0", "1000", "REPLACE")
		_, _ = admin.do(5*time.Second, "REPLICAOF", host, vport)
		time.Sleep(dialWait)
		info := admin.ok("INFO", "replication").Str
		_, _ = admin.do(5*time.Second, "REPLICAOF", "NO", "ONE")
		if strings.Contains(info, "master_link_status:up") {
			t.Fatalf("a sandbox replicated another learner's primary:\n%s", info)
		}
		if v, _ := primary.do(5*time.Second, "EXISTS", "k"); v.Int != 0 {
			t.Fatal("a sandbox migrated a key into another learner's primary")
		}
		if v := primary.ok("INFO", "replication").Str; !strings.Contains(v, "connected_slaves:1") {
			t.Fatalf("another learner's primary has other replicas than its own:\n%s", v)
		}
	})
	t.Run("Stack", func(t *testing.T) {
		// A stack's three servers share one fence: its Redis reaches
		// nothing past it, nor another learner's stack.
		if !s.cfg.Driver.Capabilities(sandbox.KindStack).Runs {
			t.Skipf("the %s driver runs no stack sandboxes", s.cfg.Driver.Name())
		}
		victim := s.start(t, sandbox.KindStack)
		inst := s.start(t, sandbox.KindStack)
		n, ok := inst.Node("redis")
		if !ok {
			t.Fatal("a stack without a redis node")
		}
		admin := dial(t, n.Redis.Endpoint, inst.Redis.Admin)
		admin.ok("SET", "k", "v")
		vhost, vport, _ := strings.Cut(victim.Kafka.Seeds[0], ":")
		for _, attack := range [][]string{
			{"MIGRATE", "127.0.0.1", port, "k", "0", "1000"},
			{"REPLICAOF", "127.0.0.1", port},
			{"MIGRATE", vhost, vport, "k", "0", "1000"},
		} {
			_, _ = admin.do(5*time.Second, attack...)
		}
		time.Sleep(dialWait)
		_, _ = admin.do(5*time.Second, "REPLICAOF", "NO", "ONE")
		out.none(t, "Stack")
		if !s.alive(victim.Spec.ID) {
			t.Fatal("another learner's stack died")
		}
	})
	t.Run("RedisCluster", func(t *testing.T) {
		inst := s.start(t, sandbox.KindRedisCluster)
		admin := dial(t, inst.Nodes[0].Redis.Endpoint, inst.Redis.Admin)
		_, _ = admin.do(5*time.Second, "CLUSTER", "MEET", "127.0.0.1", port)
		_, _ = admin.do(5*time.Second, "CLUSTER", "MEET", "127.0.0.1", port, port)
		time.Sleep(dialWait)
		out.none(t, "Redis Cluster")
	})
	t.Run("RedisSentinel", func(t *testing.T) {
		inst := s.start(t, sandbox.KindRedisSentinel)
		n, ok := inst.Node("sentinel-1")
		if !ok {
			t.Fatal("no sentinel-1")
		}
		admin := dial(t, n.Redis.Endpoint, inst.Redis.Admin)
		_, _ = admin.do(5*time.Second, "SENTINEL", "MONITOR", "evil", "127.0.0.1", port, "1")
		_, _ = admin.do(5*time.Second, "SENTINEL", "SET", sandbox.SentinelMaster, "notification-script", "/bin/sh")
		time.Sleep(dialWait)
		out.none(t, "Sentinel")
	})
	other()
}

// memory: values past the cap, typed and scripted; Lua's heap.
func (s *suite) memory(t *testing.T) {
	other := s.bystander(t)
	inst := s.start(t, sandbox.KindRedis)
	admin := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
	capBytes := inst.Spec.MemoryCap()
	admin.ok("SETRANGE", "near", strconv.FormatInt(capBytes-4, 10), "x") // a string 3 bytes short of the cap
	for _, attack := range [][]string{
		{"SETRANGE", "big", "300000000", "x"},
		{"EVAL", "return redis.call('SETRANGE','big',300000000,'x')", "1", "big"},
		{"APPEND", "near", "12345678"},
		{"EVAL", "return redis.call('APPEND','near','12345678')", "1", "near"},
	} {
		v, err := admin.do(30*time.Second, attack...)
		// (A string at the cap also puts the server past maxmemory: then
		// "OOM command not allowed" is the refusal, clear as well.)
		if err != nil || v.Kind != resp.Error || !strings.Contains(v.Str, "exceeds maximum allowed size") && !strings.HasPrefix(v.Str, "OOM ") {
			t.Fatalf("%s past the cap: %v %q", attack[0], err, v.Str)
		}
	}
	admin.ok("DEL", "near")
	// A bulk string past the cap is refused as it arrives: Redis answers a
	// protocol error and drops that connection, and keeps serving.
	bulk := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
	if v, err := bulk.do(30*time.Second, "SET", "huge", strings.Repeat("x", int(capBytes)+1)); err == nil && v.Kind != resp.Error {
		t.Fatalf("a %d-byte bulk string was accepted: %+v", capBytes+1, v)
	}
	admin.ok("PING")
	// Lua's heap is not bounded by maxmemory: the fence's memory limit is,
	// and this sandbox's server dies of it, no other.
	_, _ = admin.do(60*time.Second, "EVAL", "local t = {} for i = 1, 100000000 do t[i] = string.rep('x', 100) .. i end return #t", "0")
	if !s.dies(inst.Spec.ID) {
		t.Fatal("a Lua table of gigabytes did not hit the sandbox's memory limit")
	}
	other()
}

// disk: an AOF that grows until the sandbox's writable area is full.
func (s *suite) disk(t *testing.T) {
	other := s.bystander(t)
	inst := s.start(t, sandbox.KindRedis)
	admin := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
	admin.ok("CONFIG", "SET", "appendonly", "yes")
	// No automatic rewrite, which would keep compacting the AOF (a learner
	// may set this too).
	admin.ok("CONFIG", "SET", "auto-aof-rewrite-percentage", "0")
	// Overwrite one key: memory stays small while the AOF grows, until the
	// disk is full. Redis then refuses writes, or exits: either way only
	// this sandbox is hurt.
	value := strings.Repeat("x", 512<<10)
	full := false
	for i := 0; i < 4000 && !full; i++ {
		v, err := admin.do(10*time.Second, "SET", "k", value)
		full = err != nil || v.Kind == resp.Error
	}
	if !full {
		t.Fatal("the AOF grew past 2 GB without an error")
	}
	if s.cfg.Disk != nil {
		s.cfg.Disk(t, inst)
	}
	other()
}

// cpu: a script that writes and then loops (SCRIPT KILL cannot stop it),
// in a single server and on every node of each multi-node Redis kind that
// runs scripts (a Sentinel has none).
func (s *suite) cpu(t *testing.T) {
	other := s.bystander(t)
	for _, kind := range []sandbox.Kind{sandbox.KindRedis, sandbox.KindRedisReplica, sandbox.KindRedisSentinel, sandbox.KindRedisCluster} {
		t.Run(string(kind), func(t *testing.T) {
			inst := s.start(t, kind)
			nodes := inst.Nodes
			if len(nodes) == 0 {
				nodes = []sandbox.Node{{Name: "primary", Role: sandbox.RolePrimary, Redis: inst.Redis}}
			}
			for _, n := range nodes {
				if n.Role == sandbox.RoleSentinel {
					continue
				}
				admin := dial(t, n.Redis.Endpoint, inst.Redis.Admin)
				admin.ok("CONFIG", "SET", "busy-reply-threshold", "100")
				// Write, then loop: SCRIPT KILL cannot stop it. A cluster
				// node loops without writing (a key may be another node's).
				script, keys := "redis.call('INCR', KEYS[1]) while true do end", []string{"1", "k"}
				if kind == sandbox.KindRedisCluster || n.Role != sandbox.RolePrimary {
					script, keys = "while true do end", []string{"0"}
				}
				go func() { _, _ = admin.do(3*time.Second, append([]string{"EVAL", script}, keys...)...) }()
			}
			for range 5 {
				other()
				time.Sleep(100 * time.Millisecond)
			}
			if err := s.cfg.Driver.Stop(context.Background(), inst.Spec.ID); err != nil {
				t.Fatal(err)
			}
			other()
		})
	}
}

// processes: whatever forks in a Redis sandbox is Redis's own background
// save or rewrite, one at a time; asked for in a storm, the server refuses
// the rest and keeps answering.
func (s *suite) processes(t *testing.T) {
	other := s.bystander(t)
	inst := s.start(t, sandbox.KindRedis)
	admin := dial(t, inst.Redis.Endpoint, inst.Redis.Admin)
	admin.ok("SET", "k", "v")
	refused := 0
	for range 50 {
		for _, cmd := range []string{"BGSAVE", "BGREWRITEAOF"} {
			if v, err := admin.do(5*time.Second, cmd); err == nil && v.Kind == resp.Error {
				refused++
			}
		}
	}
	if v := admin.ok("GET", "k"); v.Str != "v" {
		t.Fatalf("after a fork storm GET k = %+v", v)
	}
	t.Logf("%d of 100 background saves and rewrites refused while one ran", refused)
	other()
}

// kafkaBomb: a client that skips the console's caps asks the broker for a
// topic of KafkaBomb partitions.
func (s *suite) kafkaBomb(t *testing.T) {
	other := s.bystander(t)
	inst := s.start(t, sandbox.KindKafka)
	cl, err := kgo.NewClient(kgo.SeedBrokers(inst.Kafka.Seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := kadm.NewClient(cl).CreateTopic(ctx, s.cfg.KafkaBomb, 1, nil, "bomb")
	t.Logf("a topic of %d partitions: %v %v", s.cfg.KafkaBomb, res.Err, err)
	if s.cfg.KafkaBombKills && !s.dies(inst.Spec.ID) {
		t.Fatalf("a topic of %d partitions did not exhaust the sandbox's memory limit", s.cfg.KafkaBomb)
	}
	// Either the broker held it within its fence, or it died of it: the
	// platform and the other learner are fine, and Kafka sandboxes start.
	other()
	if fresh := s.start(t, sandbox.KindKafka); len(fresh.Kafka.Seeds) == 0 {
		t.Fatal("a fresh Kafka sandbox has no broker after the bomb")
	}
}
