package container

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// accessFile holds what the platform needs to reach a sandbox again after
// a restart: its accounts and ports. It lives in the sandbox's directory,
// outside the part mounted into the container, readable by the platform
// only.
const accessFile = "access.json"

// savedAccess is the content of accessFile.
type savedAccess struct {
	Spec      sandbox.Spec
	StartedAt time.Time
	Redis     sandbox.RedisAccess    `json:",omitzero"`
	Postgres  sandbox.PostgresAccess `json:",omitzero"`
	KafkaPort int                    `json:",omitempty"` // the host relay's port (Kafka, or Redis with LoopbackTCP)
	Cluster   string                 `json:",omitempty"`
	// Nodes lists the nodes of a multi-node kind, in order. Redis above
	// holds the accounts every Redis node shares.
	Nodes []savedNode `json:",omitempty"`
}

// savedNode is one node of a multi-node sandbox in its accessFile.
type savedNode struct {
	Name string
	Role string
	// Port is the node's port on the sandbox's loopback: a broker's
	// listener, a Redis node's port (the same number as its host relay's).
	Port int
	// Relay says whether the node has a host relay on Port: every broker,
	// a Redis node with LoopbackTCP.
	Relay bool `json:",omitempty"`
}

// saveAccess writes inst's accessFile.
func saveAccess(inst sandbox.Instance) error { return saveAccessPort(inst, 0, "") }

func saveAccessPort(inst sandbox.Instance, kafkaPort int, cluster string) error {
	return writeAccess(inst, savedAccess{Spec: inst.Spec, StartedAt: inst.StartedAt, Redis: inst.Redis, Postgres: inst.Postgres, KafkaPort: kafkaPort, Cluster: cluster})
}

// saveAccessNodes writes the accessFile of inst, a multi-node sandbox.
func saveAccessNodes(inst sandbox.Instance, nodes []savedNode) error {
	return writeAccess(inst, savedAccess{Spec: inst.Spec, StartedAt: inst.StartedAt, Redis: inst.Redis, Nodes: nodes})
}

func writeAccess(inst sandbox.Instance, a savedAccess) error {
	b, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("save sandbox access: %w", err)
	}
	path := filepath.Join(inst.Dir, accessFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("save sandbox access: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save sandbox access: %w", err)
	}
	return nil
}

// loadAccess reads the accessFile of the sandbox id.
func (d *Driver) loadAccess(id string) (savedAccess, error) {
	var a savedAccess
	b, err := os.ReadFile(filepath.Join(d.dir(id), accessFile))
	if err != nil {
		return a, fmt.Errorf("read sandbox access: %w", err)
	}
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("read sandbox access: %w", err)
	}
	return a, nil
}

// Adopt takes over the running sandbox rec describes, left by an earlier
// run of the platform: its container must be running and labelled with
// this driver's scope and rec's id, and its access file must be readable.
// It returns the Instance as Start did, with rec's owner and lesson (a
// warm-pool sandbox is claimed after its container was labelled).
// Errors wrap sandbox.ErrNotFound when nothing usable is left; the caller
// should then Stop the id.
func (d *Driver) Adopt(ctx context.Context, rec sandbox.Record) (sandbox.Instance, error) {
	if err := sandbox.ValidateID(rec.ID); err != nil {
		return sandbox.Instance{}, fmt.Errorf("adopt sandbox: %w", err)
	}
	res, err := d.cli.ContainerInspect(ctx, containerName(rec.ID), client.ContainerInspectOptions{})
	info := res.Container
	if err != nil {
		return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: %v", rec.ID, sandbox.ErrNotFound, err)
	}
	if info.Config == nil || info.Config.Labels[LabelScope] != d.opts.Scope || info.Config.Labels[LabelSandbox] != rec.ID {
		return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: its container belongs to another platform", rec.ID, sandbox.ErrNotFound)
	}
	if info.State == nil || !info.State.Running {
		return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: its container is not running", rec.ID, sandbox.ErrNotFound)
	}
	a, err := d.loadAccess(rec.ID)
	if err != nil {
		return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: %v", rec.ID, sandbox.ErrNotFound, err)
	}
	inst := sandbox.Instance{Spec: a.Spec, Driver: Name, Dir: d.dir(rec.ID), StartedAt: a.StartedAt, Redis: a.Redis, Postgres: a.Postgres}
	inst.Spec.Owner, inst.Spec.Lesson = rec.Owner, rec.Lesson
	b := &box{inst: inst, container: info.ID}
	if a.Spec.Kind.MultiNode() {
		if err := d.adoptNodes(ctx, b, a); err != nil {
			return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: %v", rec.ID, sandbox.ErrNotFound, err)
		}
		d.mu.Lock()
		d.running[rec.ID] = b
		d.mu.Unlock()
		return b.inst, nil
	}
	switch a.Spec.Kind {
	case sandbox.KindRedis:
		if err := pingRedis(ctx, inst.Redis); err != nil {
			return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: its server does not answer: %v", rec.ID, sandbox.ErrNotFound, err)
		}
		if a.KafkaPort != 0 { // the learner's TCP port, relayed again
			r, err := relay.Listen(a.KafkaPort, relay.ToUnix(inst.Redis.Endpoint.Address))
			if err != nil {
				return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: %v", rec.ID, sandbox.ErrNotFound, err)
			}
			b.relay = r
			b.inst.Redis.TCP = sandbox.Endpoint{Network: "tcp", Address: r.Addr()}
		}
	case sandbox.KindKafka:
		r, err := relay.Listen(a.KafkaPort, relay.ToUnix(filepath.Join(d.mnt(rec.ID), "kafka.sock")))
		if err != nil {
			return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: %v", rec.ID, sandbox.ErrNotFound, err)
		}
		b.relay = r
		b.inst.Kafka = sandbox.KafkaAccess{Seeds: []string{r.Addr()}}
		if err := pingKafka(ctx, b.inst.Kafka.Seeds); err != nil {
			r.Close()
			return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: its broker does not answer: %v", rec.ID, sandbox.ErrNotFound, err)
		}
	case sandbox.KindPostgres:
		if err := pingPostgres(ctx, inst.Postgres); err != nil {
			return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: its server does not answer: %v", rec.ID, sandbox.ErrNotFound, err)
		}
	default:
		return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: unknown kind %q", rec.ID, sandbox.ErrNotFound, a.Spec.Kind)
	}
	d.mu.Lock()
	d.running[rec.ID] = b
	d.mu.Unlock()
	return b.inst, nil
}

// demux splits a container's multiplexed log stream into plain text.
func demux(r io.Reader) ([]byte, error) {
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, r); err != nil {
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}
