package workstation

import (
	"net"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// KafkaLogDir is where a workstation beside a real Apache Kafka broker
// shows the broker's log directory (its log.dirs: a folder per partition,
// of segment files), read-only, as a packaged broker keeps it, for
// kafka-dump-log.sh. Every driver uses this path.
const KafkaLogDir = "/var/lib/kafka/data"

// Forwards names every node of inst, as every driver's workstation does:
// each node by its own name, and the default node also as "redis" or
// "broker" (the Redis server it names answers on 127.0.0.1:6379 too,
// under the name "localhost"), each at its own loopback address (NameAddr) and the port its
// tools expect (6379, 26379 for a Sentinel, 9092, 5432 for PostgreSQL,
// whose node is "db"). A Redis node's connections are signed in as inst's
// client account; a PostgreSQL client signs in itself (the server asks
// for a password: the workstation's ~/.pgpass has the learner's). The addresses
// forwarded to are the nodes' endpoints as inst gives them; a driver whose
// workstation sees them elsewhere rewrites them.
func Forwards(inst sandbox.Instance) []Forward {
	nodes := inst.Nodes
	if len(nodes) == 0 {
		if n, ok := inst.Node(""); ok {
			nodes = []sandbox.Node{n}
		}
	}
	var out []Forward
	addr := 0
	add := func(name string, n sandbox.Node) {
		ip := NameAddr(addr).String()
		addr++
		port := Port(n)
		switch {
		case !n.Redis.Endpoint.IsZero():
			out = append(out, Forward{
				Name: name, Listen: net.JoinHostPort(ip, port),
				Network: n.Redis.Endpoint.Network, Address: n.Redis.Endpoint.Address,
				RedisUser: inst.Redis.Client.User, RedisPassword: inst.Redis.Client.Password,
			})
		case !n.Postgres.Endpoint.IsZero():
			out = append(out, Forward{
				Name: name, Listen: net.JoinHostPort(ip, port),
				Network: n.Postgres.Endpoint.Network, Address: n.Postgres.Endpoint.Address,
			})
		case len(n.Kafka.Seeds) > 0:
			out = append(out, Forward{
				Name: name, Listen: net.JoinHostPort(ip, port), Network: "tcp", Address: n.Kafka.Seeds[0],
			})
		}
	}
	for i, n := range nodes {
		if i == 0 {
			switch inst.Spec.Kind.Family() {
			case sandbox.KindKafka:
				add("broker", n)
			case sandbox.KindPostgres:
				// Its one node is already called "db" (and a stack's
				// are "db", "redis" and "broker").
			default:
				add("redis", n)
			}
		}
		add(n.Name, n)
	}
	// The sandbox's Redis server (the one "redis" names) also answers on
	// the workstation's own 127.0.0.1:6379, as a Redis host's server does
	// for a redis-cli typed there without -h: "redis-cli INFO
	// persistence" works as written.
	// Not where a node listens itself: a multi-node Redis sandbox's
	// primary may hold 127.0.0.1:6379 of the namespace the workstation
	// shares, and answers there already.
	for _, n := range nodes {
		if n.Redis.TCP.Address == "127.0.0.1:6379" {
			return out
		}
	}
	for _, fw := range out {
		if fw.Name == "redis" {
			local := fw
			local.Name, local.Listen = "localhost", "127.0.0.1:6379"
			out = append(out, local)
			break
		}
	}
	return out
}

// Port is the port n's tools expect, where a workstation has it answer:
// 6379 for Redis (26379 for a Sentinel), 5432 for PostgreSQL, 9092 for a
// Kafka broker; "" for a node with no server access.
func Port(n sandbox.Node) string {
	switch {
	case !n.Redis.Endpoint.IsZero() && n.Role == sandbox.RoleSentinel:
		return "26379"
	case !n.Redis.Endpoint.IsZero():
		return "6379"
	case !n.Postgres.Endpoint.IsZero():
		return "5432"
	case len(n.Kafka.Seeds) > 0:
		return "9092"
	}
	return ""
}

// PostgresEnv is what libpq reads in a workstation beside inst, when inst
// has a PostgreSQL server, as an operator's shell on a database host is
// set up: the server is "db" (the name Forwards gives it, port 5432), the
// learner's role and database are the defaults, so "psql", "pg_dump
// appdb" and "psql -h db" need no options. The password is in ~/.pgpass
// (Pgpass), never in the environment. Nil without a server.
func PostgresEnv(inst sandbox.Instance) []string {
	if inst.Postgres.Learner.User == "" {
		return nil
	}
	return []string{
		"PGHOST=db",
		"PGUSER=" + inst.Postgres.Learner.User,
		"PGDATABASE=" + inst.Postgres.Database,
	}
}

// Pgpass is the learner's ~/.pgpass in a workstation beside inst, which
// the driver writes with mode 0600 and the learner as its owner (libpq
// ignores a file others may read): the learner role's password for "db"
// on any database (the server's pg_hba.conf decides which it lets in).
// The admin role is never in it. Empty without a server.
func Pgpass(inst sandbox.Instance) string {
	pg := inst.Postgres
	if pg.Learner.User == "" {
		return ""
	}
	return strings.Join([]string{"db", "5432", "*", pgpassField(pg.Learner.User), pgpassField(pg.Learner.Password)}, ":") + "\n"
}

// pgpassField escapes s for a .pgpass field, where ':' and '\' are
// backslash-escaped.
func pgpassField(s string) string {
	return strings.NewReplacer(`\`, `\\`, ":", `\:`).Replace(s)
}

// Profile is a workstation shell's /etc/profile: a prompt that names the
// user and the workstation (hostname), and the command log.
//
// Every command line the learner runs is also appended, with its time, to
// ~/.opslab-commands (sandbox.CommandLog), so that the platform can keep
// the last ones with a failed check for the learner's team lead; the first
// prompt only notes where the history stands (a reopened shell loads the
// earlier history, which was logged then).
func Profile(hostname string) string {
	return strings.ReplaceAll(profile, "@HOST@", hostname)
}

const profile = `PS1='\u@@HOST@:\w\$ '
export PS1
__opslab_log() {
  local h n c
  h=$(HISTTIMEFORMAT= builtin history 1) || return
  h=${h#"${h%%[![:space:]]*}"}
  n=${h%%[!0-9]*}
  c=${h#"$n"}
  c=${c#\*}
  c=${c#"${c%%[![:space:]]*}"}
  if [ -z "${__opslab_started:-}" ]; then __opslab_started=1; __opslab_last=$n; return; fi
  [ -n "$n" ] && [ "$n" != "$__opslab_last" ] || return
  __opslab_last=$n
  printf '%s\t%s\n' "$EPOCHREALTIME" "${c:0:300}" >> ~/` + sandbox.CommandLog + `
}
PROMPT_COMMAND=__opslab_log
`
