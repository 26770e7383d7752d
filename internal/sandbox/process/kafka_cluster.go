package process

import (
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opslab/opslab/internal/sandbox"
)

// startKafkaCluster starts a kafka-cluster sandbox: a three-broker kfake
// cluster in this process, brokers 0, 1 and 2 ("broker-0" to "broker-2")
// each on its own random loopback port. A topic created without a
// replication factor gets 3, and every partition lists its three replicas,
// a leader and its ISR. kfake does not replicate: the ISR is always every
// replica (no broker can fall behind or be taken down), and
// min.insync.replicas is a config that describe shows but that no produce
// is refused for. Retention works as in startKafka.
func (d *Driver) startKafkaCluster(spec sandbox.Spec) (sandbox.Instance, error) {
	begin := time.Now()
	infos := spec.Kind.Nodes()
	c, err := kfake.NewCluster(
		kfake.NumBrokers(len(infos)),
		kfake.ClusterID(spec.ID),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(d.opts.KafkaPartitions),
		kfake.BrokerConfigs(map[string]string{
			"log.retention.bytes": strconv.FormatInt(spec.MemoryCap(), 10),
		}),
	)
	if err != nil {
		return sandbox.Instance{}, fmt.Errorf("start kfake cluster: %w", err)
	}
	addrs := c.ListenAddrs()
	if len(addrs) != len(infos) {
		c.Close()
		return sandbox.Instance{}, fmt.Errorf("start kfake cluster: %d brokers listen, want %d", len(addrs), len(infos))
	}
	inst := sandbox.Instance{
		Spec:      spec,
		Driver:    Name,
		Dir:       d.dir(spec.ID),
		StartedAt: begin,
		Kafka:     sandbox.KafkaAccess{Seeds: addrs},
	}
	for i, info := range infos {
		inst.Nodes = append(inst.Nodes, sandbox.Node{Name: info.Name, Role: info.Role, Kafka: sandbox.KafkaAccess{Seeds: []string{addrs[i]}}})
	}
	k := &kafkaCluster{cluster: c, stop: make(chan struct{}), done: make(chan struct{})}
	go k.retain(d.opts.KafkaRetention)
	d.mu.Lock()
	d.kafka[spec.ID] = k
	d.mu.Unlock()
	return inst, nil
}
