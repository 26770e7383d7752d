package process_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/redisready"
	"github.com/opslab/opslab/internal/testkit"
)

// node returns the node called name of inst, failing the test if none.
func node(t *testing.T, inst sandbox.Instance, name string) sandbox.Node {
	t.Helper()
	n, ok := inst.Node(name)
	if !ok {
		t.Fatalf("no node %q in %s", name, inst.Spec.Kind)
	}
	return n
}

// eventually retries f every 50ms for up to d.
func eventually(t *testing.T, d time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRedisReplicaSyncs(t *testing.T) {
	// LoopbackTCP relays each node's port to the host, for the TCP check below.
	d := mustDriver(t, process.Options{LoopbackTCP: true})
	s := spec(sandbox.KindRedisReplica)
	inst := mustStart(t, d, s)
	if len(inst.Nodes) != 2 || inst.Nodes[0].Name != "primary" || inst.Nodes[1].Name != "replica-1" {
		t.Fatalf("nodes = %+v", inst.Nodes)
	}
	if inst.Redis.Endpoint != inst.Nodes[0].Redis.Endpoint {
		t.Error("the instance's Redis access is not the primary's")
	}
	primary := dialRedis(t, node(t, inst, "primary").Redis.Endpoint, inst.Redis.Admin)
	replica := dialRedis(t, node(t, inst, "replica-1").Redis.Endpoint, inst.Redis.Admin)
	// Ready means in sync: the replica's link is up at once.
	info := replica.ok("INFO", "replication").Str
	if redisready.InfoField(info, "role") != "slave" || redisready.InfoField(info, "master_link_status") != "up" {
		t.Fatalf("replica INFO replication:\n%s", info)
	}
	primary.ok("SET", "k", "v")
	eventually(t, 5*time.Second, "replicated", func() error {
		if v := replica.ok("GET", "k"); v.Str != "v" {
			return errors.New("GET k on the replica = " + v.Str)
		}
		return nil
	})
	// Every node keeps the accounts: no default user, the learner's ACL.
	learner := dialRedis(t, node(t, inst, "replica-1").Redis.Endpoint, inst.Redis.Learner)
	if v := learner.do("ACL", "LIST"); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOPERM") {
		t.Errorf("learner ACL LIST = %+v", v)
	}
	// The learner's own client may not name another server at all.
	client := dialRedis(t, node(t, inst, "replica-1").Redis.Endpoint, inst.Redis.Client)
	if v := client.do("REPLICAOF", "NO", "ONE"); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOPERM") {
		t.Errorf("client REPLICAOF = %+v", v)
	}
	anon := dialRedis(t, node(t, inst, "primary").Redis.TCP, sandbox.Credentials{})
	if v := anon.do("GET", "k"); v.Kind != resp.Error {
		t.Errorf("unauthenticated GET over TCP = %+v", v)
	}
	if !d.Alive(context.Background(), s.ID) {
		t.Fatal("not alive")
	}
	// One dead node makes the whole sandbox dead.
	if err := syscall.Kill(node(t, inst, "replica-1").PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "dead", func() error {
		if d.Alive(context.Background(), s.ID) {
			return errors.New("still alive")
		}
		return nil
	})
	if err := d.Stop(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(inst.Dir); !os.IsNotExist(err) {
		t.Errorf("directory left: %v", err)
	}
}

