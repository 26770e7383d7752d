// Package sandbox holds the domain of learner sandboxes: what a sandbox is
// (Kind, Spec, Instance), the Driver contract that starts and stops one, the
// policy a learner's Redis commands must pass, and the Manager that owns
// every sandbox's lifecycle. It imports no driver; drivers import it.
package sandbox

import (
	"fmt"
	"strings"
)

// Kind is the kind of server a sandbox runs.
type Kind string

// The kinds of sandbox the platform offers. The first two are one server;
// the others are several nodes of one family (see Kind.Nodes).
const (
	KindRedis Kind = "redis"
	KindKafka Kind = "kafka"
	// KindRedisReplica is a Redis primary and one replica of it.
	KindRedisReplica Kind = "redis-replica"
	// KindRedisSentinel is a Redis primary, two replicas and three
	// Sentinels monitoring the primary as "mymaster" with quorum 2.
	KindRedisSentinel Kind = "redis-sentinel"
	// KindRedisCluster is a Redis Cluster of three primaries, each with
	// one replica, all 16384 slots assigned.
	KindRedisCluster Kind = "redis-cluster"
	// KindKafkaCluster is a three-broker Kafka cluster.
	KindKafkaCluster Kind = "kafka-cluster"
)

// Node roles, as a node starts (Redis roles change with failovers).
const (
	RolePrimary  = "primary"
	RoleReplica  = "replica"
	RoleSentinel = "sentinel"
	RoleBroker   = "broker"
)

// SentinelMaster is the name the Sentinels of a KindRedisSentinel sandbox
// monitor its primary under.
const SentinelMaster = "mymaster"

// NodeInfo names one node of a kind and the role it starts in.
type NodeInfo struct {
	Name string
	Role string
}

// kindNodes lists every kind's nodes, in order; the first is the default
// node (the console's and the checks' when none is named).
var kindNodes = map[Kind][]NodeInfo{
	KindRedis: {{"primary", RolePrimary}},
	KindKafka: {{"broker-0", RoleBroker}},
	KindRedisReplica: {
		{"primary", RolePrimary}, {"replica-1", RoleReplica},
	},
	KindRedisSentinel: {
		{"primary", RolePrimary}, {"replica-1", RoleReplica}, {"replica-2", RoleReplica},
		{"sentinel-1", RoleSentinel}, {"sentinel-2", RoleSentinel}, {"sentinel-3", RoleSentinel},
	},
	KindRedisCluster: {
		{"node-1", RolePrimary}, {"node-2", RolePrimary}, {"node-3", RolePrimary},
		{"node-4", RoleReplica}, {"node-5", RoleReplica}, {"node-6", RoleReplica},
	},
	KindKafkaCluster: {
		{"broker-0", RoleBroker}, {"broker-1", RoleBroker}, {"broker-2", RoleBroker},
	},
}

// Kinds lists every valid Kind, in a stable order.
func Kinds() []Kind {
	return []Kind{KindRedis, KindKafka, KindRedisReplica, KindRedisSentinel, KindRedisCluster, KindKafkaCluster}
}

// ParseKind returns the Kind named s, or an error wrapping ErrInvalid.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		names := make([]string, 0, len(kindNodes))
		for _, k := range Kinds() {
			names = append(names, string(k))
		}
		return "", fmt.Errorf("%w: unknown sandbox kind %q (use %s)", ErrInvalid, s, strings.Join(names, ", "))
	}
	return k, nil
}

// Valid reports whether k is one of the kinds listed by Kinds.
func (k Kind) Valid() bool { _, ok := kindNodes[k]; return ok }

// String returns the kind's name.
func (k Kind) String() string { return string(k) }

// Title returns the kind's name as shown to people: "Redis", "Kafka",
// "Redis Cluster", ...
func (k Kind) Title() string {
	switch k {
	case KindRedis:
		return "Redis"
	case KindKafka:
		return "Kafka"
	case KindRedisReplica:
		return "Redis replication"
	case KindRedisSentinel:
		return "Redis Sentinel"
	case KindRedisCluster:
		return "Redis Cluster"
	case KindKafkaCluster:
		return "Kafka cluster"
	}
	return string(k)
}

// Family is the single-server kind whose console, commands and probes k
// uses: KindRedis for every Redis kind, KindKafka for every Kafka kind.
func (k Kind) Family() Kind {
	if strings.HasPrefix(string(k), "kafka") {
		return KindKafka
	}
	return KindRedis
}

// MultiNode reports whether k runs several nodes.
func (k Kind) MultiNode() bool { return len(kindNodes[k]) > 1 }

// Nodes returns k's nodes in order; the first is the default node.
func (k Kind) Nodes() []NodeInfo { return append([]NodeInfo(nil), kindNodes[k]...) }

// HasNode reports whether k has a node called name.
func (k Kind) HasNode(name string) bool {
	for _, n := range kindNodes[k] {
		if n.Name == name {
			return true
		}
	}
	return false
}

// Weight is how much of its family's capacity a sandbox of k takes (see
// Config.MaxPerKind): the number of servers it runs, so a redis-cluster
// sandbox (six redis-server processes) weighs 6 and a kafka-cluster (three
// brokers) 3. A single-server kind weighs 1.
func (k Kind) Weight() int { return max(1, len(kindNodes[k])) }
