package container

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
	"github.com/opslab/opslab/internal/sandbox/redisready"
)

// adminDoT runs one command as admin on node and returns the reply.
func adminDoT(t *testing.T, node sandbox.Node, args ...string) resp.Value {
	t.Helper()
	v, err := redisready.AdminDo(context.Background(), node, args...)
	if err != nil {
		t.Fatalf("%s on %s: %v", strings.Join(args, " "), node.Name, err)
	}
	return v
}

// node returns inst's node called name.
func node(t *testing.T, inst sandbox.Instance, name string) sandbox.Node {
	t.Helper()
	n, ok := inst.Node(name)
	if !ok {
		t.Fatalf("no node %s in %s", name, inst.Spec.Kind)
	}
	return n
}

// portOf returns the port of "127.0.0.1:port".
func portOf(addr string) string { return addr[strings.LastIndex(addr, ":")+1:] }

// checkNodes checks inst's nodes against its kind's: names, roles, and
// addresses of the form 127.0.0.1:port, distinct.
func checkNodes(t *testing.T, inst sandbox.Instance) {
	t.Helper()
	infos := inst.Spec.Kind.Nodes()
	if len(inst.Nodes) != len(infos) {
		t.Fatalf("%d nodes, want %d", len(inst.Nodes), len(infos))
	}
	seen := map[string]bool{}
	for i, n := range inst.Nodes {
		if n.Name != infos[i].Name || n.Role != infos[i].Role {
			t.Errorf("node %d = %s (%s), want %s (%s)", i, n.Name, n.Role, infos[i].Name, infos[i].Role)
		}
		addr := n.Redis.TCP.Address
		if len(n.Kafka.Seeds) > 0 {
			addr = n.Kafka.Seeds[0]
		}
		if !strings.HasPrefix(addr, "127.0.0.1:") || seen[addr] {
			t.Errorf("node %s address %q: want a distinct 127.0.0.1:port", n.Name, addr)
		}
		seen[addr] = true
	}
}

// checkGone checks that Stop left no container and no directory of inst.
func checkGone(t *testing.T, d *Driver, inst sandbox.Instance) {
	t.Helper()
	ctx := context.Background()
	if err := d.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if d.Alive(ctx, inst.Spec.ID) {
		t.Error("Alive after Stop")
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sandbox directory left after Stop: %v", err)
	}
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: labelFilter(LabelSandbox + "=" + inst.Spec.ID)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("%d containers left after Stop", len(list.Items))
	}
}

// nodeContainers returns node name -> container labels of inst.
func nodeContainers(t *testing.T, d *Driver, id string) map[string]map[string]string {
	t.Helper()
	list, err := d.cli.ContainerList(context.Background(), client.ContainerListOptions{All: true, Filters: labelFilter(LabelSandbox + "=" + id)})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, c := range list.Items {
		out[c.Labels[LabelNode]] = c.Labels
	}
	return out
}

