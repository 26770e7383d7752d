package lab_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestRedisConsolePrompt checks the prompt returned with every Redis
// command: the database after SELECT, (TX) inside MULTI, as redis-cli.
func TestRedisConsolePrompt(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	tg := f.target(0, "board")
	for _, step := range [][2]string{
		{"PING", "127.0.0.1:6379> "},
		{"SELECT 1", "127.0.0.1:6379[1]> "},
		{"MULTI", "127.0.0.1:6379[1](TX)> "},
		{"SELECT 2", "127.0.0.1:6379[2](TX)> "},
		{"DISCARD", "127.0.0.1:6379[1]> "},
		{"redis-cli -n 3 SET x 1", "127.0.0.1:6379[1]> "}, // its own connection
		{"SELECT 0", "127.0.0.1:6379> "},
	} {
		if got := f.exec(t, tg, step[0]).Prompt; got != step[1] {
			t.Errorf("after %s: prompt %q, want %q", step[0], got, step[1])
		}
	}
}

// TestRedisConsoleModes runs redis-cli's modes through the console: they
// run as the learner, on a connection of their own.
func TestRedisConsoleModes(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	tg := f.target(0, "board")
	f.exec(t, tg, "MSET user:1 a user:2 bb cart:1 c")
	f.exec(t, tg, "RPUSH queue a b c")
	f.exec(t, tg, "MULTI") // the session's transaction does not catch the modes' commands
	cases := []struct{ line, want string }{
		{"redis-cli --scan --pattern 'user:*' --count 100", `^("user:[12]"\n){2}$`},
		{"redis-cli --raw --scan --pattern cart*", "^cart:1\n$"},
		{"redis-cli -n 1 --scan", "^$"},
		{"redis-cli --bigkeys", `(?s)Biggest   list found '"queue"' has 3 items\n.*3 strings with 4 bytes \(75\.00% of keys, avg size 1\.33\)\n`},
		{"redis-cli --memkeys", `(?s)-------- summary -------\n\nSampled 4 keys in the keyspace!\n`},
		{"redis-cli --hotkeys", `\n\nError: ERR An LFU maxmemory policy is not selected`},
		{"redis-cli -r 2 --raw GET user:2", "^bb\nbb\n$"},
		{"redis-cli -r 500 PING", `^(PONG\n){100}\(the console stopped after 100 of 500 runs`},
		{"redis-cli -r 2 SHUTDOWN", `^(\(error\) NOPERM[^\n]*\n){2}$`},
		{"redis-cli -r 2 MONITOR", `^(\(error\) ERR MONITOR streams without end[^\n]*\n){2}$`},
		{"redis-cli --stat -i 0.1", `^------- data ------ .*\nkeys +mem .*\n4 +[0-9.]+[KM] +`},
		{"redis-cli --latency -i 0.1", `^min: \d+, max: \d+, avg: \d+\.\d\d \(\d+ samples\)\n\(the console stopped after sampling for 100ms`},
		{"redis-cli --type string --scan", "^Unrecognized option or bad number of args for: '--type'\n$"},
		{"redis-cli --csv GET a", "^\\(error\\) redis-cli option not supported in this console: --csv\n$"},
	}
	for _, c := range cases {
		if got := f.exec(t, tg, c.line).Output; !regexp.MustCompile(c.want).MatchString(got) {
			t.Errorf("%s printed %q, want a match of %q", c.line, got, c.want)
		}
	}
	if out := f.exec(t, tg, "EXEC").Output; out != "(empty array)\n" {
		t.Errorf("the session's transaction caught other commands: EXEC printed %q", out)
	}
	f.exec(t, tg, "CONFIG SET maxmemory-policy allkeys-lfu")
	f.exec(t, tg, "SET hot 1") // a new key starts with an LFU counter of 5
	if out := f.exec(t, tg, "redis-cli --hotkeys").Output; !strings.Contains(out, "Sampled 5 keys in the keyspace!\nhot key found with counter: 5\tkeyname: \"hot\"\n") {
		t.Errorf("--hotkeys under LFU printed %q", out)
	}
}

// TestRedisConsoleHidesPaths checks that no output names the sandbox's
// files on the host.
func TestRedisConsoleHidesPaths(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	tg := f.target(0, "board")
	for _, c := range []struct{ line, want string }{
		{"CLIENT INFO", " laddr=/data/redis.sock:0 "},
		{"CLIENT LIST", " addr=/data/redis.sock:0 "},
		{"redis-cli --raw CLIENT LIST", " laddr=/data/redis.sock:0 "},
		{"CONFIG GET dir", "1) \"dir\"\n2) \"/data\"\n"},
		{"CONFIG GET unixsocket", "2) \"/data/redis.sock\"\n"},
		{"INFO server", "\r\nexecutable:/usr/local/bin/redis-server\r\n"},
		{"redis-cli -r 1 INFO server", "\r\nexecutable:/usr/local/bin/redis-server\r\n"},
		{"CONFIG GET *", "/data"},
	} {
		out := f.exec(t, tg, c.line).Output
		if strings.Contains(out, f.scratch) || !strings.Contains(out, c.want) {
			t.Errorf("%s printed %q: want %q in it and no %s", c.line, out, c.want, f.scratch)
		}
	}
}
