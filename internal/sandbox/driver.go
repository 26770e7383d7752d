package sandbox

import "context"

// Driver starts and stops sandboxes. Implementations must be safe for
// concurrent use; the Manager never calls Start or Stop twice at once for
// the same id.
type Driver interface {
	// Name returns a short, stable name for the driver, e.g. "process".
	Name() string

	// Start starts a sandbox for spec and returns once its server accepts
	// connections. It returns an error wrapping ErrInvalid for a bad spec,
	// ErrUnsupported for a kind the driver cannot run, ErrExists if spec.ID
	// is already in use, and otherwise leaves nothing behind on failure.
	Start(ctx context.Context, spec Spec) (Instance, error)

	// Stop stops the sandbox id and removes everything it left, including
	// one left over by an earlier run of the platform when the driver can
	// find it (see Lister). It returns an error wrapping ErrNotFound if
	// nothing of id exists.
	Stop(ctx context.Context, id string) error
}

// Pinger is implemented by drivers that can tell whether a sandbox's server
// is still running. The Manager starts a fresh sandbox in place of a dead one.
type Pinger interface {
	// Alive reports whether the sandbox id exists and its server runs.
	Alive(ctx context.Context, id string) bool
}

// Lister is implemented by drivers whose sandboxes can outlive the
// platform's process. The Manager stops every listed id it does not own
// when it recovers from a crash.
type Lister interface {
	// List returns the id of every sandbox the driver holds resources for,
	// running or left over by an earlier run of the platform.
	List(ctx context.Context) ([]string, error)
}

// Adopter is implemented by drivers whose sandboxes keep running while the
// platform restarts (containers). The Manager adopts each recorded sandbox
// at Recover instead of stopping it, so a deploy does not cost a learner
// their lab.
type Adopter interface {
	// Adopt returns the Instance of the running sandbox rec describes, as
	// Start returned it, with rec's owner and lesson. It returns an error
	// wrapping ErrNotFound when the sandbox is gone or unusable; the
	// Manager then stops what is left of it.
	Adopt(ctx context.Context, rec Record) (Instance, error)
}

// KindSupporter is implemented by drivers that run only some kinds.
type KindSupporter interface {
	// Supports reports whether Start can run sandboxes of kind.
	Supports(kind Kind) bool
}

// RealKafkaReporter is implemented by drivers that can run real Apache
// Kafka brokers for some kinds. A driver that does not implement it runs
// none: its Kafka sandboxes are kfake.
type RealKafkaReporter interface {
	// RealKafka reports whether the driver's sandboxes of kind are real
	// Apache Kafka brokers.
	RealKafka(kind Kind) bool
}

// NodeController is implemented by drivers that can stop and start one
// node's server while its sandbox keeps running (a broker of a real
// kafka-cluster): the drills of a broker going down.
type NodeController interface {
	// CanControlNodes reports whether StopNode and StartNode work on the
	// nodes of kind.
	CanControlNodes(kind Kind) bool
	// StopNode stops node's server gracefully (as a service manager
	// would) and returns once it has exited and the rest of the sandbox
	// no longer counts it. Stopping a stopped node does nothing.
	StopNode(ctx context.Context, id, node string) error
	// StartNode starts node's server again, on its kept data, and returns
	// once it serves and the rest of the sandbox counts it. Starting a
	// running node does nothing.
	StartNode(ctx context.Context, id, node string) error
	// NodeRunning reports whether node's server runs.
	NodeRunning(ctx context.Context, id, node string) (bool, error)
}
