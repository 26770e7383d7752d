package redisnode

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// The learner's permissions on the nodes of a multi-node Redis kind
// (sandbox.KindRedisReplica, sandbox.KindRedisSentinel, sandbox.KindRedisCluster). They start from
// the single-server policy (LearnerACLRules, CheckLearnerCommandCap) and
// open exactly what lessons on replication, Sentinel and Cluster need. A
// command that names another server (REPLICAOF, FAILOVER TO, CLUSTER MEET,
// MIGRATE) is let through only when that server is a node of the same
// sandbox: the ACL lets the learner account run it, and PrepareLearnerCommand
// checks the host and port before the console sends it. The client account
// (a learner's own redis-cli, which skips PrepareLearnerCommand) gets none
// of these.

// Accounts every multi-node Redis sandbox adds to admin, learner and client.
const (
	// ReplicationUser is the account replicas sign in to their primary
	// with (masteruser/masterauth): it may only replicate.
	ReplicationUser = "replication"
	// SentinelUser is the account Sentinels sign in to the data nodes and
	// to each other with.
	SentinelUser = "sentinel"
)

// ReplicationACLRules are the rules of ReplicationUser: replication only.
func ReplicationACLRules() []string { return []string{"+psync", "+replconf", "+ping"} }

// SentinelDataACLRules are the rules of SentinelUser on the data nodes of a
// sandbox.KindRedisSentinel sandbox: what Redis's documentation lists for Sentinel.
func SentinelDataACLRules() []string {
	return []string{"&*", "+multi", "+slaveof", "+replicaof", "+ping", "+exec", "+subscribe",
		"+config|rewrite", "+role", "+publish", "+info", "+client|setname", "+client|kill", "+script|kill"}
}

// learnerSentinelSubcommands are the SENTINEL subcommands a learner may run
// on a Sentinel: reading its view, checking the quorum and forcing a
// failover. Never SET (notification scripts, passwords), CONFIG, MONITOR,
// REMOVE, FLUSHCONFIG, DEBUG, SIMULATE-FAILURE or IS-MASTER-DOWN-BY-ADDR.
var learnerSentinelSubcommands = []string{
	"get-master-addr-by-name", "masters", "master", "replicas", "slaves", "sentinels",
	"failover", "ckquorum", "myid", "info-cache", "reset", "pending-scripts", "help",
}

// learnerSentinelCommands are the other commands a learner may run on a
// Sentinel.
var learnerSentinelCommands = []string{"ping", "info", "role"}

// learnerNodeConfigSettable are parameters a learner may also CONFIG SET on
// a data node of a multi-node kind: replication and cluster tuning that
// reaches no other host.
var learnerNodeConfigSettable = setOf(
	"min-replicas-to-write", "min-replicas-max-lag", "replica-read-only",
	"replica-serve-stale-data", "replica-priority", "repl-backlog-size", "repl-backlog-ttl",
	"repl-timeout", "repl-ping-replica-period", "repl-diskless-sync", "repl-diskless-sync-delay",
	"cluster-node-timeout", "cluster-require-full-coverage", "cluster-allow-reads-when-down",
	"cluster-replica-validity-factor", "cluster-allow-replica-migration", "cluster-migration-barrier",
)

// LearnerACLRulesFor returns the learner account's rules on a node of role
// in a sandbox of kind. A kind with one Redis server (a single-server
// kind, a stack) gets LearnerACLRules.
func LearnerACLRulesFor(kind sandbox.Kind, role string) []string {
	switch {
	case kind.Weight(sandbox.KindRedis) < 2:
		return LearnerACLRules()
	case role == sandbox.RoleSentinel:
		return sentinelLearnerRules()
	case kind == sandbox.KindRedisCluster:
		return append(LearnerACLRules(), "+migrate")
	}
	return append(LearnerACLRules(), "+replicaof", "+slaveof", "+failover")
}

// ClientACLRulesFor returns the client account's rules on a node of role in
// a sandbox of kind: never anything that names another server, since a
// learner's own client skips PrepareLearnerCommand.
func ClientACLRulesFor(kind sandbox.Kind, role string) []string {
	switch {
	case kind.Weight(sandbox.KindRedis) < 2:
		return ClientACLRules()
	case role == sandbox.RoleSentinel:
		return sentinelLearnerRules()
	case kind == sandbox.KindRedisCluster:
		return append(ClientACLRules(), "-cluster|meet")
	}
	return ClientACLRules()
}

func sentinelLearnerRules() []string {
	rules := []string{"-@all"}
	for _, c := range learnerSentinelCommands {
		rules = append(rules, "+"+c)
	}
	for _, sub := range learnerSentinelSubcommands {
		rules = append(rules, "+sentinel|"+sub)
	}
	return append(rules, "+client|setname", "+client|getname", "+client|id", "+client|info", "+acl|whoami", "+command")
}

