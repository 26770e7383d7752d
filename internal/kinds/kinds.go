// Package kinds is the one list of the kinds of sandbox the platform
// offers: their names, titles, families and nodes. It imports nothing
// internal, so that both the content domain (course) and the sandbox
// domain (sandbox, which re-exports it as sandbox.Kind) can name kinds
// without one depending on the other.
package kinds

import (
	"slices"
	"strings"
)

// Kind is the kind of server a sandbox runs.
type Kind string

// The kinds of sandbox the platform offers. Redis, Kafka and Postgres are
// one server each; the others are several nodes of one family (see
// Kind.Nodes).
const (
	Redis Kind = "redis"
	Kafka Kind = "kafka"
	// Postgres is one PostgreSQL server with a database "appdb" owned by
	// the learner's role.
	Postgres Kind = "postgres"
	// RedisReplica is a Redis primary and one replica of it.
	RedisReplica Kind = "redis-replica"
	// RedisSentinel is a Redis primary, two replicas and three Sentinels
	// monitoring the primary as "mymaster" with quorum 2.
	RedisSentinel Kind = "redis-sentinel"
	// RedisCluster is a Redis Cluster of three primaries, each with one
	// replica, all 16384 slots assigned.
	RedisCluster Kind = "redis-cluster"
	// KafkaCluster is a three-broker Kafka cluster.
	KafkaCluster Kind = "kafka-cluster"
	// Stack is a production stack in one fence: a PostgreSQL server
	// ("db", as Postgres), a Redis server ("redis", as Redis) and a Kafka
	// broker ("broker", as Kafka), for drills where the systems meet.
	Stack Kind = "stack"
)

// Node roles, as a node starts (Redis roles change with failovers).
const (
	RolePrimary  = "primary"
	RoleReplica  = "replica"
	RoleSentinel = "sentinel"
	RoleBroker   = "broker"
)

// SentinelMaster is the name the Sentinels of a RedisSentinel sandbox
// monitor its primary under.
const SentinelMaster = "mymaster"

// NodeInfo names one node of a kind, the role it starts in and the family
// of the server it runs (Redis, Kafka or Postgres: whose console, commands
// and probes it answers).
type NodeInfo struct {
	Name   string
	Role   string
	Family Kind
}

// all lists every kind in its stable order, with its title and nodes; the
// first node is the default node (the console's and the checks' when none
// is named). noExercises marks a kind that drivers run but exercises
// cannot use yet: its console and probes are not built.
var all = []struct {
	kind        Kind
	title       string
	nodes       []NodeInfo
	noExercises bool
}{
	{Redis, "Redis", []NodeInfo{{"primary", RolePrimary, Redis}}, false},
	{Kafka, "Kafka", []NodeInfo{{"broker-0", RoleBroker, Kafka}}, false},
	{RedisReplica, "Redis replication", []NodeInfo{
		{"primary", RolePrimary, Redis}, {"replica-1", RoleReplica, Redis},
	}, false},
	{RedisSentinel, "Redis Sentinel", []NodeInfo{
		{"primary", RolePrimary, Redis}, {"replica-1", RoleReplica, Redis}, {"replica-2", RoleReplica, Redis},
		{"sentinel-1", RoleSentinel, Redis}, {"sentinel-2", RoleSentinel, Redis}, {"sentinel-3", RoleSentinel, Redis},
	}, false},
	{RedisCluster, "Redis Cluster", []NodeInfo{
		{"node-1", RolePrimary, Redis}, {"node-2", RolePrimary, Redis}, {"node-3", RolePrimary, Redis},
		{"node-4", RoleReplica, Redis}, {"node-5", RoleReplica, Redis}, {"node-6", RoleReplica, Redis},
	}, false},
	{KafkaCluster, "Kafka cluster", []NodeInfo{
		{"broker-0", RoleBroker, Kafka}, {"broker-1", RoleBroker, Kafka}, {"broker-2", RoleBroker, Kafka},
	}, false},
	{Postgres, "PostgreSQL", []NodeInfo{{"db", RolePrimary, Postgres}}, false},
	{Stack, "Postgres, Redis and Kafka", []NodeInfo{
		{"db", RolePrimary, Postgres}, {"redis", RolePrimary, Redis}, {"broker", RoleBroker, Kafka},
	}, false},
}

// All returns every valid Kind, in a stable order (a fresh slice).
func All() []Kind {
	out := make([]Kind, len(all))
	for i, e := range all {
		out[i] = e.kind
	}
	return out
}

// Names returns the name of every kind, in the order of All.
func Names() []string {
	out := make([]string, len(all))
	for i, e := range all {
		out[i] = string(e.kind)
	}
	return out
}

