package container

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// A multi-node sandbox (redis-replica, redis-sentinel, redis-cluster,
// kafka-cluster, stack) runs one container per node. The first node's
// container has network mode "none", like a single-node sandbox's; every
// other node's container joins its network namespace (network mode
// "container:<first>"). The nodes of one sandbox thus share one loopback
// interface with no route anywhere, on which they reach each other at
// 127.0.0.1:<port>, the address the process driver gives them too; no
// other sandbox and nothing of the host is on it. There is no bridge and
// no container address. Each node has a directory of its own, n<i>,
// mounted at /run/opslab, holding its socket and its config.

// multiStartFactor is how much longer than Options.StartTimeout a
// multi-node sandbox may take to become ready, as in the process driver
// (replicas in sync, Sentinels agreeing, the cluster ok, the brokers all
// registered).
const multiStartFactor = 3

// nodeContainer is one node's container, to be created.
type nodeContainer struct {
	cfg  *container.Config
	host *container.HostConfig
}

// startNodes creates and starts the containers of spec's nodes lo to
// hi-1, their configs in nodes and their container ids going to ids (both
// indexed by node): node 0 first, on its own (network mode none), then
// every other one at once, joined to node 0's network namespace. On error
// the caller removes the sandbox (d.remove finds its containers by label).
func (d *Driver) startNodes(ctx context.Context, spec sandbox.Spec, nodes []nodeContainer, ids []string, lo, hi int) error {
	infos := spec.Kind.Nodes()
	if len(nodes) != len(infos) || len(ids) != len(infos) {
		return fmt.Errorf("%d node containers for %d nodes", len(nodes), len(infos))
	}
	run := func(i int) error {
		id, err := d.createNamed(ctx, nodeContainerName(spec.ID, i, infos[i].Name), nodes[i].cfg, nodes[i].host)
		if err != nil {
			return fmt.Errorf("node %s: %w", infos[i].Name, err)
		}
		ids[i] = id
		if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
			return fmt.Errorf("node %s: start container: %w", infos[i].Name, err)
		}
		return nil
	}
	if lo == 0 {
		if err := run(0); err != nil {
			return err
		}
		lo = 1
	}
	var (
		wg   sync.WaitGroup
		errs = make([]error, len(nodes))
	)
	for i := lo; i < hi; i++ {
		nodes[i].host.NetworkMode = container.NetworkMode("container:" + ids[0])
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = run(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// nodeBoxes returns the nodeBoxes of spec's nodes, with their container
// ids and relays (relays may be nil or hold nils).
func nodeBoxes(spec sandbox.Spec, ids []string, relays []*relay.Relay) []nodeBox {
	infos := spec.Kind.Nodes()
	out := make([]nodeBox, len(infos))
	for i, info := range infos {
		out[i].name = info.Name
		if i < len(ids) {
			out[i].container = ids[i]
		}
		if i < len(relays) {
			out[i].relay = relays[i]
		}
	}
	return out
}

// closeAll closes every relay of rs that is not nil.
func closeAll(rs []*relay.Relay) {
	for _, r := range rs {
		if r != nil {
			r.Close()
		}
	}
}

// adoptNodes fills b, a multi-node sandbox found running after a restart,
// from its access file a: every node's container must run, every node's
// server answer (a broker through the host relay, opened again on its
// port, as a Redis node's with LoopbackTCP). A stack's servers are
// adopted by adoptStack.
func (d *Driver) adoptNodes(ctx context.Context, b *box, a savedAccess) error {
	spec := b.inst.Spec
	infos := spec.Kind.Nodes()
	if len(a.Nodes) != len(infos) {
		return fmt.Errorf("its access file lists %d nodes, want %d", len(a.Nodes), len(infos))
	}
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All: true,
		Filters: labelFilter(LabelApp+"=opslab", LabelScope+"="+d.opts.Scope,
			LabelSandbox+"="+spec.ID),
	})
	if err != nil {
		return fmt.Errorf("list its containers: %w", err)
	}
	running := map[string]string{} // node name -> container id
	for _, c := range list.Items {
		if c.State == "running" {
			running[c.Labels[LabelNode]] = c.ID
		}
	}
	ids := make([]string, len(infos))
	for i, info := range infos {
		if a.Nodes[i].Name != info.Name {
			return fmt.Errorf("its access file names node %d %q, want %q", i, a.Nodes[i].Name, info.Name)
		}
		if ids[i] = running[info.Name]; ids[i] == "" {
			return fmt.Errorf("the container of node %s is not running", info.Name)
		}
	}
	if spec.Kind == sandbox.KindStack {
		return d.adoptStack(ctx, b, a, ids)
	}
	relays := make([]*relay.Relay, len(infos))
	ok := false
	defer func() {
		if !ok {
			closeAll(relays)
		}
	}()
	inst := &b.inst
	inst.Nodes = nil
	for i, n := range a.Nodes {
		node := sandbox.Node{Name: n.Name, Role: n.Role}
		if spec.Kind.Family() == sandbox.KindKafka {
			r, err := relay.Listen(n.Port, relay.ToUnix(filepath.Join(d.nodeMnt(spec.ID, i), "kafka.sock")))
			if err != nil {
				return err
			}
			relays[i] = r
			node.Kafka = sandbox.KafkaAccess{Seeds: []string{r.Addr()}}
			inst.Kafka.Seeds = append(inst.Kafka.Seeds, r.Addr())
		} else {
			socket := filepath.Join(d.nodeMnt(spec.ID, i), "redis.sock")
			node.Redis = a.Redis
			node.Redis.Endpoint = sandbox.Endpoint{Network: "unix", Address: socket}
			node.Redis.TCP = sandbox.Endpoint{Network: "tcp", Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(n.Port))}
			if err := pingRedis(ctx, node.Redis); err != nil {
				return fmt.Errorf("node %s does not answer: %v", n.Name, err)
			}
			if n.Relay {
				r, err := relay.Listen(n.Port, relay.ToUnix(socket))
				if err != nil {
					return err
				}
				relays[i] = r
			}
		}
		inst.Nodes = append(inst.Nodes, node)
	}
	if spec.Kind.Family() == sandbox.KindKafka {
		if err := kafkaClusterReady(ctx, inst.Kafka.Seeds, len(infos)); err != nil {
			return fmt.Errorf("its brokers do not answer: %v", err)
		}
	} else {
		inst.Redis = inst.Nodes[0].Redis
	}
	b.container = ids[0]
	b.nodes = nodeBoxes(spec, ids, relays)
	ok = true
	return nil
}
