// Package resp is a small client for the Redis serialization protocol,
// version 2 (RESP2).
//
// A Conn sends one command at a time and reads exactly one reply. Replies
// are decoded into Value, which keeps every RESP2 distinction (simple
// string, error, integer, bulk string, null bulk string, null array and
// array), so callers such as a redis-cli look-alike can render them
// faithfully. A reply whose first byte is '-' is a Value of Kind Error, not a
// Go error: Go errors are reserved for I/O and protocol failures.
//
// Any Go error from Conn.Do leaves the Conn closed, because the reply stream
// can no longer be trusted to be in step with the commands. Callers that want
// to carry on simply Dial again.
package resp
