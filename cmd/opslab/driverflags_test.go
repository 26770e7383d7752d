package main

import (
	"io"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestDriverFlags checks the sandbox driver flags of serve: what is
// refused, with which message, and the warm pool defaults.
func TestDriverFlags(t *testing.T) {
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--sandbox", "docker"}, "--sandbox must be process or container"},
		{[]string{"--sandbox", "container", "--kafka", "apache"}, "the container driver always runs Apache Kafka"},
		{[]string{"--sandbox-cpus", "0"}, "--sandbox-cpus must be above 0"},
		{[]string{"--sandbox-kafka-memory-mb", "100"}, "at least 256"},
		{[]string{"--sandbox-redis-pids", "2"}, "--sandbox-redis-pids must be at least 8"},
		{[]string{"--sandbox-warm-kafka", "65"}, "must be 0 to 64"},
		{[]string{"--sandbox-warm-kafka-cluster", "-1"}, "--sandbox-warm-kafka-cluster must be 0 to 64"},
	}
	for _, tc := range bad {
		_, err := parseServeFlags(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("serve %v: error %v, want one saying %q", tc.args, err, tc.want)
		}
	}
	warm := []struct {
		args                  []string
		redis, kafka, cluster int
	}{
		{nil, 0, 0, 0},
		{[]string{"--sandbox", "container"}, 0, 2, 0},
		{[]string{"--kafka", "apache"}, 0, 2, 0},
		{[]string{"--sandbox", "container", "--sandbox-warm-kafka", "0", "--sandbox-warm-redis", "3"}, 3, 0, 0},
		{[]string{"--sandbox", "container", "--sandbox-warm-kafka-cluster", "1"}, 0, 2, 1},
	}
	for _, tc := range warm {
		c, err := parseServeFlags(tc.args, io.Discard)
		if err != nil {
			t.Fatalf("serve %v: %v", tc.args, err)
		}
		w := c.driver.warm()
		if w[sandbox.KindRedis] != tc.redis || w[sandbox.KindKafka] != tc.kafka || w[sandbox.KindKafkaCluster] != tc.cluster {
			t.Errorf("serve %v: warm pool %v, want redis %d, kafka %d, kafka-cluster %d", tc.args, w, tc.redis, tc.kafka, tc.cluster)
		}
	}
}
