package sandbox

import (
	"errors"
	"time"
)

// Sentinel errors. Every error returned by this package and by drivers
// wraps at most one of them; test with errors.Is.
var (
	// ErrInvalid: the input (kind, spec, lesson, id, option) is malformed.
	ErrInvalid = errors.New("sandbox: invalid input")
	// ErrNotFound: no sandbox with that id or key exists.
	ErrNotFound = errors.New("sandbox: not found")
	// ErrExists: a sandbox with that id is already running or left files.
	ErrExists = errors.New("sandbox: already exists")
	// ErrUnsupported: the driver cannot run that kind of sandbox.
	ErrUnsupported = errors.New("sandbox: kind not supported by driver")
	// ErrCapacity: a cap is reached; the error is a *CapacityError.
	ErrCapacity = errors.New("sandbox: no capacity")
	// ErrClosed: the manager was stopped with StopAll.
	ErrClosed = errors.New("sandbox: manager closed")
	// ErrDenied: a learner's command is refused; the error is a *DeniedError.
	ErrDenied = errors.New("sandbox: command denied")
)

// CapacityError says that a sandbox cannot start now because a cap is
// reached. Message is a sentence fit to show the learner; RetryAfter is a
// best guess of when a slot frees up (never below one second). It matches
// ErrCapacity with errors.Is.
type CapacityError struct {
	Message    string
	RetryAfter time.Duration
}

// Error returns Message.
func (e *CapacityError) Error() string { return e.Message }

// Is reports whether target is ErrCapacity.
func (e *CapacityError) Is(target error) bool { return target == ErrCapacity }

// DeniedError says that a learner's command may not run in the sandbox.
// Reply is the error text Redis itself would send, without the leading
// "(error) " that redis-cli prints, e.g. "NOPERM this user has no
// permissions to run the 'debug' command". It matches ErrDenied.
type DeniedError struct {
	Reply string
}

// Error returns Reply.
func (e *DeniedError) Error() string { return e.Reply }

// Is reports whether target is ErrDenied.
func (e *DeniedError) Is(target error) bool { return target == ErrDenied }
