package redisnode

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/sandbox"
)

// The one renderer of a Redis sandbox's server and Sentinel configuration.
// Both drivers describe a server with Server, DataNode or Sentinel (the
// values that differ between them: paths, ports, bind address, host process
// or container) and write what comes out: the process driver as
// redis-server's command line (Config.Args) and a Sentinel's config file,
// the container driver as config files (Config.File). The accounts come
// separately (UserLines, NodeUserLines): the process driver sends them on
// redis-server's stdin, so that no password shows in the process list.

// ClusterBusOffset is the distance from a cluster node's port to its
// cluster bus port: Redis's default, so that a CLUSTER MEET naming a node's
// port reaches that node's bus and nothing else.
const ClusterBusOffset = 10000

// Sentinel timings of a redis-sentinel sandbox: short, so that a learner
// watches a failover within seconds.
const (
	sentinelDownAfterMs     = 2000
	sentinelFailoverTimeout = 10000
	sentinelQuorum          = 2
)

// Directive is one line of a Redis or Sentinel configuration: a name and
// its arguments, e.g. {"maxmemory-policy", ["noeviction"]}.
type Directive struct {
	Name string
	Args []string
}

// Config is a configuration, in order. As in redis-server, a later
// directive of a name overrides an earlier one.
type Config []Directive

// add returns c with the directive name args appended.
func (c Config) add(name string, args ...string) Config {
	return append(c, Directive{Name: name, Args: args})
}

