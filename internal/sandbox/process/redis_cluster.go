package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// clusterBusOffset is the distance from a node's port to its cluster bus
// port: Redis's default, so that a CLUSTER MEET naming a node's port
// reaches that node's bus and nothing else.
const clusterBusOffset = 10000

// clusterSlots are the slot ranges of the three primaries, as
// redis-cli --cluster create assigns them.
var clusterSlots = [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}

// startRedisCluster starts a redis-cluster sandbox: "node-1" to "node-3"
// primaries of the slot ranges 0-5460, 5461-10922 and 10923-16383, and
// "node-4" to "node-6" replicas of node-1 to node-3. It returns once every
// node reports cluster_state:ok with six known nodes and every replica is
// in sync.
func (d *Driver) startRedisCluster(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	dir := d.dir(spec.ID)
	a := newMultiAccess()
	infos := spec.Kind.Nodes()
	launch := func(ctx context.Context, i int) (*redisServer, sandbox.Node, error) {
		info := infos[i]
		port, err := clusterPort()
		if err != nil {
			return nil, sandbox.Node{}, err
		}
		access := nodeAccess(dir, i, port, a)
		args := dataNodeArgs(dir, i, port, spec.MemoryCap(),
			"--cluster-enabled", "yes",
			"--cluster-config-file", "n"+strconv.Itoa(i)+"-nodes.conf",
			"--cluster-node-timeout", "3000",
			"--cluster-announce-ip", "127.0.0.1",
		)
		srv, err := d.launchNode(ctx, dir, i, args, nodeUsers(spec.Kind, info.Role, a), access)
		if err != nil {
			return nil, sandbox.Node{}, err
		}
		return srv, sandbox.Node{Name: info.Name, Role: info.Role, PID: srv.pid, Redis: access}, nil
	}
	return d.startGroup(ctx, spec, len(infos), launch, formCluster)
}

// clusterPort returns a free loopback port whose bus port is free too.
func clusterPort() (int, error) {
	for range 20 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+clusterBusOffset > 65535 {
			continue
		}
		if free(p + clusterBusOffset) {
			return p, nil
		}
	}
	return 0, errors.New("no free port pair for a cluster node")
}

// free reports whether port can be listened on at 127.0.0.1 now.
func free(port int) bool {
	l, err := listenLoopback(port)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// formCluster does what redis-cli --cluster create does: distinct config
// epochs, the primaries' slots, every node met, then each replica set to
// replicate its primary; and waits for the cluster to be ok everywhere.
func formCluster(ctx context.Context, nodes []sandbox.Node) error {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		v, err := adminDo(ctx, n, "CLUSTER", "MYID")
		if err != nil {
			return err
		}
		ids[i] = v.Str
		if _, err := adminDo(ctx, n, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	for i, r := range clusterSlots {
		if _, err := adminDo(ctx, nodes[i], "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(r[0]), strconv.Itoa(r[1])); err != nil {
			return err
		}
	}
	for _, n := range nodes[1:] {
		host, port := "127.0.0.1", n.Redis.TCP.Address[len("127.0.0.1:"):]
		if _, err := adminDo(ctx, nodes[0], "CLUSTER", "MEET", host, port); err != nil {
			return err
		}
	}
	known := strconv.Itoa(len(nodes))
	for _, n := range nodes {
		if err := poll(ctx, n.Name+" knows every node", func() error {
			v, err := adminDo(ctx, n, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			if got := infoField(v.Str, "cluster_known_nodes"); got != known {
				return fmt.Errorf("knows %s nodes", got)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	for i, n := range nodes {
		if n.Role != sandbox.RoleReplica {
			continue
		}
		primary := ids[i-len(clusterSlots)]
		if err := poll(ctx, n.Name+" replicates", func() error {
			_, err := adminDo(ctx, n, "CLUSTER", "REPLICATE", primary)
			return err
		}); err != nil {
			return err
		}
	}
	// Every node must also know which primary each replica follows: a
	// primary ignores a CLUSTER FAILOVER handshake from a replica it does
	// not know as its own, and the other primaries refuse it their votes,
	// so a manual failover right after the start would time out.
	for _, n := range nodes {
		if err := poll(ctx, n.Name+" knows the replicas", func() error {
			v, err := adminDo(ctx, n, "CLUSTER", "NODES")
			if err != nil {
				return err
			}
			return replicasKnown(v.Str, nodes, ids)
		}); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if err := poll(ctx, n.Name+" cluster ok", func() error {
			v, err := adminDo(ctx, n, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			if infoField(v.Str, "cluster_state") != "ok" || infoField(v.Str, "cluster_slots_ok") != "16384" {
				return fmt.Errorf("cluster_state %s, slots ok %s", infoField(v.Str, "cluster_state"), infoField(v.Str, "cluster_slots_ok"))
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return replicasInSync(ctx, nodes)
}

// replicasKnown reports, from one node's CLUSTER NODES, whether that node
// sees every replica of nodes (ids by position) as a replica of its
// primary.
func replicasKnown(clusterNodes string, nodes []sandbox.Node, ids []string) error {
	follows := map[string]string{} // node id -> primary id, for replicas
	for _, line := range strings.Split(clusterNodes, "\n") {
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		for _, flag := range strings.Split(f[2], ",") {
			if flag == "slave" {
				follows[f[0]] = f[3]
			}
		}
	}
	for i, n := range nodes {
		if n.Role != sandbox.RoleReplica {
			continue
		}
		if want := ids[i-len(clusterSlots)]; follows[ids[i]] != want {
			return fmt.Errorf("%s not yet seen as a replica of %s", n.Name, want)
		}
	}
	return nil
}

func listenLoopback(port int) (interface{ Close() error }, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}
