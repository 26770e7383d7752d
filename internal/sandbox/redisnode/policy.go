package redisnode

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// The learner's Redis permissions are enforced twice: by the server, through
// the ACL rules below, and by the platform, through CheckLearnerCommand,
// which also filters what Redis ACLs cannot (CONFIG SET by parameter name
// and value). Both read the same tables, so they cannot drift apart.

// learnerDeniedCommands are whole commands the learner may not run: they
// reach outside the sandbox (another host, the server process, replication)
// or exist only to debug or extend the server.
var learnerDeniedCommands = []string{
	"debug", "module", "shutdown", "migrate", "replicaof", "slaveof",
	"sync", "psync", "replconf", "failover",
}

// learnerSubcommands limits some commands to the listed subcommands; the
// learner may run no other. ACL may read, and create, change, show and
// delete users of the learner's own (never the sandbox's accounts, never
// LIST, which shows every password hash, nor LOAD or SAVE, which touch
// files); CONFIG may not REWRITE, which writes a file.
var learnerSubcommands = map[string][]string{
	"acl":    {"whoami", "cat", "users", "log", "dryrun", "genpass", "help", "setuser", "deluser", "getuser"},
	"config": {"get", "set", "resetstat", "help"},
}

// learnerFilteredSubcommands are the subcommands the learner's ACL allows
// only because CheckLearnerCommand filters their arguments (CONFIG SET by
// parameter, ACL SETUSER by rule and user, ACL DELUSER and GETUSER by
// user). The client account, which skips that check, never gets them.
var learnerFilteredSubcommands = []string{"config|set", "acl|setuser", "acl|deluser", "acl|getuser"}

// learnerConfigSettable are the parameters a learner may change with CONFIG
// SET: memory and eviction, persistence (files always land in the sandbox's
// own directory, which is fixed), slowlog, latency, encoding thresholds and
// a few harmless runtime knobs. Anything else (port, bind, dir, dbfilename,
// unixsocket, protected-mode, logfile, maxclients, ...) is refused.
var learnerConfigSettable = setOf(
	// memory and eviction ("maxmemory" is also checked against the cap)
	"maxmemory", "maxmemory-policy", "maxmemory-samples", "maxmemory-eviction-tenacity",
	"maxmemory-clients", "lfu-log-factor", "lfu-decay-time",
	"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
	"lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
	"activedefrag", "active-defrag-ignore-bytes", "active-defrag-threshold-lower",
	"active-defrag-threshold-upper", "active-defrag-cycle-min", "active-defrag-cycle-max",
	"active-defrag-max-scan-fields",
	// persistence
	"save", "appendonly", "appendfsync", "no-appendfsync-on-rewrite",
	"auto-aof-rewrite-percentage", "auto-aof-rewrite-min-size", "aof-use-rdb-preamble",
	"aof-rewrite-incremental-fsync", "rdb-save-incremental-fsync", "aof-timestamp-enabled",
	"rdbcompression", "stop-writes-on-bgsave-error", // rdbchecksum is immutable at run time
	// slowlog and latency
	"slowlog-log-slower-than", "slowlog-max-len",
	"latency-monitor-threshold", "latency-tracking", "latency-tracking-info-percentiles",
	// encodings
	"hash-max-listpack-entries", "hash-max-listpack-value",
	"hash-max-ziplist-entries", "hash-max-ziplist-value",
	"list-max-listpack-size", "list-max-ziplist-size", "list-compress-depth",
	"set-max-intset-entries", "set-max-listpack-entries", "set-max-listpack-value",
	"zset-max-listpack-entries", "zset-max-listpack-value",
	"zset-max-ziplist-entries", "zset-max-ziplist-value",
	"hll-sparse-max-bytes", "stream-node-max-bytes", "stream-node-max-entries",
	// runtime behaviour
	"notify-keyspace-events", "hz", "dynamic-hz", "activerehashing", "active-expire-effort",
	"timeout", "tcp-keepalive", "busy-reply-threshold", "lua-time-limit",
	"tracking-table-max-keys", "client-output-buffer-limit",
)

// LearnerACLRules returns the Redis ACL rules, in order, that follow "on"
// and the password in the learner user's definition: every key and channel,
// every command, minus the denied commands, minus ACL and CONFIG but for
// their allowed subcommands. Drivers must give the learner user
// exactly these rules.
func LearnerACLRules() []string {
	rules := []string{"~*", "&*", "+@all"}
	for _, c := range learnerDeniedCommands {
		rules = append(rules, "-"+c)
	}
	for _, c := range slices.Sorted(maps.Keys(learnerSubcommands)) {
		rules = append(rules, "-"+c)
		for _, sub := range learnerSubcommands[c] {
			rules = append(rules, "+"+c+"|"+sub)
		}
	}
	return rules
}

