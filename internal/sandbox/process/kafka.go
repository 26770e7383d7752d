package process

import (
	"fmt"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opslab/opslab/internal/sandbox"
)

// kafkaCluster is a running in-process kfake cluster.
type kafkaCluster struct {
	cluster *kfake.Cluster
	stop    chan struct{} // closed to end the retention loop
	done    chan struct{} // closed when the retention loop has ended
}

// startKafka starts a one-broker kfake cluster on a random loopback port.
// Topics are created on first use, and every partition is trimmed to the
// sandbox's memory cap every KafkaRetention (a soft cap: memory grows with
// the number of partitions, and between trims).
func (d *Driver) startKafka(spec sandbox.Spec) (sandbox.Instance, error) {
	begin := time.Now()
	c, err := kfake.NewCluster(
		kfake.NumBrokers(1),
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
	k := &kafkaCluster{cluster: c, stop: make(chan struct{}), done: make(chan struct{})}
	go k.retain(d.opts.KafkaRetention)
	d.mu.Lock()
	d.kafka[spec.ID] = k
	d.mu.Unlock()
	return sandbox.Instance{
		Spec:      spec,
		Driver:    Name,
		Dir:       d.dir(spec.ID),
		StartedAt: begin,
		Kafka:     sandbox.KafkaAccess{Seeds: c.ListenAddrs()},
	}, nil
}

// retain applies retention every interval until stop is closed.
func (k *kafkaCluster) retain(interval time.Duration) {
	defer close(k.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-k.stop:
			return
		case <-t.C:
			k.cluster.ApplyRetention()
		}
	}
}

// close ends the retention loop, then the cluster (in that order: the
// cluster's admin calls block forever once it is closed).
func (k *kafkaCluster) close() {
	close(k.stop)
	<-k.done
	k.cluster.Close()
}
