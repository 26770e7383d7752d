package container

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opslab/opslab/internal/sandbox"
)

// The brokers of a kafka-cluster sandbox can be stopped and started one at
// a time, as an operator does with a service manager during an incident or
// a rolling restart. The container stays up (its shell waits, see
// kafkaContainer), so the node keeps its storage, its relay and its place
// on the sandbox's loopback.

const (
	// brokerStopFlag, inside a broker's container, tells its shell that
	// the broker was stopped on purpose and must not be restarted yet.
	brokerStopFlag = "/tmp/opslab-broker.stopped"
	// brokerPIDFile holds the pid of the running broker's JVM.
	brokerPIDFile = "/tmp/opslab-broker.pid"
	// brokerStopGrace is how long a broker may take to shut down cleanly
	// (moving its leaderships away) before it is killed.
	brokerStopGrace = 30 * time.Second
	// brokerSettle bounds how long StopNode waits for the other brokers
	// to take the stopped one out of every ISR.
	brokerSettle = 20 * time.Second
)

// StopNode stops the broker node of the kafka-cluster sandbox id: SIGTERM,
// so that it shuts down cleanly and hands its leaderships over, then
// SIGKILL after brokerStopGrace. It returns once the JVM has exited and
// the other brokers list it in no ISR (or brokerSettle passed: without a
// controller quorum nothing changes).
func (d *Driver) StopNode(ctx context.Context, id, node string) error {
	b, i, err := d.brokerNode(id, node)
	if err != nil {
		return err
	}
	script := fmt.Sprintf(`test -f %[1]s && exit 0
touch %[1]s || exit 1
pid=$(cat %[2]s) || exit 1
kill -TERM "$pid" 2>/dev/null
n=0
while kill -0 "$pid" 2>/dev/null; do
  sleep 0.2; n=$((n+1))
  test $n -eq %[3]d && kill -KILL "$pid" 2>/dev/null
done
exit 0`, brokerStopFlag, brokerPIDFile, int(brokerStopGrace/(200*time.Millisecond)))
	out, code, err := d.exec(ctx, id, b.nodes[i].container, []string{"/bin/sh", "-c", script})
	if err != nil {
		return fmt.Errorf("stop broker %s: %w", node, err)
	}
	if code != 0 {
		return fmt.Errorf("stop broker %s: exit status %d: %s", node, code, strings.TrimSpace(out))
	}
	var others []string
	for j, n := range b.inst.Nodes {
		if j != i {
			others = append(others, n.Kafka.Seeds...)
		}
	}
	sctx, cancel := context.WithTimeout(ctx, brokerSettle)
	defer cancel()
	for !outOfISRs(sctx, others, int32(i)) {
		select {
		case <-sctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil
}

// StartNode starts the broker node of the kafka-cluster sandbox id again
// and returns once it answers metadata that lists it among the brokers.
func (d *Driver) StartNode(ctx context.Context, id, node string) error {
	b, i, err := d.brokerNode(id, node)
	if err != nil {
		return err
	}
	out, code, err := d.exec(ctx, id, b.nodes[i].container, []string{"rm", "-f", brokerStopFlag})
	if err != nil {
		return fmt.Errorf("start broker %s: %w", node, err)
	}
	if code != 0 {
		return fmt.Errorf("start broker %s: exit status %d: %s", node, code, strings.TrimSpace(out))
	}
	sctx, cancel := context.WithTimeout(ctx, d.opts.StartTimeout)
	defer cancel()
	for {
		err := brokerRegistered(sctx, b.inst.Nodes[i].Kafka.Seeds, int32(i))
		if err == nil {
			return nil
		}
		select {
		case <-sctx.Done():
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("start broker %s: not serving after %v: %w", node, d.opts.StartTimeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// NodeRunning reports whether the broker node of the kafka-cluster
// sandbox id runs: not stopped by StopNode, and its JVM alive.
func (d *Driver) NodeRunning(ctx context.Context, id, node string) (bool, error) {
	b, i, err := d.brokerNode(id, node)
	if err != nil {
		return false, err
	}
	script := fmt.Sprintf(`test ! -f %s && kill -0 "$(cat %s)" 2>/dev/null`, brokerStopFlag, brokerPIDFile)
	_, code, err := d.exec(ctx, id, b.nodes[i].container, []string{"/bin/sh", "-c", script})
	if err != nil {
		return false, fmt.Errorf("state of broker %s: %w", node, err)
	}
	return code == 0, nil
}

// brokerNode returns the running kafka-cluster sandbox id and the index
// of its node called node, which is also the broker's node.id.
func (d *Driver) brokerNode(id, node string) (*box, int, error) {
	d.mu.Lock()
	b := d.running[id]
	d.mu.Unlock()
	if b == nil {
		return nil, 0, fmt.Errorf("sandbox %s: %w", id, sandbox.ErrNotFound)
	}
	if !d.Capabilities(b.inst.Spec.Kind).ControlsNodes {
		return nil, 0, fmt.Errorf("%w: the nodes of a %s sandbox cannot be stopped one by one", sandbox.ErrUnsupported, b.inst.Spec.Kind)
	}
	i := slices.IndexFunc(b.nodes, func(n nodeBox) bool { return n.name == node })
	if i < 0 || i >= len(b.inst.Nodes) {
		return nil, 0, fmt.Errorf("%w: a %s sandbox has no node %q", sandbox.ErrInvalid, b.inst.Spec.Kind, node)
	}
	return b, i, nil
}

// metadata asks the brokers at seeds for the cluster's metadata, every
// topic included, without retrying.
func metadata(ctx context.Context, seeds []string) (*kmsg.MetadataResponse, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ClientID("opslab-platform"),
		kgo.RetryTimeout(0), kgo.RequestRetries(0), kgo.DialTimeout(500*time.Millisecond))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	mctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return kmsg.NewPtrMetadataRequest().RequestWith(mctx, cl)
}

// outOfISRs reports whether every broker at seeds answers metadata in
// which broker id leads no partition and is in no ISR, but those it was
// the only in-sync replica of: Kafka keeps the last ISR member of an
// offline partition.
func outOfISRs(ctx context.Context, seeds []string, id int32) bool {
	for _, seed := range seeds {
		meta, err := metadata(ctx, []string{seed})
		if err != nil {
			return false
		}
		for _, t := range meta.Topics {
			for _, p := range t.Partitions {
				if len(p.ISR) == 1 && p.ISR[0] == id && p.Leader != id {
					continue
				}
				if p.Leader == id || slices.Contains(p.ISR, id) {
					return false
				}
			}
		}
	}
	return true
}

// brokerRegistered fails unless the broker at seeds answers metadata that
// lists broker id.
func brokerRegistered(ctx context.Context, seeds []string, id int32) error {
	meta, err := metadata(ctx, seeds)
	if err != nil {
		return err
	}
	for _, b := range meta.Brokers {
		if b.NodeID == id {
			return nil
		}
	}
	return fmt.Errorf("metadata does not list broker %d yet", id)
}