// ExerciseNames returns the names of the kinds an exercise may use (see
// Kind.Exercises), in the order of All.
func ExerciseNames() []string {
	var out []string
	for _, e := range all {
		if !e.noExercises {
			out = append(out, string(e.kind))
		}
	}
	return out
}

// Exercises reports whether an exercise may use k: k is valid and the
// console and probes know it. A kind that drivers run but exercises cannot
// use yet answers false (none today).
func (k Kind) Exercises() bool {
	for _, e := range all {
		if e.kind == k {
			return !e.noExercises
		}
	}
	return false
}

// entry returns k's row of the list; ok is false for an unknown kind.
func entry(k Kind) (title string, nodes []NodeInfo, ok bool) {
	for _, e := range all {
		if e.kind == k {
			return e.title, e.nodes, true
		}
	}
	return "", nil, false
}

// Valid reports whether k is one of the kinds listed by All.
func (k Kind) Valid() bool { _, _, ok := entry(k); return ok }

// String returns the kind's name.
func (k Kind) String() string { return string(k) }

// Title returns the kind's name as shown to people: "Redis", "Kafka",
// "Redis Cluster", ...; an unknown kind's title is its name.
func (k Kind) Title() string {
	if t, _, ok := entry(k); ok {
		return t
	}
	return string(k)
}

// Family is the single-server kind whose console, commands and probes k's
// default node uses: Redis for every Redis kind, Kafka for every Kafka
// kind, Postgres for Postgres and for Stack (whose default node is "db").
// A kind of several families (Stack) has each node's in NodeFamily. An
// unknown kind's family is Redis unless its name starts with "kafka" or
// "postgres".
func (k Kind) Family() Kind {
	if _, nodes, ok := entry(k); ok {
		return nodes[0].Family
	}
	switch {
	case strings.HasPrefix(string(k), "kafka"):
		return Kafka
	case strings.HasPrefix(string(k), "postgres"):
		return Postgres
	}
	return Redis
}

// NodeFamily returns the family of k's node called name (the default
// node's for ""), or "" when k has no such node.
func (k Kind) NodeFamily(name string) Kind {
	_, nodes, _ := entry(k)
	for i, n := range nodes {
		if n.Name == name || (name == "" && i == 0) {
			return n.Family
		}
	}
	return ""
}

// Families returns the families of k's nodes, each once, in node order:
// one for every kind but Stack.
func (k Kind) Families() []Kind {
	_, nodes, _ := entry(k)
	var out []Kind
	for _, n := range nodes {
		if !slices.Contains(out, n.Family) {
			out = append(out, n.Family)
		}
	}
	return out
}

// HasFamily reports whether some node of k runs a server of family fam.
func (k Kind) HasFamily(fam Kind) bool { return slices.Contains(k.Families(), fam) }

// FamilyNode returns the name of k's first node of family fam: where a
// probe of that family goes when it names no node. "" when k has none.
func (k Kind) FamilyNode(fam Kind) string {
	_, nodes, _ := entry(k)
	for _, n := range nodes {
		if n.Family == fam {
			return n.Name
		}
	}
	return ""
}

// OneBroker reports whether k runs exactly one Kafka broker (kafka, stack):
// the kinds a single real broker can stand for.
func (k Kind) OneBroker() bool { return k.Weight(Kafka) == 1 }

// MultiNode reports whether k runs several nodes.
func (k Kind) MultiNode() bool { _, n, _ := entry(k); return len(n) > 1 }

// Nodes returns k's nodes in order (a fresh slice); the first is the
// default node. An unknown kind has none.
func (k Kind) Nodes() []NodeInfo { _, n, _ := entry(k); return append([]NodeInfo(nil), n...) }

// NodeNames returns the names of k's nodes in order, the default first.
func (k Kind) NodeNames() []string {
	_, nodes, _ := entry(k)
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// HasNode reports whether k has a node called name.
func (k Kind) HasNode(name string) bool {
	_, nodes, _ := entry(k)
	for _, n := range nodes {
		if n.Name == name {
			return true
		}
	}
	return false
}

// Weight is how much of family fam's capacity a sandbox of k takes: the
// number of fam's servers it runs, so a redis-cluster sandbox (six
// redis-server processes) weighs 6 in Redis and a kafka-cluster (three
// brokers) 3 in Kafka; a stack weighs 1 in each of its three families. A
// kind weighs 0 in a family it does not run; an unknown kind weighs 1 in
// its Family.
func (k Kind) Weight(fam Kind) int {
	_, nodes, ok := entry(k)
	if !ok {
		if fam == k.Family() {
			return 1
		}
		return 0
	}
	n := 0
	for _, node := range nodes {
		if node.Family == fam {
			n++
		}
	}
	return n
}
