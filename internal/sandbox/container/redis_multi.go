package container

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
	"github.com/opslab/opslab/internal/sandbox/redisready"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// A multi-node Redis sandbox runs one redis-server per node, each in its
// own container (see multi.go). Every node listens on its unix socket, for
// the platform, and on 127.0.0.1:<port> of the sandbox's shared loopback,
// since replication, Sentinel and the cluster bus need TCP. Every node has
// the admin, learner and client accounts with the default user off, plus
// the replication account replicas sign in with (masteruser/masterauth)
// and, under Sentinel, the sentinel account: as with the process driver.

// Ports of a multi-node Redis sandbox's nodes on its private loopback, when
// the driver does not relay them to the host (LoopbackTCP off): data node
// i on firstDataPort+i (its cluster bus on 10000 more), Sentinel k on
// firstSentinelPort+k. With LoopbackTCP, each node takes the port of its
// host relay instead, so that the address the nodes know each other by
// (what a MOVED reply or a Sentinel names) works from the host too.
const (
	firstDataPort     = 6379
	firstSentinelPort = 26379
	clusterBusOffset  = redisnode.ClusterBusOffset
)

// startRedisGroup starts a redis-replica, redis-sentinel or redis-cluster
// sandbox and waits until it is ready as the process driver's is: the
// replicas in sync; every Sentinel seeing the primary, both replicas and
// the two other Sentinels; every cluster node ok with all slots and six
// known nodes. The caller removes what is left on error.
func (d *Driver) startRedisGroup(ctx context.Context, spec sandbox.Spec) (*box, error) {
	infos := spec.Kind.Nodes()
	a := redisnode.NewAccounts()
	inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: d.dir(spec.ID), StartedAt: time.Now()}
	ports, relays, err := d.redisNodePorts(spec)
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			closeAll(relays)
		}
	}()
	primaryPort := ports[0]
	var (
		nodes []nodeContainer
		saved []savedNode
	)
	for i, info := range infos {
		mnt := d.nodeMnt(spec.ID, i)
		user := d.prepareMount(mnt, 999)
		access := sandbox.RedisAccess{
			Endpoint: sandbox.Endpoint{Network: "unix", Address: filepath.Join(mnt, "redis.sock")},
			TCP:      sandbox.Endpoint{Network: "tcp", Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[i]))},
			Learner:  a.Learner,
			Client:   a.Client,
			Admin:    a.Admin,
		}
		inst.Nodes = append(inst.Nodes, sandbox.Node{Name: info.Name, Role: info.Role, Redis: access})
		saved = append(saved, savedNode{Name: info.Name, Role: info.Role, Port: ports[i], Relay: relays[i] != nil})
		var (
			file string
			conf string
			args []string
		)
		if info.Role == sandbox.RoleSentinel {
			file, conf, args = "sentinel.conf", sentinelConfig(ports[i], primaryPort, a), []string{"--sentinel"}
		} else {
			file, conf = "redis.conf", dataNodeConfig(spec, info.Role, ports[i], primaryPort, a)
		}
		if err := writeOwned(filepath.Join(mnt, file), conf, user); err != nil {
			return nil, err
		}
		cfg := &container.Config{
			Image:      d.opts.RedisImage,
			Entrypoint: []string{"redis-server"},
			Cmd:        append([]string{mountPoint + "/" + file}, args...),
			User:       user.String(),
			Labels:     d.nodeLabels(spec, info.Name),
			WorkingDir: dataDir,
		}
		host := d.hostConfig(spec.MemoryCap()+d.opts.RedisOverheadBytes, d.opts.RedisPids, mnt)
		host.Mounts = append(host.Mounts, tmpfs(dataDir, 2*spec.MemoryCap()), tmpfs("/tmp", 1<<20))
		nodes = append(nodes, nodeContainer{cfg: cfg, host: host})
	}
	inst.Redis = inst.Nodes[0].Redis
	if err := saveAccessNodes(inst, saved); err != nil {
		return nil, err
	}
	// The data nodes start first. The Sentinels start once the replicas
	// are in sync: a Sentinel learns the replicas from the primary's INFO,
	// which it asks for on connecting and then every ten seconds, so one
	// started with the replicas would not see them for ten seconds, and a
	// SENTINEL FAILOVER right after the start would find no replica to
	// promote.
	inst.StartedAt = time.Now()
	timeout := multiStartFactor * d.opts.StartTimeout
	readyCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ids := make([]string, len(infos))
	data := len(infos)
	for i, info := range infos {
		if info.Role == sandbox.RoleSentinel {
			data = min(data, i)
		}
	}
	phase := func(lo, hi int) error {
		if err := d.startNodes(ctx, spec, nodes, ids, lo, hi); err != nil {
			return err
		}
		return d.awaitAll(ctx, timeout, ids[:hi], func(ctx context.Context) error {
			for _, n := range inst.Nodes[lo:hi] {
				if err := pingRedis(ctx, n.Redis); err != nil {
					return fmt.Errorf("%s: %w", n.Name, err)
				}
			}
			return nil
		})
	}
	if err := phase(0, data); err != nil {
		return nil, err
	}
	switch spec.Kind {
	case sandbox.KindRedisCluster:
		err = redisready.FormCluster(readyCtx, inst.Nodes)
	case sandbox.KindRedisSentinel:
		if err = redisready.ReplicasInSync(readyCtx, inst.Nodes); err == nil {
			if err = phase(data, len(infos)); err == nil {
				err = redisready.SentinelsAgree(readyCtx, inst.Nodes)
			}
		}
	default:
		err = redisready.ReplicasInSync(readyCtx, inst.Nodes)
	}
	if err != nil {
		return nil, fmt.Errorf("wait for the nodes to be ready: %w", err)
	}
	ok = true
	return &box{inst: inst, container: ids[0], nodes: nodeBoxes(spec, ids, relays)}, nil
}

