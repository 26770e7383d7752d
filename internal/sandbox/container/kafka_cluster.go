package container

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/kafkaready"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// A kafka-cluster sandbox is three real Apache Kafka brokers, ids 0, 1 and
// 2 ("broker-0" to "broker-2"), one container each (see multi.go). Each is
// a combined KRaft broker and controller, so the three form the controller
// quorum themselves (static voters 0@127.0.0.1:9093, 1@…:9094, 2@…:9095 on
// the sandbox's loopback): three JVMs start faster than four. Broker i
// listens on 127.0.0.1:<port i> of the sandbox's loopback and advertises
// that address; its own opslab-relay forwards its socket (n<i>/kafka.sock)
// there, and the platform's host relay listens on 127.0.0.1:<port i> of
// the host, so the address is right on both sides, as for a single broker.
// Replication is real: followers fetch from leaders, the ISR shrinks when
// a broker falls behind or stops.

// clusterControllerPort is broker 0's controller port on the sandbox's
// loopback; broker i's is clusterControllerPort+i. The brokers' own ports
// are those of their host relays, in the host's ephemeral range, far
// above these.
const clusterControllerPort = controllerPort

// startKafkaCluster starts a kafka-cluster sandbox and waits until every
// broker is registered and a group coordinator is ready (internal topics
// have replication factor 3). The caller removes what is left on error.
func (d *Driver) startKafkaCluster(ctx context.Context, spec sandbox.Spec) (*box, error) {
	if _, err := os.Stat(d.opts.RelayBinary); err != nil {
		return nil, fmt.Errorf("%w: the relay binary %s is missing (build it with `make build`): %v", sandbox.ErrUnsupported, d.opts.RelayBinary, err)
	}
	infos := spec.Kind.Nodes()
	relays := make([]*relay.Relay, len(infos))
	ok := false
	defer func() {
		if !ok {
			closeAll(relays)
		}
	}()
	ports := make([]int, len(infos))
	for i := range infos {
		for {
			r, err := relay.Listen(0, relay.ToUnix(filepath.Join(d.nodeMnt(spec.ID, i), "kafka.sock")))
			if err != nil {
				return nil, err
			}
			if p := r.Port(); p >= clusterControllerPort && p < clusterControllerPort+len(infos) {
				r.Close() // a controller's port on the sandbox's loopback
				continue
			}
			relays[i], ports[i] = r, r.Port()
			break
		}
	}
	cluster := newClusterID()
	inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: d.dir(spec.ID), StartedAt: time.Now()}
	var (
		nodes []nodeContainer
		saved []savedNode
	)
	for i, info := range infos {
		mnt := d.nodeMnt(spec.ID, i)
		user := d.prepareMount(mnt, 1000)
		if err := writeOwned(filepath.Join(mnt, "server.properties"), d.kafkaClusterConfig(spec, i, ports), user); err != nil {
			return nil, err
		}
		if err := d.copyPreformatted(ctx, mnt, user, cluster, i); err != nil {
			return nil, err
		}
		addr := relays[i].Addr()
		inst.Kafka.Seeds = append(inst.Kafka.Seeds, addr)
		inst.Nodes = append(inst.Nodes, sandbox.Node{Name: info.Name, Role: info.Role, Kafka: sandbox.KafkaAccess{Seeds: []string{addr}}})
		saved = append(saved, savedNode{Name: info.Name, Role: info.Role, Port: ports[i], Relay: true})
		cfg, host := d.kafkaContainer(spec, mnt, user, cluster, ports[i], d.nodeLabels(spec, info.Name))
		nodes = append(nodes, nodeContainer{cfg: cfg, host: host})
	}
	if err := saveAccessNodes(inst, saved); err != nil {
		return nil, err
	}
	inst.StartedAt = time.Now()
	ids := make([]string, len(infos))
	if err := d.startNodes(ctx, spec, nodes, ids, 0, len(infos)); err != nil {
		return nil, err
	}
	err := d.awaitAll(ctx, multiStartFactor*d.opts.StartTimeout, ids, func(ctx context.Context) error {
		return kafkaClusterReady(ctx, inst.Kafka.Seeds, len(infos))
	})
	if err != nil {
		return nil, err
	}
	ok = true
	return &box{inst: inst, container: ids[0], nodes: nodeBoxes(spec, ids, relays)}, nil
}

// kafkaClusterConfig returns the server.properties of broker i of a
// kafka-cluster sandbox whose brokers listen on ports.
func (d *Driver) kafkaClusterConfig(spec sandbox.Spec, i int, ports []int) string {
	voters := make([]string, len(ports))
	for j := range ports {
		voters[j] = fmt.Sprintf("%d@127.0.0.1:%d", j, clusterControllerPort+j)
	}
	props := []string{
		"process.roles=broker,controller",
		"node.id=" + strconv.Itoa(i),
		"controller.quorum.voters=" + strings.Join(voters, ","),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", ports[i], clusterControllerPort+i),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://127.0.0.1:%d", ports[i]),
		// A topic created without a replication factor gets 1, as from a
		// broker with Kafka's defaults (docs/authoring.md); the internal
		// topics get 3, so a consumer group survives a broker.
		"default.replication.factor=1",
		"min.insync.replicas=1",
		"offsets.topic.replication.factor=3",
		"transaction.state.log.replication.factor=3",
		"transaction.state.log.min.isr=2",
		"share.coordinator.state.topic.replication.factor=3",
		"share.coordinator.state.topic.min.isr=2",
	}
	return strings.Join(append(props, d.kafkaCommonProps(spec)...), "\n") + "\n"
}

// kafkaClusterReady fails unless the cluster at seeds names n brokers in
// its metadata and a group coordinator is ready (kafkaready.Ready).
func kafkaClusterReady(ctx context.Context, seeds []string, n int) error {
	meta, err := metadata(ctx, seeds)
	if err != nil {
		return err
	}
	if len(meta.Brokers) != n {
		return fmt.Errorf("metadata names %d brokers, want %d", len(meta.Brokers), n)
	}
	return kafkaready.Ready(ctx, seeds)
}
