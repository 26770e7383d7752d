package sandbox

import (
	"context"
	"io"
)

// Driver starts, stops and watches sandboxes. Every driver has every verb;
// Capabilities says which of them work for a kind, and a verb that does
// not work returns an error wrapping ErrUnsupported (Alive and List, which
// every driver can answer in some way, say what they do without it).
// Implementations must be safe for concurrent use; the Manager never calls
// Start or Stop twice at once for the same id.
type Driver interface {
	// Name returns a short, stable name for the driver, e.g. "process".
	Name() string

	// Capabilities says what the driver can do with sandboxes of kind. It
	// does no I/O and gives the same answer for the driver's lifetime.
	Capabilities(kind Kind) Capabilities

	// Start starts a sandbox for spec and returns once its server accepts
	// connections. It returns an error wrapping ErrInvalid for a bad spec,
	// ErrUnsupported for a kind the driver cannot run, ErrExists if spec.ID
	// is already in use, and otherwise leaves nothing behind on failure.
	Start(ctx context.Context, spec Spec) (Instance, error)

	// Stop stops the sandbox id and removes everything it left, including
	// one left over by an earlier run of the platform when the driver can
	// find it (see List). It returns an error wrapping ErrNotFound if
	// nothing of id exists.
	Stop(ctx context.Context, id string) error

	// Alive reports whether the sandbox id exists and its server runs. The
	// Manager starts a fresh sandbox in place of a dead one. A driver that
	// cannot tell reports true.
	Alive(ctx context.Context, id string) bool

	// List returns the id of every sandbox the driver holds resources for,
	// running or left over by an earlier run of the platform; the Manager
	// stops every listed id it does not own when it recovers from a crash.
	// A driver whose sandboxes cannot outlive the platform's process
	// returns none.
	List(ctx context.Context) ([]string, error)

	// Adopt returns the Instance of the running sandbox rec describes, as
	// Start returned it, with rec's owner and lesson: the Manager adopts
	// the sandboxes of kinds that Capabilities.Adopts at Recover instead
	// of stopping them, so a deploy does not cost a learner their lab. It
	// returns an error wrapping ErrNotFound when the sandbox is gone or
	// unusable (the Manager then stops what is left of it), and
	// ErrUnsupported when the driver cannot adopt rec's kind.
	Adopt(ctx context.Context, rec Record) (Instance, error)

	// StopNode stops node's server gracefully (as a service manager
	// would) while the rest of sandbox id keeps running, and returns once
	// it has exited and the rest no longer counts it: the drills of a
	// broker going down. Stopping a stopped node does nothing. It returns
	// an error wrapping ErrUnsupported unless Capabilities.ControlsNodes.
	StopNode(ctx context.Context, id, node string) error

	// StartNode starts node's server again, on its kept data, and returns
	// once it serves and the rest of the sandbox counts it. Starting a
	// running node does nothing. Errors are those of StopNode.
	StartNode(ctx context.Context, id, node string) error

	// NodeRunning reports whether node's server runs. Errors are those of
	// StopNode.
	NodeRunning(ctx context.Context, id, node string) (bool, error)

	// StartShell starts a learner's shell in a workstation beside the
	// running sandbox inst, on a terminal of cols×rows cells: inside the
	// sandbox's walls, with its nodes at hand by name (see package
	// workstation). Each call starts a fresh shell. It returns an error
	// wrapping ErrUnsupported unless Capabilities.Shell.
	StartShell(ctx context.Context, inst Instance, cols, rows uint16) (Terminal, error)

	// RunShell runs script with bash, non-interactively, in a fresh
	// workstation beside inst (the learner's home, user and view, as in
	// StartShell) and returns what it printed and its exit status; ctx
	// bounds it (past it the workstation is killed and the error wraps
	// ctx's). Output past MaxShellOutput bytes per stream is cut. Errors
	// are those of StartShell.
	RunShell(ctx context.Context, inst Instance, script string) (ShellResult, error)
}

// CommandLog is the file, in the learner's home, where the interactive
// shells of StartShell append each command line the learner runs, as
// "<unix seconds, with microseconds>\t<command>" (at most 300 bytes of it).
const CommandLog = ".opslab-commands"

// MaxShellOutput bounds each stream RunShell keeps.
const MaxShellOutput = 256 << 10

// CappedOutput keeps the first MaxShellOutput bytes written to it and
// drops the rest, never failing a write: a stream of RunShell.
type CappedOutput struct{ b []byte }

func (c *CappedOutput) Write(p []byte) (int, error) {
	if room := MaxShellOutput - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(len(p), room)]...)
	}
	return len(p), nil
}

// String returns what was kept.
func (c *CappedOutput) String() string { return string(c.b) }

// ShellResult is what a script run by RunShell printed and how it ended.
type ShellResult struct {
	Stdout, Stderr string
	Exit           int
}

// Terminal is a shell started by StartShell, behind its terminal.
type Terminal interface {
	// Read returns what the shell printed; after it ended, an error.
	io.Reader
	// Write sends keystrokes.
	io.Writer
	// Resize tells the shell its window's size.
	Resize(cols, rows uint16) error
	// Wait waits for the shell to end and returns its exit status.
	Wait() (int, error)
	// Close ends the shell and everything it started.
	Close() error
}

// Capabilities is a driver's answer about one kind of sandbox: what works
// beyond Name, Start, Stop, Alive and List. The zero value is a driver
// that runs nothing of the kind.
type Capabilities struct {
	// Runs: Start can run sandboxes of the kind (when the programs it
	// needs are there; Start says what is missing).
	Runs bool
	// Adopts: the kind's sandboxes keep running while the platform
	// restarts, and Adopt takes one over (containers).
	Adopts bool
	// RealKafka: the kind's sandboxes are real Apache Kafka brokers, not
	// kfake.
	RealKafka bool
	// ControlsNodes: StopNode, StartNode and NodeRunning work on the
	// kind's nodes (the brokers of a real kafka-cluster).
	ControlsNodes bool
	// Shell: StartShell works for the kind's sandboxes (a learner's
	// terminal).
	Shell bool
}
