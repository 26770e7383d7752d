package container

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// A stack sandbox is a PostgreSQL server (node "db"), a redis-server
// (node "redis") and a real Apache Kafka broker (node "broker") in one
// fence: three containers, one per node as for the other multi-node kinds
// (see multi.go). The db's container, the first, has network mode none;
// the two others join its network namespace, so the three share one
// loopback with no route out, and the workstation joins it too. Each
// container is its single-server kind's: the same image, user, config,
// tmpfs data and memory and pids limits (postgresNode, redisNode,
// kafkaNode), with its node's folder n<i> mounted at /run/opslab. The
// PostgreSQL server and the redis-server listen on their sockets only, as
// alone; the broker listens on 127.0.0.1:<its host relay's port> of the
// shared loopback and advertises it, as alone. The database's data
// directory is the sandbox's pgdata tmpfs, the broker's log directory its
// data tmpfs (shown read-only in the workstation at
// workstation.KafkaLogDir, as beside a kafka sandbox).
//
// Instance.Nodes lists db, redis and broker, each with its own access;
// Instance.Postgres, Redis and Kafka are the same accesses, so code
// written for a single-server kind finds each server. The nodes cannot be
// stopped one by one (Capabilities.ControlsNodes is false: StopNode
// refuses).

// startStack starts a stack sandbox and returns once all three servers
// answer: the database accepts the sandbox's own passwords, the cache
// PONGs, the broker answers metadata and has a group coordinator. The
// three are prepared at once (the postgres template and the preformatted
// Kafka storage, made on a Driver's first start, each take a container
// run); the db's container starts first, since the others join its
// network namespace, then the two others at once. The caller removes what
// is left on error.
func (d *Driver) startStack(ctx context.Context, spec sandbox.Spec) (*box, error) {
	infos := spec.Kind.Nodes()
	at := map[sandbox.Kind]int{}
	for i, info := range infos {
		at[info.Family] = i
	}
	pi, ri, ki := at[sandbox.KindPostgres], at[sandbox.KindRedis], at[sandbox.KindKafka]
	if len(infos) != 3 || len(at) != 3 {
		return nil, fmt.Errorf("a %s sandbox's nodes are %v, want one of each family", spec.Kind, infos)
	}
	var (
		pg       sandbox.PostgresAccess
		pgReady  func(context.Context) error
		cache    sandbox.RedisAccess
		broker   *relay.Relay
		cluster  string
		nodes    = make([]nodeContainer, len(infos))
		relays   = make([]*relay.Relay, len(infos))
		prepared [3]error
		wg       sync.WaitGroup
	)
	ok := false
	defer func() {
		if !ok {
			closeAll(relays)
			if broker != nil {
				broker.Close()
			}
		}
	}()
	wg.Go(func() {
		pg, nodes[pi], pgReady, prepared[0] = d.postgresNode(ctx, spec, d.nodeMnt(spec.ID, pi), d.nodeLabels(spec, infos[pi].Name))
	})
	wg.Go(func() {
		cache, nodes[ri], prepared[1] = d.redisNode(spec, d.nodeMnt(spec.ID, ri), d.nodeLabels(spec, infos[ri].Name))
	})
	wg.Go(func() {
		broker, cluster, nodes[ki], prepared[2] = d.kafkaNode(ctx, spec, d.nodeMnt(spec.ID, ki), d.nodeLabels(spec, infos[ki].Name))
	})
	wg.Wait()
	if err := errors.Join(prepared[:]...); err != nil {
		return nil, err
	}
	relays[ki], broker = broker, nil
	saved := make([]savedNode, len(infos))
	if d.opts.LoopbackTCP { // the learner's own clients reach the cache, as a redis sandbox's
		r, err := relay.Listen(0, relay.ToUnix(cache.Endpoint.Address))
		if err != nil {
			return nil, err
		}
		relays[ri] = r
		cache.TCP = sandbox.Endpoint{Network: "tcp", Address: r.Addr()}
		saved[ri].Port, saved[ri].Relay = r.Port(), true
	}
	saved[ki].Port, saved[ki].Relay = relays[ki].Port(), true
	inst := sandbox.Instance{
		Spec:      spec,
		Driver:    Name,
		Dir:       d.dir(spec.ID),
		StartedAt: time.Now(),
		Postgres:  pg,
		Redis:     cache,
		Kafka:     sandbox.KafkaAccess{Seeds: []string{relays[ki].Addr()}},
	}
	inst.Nodes = stackNodes(inst)
	for i, info := range infos {
		saved[i].Name, saved[i].Role = info.Name, info.Role
	}
	err := writeAccess(inst, savedAccess{Spec: spec, StartedAt: inst.StartedAt, Redis: inst.Redis, Postgres: inst.Postgres,
		KafkaPort: relays[ki].Port(), Cluster: cluster, Nodes: saved})
	if err != nil {
		return nil, err
	}
	inst.StartedAt = time.Now()
	ids := make([]string, len(infos))
	if err := d.startNodes(ctx, spec, nodes, ids, 0, len(infos)); err != nil {
		return nil, err
	}
	// Each round asks every server not yet ready; a container that stops
	// fails the start at once (awaitAll).
	checks := []struct {
		node  string
		ready func(context.Context) error
	}{
		{infos[pi].Name, pgReady},
		{infos[ri].Name, func(ctx context.Context) error { return pingRedis(ctx, inst.Redis) }},
		{infos[ki].Name, func(ctx context.Context) error { return pingKafka(ctx, inst.Kafka.Seeds) }},
	}
	done := make([]bool, len(checks))
	err = d.awaitAll(ctx, multiStartFactor*d.opts.StartTimeout, ids, func(ctx context.Context) error {
		var errs []error
		for i, c := range checks {
			if done[i] {
				continue
			}
			if err := c.ready(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", c.node, err))
				continue
			}
			done[i] = true
		}
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, err
	}
	ok = true
	return &box{inst: inst, container: ids[0], nodes: nodeBoxes(spec, ids, relays)}, nil
}

// stackNodes returns the Nodes of the stack sandbox inst, in its kind's
// order, each with the access of its family's server in inst.
func stackNodes(inst sandbox.Instance) []sandbox.Node {
	var out []sandbox.Node
	for _, info := range inst.Spec.Kind.Nodes() {
		n := sandbox.Node{Name: info.Name, Role: info.Role}
		switch info.Family {
		case sandbox.KindPostgres:
			n.Postgres = inst.Postgres
		case sandbox.KindRedis:
			n.Redis = inst.Redis
		case sandbox.KindKafka:
			n.Kafka = sandbox.KafkaAccess{Seeds: append([]string(nil), inst.Kafka.Seeds...)}
		}
		out = append(out, n)
	}
	return out
}

// adoptStack fills b, a stack sandbox found running after a restart whose
// containers are ids (indexed by node), from its access file a: the
// broker's host relay, and the cache's with LoopbackTCP, are opened again
// on their ports, and each server must answer.
func (d *Driver) adoptStack(ctx context.Context, b *box, a savedAccess, ids []string) error {
	spec := b.inst.Spec
	relays := make([]*relay.Relay, len(ids))
	ok := false
	defer func() {
		if !ok {
			closeAll(relays)
		}
	}()
	inst := &b.inst
	inst.Redis, inst.Postgres, inst.Kafka = a.Redis, a.Postgres, sandbox.KafkaAccess{}
	for i, info := range spec.Kind.Nodes() {
		n := a.Nodes[i]
		switch info.Family {
		case sandbox.KindPostgres:
			if err := pingPostgres(ctx, inst.Postgres); err != nil {
				return fmt.Errorf("node %s does not answer: %v", n.Name, err)
			}
		case sandbox.KindRedis:
			if n.Relay {
				r, err := relay.Listen(n.Port, relay.ToUnix(inst.Redis.Endpoint.Address))
				if err != nil {
					return err
				}
				relays[i] = r
				inst.Redis.TCP = sandbox.Endpoint{Network: "tcp", Address: r.Addr()}
			}
			if err := pingRedis(ctx, inst.Redis); err != nil {
				return fmt.Errorf("node %s does not answer: %v", n.Name, err)
			}
		case sandbox.KindKafka:
			r, err := relay.Listen(n.Port, relay.ToUnix(filepath.Join(d.nodeMnt(spec.ID, i), "kafka.sock")))
			if err != nil {
				return err
			}
			relays[i] = r
			inst.Kafka = sandbox.KafkaAccess{Seeds: []string{r.Addr()}}
			if err := pingKafka(ctx, inst.Kafka.Seeds); err != nil {
				return fmt.Errorf("node %s does not answer: %v", n.Name, err)
			}
		default:
			return fmt.Errorf("node %s: no server of family %s", info.Name, info.Family)
		}
	}
	inst.Nodes = stackNodes(*inst)
	b.container = ids[0]
	b.nodes = nodeBoxes(spec, ids, relays)
	ok = true
	return nil
}