// PrepareLearnerCommand checks args, a learner's console command for node
// of inst, against the sandbox's policy and returns what to send: args
// itself, or for a MIGRATE between nodes of a Redis Cluster args with the
// learner's AUTH2 added. A refusal is a *sandbox.DeniedError (matching
// sandbox.ErrDenied) carrying Redis's reply. A single-server sandbox gets
// CheckLearnerCommandCap with its memory cap.
func PrepareLearnerCommand(inst sandbox.Instance, node sandbox.Node, args []string) ([]string, error) {
	kind := inst.Spec.Kind
	if kind.Weight(sandbox.KindRedis) < 2 {
		return args, CheckLearnerCommandCap(args, inst.Spec.MemoryCap())
	}
	if len(args) == 0 {
		return args, nil
	}
	name := strings.ToLower(args[0])
	sub := ""
	if len(args) > 1 {
		sub = strings.ToLower(args[1])
	}
	if node.Role == sandbox.RoleSentinel {
		switch {
		case name == "sentinel" && slices.Contains(learnerSentinelSubcommands, sub):
			return args, nil
		case name == "sentinel":
			return nil, noPerm("sentinel|" + sub)
		case slices.Contains(learnerSentinelCommands, name), name == "client", name == "acl" && sub == "whoami", name == "command":
			return args, nil
		}
		return nil, noPerm(name)
	}
	switch {
	case (name == "replicaof" || name == "slaveof") && kind != sandbox.KindRedisCluster:
		if len(args) != 3 {
			return nil, &sandbox.DeniedError{Reply: fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)}
		}
		if strings.EqualFold(args[1], "no") && strings.EqualFold(args[2], "one") {
			return args, nil
		}
		if err := checkSandboxAddr(inst, name, args[1], args[2]); err != nil {
			return nil, err
		}
		return args, nil
	case name == "failover" && kind != sandbox.KindRedisCluster:
		for j := 1; j < len(args); j++ {
			if strings.EqualFold(args[j], "to") {
				if j+2 >= len(args) {
					return nil, &sandbox.DeniedError{Reply: "ERR syntax error"}
				}
				if err := checkSandboxAddr(inst, name, args[j+1], args[j+2]); err != nil {
					return nil, err
				}
				j += 2
			}
		}
		return args, nil
	case name == "cluster" && sub == "meet" && kind == sandbox.KindRedisCluster:
		if len(args) != 4 {
			// A bus port would be dialled as given: only the node's own is used.
			return nil, &sandbox.DeniedError{Reply: "ERR CLUSTER MEET takes an ip and a port in the sandbox (no bus port)"}
		}
		if err := checkSandboxAddr(inst, "cluster|meet", args[2], args[3]); err != nil {
			return nil, err
		}
		return args, nil
	case name == "migrate" && kind == sandbox.KindRedisCluster:
		return prepareMigrate(inst, args)
	case name == "config" && sub == "set" && len(args) >= 4 && len(args)%2 == 0:
		var rest []string
		for j := 2; j+1 < len(args); j += 2 {
			if !learnerNodeConfigSettable[strings.ToLower(args[j])] {
				rest = append(rest, args[j], args[j+1])
			}
		}
		if len(rest) == 0 {
			return args, nil
		}
		return args, checkConfigSet(rest, inst.Spec.MemoryCap())
	}
	return args, CheckLearnerCommandCap(args, inst.Spec.MemoryCap())
}

// prepareMigrate checks MIGRATE host port key|"" db timeout [COPY]
// [REPLACE] [AUTH pw | AUTH2 user pw] [KEYS k...] and signs it in as the
// learner on the target when it names no account.
func prepareMigrate(inst sandbox.Instance, args []string) ([]string, error) {
	if len(args) < 6 {
		return nil, &sandbox.DeniedError{Reply: "ERR wrong number of arguments for 'migrate' command"}
	}
	if err := checkSandboxAddr(inst, "migrate", args[1], args[2]); err != nil {
		return nil, err
	}
	keysAt := len(args)
	for j := 6; j < len(args); j++ {
		switch strings.ToLower(args[j]) {
		case "auth", "auth2":
			return args, nil
		case "keys":
			keysAt = j
			j = len(args)
		}
	}
	out := append([]string{}, args[:keysAt]...)
	out = append(out, "AUTH2", inst.Redis.Learner.User, inst.Redis.Learner.Password)
	return append(out, args[keysAt:]...), nil
}

// checkSandboxAddr returns nil if host and port name a Redis data node of
// this sandbox (its loopback TCP port), or a sandbox.DeniedError for command.
func checkSandboxAddr(inst sandbox.Instance, command, host, port string) error {
	deny := &sandbox.DeniedError{Reply: fmt.Sprintf(
		"ERR %s may only name a node of this sandbox (127.0.0.1 and a port from its node list), not %s %s", strings.ToUpper(command), host, port)}
	if host != "127.0.0.1" && !strings.EqualFold(host, "localhost") {
		return deny
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return deny
	}
	want := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	for _, n := range inst.Nodes {
		if n.Role != sandbox.RoleSentinel && n.Redis.TCP.Address == want {
			return nil
		}
	}
	return deny
}
