// Package rediscli reproduces what redis-cli 7.0 does with a line a learner
// types and with the reply that comes back: Tokenize splits a line into
// arguments exactly like redis-cli's prompt, and Format, FormatRaw and
// FormatReply render a reply byte for byte like redis-cli does when it
// writes to a terminal (or is run with --no-raw).
//
// A line starting with "redis-cli" is read like redis-cli's command line
// (ParseInvocation), and Run carries out its modes (--scan, --bigkeys,
// --memkeys, --hotkeys, --stat, --latency, --latency-history, -n, -r, -i,
// --raw) through a function that sends each command as the learner,
// within the console's bounds (Limits). Session tracks what redis-cli's
// prompt shows (the database, "(TX)"), and HidePaths rewrites the host's
// file paths in output.
//
// The golden tests run the real redis-cli next to this package and compare
// outputs, so the real tool stays the oracle.
package rediscli
