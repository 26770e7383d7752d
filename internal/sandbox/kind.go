// Package sandbox holds the domain of learner sandboxes: what a sandbox is
// (Kind, Spec, Instance), the Driver contract that starts and stops one, the
// policy a learner's Redis commands must pass, and the Manager that owns
// every sandbox's lifecycle. It imports no driver; drivers import it.
package sandbox

import (
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/kinds"
)

// Kind is the kind of server a sandbox runs. The list of kinds, their
// nodes and families lives in package kinds; the names below are the
// sandbox domain's names for them.
type Kind = kinds.Kind

// The kinds of sandbox the platform offers (see package kinds).
const (
	KindRedis         = kinds.Redis
	KindKafka         = kinds.Kafka
	KindRedisReplica  = kinds.RedisReplica
	KindRedisSentinel = kinds.RedisSentinel
	KindRedisCluster  = kinds.RedisCluster
	KindKafkaCluster  = kinds.KafkaCluster
	KindPostgres      = kinds.Postgres
	KindStack         = kinds.Stack
)

// Node roles, as a node starts (Redis roles change with failovers).
const (
	RolePrimary  = kinds.RolePrimary
	RoleReplica  = kinds.RoleReplica
	RoleSentinel = kinds.RoleSentinel
	RoleBroker   = kinds.RoleBroker
)

// SentinelMaster is the name the Sentinels of a KindRedisSentinel sandbox
// monitor its primary under.
const SentinelMaster = kinds.SentinelMaster

// NodeInfo names one node of a kind and the role it starts in.
type NodeInfo = kinds.NodeInfo

// Kinds lists every valid Kind, in a stable order.
func Kinds() []Kind { return kinds.All() }

// ParseKind returns the Kind named s, or an error wrapping ErrInvalid.
func ParseKind(s string) (Kind, error) {
	k := Kind(s)
	if !k.Valid() {
		return "", fmt.Errorf("%w: unknown sandbox kind %q (use %s)", ErrInvalid, s, strings.Join(kinds.Names(), ", "))
	}
	return k, nil
}
