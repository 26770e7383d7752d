package kinds_test

import (
	"slices"
	"testing"

	"github.com/opslab/opslab/internal/kinds"
)

// TestKinds: every listed kind is valid, has a default node, a title, a
// family that is a single-server kind, and a weight of its node count;
// an unknown kind has no nodes and is not valid.
func TestKinds(t *testing.T) {
	for _, k := range kinds.All() {
		if !k.Valid() || len(k.Nodes()) == 0 || k.Title() == string(k) {
			t.Errorf("%s: valid %v, nodes %v, title %q", k, k.Valid(), k.Nodes(), k.Title())
		}
		if f := k.Family(); f != kinds.Redis && f != kinds.Kafka && f != kinds.Postgres {
			t.Errorf("%s: family %s", k, f)
		}
		weight := 0
		for _, f := range k.Families() {
			weight += k.Weight(f)
			if !k.HasFamily(f) || k.NodeFamily(k.FamilyNode(f)) != f {
				t.Errorf("%s: family %s: node %q", k, f, k.FamilyNode(f))
			}
		}
		if weight != len(k.Nodes()) || k.MultiNode() != (len(k.Nodes()) > 1) || k.NodeFamily("") != k.Family() {
			t.Errorf("%s: weight %d, multi-node %v for %d nodes", k, weight, k.MultiNode(), len(k.Nodes()))
		}
		if !k.HasNode(k.NodeNames()[0]) || k.HasNode("nope") {
			t.Errorf("%s: HasNode wrong", k)
		}
	}
	if got := kinds.KafkaCluster.NodeNames(); !slices.Equal(got, []string{"broker-0", "broker-1", "broker-2"}) {
		t.Errorf("kafka-cluster nodes %v", got)
	}
	if k := kinds.Kind("mongo"); k.Valid() || k.Nodes() != nil || k.Weight(kinds.Redis) != 1 || k.NodeFamily("") != "" {
		t.Errorf("mongo: valid %v, nodes %v, weight %d", k.Valid(), k.Nodes(), k.Weight(kinds.Redis))
	}
	if !slices.Equal(kinds.Names(), []string{"redis", "kafka", "redis-replica", "redis-sentinel", "redis-cluster", "kafka-cluster", "postgres", "stack"}) {
		t.Errorf("names %v", kinds.Names())
	}
	// Every kind has its console and probes: exercises may use them all.
	if !slices.Equal(kinds.ExerciseNames(), kinds.Names()) {
		t.Errorf("exercise names %v", kinds.ExerciseNames())
	}
	if !kinds.Postgres.Exercises() || !kinds.Redis.Exercises() || kinds.Kind("mongo").Exercises() {
		t.Error("Exercises wrong")
	}
	if kinds.Postgres.Family() != kinds.Postgres || kinds.Postgres.MultiNode() {
		t.Errorf("postgres: family %s, multi-node %v", kinds.Postgres.Family(), kinds.Postgres.MultiNode())
	}
	// A stack runs one server of each family, under the seed's names.
	st := kinds.Stack
	if !slices.Equal(st.NodeNames(), []string{"db", "redis", "broker"}) ||
		!slices.Equal(st.Families(), []kinds.Kind{kinds.Postgres, kinds.Redis, kinds.Kafka}) ||
		st.NodeFamily("broker") != kinds.Kafka || st.NodeFamily("redis") != kinds.Redis || st.NodeFamily("nope") != "" ||
		st.FamilyNode(kinds.Kafka) != "broker" || st.Weight(kinds.Redis) != 1 || st.Weight(kinds.Kafka) != 1 ||
		kinds.Redis.Weight(kinds.Kafka) != 0 || kinds.RedisCluster.Weight(kinds.Redis) != 6 || kinds.Redis.HasFamily(kinds.Kafka) {
		t.Errorf("stack: nodes %v, families %v", st.NodeNames(), st.Families())
	}
}