// TestRedisReplicaContainers starts a redis-replica sandbox: one container
// per node, labelled; the replica in sync with the primary over the
// sandbox's shared loopback; and Stop leaves nothing.
func TestRedisReplicaContainers(t *testing.T) {
	d := newDriver(t, shortDir(t))
	begin := time.Now()
	inst := start(t, d, sandbox.KindRedisReplica)
	t.Logf("redis-replica ready in %v", time.Since(begin).Round(time.Millisecond))
	checkNodes(t, inst)
	if inst.Redis != inst.Nodes[0].Redis {
		t.Errorf("Instance.Redis is not the primary's access")
	}
	ctrs := nodeContainers(t, d, inst.Spec.ID)
	for _, n := range inst.Nodes {
		l := ctrs[n.Name]
		if l == nil || l[LabelKind] != string(sandbox.KindRedisReplica) || l[LabelScope] != d.opts.Scope || l[LabelLearner] != "7" {
			t.Errorf("node %s's container labels = %v", n.Name, l)
		}
	}

	primary, replica := node(t, inst, "primary"), node(t, inst, "replica-1")
	info := adminDoT(t, replica, "INFO", "replication").Str
	for _, want := range []string{"role:slave", "master_host:127.0.0.1", "master_port:" + portOf(primary.Redis.TCP.Address), "master_link_status:up"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO replication on replica-1 lacks %q:\n%s", want, info)
		}
	}
	adminDoT(t, primary, "SET", "k", "v")
	deadline := time.Now().Add(5 * time.Second)
	for adminDoT(t, replica, "GET", "k").Str != "v" {
		if time.Now().After(deadline) {
			t.Fatal("the replica never got k")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The learner's policy accepts REPLICAOF naming the primary.
	if _, err := redisnode.PrepareLearnerCommand(inst, replica, []string{"REPLICAOF", "127.0.0.1", portOf(primary.Redis.TCP.Address)}); err != nil {
		t.Errorf("the policy refuses REPLICAOF of the sandbox's own primary: %v", err)
	}
	// The fence holds in a node that joined the first one's namespace.
	status, _, err := d.ExecNode(context.Background(), inst.Spec.ID, "replica-1", []string{"cat", "/proc/self/status"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CapEff:\t0000000000000000", "NoNewPrivs:\t1"} {
		if !strings.Contains(status, want) {
			t.Errorf("/proc/self/status in replica-1 lacks %q", want)
		}
	}
	if !d.Alive(context.Background(), inst.Spec.ID) {
		t.Error("not Alive")
	}
	checkGone(t, d, inst)
}

// TestRedisSentinelFailover starts a redis-sentinel sandbox, asks a
// Sentinel for the master, forces a failover and watches a replica take
// over.
func TestRedisSentinelFailover(t *testing.T) {
	d := newDriver(t, shortDir(t))
	begin := time.Now()
	inst := start(t, d, sandbox.KindRedisSentinel)
	t.Logf("redis-sentinel ready in %v", time.Since(begin).Round(time.Millisecond))
	checkNodes(t, inst)
	primary := node(t, inst, "primary")
	s1 := node(t, inst, "sentinel-1")
	addr := adminDoT(t, s1, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", sandbox.SentinelMaster)
	if len(addr.Elems) != 2 || addr.Elems[0].Str+":"+addr.Elems[1].Str != primary.Redis.TCP.Address {
		t.Fatalf("SENTINEL GET-MASTER-ADDR-BY-NAME = %v, want the primary's %s", addr, primary.Redis.TCP.Address)
	}
	// The learner's own SENTINEL FAILOVER, through the learner account.
	c, err := resp.Dial(context.Background(), s1.Redis.Endpoint.Network, s1.Redis.Endpoint.Address)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Auth(ctx, s1.Redis.Learner.User, s1.Redis.Learner.Password); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Do(ctx, "SENTINEL", "FAILOVER", sandbox.SentinelMaster); err != nil || v.Kind == resp.Error {
		t.Fatalf("SENTINEL FAILOVER = %v, %v", v, err)
	}
	var promoted sandbox.Node
	deadline := time.Now().Add(30 * time.Second)
	for promoted.Name == "" {
		if time.Now().After(deadline) {
			t.Fatal("no replica became master within 30s of SENTINEL FAILOVER")
		}
		time.Sleep(100 * time.Millisecond)
		v := adminDoT(t, s1, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", sandbox.SentinelMaster)
		if len(v.Elems) != 2 {
			continue
		}
		for _, n := range inst.Nodes {
			if n.Role == sandbox.RoleReplica && n.Redis.TCP.Address == v.Elems[0].Str+":"+v.Elems[1].Str {
				promoted = n
			}
		}
	}
	deadline = time.Now().Add(15 * time.Second)
	for !strings.Contains(adminDoT(t, promoted, "INFO", "replication").Str, "role:master") {
		if time.Now().After(deadline) {
			t.Fatalf("%s, named master by the Sentinel, is not master", promoted.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The old primary follows the new one.
	for !strings.Contains(adminDoT(t, primary, "INFO", "replication").Str, "master_port:"+portOf(promoted.Redis.TCP.Address)) {
		if time.Now().After(deadline) {
			t.Fatalf("the old primary does not replicate %s", promoted.Name)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("failover to %s done", promoted.Name)
	checkGone(t, d, inst)
}

// TestRedisClusterContainers starts a redis-cluster sandbox and reads
// CLUSTER INFO on node-2; then a second driver on the same directory
// adopts it after the first closed (relays of LoopbackTCP included).
func TestRedisClusterContainers(t *testing.T) {
	dir := shortDir(t)
	d := newDriver(t, dir)
	d.opts.LoopbackTCP = true
	begin := time.Now()
	inst := start(t, d, sandbox.KindRedisCluster)
	t.Logf("redis-cluster ready in %v", time.Since(begin).Round(time.Millisecond))
	checkNodes(t, inst)
	info := adminDoT(t, node(t, inst, "node-2"), "CLUSTER", "INFO").Str
	for _, want := range []string{"cluster_state:ok", "cluster_slots_assigned:16384", "cluster_known_nodes:6", "cluster_size:3"} {
		if !strings.Contains(info, want) {
			t.Errorf("CLUSTER INFO on node-2 lacks %q:\n%s", want, info)
		}
	}
	nodes := adminDoT(t, node(t, inst, "node-1"), "CLUSTER", "NODES").Str
	for _, n := range inst.Nodes {
		if !strings.Contains(nodes, n.Redis.TCP.Address+"@"+strconv.Itoa(mustAtoi(t, portOf(n.Redis.TCP.Address))+clusterBusOffset)) {
			t.Errorf("CLUSTER NODES does not announce %s at %s:\n%s", n.Name, n.Redis.TCP.Address, nodes)
		}
	}
	// A key set through a node that does not own its slot is redirected
	// to an address that the host relay serves too.
	v, err := redisready.AdminDo(context.Background(), node(t, inst, "node-1"), "SET", "foo", "bar") // slot 12182: node-3
	if err == nil || !strings.Contains(v.Str, "MOVED 12182 "+node(t, inst, "node-3").Redis.TCP.Address) {
		t.Errorf("SET foo on node-1 = %v, %v; want MOVED to node-3", v, err)
	}

	// Restart: the first driver closes (relays down, containers up), a
	// second one adopts the sandbox.
	d.Close()
	d2 := newDriver(t, dir)
	d2.opts.LoopbackTCP = true
	adopted, err := d2.Adopt(context.Background(), sandbox.Record{ID: inst.Spec.ID, Kind: inst.Spec.Kind, Owner: 7, Lesson: lessonKey("test/lesson")})
	if err != nil {
		t.Fatal(err)
	}
	if len(adopted.Nodes) != 6 || adopted.Nodes[5].Redis != inst.Nodes[5].Redis || adopted.Redis != inst.Redis {
		t.Errorf("adopted nodes differ from the started ones:\n%+v\n%+v", adopted.Nodes, inst.Nodes)
	}
	if !d2.Alive(context.Background(), inst.Spec.ID) {
		t.Error("the adopted sandbox is not Alive")
	}
	// The host relay of node-3 answers again (PING needs no account).
	c, err := resp.Dial(context.Background(), "tcp", node(t, adopted, "node-3").Redis.TCP.Address)
	if err != nil {
		t.Fatalf("node-3's host relay after Adopt: %v", err)
	}
	if err := c.Auth(context.Background(), adopted.Redis.Admin.User, adopted.Redis.Admin.Password); err != nil {
		t.Fatalf("AUTH through node-3's host relay: %v", err)
	}
	c.Close()
	// A node that stops makes the sandbox dead.
	stopNode(t, d2, inst.Spec.ID, "node-5")
	if d2.Alive(context.Background(), inst.Spec.ID) {
		t.Error("Alive with node-5 stopped")
	}
	checkGone(t, d2, inst)
}

// stopNode stops (kills) the container of node name of sandbox id.
func stopNode(t *testing.T, d *Driver, id, name string) {
	t.Helper()
	list, err := d.cli.ContainerList(context.Background(), client.ContainerListOptions{Filters: labelFilter(
		LabelSandbox+"="+id, LabelNode+"="+name)})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("find node %s's container: %v, %d found", name, err, len(list.Items))
	}
	if _, err := d.cli.ContainerKill(context.Background(), list.Items[0].ID, client.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := d.cli.ContainerInspect(context.Background(), list.Items[0].ID, client.ContainerInspectOptions{})
		if info := res.Container; err == nil && info.State != nil && !info.State.Running {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s's container still runs", name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
