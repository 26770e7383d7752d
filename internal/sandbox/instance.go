package sandbox

import "time"

// Endpoint is a network address a client dials: Network is "unix" (Address
// is a socket path) or "tcp" (Address is "127.0.0.1:port"). The zero value
// means "none".
type Endpoint struct {
	Network string
	Address string
}

// IsZero reports whether e names no address.
func (e Endpoint) IsZero() bool { return e.Address == "" }

// String returns "network:address", or "" for the zero Endpoint.
func (e Endpoint) String() string {
	if e.IsZero() {
		return ""
	}
	return e.Network + ":" + e.Address
}

// Credentials are a user name and password for a sandbox's server.
type Credentials struct {
	User     string
	Password string
}

// String returns the user name with the password masked, so that printing
// an Instance never leaks a secret.
func (c Credentials) String() string {
	if c.Password == "" {
		return c.User
	}
	return c.User + ":********"
}

// RedisAccess says how the platform reaches a Redis sandbox.
type RedisAccess struct {
	// Endpoint is the server's unix socket (Network "unix").
	Endpoint Endpoint
	// TCP is a loopback TCP endpoint, or zero when the driver listens only
	// on the unix socket.
	TCP Endpoint
	// Learner is the account learner commands must run as: its ACL denies
	// every command that could reach outside the sandbox (see
	// redisnode.LearnerACLRules). Commands must also pass
	// redisnode.PrepareLearnerCommand first.
	Learner Credentials
	// Client is the account shown to a learner for their own client: the
	// learner's rules without CONFIG SET and ACL SETUSER, DELUSER and
	// GETUSER (see redisnode.ClientACLRules), since their client does not
	// pass through redisnode.PrepareLearnerCommand.
	Client Credentials
	// Admin is the platform's account, with every permission, for checks
	// of a learner's work. Never show it to a learner.
	Admin Credentials
}

// KafkaAccess says how the platform reaches a Kafka sandbox.
type KafkaAccess struct {
	// Seeds are the bootstrap brokers, each "127.0.0.1:port".
	Seeds []string
}

// PostgresDatabase is the database of a Postgres sandbox that its learner
// role owns.
const PostgresDatabase = "appdb"

// PostgresAccess says how the platform reaches a Postgres sandbox.
type PostgresAccess struct {
	// Endpoint is the server's unix socket (Network "unix"): the socket
	// file itself, Dir/.s.PGSQL.<Port>.
	Endpoint Endpoint
	// Dir is the folder holding the socket: what libpq calls the host
	// ("psql -h Dir -p Port").
	Dir string
	// Port is the server's port number, which names its socket file.
	Port int
	// Database is the learner's database, PostgresDatabase.
	Database string
	// Learner is the role learner work runs as: it owns Database and
	// nothing else, and is no superuser, cannot create roles or
	// databases, nor read or write the server's files or run programs.
	Learner Credentials
	// Admin is the platform's superuser, for checks of a learner's work.
	// Never show it to a learner.
	Admin Credentials
}

// Instance is a running sandbox, as a driver started it.
type Instance struct {
	// Spec is what the sandbox was started from.
	Spec Spec
	// Driver is the Name of the driver that runs it.
	Driver string
	// PID is the server's process id, or 0 when it runs inside the
	// platform's own process.
	PID int
	// Dir is the sandbox's scratch directory, or "" if it has none.
	Dir string
	// StartedAt is when the driver started it.
	StartedAt time.Time
	// Redis is set for a KindRedis sandbox.
	Redis RedisAccess
	// Kafka is set for a KindKafka sandbox.
	Kafka KafkaAccess
	// Postgres is set for a KindPostgres sandbox.
	Postgres PostgresAccess
	// Nodes lists the nodes of a multi-node kind, in the order of
	// Spec.Kind.Nodes(); Redis and Kafka above are then the first node's
	// access (the primary, the first broker). Empty for a single-server
	// kind: use Node, which covers both.
	Nodes []Node
	// Restarts counts how many times the Manager found this learner's
	// sandbox dead and started a fresh, empty one in its place. The console
	// should tell the learner their data is gone when Acquire reports a
	// created sandbox with Restarts above zero.
	Restarts int
}

// Node is one server of a sandbox.
type Node struct {
	// Name is the node's name, unique in its sandbox: "primary",
	// "replica-1", "sentinel-2", "node-3", "broker-1" (see Kind.Nodes).
	Name string
	// Role is the node's role when the sandbox started (RolePrimary, ...).
	Role string
	// PID is the node's process id, or 0 inside the platform's process.
	PID int
	// Redis is how the platform reaches a Redis node: its own unix socket
	// and loopback TCP port; every node of a sandbox shares the accounts.
	Redis RedisAccess
	// Kafka is how the platform reaches a broker: Seeds is its address.
	Kafka KafkaAccess
	// Postgres is how the platform reaches a PostgreSQL server.
	Postgres PostgresAccess
}

// Node returns the node called name, or the default (first) node when name
// is empty. A single-server sandbox has one node, built from its access.
func (i Instance) Node(name string) (Node, bool) {
	if len(i.Nodes) == 0 {
		infos := i.Spec.Kind.Nodes()
		if len(infos) == 0 || (name != "" && name != infos[0].Name) {
			return Node{}, false
		}
		return Node{Name: infos[0].Name, Role: infos[0].Role, PID: i.PID, Redis: i.Redis, Kafka: i.Kafka, Postgres: i.Postgres}, true
	}
	if name == "" {
		return i.Nodes[0], true
	}
	for _, n := range i.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}
