package sandbox_test

import (
	"errors"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

func TestKindNodesAndWeights(t *testing.T) {
	for _, k := range sandbox.Kinds() {
		weight := 0
		for _, f := range k.Families() {
			weight += k.Weight(f)
		}
		if len(k.Nodes()) == 0 || weight != len(k.Nodes()) {
			t.Errorf("%s: %d nodes, weight %d", k, len(k.Nodes()), weight)
		}
		if k.MultiNode() != (k != sandbox.KindRedis && k != sandbox.KindKafka && k != sandbox.KindPostgres) {
			t.Errorf("%s: MultiNode %v", k, k.MultiNode())
		}
	}
	if sandbox.KindKafkaCluster.Family() != sandbox.KindKafka || sandbox.KindRedisCluster.Family() != sandbox.KindRedis {
		t.Error("families")
	}
	if _, err := sandbox.ParseKind("redis-mesh"); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("ParseKind(redis-mesh) = %v", err)
	}
	inst := sandbox.Instance{Spec: sandbox.Spec{Kind: sandbox.KindRedis}, PID: 9}
	if n, ok := inst.Node(""); !ok || n.Name != "primary" || n.PID != 9 {
		t.Errorf("single-server default node = %+v, %v", n, ok)
	}
	if _, ok := inst.Node("replica-1"); ok {
		t.Error("a single server has a replica-1")
	}
}