// File returns c as the text of a config file: one line per directive,
// the name and each argument separated by a space, an empty argument
// written "", every line ending in a newline. An argument holding spaces
// is written as it is, so redis-server reads it as several ("nosave now").
func (c Config) File() string {
	var b strings.Builder
	for _, d := range c {
		b.WriteString(d.Name)
		for _, a := range d.Args {
			if a == "" {
				a = `""`
			}
			b.WriteString(" " + a)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Args returns c as redis-server's command-line arguments: "--name" and
// then each argument as it is, one element each.
func (c Config) Args() []string {
	var out []string
	for _, d := range c {
		out = append(out, "--"+d.Name)
		out = append(out, d.Args...)
	}
	return out
}

// Server is what differs between the redis-servers of Redis sandboxes;
// everything else is the same for all of them (ServerConfig).
type Server struct {
	// Port is the TCP port the server listens on; 0 for none.
	Port int
	// Bind is the address the server listens on; "" writes no bind
	// directive (no TCP port at all, or the container's own loopback).
	Bind string
	// Socket is the path of the unix socket the platform reaches it on.
	Socket string
	// Dir is the server's working directory, where data files land.
	Dir string
	// LogFile is the path of the server's log; "" logs to stdout.
	LogFile string
	// MaxMemory is the sandbox's memory cap in bytes.
	MaxMemory int64
	// HostProcess says the server runs as a process on the platform's host
	// rather than in a container: its command line stays visible in ps
	// (telling which sandbox it serves), and under memory pressure the
	// kernel kills it before the platform.
	HostProcess bool
}

// ServerConfig returns the configuration of a sandbox's redis-server:
// s's port, address, socket (mode 700), directory and log; protected
// mode; maxmemory at the cap with noeviction, and no single value nor a
// client's unread input larger than the cap (ValueCap); at most 128
// clients; no persistence unless the learner asks for it; DEBUG, MODULE
// and protected configs off; RESTORE payloads checked; one I/O thread;
// SIGTERM stops at once without saving.
func ServerConfig(s Server) Config {
	var c Config
	c = c.add("port", strconv.Itoa(s.Port))
	if s.Bind != "" {
		c = c.add("bind", s.Bind)
	}
	c = c.add("protected-mode", "yes").
		add("unixsocket", s.Socket).
		add("unixsocketperm", "700").
		add("dir", s.Dir).
		add("logfile", s.LogFile).
		add("daemonize", "no").
		add("supervised", "no")
	if s.HostProcess {
		// Keep --dir visible in ps, telling which sandbox a server serves.
		c = c.add("set-proc-title", "no")
	}
	valueCap := strconv.FormatInt(ValueCap(s.MaxMemory), 10)
	c = c.add("always-show-logo", "no").
		add("maxmemory", strconv.FormatInt(s.MaxMemory, 10)).
		add("maxmemory-policy", "noeviction").
		add("proto-max-bulk-len", valueCap).
		add("client-query-buffer-limit", valueCap).
		add("maxclients", "128").
		add("save", "").
		add("appendonly", "no").
		add("shutdown-on-sigterm", "nosave now").
		add("enable-debug-command", "no").
		add("enable-module-command", "no").
		add("enable-protected-configs", "no").
		add("sanitize-dump-payload", "yes").
		add("io-threads", "1").
		add("databases", "16")
	if s.HostProcess {
		// Under memory pressure the kernel kills a sandbox, not the platform.
		c = c.add("oom-score-adj", "absolute").
			add("oom-score-adj-values", "800 800 800")
	}
	return c
}

// DataNode is a data node (primary or replica) of a multi-node Redis
// sandbox: a Server plus how it takes part in replication or the cluster.
// Every data node listens on 127.0.0.1: set Server.Port and Server.Bind.
type DataNode struct {
	Server
	// Files, when not "", is the prefix of the node's own files in a
	// directory it shares with the other nodes: with "n0", the socket
	// n0.sock and log n0.log in Server.Dir (after, so overriding, the
	// Server's), data n0.rdb and n0-aof, cluster state n0-nodes.conf.
	// When "", the cluster state is nodes.conf.
	Files string
	// Announce makes the node name 127.0.0.1 and Server.Port as its
	// address to the other nodes (replica-announce-*, and in cluster mode
	// cluster-announce-port and the bus port ClusterBusOffset above).
	Announce bool
	// Cluster turns cluster mode on.
	Cluster bool
	// ReplicaOf is, outside cluster mode, the port on 127.0.0.1 of the
	// primary the node replicates; 0 for a primary.
	ReplicaOf int
}

// DataNodeConfig returns the configuration of a data node: ServerConfig
// of its Server, its own files, diskless replication without delay, and
// cluster mode (node timeout 3 s, announcing 127.0.0.1) or the primary it
// replicates.
func DataNodeConfig(n DataNode) Config {
	c := ServerConfig(n.Server)
	nodesFile := "nodes.conf"
	if n.Files != "" {
		c = c.add("unixsocket", filepath.Join(n.Dir, n.Files+".sock")).
			add("logfile", filepath.Join(n.Dir, n.Files+".log")).
			add("dbfilename", n.Files+".rdb").
			add("appenddirname", n.Files+"-aof")
		nodesFile = n.Files + "-nodes.conf"
	}
	c = c.add("repl-diskless-sync", "yes").
		add("repl-diskless-sync-delay", "0")
	port := strconv.Itoa(n.Port)
	if n.Announce {
		c = c.add("replica-announce-ip", "127.0.0.1").
			add("replica-announce-port", port)
	}
	switch {
	case n.Cluster:
		c = c.add("cluster-enabled", "yes").
			add("cluster-config-file", nodesFile).
			add("cluster-node-timeout", "3000").
			add("cluster-announce-ip", "127.0.0.1")
		if n.Announce {
			c = c.add("cluster-announce-port", port).
				add("cluster-announce-bus-port", strconv.Itoa(n.Port+ClusterBusOffset))
		}
	case n.ReplicaOf != 0:
		c = c.add("replicaof", "127.0.0.1", strconv.Itoa(n.ReplicaOf))
	}
	return c
}

// Sentinel is what differs between the Sentinels of redis-sentinel
// sandboxes.
type Sentinel struct {
	// Port is the Sentinel's TCP port on 127.0.0.1.
	Port int
	// Socket, Dir and LogFile are as in Server.
	Socket, Dir, LogFile string
	// HostProcess is as in Server: the command line stays visible in ps.
	HostProcess bool
	// Announce makes the Sentinel name 127.0.0.1 and Port as its address
	// to the other Sentinels.
	Announce bool
	// PrimaryPort is the port on 127.0.0.1 of the primary to monitor.
	PrimaryPort int
	// Accounts are the sandbox's accounts: the Sentinel signs in to the
	// data nodes and to the other Sentinels as Accounts.Sentinel.
	Accounts Accounts
}

// SentinelConfig returns a Sentinel's configuration: s's port on
// 127.0.0.1, socket, directory and log, at most 128 clients, and the
// sandbox's primary (sandbox.SentinelMaster) monitored with a quorum of 2,
// a node down after 2 s and a failover timeout of 10 s, one replica
// resynchronised at a time, no script reconfiguration and no hostnames.
// The accounts' own lines come from NodeUserLines.
func SentinelConfig(s Sentinel) Config {
	m := sandbox.SentinelMaster
	a := s.Accounts.Sentinel
	var c Config
	c = c.add("port", strconv.Itoa(s.Port)).
		add("bind", "127.0.0.1").
		add("protected-mode", "yes").
		add("unixsocket", s.Socket).
		add("unixsocketperm", "700").
		add("dir", s.Dir).
		add("logfile", s.LogFile).
		add("daemonize", "no")
	if s.HostProcess {
		c = c.add("set-proc-title", "no")
	}
	c = c.add("maxclients", "128").
		add("sentinel", "monitor", m, "127.0.0.1", strconv.Itoa(s.PrimaryPort), strconv.Itoa(sentinelQuorum)).
		add("sentinel", "down-after-milliseconds", m, strconv.Itoa(sentinelDownAfterMs)).
		add("sentinel", "failover-timeout", m, strconv.Itoa(sentinelFailoverTimeout)).
		add("sentinel", "parallel-syncs", m, "1").
		add("sentinel", "auth-user", m, a.User).
		add("sentinel", "auth-pass", m, a.Password).
		add("sentinel", "sentinel-user", a.User).
		add("sentinel", "sentinel-pass", a.Password)
	if s.Announce {
		c = c.add("sentinel", "announce-ip", "127.0.0.1").
			add("sentinel", "announce-port", strconv.Itoa(s.Port))
	}
	return c.add("sentinel", "deny-scripts-reconfig", "yes").
		add("sentinel", "resolve-hostnames", "no").
		add("sentinel", "announce-hostnames", "no")
}