func TestRedisSentinelFailover(t *testing.T) {
	testkit.Slow(t, "a Sentinel failover (waits for the sentinels to agree)")
	d := mustDriver(t, process.Options{})
	s := spec(sandbox.KindRedisSentinel)
	begin := time.Now()
	inst := mustStart(t, d, s)
	t.Logf("redis-sentinel ready in %s", time.Since(begin))
	if len(inst.Nodes) != 6 {
		t.Fatalf("nodes = %+v", inst.Nodes)
	}
	primary := node(t, inst, "primary")
	sentinel := dialRedis(t, node(t, inst, "sentinel-1").Redis.Endpoint, inst.Redis.Learner)
	addr := func() string {
		v := sentinel.ok("SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster")
		if len(v.Elems) != 2 {
			t.Fatalf("get-master-addr-by-name = %+v", v)
		}
		return v.Elems[0].Str + ":" + v.Elems[1].Str
	}
	if got := addr(); got != primary.Redis.TCP.Address {
		t.Fatalf("master = %s, want the primary %s", got, primary.Redis.TCP.Address)
	}
	if v := sentinel.ok("SENTINEL", "REPLICAS", "mymaster"); len(v.Elems) != 2 {
		t.Errorf("SENTINEL REPLICAS: %d replicas", len(v.Elems))
	}
	// The learner may not reconfigure a Sentinel.
	for _, args := range [][]string{
		{"SENTINEL", "SET", "mymaster", "notification-script", "/bin/sh"},
		{"SENTINEL", "CONFIG", "GET", "*"},
		{"SENTINEL", "MONITOR", "evil", "10.0.0.1", "6379", "1"},
	} {
		if v := sentinel.do(args...); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOPERM") {
			t.Errorf("learner %v = %+v", args, v)
		}
	}
	sentinel.ok("SENTINEL", "FAILOVER", "mymaster")
	eventually(t, 20*time.Second, "failover", func() error {
		if got := addr(); got == primary.Redis.TCP.Address {
			return errors.New("master still " + got)
		}
		return nil
	})
	t.Logf("failover done %s after start", time.Since(begin))
	eventually(t, 20*time.Second, "old primary demoted", func() error {
		// Sentinel closes the old primary's clients: dial afresh.
		info, err := adminInfo(primary, inst.Redis.Admin)
		if err != nil {
			return err
		}
		if role := redisready.InfoField(info, "role"); role != "slave" || redisready.InfoField(info, "master_link_status") != "up" {
			return errors.New("old primary's role " + role)
		}
		return nil
	})
	t.Logf("old primary demoted %s after start", time.Since(begin))
}

func TestRedisClusterSlots(t *testing.T) {
	d := mustDriver(t, process.Options{})
	s := spec(sandbox.KindRedisCluster)
	begin := time.Now()
	inst := mustStart(t, d, s)
	t.Logf("redis-cluster ready in %s", time.Since(begin))
	if len(inst.Nodes) != 6 {
		t.Fatalf("nodes = %+v", inst.Nodes)
	}
	n1 := dialRedis(t, node(t, inst, "node-1").Redis.Endpoint, inst.Redis.Learner)
	info := n1.ok("CLUSTER", "INFO").Str
	if redisready.InfoField(info, "cluster_state") != "ok" || redisready.InfoField(info, "cluster_known_nodes") != "6" || redisready.InfoField(info, "cluster_size") != "3" {
		t.Fatalf("CLUSTER INFO:\n%s", info)
	}
	// "foo" hashes to slot 12182, served by node-3: node-1 redirects.
	if v := n1.ok("CLUSTER", "KEYSLOT", "foo"); v.Int != 12182 {
		t.Fatalf("KEYSLOT foo = %d", v.Int)
	}
	v := n1.do("SET", "foo", "bar")
	want := "MOVED 12182 " + node(t, inst, "node-3").Redis.TCP.Address
	if v.Kind != resp.Error || v.Str != want {
		t.Fatalf("SET foo on node-1 = %+v, want %q", v, want)
	}
	n3 := dialRedis(t, node(t, inst, "node-3").Redis.Endpoint, inst.Redis.Learner)
	n3.ok("SET", "foo", "bar")
	// The learner's own client may not CLUSTER MEET.
	client := dialRedis(t, node(t, inst, "node-1").Redis.Endpoint, inst.Redis.Client)
	if v := client.do("CLUSTER", "MEET", "127.0.0.1", "1"); v.Kind != resp.Error || !strings.HasPrefix(v.Str, "NOPERM") {
		t.Errorf("client CLUSTER MEET = %+v", v)
	}
	if err := d.Stop(context.Background(), s.ID); err != nil {
		t.Fatal(err)
	}
	if n := countServers(t, inst.Dir); n != 0 {
		t.Errorf("%d servers left", n)
	}
}