// ClientACLRules returns the rules of the account handed to a learner's
// own client (redis-cli over TCP): LearnerACLRules without the
// learnerFilteredSubcommands (CONFIG SET, ACL SETUSER, DELUSER and
// GETUSER). No ACL can filter them by argument, and such a client bypasses
// the console's CheckLearnerCommand, so it gets none of them.
func ClientACLRules() []string {
	var out []string
	for _, r := range LearnerACLRules() {
		if strings.HasPrefix(r, "+") && slices.Contains(learnerFilteredSubcommands, r[1:]) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// CheckLearnerCommand is CheckLearnerCommandCap with sandbox.DefaultMaxMemoryBytes.
func CheckLearnerCommand(args []string) error {
	return CheckLearnerCommandCap(args, sandbox.DefaultMaxMemoryBytes)
}

// CheckLearnerCommandCap returns nil if a learner may send args (a command
// and its arguments, as typed) to a Redis sandbox whose memory cap is
// maxMemory bytes, or a *sandbox.DeniedError (matching sandbox.ErrDenied) whose Reply is the
// error Redis would send:
//
//   - a command or subcommand the learner ACL denies gets Redis's own ACL
//     text, e.g. "NOPERM this user has no permissions to run the 'debug'
//     command";
//   - CONFIG SET of a parameter outside the sandbox allowlist gets
//     "ERR CONFIG SET 'dir' is not allowed in the sandbox ...";
//   - CONFIG SET maxmemory of 0 (no limit) or above maxMemory is refused;
//   - ACL SETUSER, DELUSER and GETUSER of a sandbox account (default,
//     admin, learner, client, replication, sentinel) are refused, and ACL
//     SETUSER only takes the rules of checkACLSetUser, so that a user the
//     learner creates never holds more than the learner's client account.
//
// It is pure: it looks at nothing but its arguments. An empty args is
// allowed, as there is nothing to send.
func CheckLearnerCommandCap(args []string, maxMemory int64) error {
	if len(args) == 0 {
		return nil
	}
	name := strings.ToLower(args[0])
	for _, c := range learnerDeniedCommands {
		if name == c {
			return noPerm(name)
		}
	}
	if len(args) < 2 {
		return nil
	}
	sub := strings.ToLower(args[1])
	if allowed, limited := learnerSubcommands[name]; limited && !slices.Contains(allowed, sub) {
		return noPerm(name + "|" + sub)
	}
	if name == "config" && sub == "set" {
		return checkConfigSet(args[2:], maxMemory)
	}
	if name == "acl" {
		return checkACLUserCommand(sub, args[2:])
	}
	return nil
}

func noPerm(command string) error {
	return &sandbox.DeniedError{Reply: fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", command)}
}

// checkConfigSet checks the "param value [param value ...]" of CONFIG SET.
func checkConfigSet(pairs []string, maxMemory int64) error {
	if len(pairs) < 2 || len(pairs)%2 != 0 {
		return &sandbox.DeniedError{Reply: "ERR wrong number of arguments for 'config|set' command"}
	}
	for i := 0; i < len(pairs); i += 2 {
		param, value := strings.ToLower(pairs[i]), pairs[i+1]
		if !learnerConfigSettable[param] {
			return &sandbox.DeniedError{Reply: fmt.Sprintf(
				"ERR CONFIG SET '%s' is not allowed in the sandbox: only memory, eviction, persistence, slowlog, latency and encoding settings may change", param)}
		}
		if param == "maxmemory" {
			n, ok := parseMemory(value)
			if !ok {
				return &sandbox.DeniedError{Reply: fmt.Sprintf("ERR CONFIG SET 'maxmemory' needs a size such as 32mb, got '%s'", value)}
			}
			if n == 0 || n > maxMemory {
				return &sandbox.DeniedError{Reply: fmt.Sprintf(
					"ERR CONFIG SET 'maxmemory' must be between 1 and the sandbox cap of %s (0, no limit, is not allowed)", FormatBytes(maxMemory))}
			}
		}
	}
	return nil
}

// parseMemory parses a Redis memory size: digits with an optional unit b,
// k (1000), kb (1024), m, mb, g or gb, case-insensitive. It refuses signs,
// spaces, fractions and values that overflow int64.
func parseMemory(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	var mul int64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1 << 10
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1 << 20
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1 << 30
	default:
		return 0, false
	}
	if n > (1<<63-1)/mul {
		return 0, false
	}
	return n * mul, true
}

// FormatBytes formats n the way Redis configs write sizes: "64mb", "512kb",
// "1gb", or plain bytes when n is not a whole number of kilobytes.
func FormatBytes(n int64) string {
	switch {
	case n != 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "gb"
	case n != 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "mb"
	case n != 0 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "kb"
	}
	return strconv.FormatInt(n, 10)
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
