package process

import (
	"context"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
	"github.com/opslab/opslab/internal/sandbox/redisready"
)

// startReplicated starts a redis-replica sandbox (node "primary" and node
// "replica-1" replicating it, signed in as the replication account) or a
// redis-sentinel one (see launchSentinel): the data nodes of kind
// spec.Kind with its first node the primary and the other data nodes its
// replicas, and for redis-sentinel the Sentinels too. It returns once the
// replicas' links are up and their first sync done, and every Sentinel
// sees the primary, the replicas and the other Sentinels.
func (d *Driver) startReplicated(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	dir := d.dir(spec.ID)
	a := redisnode.NewAccounts()
	infos := spec.Kind.Nodes()
	primaryPort := 0
	launch := func(ctx context.Context, i int) (*child, sandbox.Node, error) {
		info := infos[i]
		fixed := firstDataPort + i
		if info.Role == sandbox.RoleSentinel {
			fixed = firstSentinelPort + i
		}
		port, err := d.tcpPort(b, fixed)
		if err != nil {
			return nil, sandbox.Node{}, err
		}
		access := nodeAccess(dir, i, port, a)
		node := sandbox.Node{Name: info.Name, Role: info.Role, Redis: access}
		var srv *child
		if info.Role == sandbox.RoleSentinel {
			srv, err = d.launchSentinel(ctx, b, i, port, primaryPort, a, access)
		} else {
			replicaOf := 0
			if info.Role == sandbox.RoleReplica {
				replicaOf = primaryPort
			}
			args := dataNodeArgs(dir, i, port, spec.MemoryCap(), replicaOf, false)
			srv, err = d.launchNode(ctx, b, i, args, redisnode.NodeUserLines(spec.Kind, info.Role, a), access)
		}
		if err != nil {
			return nil, sandbox.Node{}, err
		}
		if info.Role == sandbox.RolePrimary {
			primaryPort = port
		}
		node.PID = srv.pid
		return srv, node, nil
	}
	ready := func(ctx context.Context, nodes []sandbox.Node) error {
		if err := redisready.ReplicasInSync(ctx, nodes); err != nil {
			return err
		}
		if spec.Kind == sandbox.KindRedisSentinel {
			return redisready.SentinelsAgree(ctx, nodes)
		}
		return nil
	}
	return d.startGroup(ctx, spec, b, len(infos), launch, ready)
}
