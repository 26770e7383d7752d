// Package resptest starts real and fake RESP servers for tests.
//
// StartServer runs a throw-away redis-server child process on a unix socket;
// FakeServer answers every command with a canned reply, which lets a test
// show the real redis-cli any reply it likes.
package resptest
