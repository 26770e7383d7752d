// Package kinds is the one list of the kinds of sandbox the platform
// offers: their names, titles, families and nodes. It imports nothing
// internal, so that both the content domain (course) and the sandbox
// domain (sandbox, which re-exports it as sandbox.Kind) can name kinds
// without one depending on the other.
package kinds

import "strings"

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

// NodeInfo names one node of a kind and the role it starts in.
type NodeInfo struct {
	Name string
	Role string
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
	{Redis, "Redis", []NodeInfo{{"primary", RolePrimary}}, false},
	{Kafka, "Kafka", []NodeInfo{{"broker-0", RoleBroker}}, false},
	{RedisReplica, "Redis replication", []NodeInfo{
		{"primary", RolePrimary}, {"replica-1", RoleReplica},
	}, false},
	{RedisSentinel, "Redis Sentinel", []NodeInfo{
		{"primary", RolePrimary}, {"replica-1", RoleReplica}, {"replica-2", RoleReplica},
		{"sentinel-1", RoleSentinel}, {"sentinel-2", RoleSentinel}, {"sentinel-3", RoleSentinel},
	}, false},
	{RedisCluster, "Redis Cluster", []NodeInfo{
		{"node-1", RolePrimary}, {"node-2", RolePrimary}, {"node-3", RolePrimary},
		{"node-4", RoleReplica}, {"node-5", RoleReplica}, {"node-6", RoleReplica},
	}, false},
	{KafkaCluster, "Kafka cluster", []NodeInfo{
		{"broker-0", RoleBroker}, {"broker-1", RoleBroker}, {"broker-2", RoleBroker},
	}, false},
	{Postgres, "PostgreSQL", []NodeInfo{{"db", RolePrimary}}, false},
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

// Family is the single-server kind whose console, commands and probes k
// uses: Redis for every Redis kind, Kafka for every Kafka kind, Postgres
// for Postgres. An unknown kind's family is Redis unless its name starts
// with "kafka" or "postgres".
func (k Kind) Family() Kind {
	switch {
	case strings.HasPrefix(string(k), "kafka"):
		return Kafka
	case strings.HasPrefix(string(k), "postgres"):
		return Postgres
	}
	return Redis
}

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

// Weight is how much of its family's capacity a sandbox of k takes: the
// number of servers it runs, so a redis-cluster sandbox (six redis-server
// processes) weighs 6 and a kafka-cluster (three brokers) 3. A
// single-server kind weighs 1.
func (k Kind) Weight() int { _, n, _ := entry(k); return max(1, len(n)) }