// A replica can run a manual CLUSTER FAILOVER as soon as the sandbox is
// ready: every node already knows which primary each replica follows (a
// primary ignores the failover handshake of a replica it does not know as
// its own, and the failover then times out after 5 seconds).
func TestRedisClusterManualFailoverAtOnce(t *testing.T) {
	d := mustDriver(t, process.Options{})
	s := spec(sandbox.KindRedisCluster)
	inst := mustStart(t, d, s)
	t.Cleanup(func() { _ = d.Stop(context.Background(), s.ID) })
	n4 := node(t, inst, "node-4")
	dialRedis(t, n4.Redis.Endpoint, inst.Redis.Learner).ok("CLUSTER", "FAILOVER")
	eventually(t, 4*time.Second, "node-4 promoted", func() error {
		info, err := adminInfo(n4, inst.Redis.Admin)
		if err != nil {
			return err
		}
		if role := redisready.InfoField(info, "role"); role != "master" {
			return errors.New("node-4's role " + role)
		}
		return nil
	})
}

// adminInfo returns INFO replication of n, on a fresh connection.
func adminInfo(n sandbox.Node, admin sandbox.Credentials) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := resp.Dial(ctx, n.Redis.Endpoint.Network, n.Redis.Endpoint.Address)
	if err != nil {
		return "", err
	}
	defer c.Close()
	if err := c.Auth(ctx, admin.User, admin.Password); err != nil {
		return "", err
	}
	v, err := c.Do(ctx, "INFO", "replication")
	return v.Str, err
}

// A crashed platform leaves a multi-node sandbox behind: a new Driver
// finds every one of its processes and stops them all.
func TestMultiNodeLeftover(t *testing.T) {
	dir := scratchDir(t)
	ctx := context.Background()
	first := mustDriver(t, process.Options{Dir: dir})
	inst, err := first.Start(ctx, spec(sandbox.KindRedisReplica))
	if err != nil {
		t.Fatal(err)
	}
	if n := countServers(t, dir); n != 2 {
		t.Fatalf("%d servers, want 2", n)
	}
	second := mustDriver(t, process.Options{Dir: dir})
	if err := second.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if n := countServers(t, dir); n != 0 {
		t.Fatalf("%d servers left after Stop of a leftover", n)
	}
	waitFor(t, "the first Driver to see the deaths", func() bool { return !first.Alive(ctx, inst.Spec.ID) })
	if err := first.Stop(ctx, inst.Spec.ID); err != nil {
		t.Errorf("stop of the dead group: %v", err)
	}
}

func TestKafkaClusterReplicas(t *testing.T) {
	d := mustDriver(t, process.Options{})
	s := spec(sandbox.KindKafkaCluster)
	inst := mustStart(t, d, s)
	if len(inst.Kafka.Seeds) != 3 || len(inst.Nodes) != 3 || inst.Nodes[2].Name != "broker-2" || inst.Nodes[2].Kafka.Seeds[0] != inst.Kafka.Seeds[2] {
		t.Fatalf("instance = %+v", inst)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Bootstrapping from broker-2 alone reaches the whole cluster.
	cl, err := kgo.NewClient(kgo.SeedBrokers(inst.Nodes[2].Kafka.Seeds...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 2, 3, map[string]*string{"min.insync.replicas": kadm.StringPtr("2")}, "payments"); err != nil {
		t.Fatal(err)
	}
	brokers, err := adm.ListBrokers(ctx)
	if err != nil || len(brokers) != 3 {
		t.Fatalf("brokers = %v, %v", brokers, err)
	}
	topics, err := adm.ListTopics(ctx, "payments")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range topics["payments"].Partitions.Sorted() {
		if len(p.Replicas) != 3 || len(p.ISR) != 3 || p.Leader < 0 {
			t.Errorf("partition %d: leader %d, replicas %v, isr %v", p.Partition, p.Leader, p.Replicas, p.ISR)
		}
	}
	if _, err := adm.CreateTopic(ctx, 1, 4, nil, "too-wide"); err == nil {
		t.Error("a replication factor of 4 on three brokers was accepted")
	}
}
