// Package redisready holds what both sandbox drivers need to bring up a
// multi-node Redis sandbox and to tell when it is ready: commands as the
// platform's admin on a node, replicas in sync, Sentinels that agree, and
// the forming of a Redis Cluster. Every node is reached through its
// sandbox.Node endpoint, so it works the same for processes and containers.
package redisready

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
)

// ClusterSlots are the slot ranges of the three primaries of a
// redis-cluster sandbox, in node order.
var ClusterSlots = [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}}

// AdminDo runs one command as admin on node and returns the reply; an
// error reply is an error.
func AdminDo(ctx context.Context, node sandbox.Node, args ...string) (resp.Value, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c, err := resp.Dial(cctx, node.Redis.Endpoint.Network, node.Redis.Endpoint.Address)
	if err != nil {
		return resp.Value{}, err
	}
	defer c.Close()
	if err := c.Auth(cctx, node.Redis.Admin.User, node.Redis.Admin.Password); err != nil {
		return resp.Value{}, err
	}
	v, err := c.Do(cctx, args...)
	if err != nil {
		return resp.Value{}, err
	}
	if v.Kind == resp.Error {
		return v, fmt.Errorf("%s: %s", strings.Join(args[:min(2, len(args))], " "), v.Str)
	}
	return v, nil
}

// InfoField returns field of an INFO reply.
func InfoField(info, field string) string {
	for _, line := range strings.Split(info, "\n") {
		if name, val, ok := strings.Cut(strings.TrimRight(line, "\r"), ":"); ok && name == field {
			return val
		}
	}
	return ""
}

// Poll calls try every 20ms until it returns nil, or returns its last
// error once ctx ends.
func Poll(ctx context.Context, what string, try func() error) error {
	for {
		err := try()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %v (%w)", what, err, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// ReplicasInSync waits until every replica node reports its link to the
// primary up and no sync in progress.
func ReplicasInSync(ctx context.Context, nodes []sandbox.Node) error {
	for _, n := range nodes {
		if n.Role != sandbox.RoleReplica {
			continue
		}
		err := Poll(ctx, n.Name+" in sync", func() error {
			v, err := AdminDo(ctx, n, "INFO", "replication")
			if err != nil {
				return err
			}
			if InfoField(v.Str, "master_link_status") != "up" || InfoField(v.Str, "master_sync_in_progress") != "0" {
				return errors.New("link " + InfoField(v.Str, "master_link_status"))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// SentinelsAgree waits until every Sentinel sees the primary as master with
// its two replicas and the two other Sentinels.
func SentinelsAgree(ctx context.Context, nodes []sandbox.Node) error {
	replicas := 0
	for _, n := range nodes {
		if n.Role == sandbox.RoleReplica {
			replicas++
		}
	}
	for _, n := range nodes {
		if n.Role != sandbox.RoleSentinel {
			continue
		}
		err := Poll(ctx, n.Name+" sees the primary", func() error {
			v, err := AdminDo(ctx, n, "SENTINEL", "MASTER", sandbox.SentinelMaster)
			if err != nil {
				return err
			}
			f := map[string]string{}
			for j := 0; j+1 < len(v.Elems); j += 2 {
				f[v.Elems[j].Str] = v.Elems[j+1].Str
			}
			if f["flags"] != "master" || f["num-slaves"] != strconv.Itoa(replicas) || f["num-other-sentinels"] != "2" {
				return errors.New("flags " + f["flags"] + ", replicas " + f["num-slaves"] + ", other sentinels " + f["num-other-sentinels"])
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// FormCluster does what redis-cli --cluster create does: distinct config
// epochs, the primaries' slots, every node met, then each replica set to
// replicate its primary; and waits for the cluster to be ok everywhere.
func FormCluster(ctx context.Context, nodes []sandbox.Node) error {
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		v, err := AdminDo(ctx, n, "CLUSTER", "MYID")
		if err != nil {
			return err
		}
		ids[i] = v.Str
		if _, err := AdminDo(ctx, n, "CLUSTER", "SET-CONFIG-EPOCH", strconv.Itoa(i+1)); err != nil {
			return err
		}
	}
	for i, r := range ClusterSlots {
		if _, err := AdminDo(ctx, nodes[i], "CLUSTER", "ADDSLOTSRANGE", strconv.Itoa(r[0]), strconv.Itoa(r[1])); err != nil {
			return err
		}
	}
	for _, n := range nodes[1:] {
		host, port := "127.0.0.1", n.Redis.TCP.Address[len("127.0.0.1:"):]
		if _, err := AdminDo(ctx, nodes[0], "CLUSTER", "MEET", host, port); err != nil {
			return err
		}
	}
	known := strconv.Itoa(len(nodes))
	for _, n := range nodes {
		if err := Poll(ctx, n.Name+" knows every node", func() error {
			v, err := AdminDo(ctx, n, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			if got := InfoField(v.Str, "cluster_known_nodes"); got != known {
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
		primary := ids[i-len(ClusterSlots)]
		if err := Poll(ctx, n.Name+" replicates", func() error {
			_, err := AdminDo(ctx, n, "CLUSTER", "REPLICATE", primary)
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
		if err := Poll(ctx, n.Name+" knows the replicas", func() error {
			v, err := AdminDo(ctx, n, "CLUSTER", "NODES")
			if err != nil {
				return err
			}
			return replicasKnown(v.Str, nodes, ids)
		}); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		if err := Poll(ctx, n.Name+" cluster ok", func() error {
			v, err := AdminDo(ctx, n, "CLUSTER", "INFO")
			if err != nil {
				return err
			}
			if InfoField(v.Str, "cluster_state") != "ok" || InfoField(v.Str, "cluster_slots_ok") != "16384" {
				return fmt.Errorf("cluster_state %s, slots ok %s", InfoField(v.Str, "cluster_state"), InfoField(v.Str, "cluster_slots_ok"))
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return ReplicasInSync(ctx, nodes)
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
		if want := ids[i-len(ClusterSlots)]; follows[ids[i]] != want {
			return fmt.Errorf("%s not yet seen as a replica of %s", n.Name, want)
		}
	}
	return nil
}
