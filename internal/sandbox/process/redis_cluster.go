package process

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
	"github.com/opslab/opslab/internal/sandbox/redisready"
)

// redisready.ClusterSlots are the slot ranges of the three primaries, as

// startRedisCluster starts a redis-cluster sandbox: "node-1" to "node-3"
// primaries of the slot ranges 0-5460, 5461-10922 and 10923-16383, and
// "node-4" to "node-6" replicas of node-1 to node-3. It returns once every
// node reports cluster_state:ok with six known nodes and every replica is
// in sync.
func (d *Driver) startRedisCluster(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	dir := d.dir(spec.ID)
	a := redisnode.NewAccounts()
	infos := spec.Kind.Nodes()
	launch := func(ctx context.Context, i int) (*child, sandbox.Node, error) {
		info := infos[i]
		var (
			port int
			err  error
		)
		if b.fence.Fenced() {
			// Bus ports are on the sandbox's own loopback: all free.
			port, err = d.tcpPort(b, firstDataPort+i)
		} else {
			port, err = clusterPort()
		}
		if err != nil {
			return nil, sandbox.Node{}, err
		}
		access := nodeAccess(dir, i, port, a)
		args := dataNodeArgs(dir, i, port, spec.MemoryCap(), 0, true)
		srv, err := d.launchNode(ctx, b, i, args, redisnode.NodeUserLines(spec.Kind, info.Role, a), access)
		if err != nil {
			return nil, sandbox.Node{}, err
		}
		return srv, sandbox.Node{Name: info.Name, Role: info.Role, PID: srv.pid, Redis: access}, nil
	}
	return d.startGroup(ctx, spec, b, len(infos), launch, redisready.FormCluster)
}

// clusterPort returns a free loopback port whose bus port is free too.
func clusterPort() (int, error) {
	for range 20 {
		p, err := freePort()
		if err != nil {
			return 0, err
		}
		if p+redisnode.ClusterBusOffset > 65535 {
			continue
		}
		if free(p + redisnode.ClusterBusOffset) {
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

func listenLoopback(port int) (interface{ Close() error }, error) {
	return net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}
