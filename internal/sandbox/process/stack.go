package process

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
)

// startStack starts a stack sandbox in the already fenced folder of
// spec.ID: a PostgreSQL server (node "db"), a redis-server (node "redis")
// and a Kafka broker (node "broker": kfake, or a real Apache Kafka broker
// with --kafka apache), all three at once, in the one fence, as the
// single-server kinds start them; the folder's files do not collide (the
// database's data directory is pgDataDir, the broker's kafkaDataDir). It
// returns once all three answer; on error nothing is left running.
func (d *Driver) startStack(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	var (
		db, cache, broker sandbox.Instance
		errs              [3]error
		wg                sync.WaitGroup
	)
	wg.Go(func() { db, errs[0] = d.startPostgres(ctx, spec, b) })
	wg.Go(func() { cache, errs[1] = d.startRedis(ctx, spec, b) })
	wg.Go(func() {
		if d.apache != nil {
			broker, errs[2] = d.startApacheKafka(ctx, spec, b)
		} else {
			broker, errs[2] = d.startKfake(ctx, spec, b)
		}
	})
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		// Stop finds whichever servers started, by the sandbox's id, and
		// removes the fence (Start's own unclaim then finds nothing).
		_ = d.Stop(context.WithoutCancel(ctx), spec.ID)
		return sandbox.Instance{}, err
	}
	inst := sandbox.Instance{
		Spec:      spec,
		Driver:    Name,
		Dir:       db.Dir,
		PID:       db.PID,
		StartedAt: db.StartedAt,
		Redis:     cache.Redis,
		Kafka:     broker.Kafka,
		Postgres:  db.Postgres,
	}
	for _, other := range []sandbox.Instance{cache, broker} {
		if other.StartedAt.Before(inst.StartedAt) {
			inst.StartedAt = other.StartedAt
		}
	}
	for _, info := range spec.Kind.Nodes() {
		n := sandbox.Node{Name: info.Name, Role: info.Role}
		switch info.Family {
		case sandbox.KindPostgres:
			n.PID, n.Postgres = db.PID, db.Postgres
		case sandbox.KindRedis:
			n.PID, n.Redis = cache.PID, cache.Redis
		case sandbox.KindKafka:
			n.PID, n.Kafka = broker.PID, broker.Kafka
		default:
			return sandbox.Instance{}, fmt.Errorf("node %s: no server of family %s", info.Name, info.Family)
		}
		inst.Nodes = append(inst.Nodes, n)
	}
	return inst, nil
}

// stackLimits returns the fence of a stack sandbox of memory cap m: the
// sum of its three servers' (see Limits), and one core for them all.
func stackLimits(m int64, apacheKafka bool) fence.Limits {
	parts := []fence.Limits{postgresLimits(m), redisLimits(m, 1), kafkaLimits(m, apacheKafka)}
	out := fence.Limits{MilliCPU: 1000}
	for _, p := range parts {
		out.MemoryBytes += p.MemoryBytes
		out.Pids += p.Pids
		out.DiskBytes += p.DiskBytes
	}
	return out
}
