package process_test

import (
	"context"
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// The escape suite of the process driver. Each attack runs as the
// sandbox's admin account, which no learner has: what holds against it
// holds against a learner whatever the console lets through, because it is
// the kernel's fence that holds. Each asserts the same three things: the
// attacker gets an error or only their own sandbox is replaced; another
// learner's sandbox keeps answering; nothing arrives at a listener outside
// the sandbox.

// outsideListener is a TCP listener on the host's loopback that the test
// owns, counting the connections it gets.
type outsideListener struct {
	port     int
	accepted chan struct{}
}

func listenOutside(t *testing.T) *outsideListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	o := &outsideListener{port: l.Addr().(*net.TCPAddr).Port, accepted: make(chan struct{}, 100)}
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
func (o *outsideListener) none(t *testing.T, what string) {
	t.Helper()
	if n := len(o.accepted); n > 0 {
		t.Fatalf("%s: the listener outside the sandbox accepted %d connections", what, n)
	}
}

// bystander is another learner's sandbox that must keep answering.
func bystander(t *testing.T, d *process.Driver) func() {
	t.Helper()
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	c := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	c.ok("SET", "mine", "safe")
	return func() {
		t.Helper()
		if v := c.ok("GET", "mine"); v.Str != "safe" {
			t.Fatalf("the other learner's sandbox lost its data: %+v", v)
		}
	}
}

func TestEscapeNetwork(t *testing.T) {
	d := mustDriver(t, process.Options{})
	out := listenOutside(t)
	other := bystander(t, d)
	port := strconv.Itoa(out.port)

	t.Run("Redis", func(t *testing.T) {
		inst := mustStart(t, d, spec(sandbox.KindRedis))
		admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
		admin.ok("SET", "k", "v")
		for _, attack := range [][]string{
			{"MIGRATE", "127.0.0.1", port, "k", "0", "1000"},
			{"EVAL", "return redis.call('MIGRATE','127.0.0.1','" + port + "','k','0','1000')", "1", "k"},
			{"REPLICAOF", "127.0.0.1", port},
			{"FAILOVER", "TO", "127.0.0.1", port},
		} {
			admin.do(attack...)
		}
		time.Sleep(300 * time.Millisecond) // a replica dials its primary in the background
		admin.do("REPLICAOF", "NO", "ONE")
		out.none(t, "Redis")
	})
	t.Run("RedisCluster", func(t *testing.T) {
		inst := mustStart(t, d, spec(sandbox.KindRedisCluster))
		n := inst.Nodes[0]
		admin := dialRedis(t, n.Redis.Endpoint, inst.Redis.Admin)
		admin.do("CLUSTER", "MEET", "127.0.0.1", port)
		admin.do("CLUSTER", "MEET", "127.0.0.1", port, port)
		time.Sleep(300 * time.Millisecond) // the bus dials in the background
		out.none(t, "Redis Cluster")
	})
	t.Run("RedisSentinel", func(t *testing.T) {
		inst := mustStart(t, d, spec(sandbox.KindRedisSentinel))
		s := node(t, inst, "sentinel-1")
		admin := dialRedis(t, s.Redis.Endpoint, inst.Redis.Admin)
		admin.do("SENTINEL", "MONITOR", "evil", "127.0.0.1", port, "1")
		admin.do("SENTINEL", "SET", "mymaster", "notification-script", "/bin/sh")
		time.Sleep(300 * time.Millisecond)
		out.none(t, "Sentinel")
	})
	t.Run("Kafka", func(t *testing.T) {
		inst := mustStart(t, d, spec(sandbox.KindKafka))
		// From inside the sandbox's fence, the host's port is not there.
		if c, err := net.DialTimeout("tcp", inst.Kafka.Seeds[0], time.Second); err != nil {
			t.Fatalf("the broker's relay does not answer: %v", err)
		} else {
			c.Close()
		}
		out.none(t, "Kafka")
	})
	other()
}

func TestEscapeMemory(t *testing.T) {
	d := mustDriver(t, process.Options{})
	other := bystander(t, d)
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)

	// A value past the cap is refused in Redis's own words, typed or scripted.
	for _, attack := range [][]string{
		{"SETRANGE", "big", "300000000", "x"},
		{"EVAL", "return redis.call('SETRANGE','big',300000000,'x')", "1", "big"},
	} {
		if v := admin.do(attack...); v.Kind != resp.Error || !strings.Contains(v.Str, "string exceeds maximum allowed size") {
			t.Fatalf("%v: %+v", attack[0], v)
		}
	}
	// Lua's heap is not bounded by maxmemory: the fence's memory limit is,
	// and the kernel kills this sandbox's server, no other.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, _ = admin.c.Do(ctx, "EVAL", "local t = {} for i = 1, 100000000 do t[i] = string.rep('x', 100) .. i end return #t", "0")
	waitFor(t, "the sandbox to die of its memory limit", func() bool { return !d.Alive(context.Background(), inst.Spec.ID) })
	other()
}

func TestEscapeDisk(t *testing.T) {
	d := mustDriver(t, process.Options{})
	other := bystander(t, d)
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	admin.ok("CONFIG", "SET", "appendonly", "yes")
	// Overwrite one key: memory stays small while the AOF grows, until the
	// sandbox's tmpfs is full. Redis then refuses writes, or (fsync
	// "always") exits: either way only this sandbox is hurt.
	value := strings.Repeat("x", 512<<10)
	full := false
	for i := 0; i < 2000 && !full; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := admin.c.Do(ctx, "SET", "k", value)
		cancel()
		full = err != nil || v.Kind == resp.Error
	}
	if !full {
		t.Fatal("the AOF grew past the sandbox's disk without an error")
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(inst.Dir, &st); err != nil {
		t.Fatal(err)
	}
	limit := process.Limits(inst.Spec, false).DiskBytes
	if size := int64(st.Blocks) * st.Bsize; size != limit {
		t.Fatalf("the sandbox's folder is %d bytes, want its tmpfs of %d", size, limit)
	}
	other()
}

func TestEscapeCPU(t *testing.T) {
	d := mustDriver(t, process.Options{})
	other := bystander(t, d)
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	admin.ok("CONFIG", "SET", "busy-reply-threshold", "100")
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_, _ = admin.c.Do(ctx, "EVAL", "redis.call('SET','k','v') while true do end", "0")
	}()
	// The script spins at most one core: others keep answering.
	for range 5 {
		other()
		time.Sleep(100 * time.Millisecond)
	}
	if err := d.Stop(context.Background(), inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	other()
}

func TestEscapeKafkaBombs(t *testing.T) {
	d := mustDriver(t, process.Options{})
	other := bystander(t, d)
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	// A client that skips the console's caps asks the broker itself.
	cl, err := kgo.NewClient(kgo.SeedBrokers(inst.Kafka.Seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, _ = adm.CreateTopic(ctx, 200000, 1, nil, "bomb")
	// Either kfake held it within the fence's memory, or the kernel killed
	// this sandbox's process: the platform and the other learner are fine.
	other()
	fresh := mustStart(t, d, spec(sandbox.KindKafka))
	if fresh.PID <= 0 {
		t.Fatal("a fresh Kafka sandbox does not start after the bomb")
	}
}
