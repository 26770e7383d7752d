package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// The Redis accounts of every Redis sandbox, whatever the driver.
const (
	RedisAdminUser   = "admin"
	RedisLearnerUser = "learner"
	RedisClientUser  = "client"
)

// RedisUserLines returns redis.conf lines defining a sandbox's accounts: no
// usable default user, the platform's admin with every permission, the
// learner with LearnerACLRules and the learner's own client with
// ClientACLRules. Each line ends in a newline.
func RedisUserLines(access RedisAccess) string {
	return strings.Join([]string{
		"user default off resetpass resetkeys resetchannels -@all",
		fmt.Sprintf("user %s on >%s ~* &* +@all", access.Admin.User, access.Admin.Password),
		fmt.Sprintf("user %s on >%s %s", access.Learner.User, access.Learner.Password, strings.Join(LearnerACLRules(), " ")),
		fmt.Sprintf("user %s on >%s %s", access.Client.User, access.Client.Password, strings.Join(ClientACLRules(), " ")),
	}, "\n") + "\n"
}

// RedisNodeAccounts are the accounts every node of a multi-node Redis
// sandbox shares: the three of RedisAccess, the replication account
// replicas sign in to their primary with, and the Sentinels' account.
type RedisNodeAccounts struct {
	Admin, Learner, Client, Replication, Sentinel Credentials
}

// NewRedisNodeAccounts returns the accounts with fresh random passwords.
func NewRedisNodeAccounts() RedisNodeAccounts {
	return RedisNodeAccounts{
		Admin:       Credentials{User: RedisAdminUser, Password: NewSecret()},
		Learner:     Credentials{User: RedisLearnerUser, Password: NewSecret()},
		Client:      Credentials{User: RedisClientUser, Password: NewSecret()},
		Replication: Credentials{User: ReplicationUser, Password: NewSecret()},
		Sentinel:    Credentials{User: SentinelUser, Password: NewSecret()},
	}
}

// RedisValueCap is a Redis sandbox's proto-max-bulk-len and
// client-query-buffer-limit for a memory cap of maxMemory: no single value,
// nor a client's unread input, may outgrow the cap (Redis's minimum for
// both is 1 MiB). SETRANGE, APPEND and bulk strings past it get Redis's own
// "string exceeds maximum allowed size" or protocol error.
func RedisValueCap(maxMemory int64) int64 { return max(maxMemory, 1<<20) }

// NewSecret returns a random password: 24 bytes, hex-encoded.
func NewSecret() string {
	var b [24]byte
	// crypto/rand.Read never fails on the platforms Go supports.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// RedisNodeUserLines returns the redis.conf lines of a node's accounts
// (role is the node's role in a sandbox of kind) and, for a data node,
// how it signs in to a primary. Each line ends in a newline.
func RedisNodeUserLines(kind Kind, role string, a RedisNodeAccounts) string {
	lines := []string{
		"user default off resetpass resetkeys resetchannels -@all",
		fmt.Sprintf("user %s on >%s ~* &* +@all", a.Admin.User, a.Admin.Password),
		fmt.Sprintf("user %s on >%s %s", a.Learner.User, a.Learner.Password, strings.Join(LearnerACLRulesFor(kind, role), " ")),
		fmt.Sprintf("user %s on >%s %s", a.Client.User, a.Client.Password, strings.Join(ClientACLRulesFor(kind, role), " ")),
	}
	if role == RoleSentinel {
		return strings.Join(append(lines,
			fmt.Sprintf("user %s on >%s ~* &* +@all", a.Sentinel.User, a.Sentinel.Password),
		), "\n") + "\n"
	}
	lines = append(lines,
		fmt.Sprintf("user %s on >%s %s", a.Replication.User, a.Replication.Password, strings.Join(ReplicationACLRules(), " ")),
		"masteruser "+a.Replication.User,
		"masterauth "+a.Replication.Password,
	)
	if kind == KindRedisSentinel {
		lines = append(lines, fmt.Sprintf("user %s on >%s %s", a.Sentinel.User, a.Sentinel.Password, strings.Join(SentinelDataACLRules(), " ")))
	}
	return strings.Join(lines, "\n") + "\n"
}