// redisNodePorts returns the port of each node of spec on the sandbox's
// loopback and, with LoopbackTCP, the host relays on the same ports
// (a cluster node's port leaves room for its bus port above it).
func (d *Driver) redisNodePorts(spec sandbox.Spec) ([]int, []*relay.Relay, error) {
	infos := spec.Kind.Nodes()
	ports := make([]int, len(infos))
	relays := make([]*relay.Relay, len(infos))
	if !d.opts.LoopbackTCP {
		data, sentinels := 0, 0
		for i, info := range infos {
			if info.Role == sandbox.RoleSentinel {
				ports[i] = firstSentinelPort + sentinels
				sentinels++
			} else {
				ports[i] = firstDataPort + data
				data++
			}
		}
		return ports, relays, nil
	}
	for i := range infos {
		for try := 0; ; try++ {
			r, err := relay.Listen(0, relay.ToUnix(filepath.Join(d.nodeMnt(spec.ID, i), "redis.sock")))
			if err != nil {
				closeAll(relays)
				return nil, nil, err
			}
			if spec.Kind != sandbox.KindRedisCluster || r.Port()+clusterBusOffset <= 65535 {
				relays[i], ports[i] = r, r.Port()
				break
			}
			r.Close()
			if try > 50 {
				closeAll(relays)
				return nil, nil, fmt.Errorf("no host port low enough for a cluster node and its bus port")
			}
		}
	}
	return ports, relays, nil
}

// dataNodeConfig returns the redis.conf of a data node of spec with role,
// listening on port of the sandbox's loopback: a single Redis sandbox's
// config plus replication (a replica follows the primary at primaryPort)
// or cluster mode, announcing 127.0.0.1 and its own port.
func dataNodeConfig(spec sandbox.Spec, role string, port, primaryPort int, a redisnode.Accounts) string {
	node := redisnode.DataNode{
		Server:   redisServer(port, "127.0.0.1", spec.MemoryCap()),
		Announce: true,
		Cluster:  spec.Kind == sandbox.KindRedisCluster,
	}
	if role == sandbox.RoleReplica {
		node.ReplicaOf = primaryPort
	}
	return redisnode.DataNodeConfig(node).File() + redisnode.NodeUserLines(spec.Kind, role, a)
}

// sentinelConfig returns a Sentinel's config: the process driver's, on the
// sandbox's loopback, announcing 127.0.0.1 and its port. The Sentinel
// rewrites it in its mounted directory, which it owns.
func sentinelConfig(port, primaryPort int, a redisnode.Accounts) string {
	return redisnode.SentinelConfig(redisnode.Sentinel{
		Port:        port,
		Socket:      mountPoint + "/redis.sock",
		Dir:         dataDir,
		Announce:    true,
		PrimaryPort: primaryPort,
		Accounts:    a,
	}).File() + redisnode.NodeUserLines(sandbox.KindRedisSentinel, sandbox.RoleSentinel, a)
}
