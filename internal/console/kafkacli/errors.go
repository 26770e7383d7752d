package kafkacli

import "errors"

// Error is a failure worded the way the Apache Kafka tool reports it. Its
// Error text is exactly what the tool prints for that failure (without the
// usage help or stack trace that may follow), so a console can show it to
// the learner as it is. Op names the operation that failed, for logs.
type Error struct {
	Op   string // the tool and action, e.g. "kafka-topics --create"
	Text string // what the real tool prints
	Err  error  // the underlying cause, when there is one
}

// Error returns the tool's wording of the failure.
func (e *Error) Error() string { return e.Text }

// Unwrap returns the underlying cause, which may be nil.
func (e *Error) Unwrap() error { return e.Err }

// ErrUsage is wrapped by every error Parse returns: the line is not a
// command the tools accept.
var ErrUsage = errors.New("kafkacli: invalid command line")

// ErrTopicNotFound is wrapped by errors about a topic that does not exist.
var ErrTopicNotFound = errors.New("kafkacli: topic not found")

// ErrGroupNotFound is wrapped by errors about a consumer group that does
// not exist.
var ErrGroupNotFound = errors.New("kafkacli: consumer group not found")

// usageError returns a Parse failure for op with the tool's text.
func usageError(op, text string) *Error {
	return &Error{Op: op, Text: text, Err: ErrUsage}
}
