package redisnode

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// The Redis accounts of every Redis sandbox, whatever the driver.
const (
	AdminUser   = "admin"
	LearnerUser = "learner"
	ClientUser  = "client"
)

// UserLines returns redis.conf lines defining a sandbox's accounts: no
// usable default user, the platform's admin with every permission, the
// learner with LearnerACLRules and the learner's own client with
// ClientACLRules. Each line ends in a newline.
func UserLines(access sandbox.RedisAccess) string {
	return strings.Join([]string{
		"user default off resetpass resetkeys resetchannels -@all",
		fmt.Sprintf("user %s on >%s ~* &* +@all", access.Admin.User, access.Admin.Password),
		fmt.Sprintf("user %s on >%s %s", access.Learner.User, access.Learner.Password, strings.Join(LearnerACLRules(), " ")),
		fmt.Sprintf("user %s on >%s %s", access.Client.User, access.Client.Password, strings.Join(ClientACLRules(), " ")),
	}, "\n") + "\n"
}

// Accounts are the accounts every node of a multi-node Redis
// sandbox shares: the three of sandbox.RedisAccess, the replication account
// replicas sign in to their primary with, and the Sentinels' account.
type Accounts struct {
	Admin, Learner, Client, Replication, Sentinel sandbox.Credentials
}

// NewAccounts returns the accounts with fresh random passwords.
func NewAccounts() Accounts {
	return Accounts{
		Admin:       sandbox.Credentials{User: AdminUser, Password: NewSecret()},
		Learner:     sandbox.Credentials{User: LearnerUser, Password: NewSecret()},
		Client:      sandbox.Credentials{User: ClientUser, Password: NewSecret()},
		Replication: sandbox.Credentials{User: ReplicationUser, Password: NewSecret()},
		Sentinel:    sandbox.Credentials{User: SentinelUser, Password: NewSecret()},
	}
}

// ValueCap is a Redis sandbox's proto-max-bulk-len and
// client-query-buffer-limit for a memory cap of maxMemory: no single value,
// nor a client's unread input, may outgrow the cap (Redis's minimum for
// both is 1 MiB). SETRANGE, APPEND and bulk strings past it get Redis's own
// "string exceeds maximum allowed size" or protocol error.
func ValueCap(maxMemory int64) int64 { return max(maxMemory, 1<<20) }

// NewSecret returns a random password: 24 bytes, hex-encoded.
func NewSecret() string {
	var b [24]byte
	// crypto/rand.Read never fails on the platforms Go supports.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NodeUserLines returns the redis.conf lines of a node's accounts
// (role is the node's role in a sandbox of kind) and, for a data node,
// how it signs in to a primary. Each line ends in a newline.
func NodeUserLines(kind sandbox.Kind, role string, a Accounts) string {
	lines := []string{
		"user default off resetpass resetkeys resetchannels -@all",
		fmt.Sprintf("user %s on >%s ~* &* +@all", a.Admin.User, a.Admin.Password),
		fmt.Sprintf("user %s on >%s %s", a.Learner.User, a.Learner.Password, strings.Join(LearnerACLRulesFor(kind, role), " ")),
		fmt.Sprintf("user %s on >%s %s", a.Client.User, a.Client.Password, strings.Join(ClientACLRulesFor(kind, role), " ")),
	}
	if role == sandbox.RoleSentinel {
		return strings.Join(append(lines,
			fmt.Sprintf("user %s on >%s ~* &* +@all", a.Sentinel.User, a.Sentinel.Password),
		), "\n") + "\n"
	}
	lines = append(lines,
		fmt.Sprintf("user %s on >%s %s", a.Replication.User, a.Replication.Password, strings.Join(ReplicationACLRules(), " ")),
		"masteruser "+a.Replication.User,
		"masterauth "+a.Replication.Password,
	)
	if kind == sandbox.KindRedisSentinel {
		lines = append(lines, fmt.Sprintf("user %s on >%s %s", a.Sentinel.User, a.Sentinel.Password, strings.Join(SentinelDataACLRules(), " ")))
	}
	return strings.Join(lines, "\n") + "\n"
}
