package rediscli_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/resp/resptest"
)

// terminal runs argv inside a pseudo-terminal (script(1), TERM=dumb so
// that redis-cli's prompt has no escape codes), feeding it stdin, and
// returns everything shown, stdout and stderr in the order a terminal
// shows them, with the terminal's \r\n made \n: how the console, which
// shows both streams, must look.
func terminal(t *testing.T, stdin string, argv ...string) string {
	t.Helper()
	script := resptest.RequireTool(t, "script")
	var quoted []string
	for _, a := range argv {
		quoted = append(quoted, "'"+strings.ReplaceAll(a, "'", `'\''`)+"'")
	}
	cmd := exec.Command(script, "-q", "-c", strings.Join(quoted, " "), "/dev/null")
	cmd.Env = append(cmd.Environ(), "TERM=dumb")
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	_ = cmd.Run() // redis-cli exits 1 after an error, which is compared too
	return strings.ReplaceAll(out.String(), "\r\n", "\n")
}

// runTerminal runs the real redis-cli with args in a terminal.
func runTerminal(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	bin := resptest.RequireTool(t, "redis-cli")
	return terminal(t, stdin, append([]string{bin}, args...)...)
}

// runTerminalFor runs redis-cli with args in a terminal for d, then stops
// it, and returns what it showed with each redrawn line (\e[0G\e[2K) as a
// line of its own.
func runTerminalFor(t *testing.T, d time.Duration, args ...string) string {
	t.Helper()
	bin := resptest.RequireTool(t, "redis-cli")
	timeout := resptest.RequireTool(t, "timeout")
	out := terminal(t, "", append([]string{timeout, fmt.Sprintf("%.2f", d.Seconds()), bin}, args...)...)
	return strings.ReplaceAll(out, "\x1b[0G\x1b[2K", "\n")
}

// learnerEnv is an Env whose commands run on a fresh connection to srv,
// signed in as user (or the default user when user is "").
func learnerEnv(t *testing.T, srv *resptest.Server, user string) rediscli.Env {
	t.Helper()
	c := srv.Dial(t)
	if user != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := c.Auth(ctx, user, "pw"); err != nil {
			t.Fatalf("AUTH %s: %v", user, err)
		}
	}
	return rediscli.Env{Do: func(ctx context.Context, args ...string) (resp.Value, error) { return c.Do(ctx, args...) }}
}

// consoleRun parses line and runs it through Run on env.
func consoleRun(t *testing.T, env rediscli.Env, line string) string {
	t.Helper()
	inv, err := rediscli.ParseInvocation(line)
	if err != nil {
		var oe *rediscli.OptionError
		if errors.As(err, &oe) {
			return oe.Msg + "\n"
		}
		t.Fatalf("ParseInvocation(%q): %v", line, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := rediscli.Run(ctx, inv, env)
	if err != nil {
		t.Fatalf("Run(%q): %v", line, err)
	}
	return out
}

// fillKeyspace gives db 0 keys of every type (a few binary names among
// them), db 2 many strings and lists, and db 5 a single key, and creates
// users that each lack one command the modes need.
func fillKeyspace(t *testing.T, c *resp.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, cmd := range [][]string{
		{"MSET", "a", "1", "b", "22", "c", "333", "sp ace\"\\", "x", "bin\n\xe9", "yy"},
		{"RPUSH", "l", "1", "2", "3"},
		{"SADD", "s", "x", "y"},
		{"HSET", "h", "f", "v", "g", "w"},
		{"ZADD", "z", "1", "a"},
		{"XADD", "st", "*", "f", "v"},
		{"SELECT", "2"},
		{"EVAL", "for i=1,250 do redis.call('set','k'..i, string.rep('x', i % 17)) end for i=1,30 do redis.call('rpush','list'..i, 1,2,3) end return 1", "0"},
		{"SELECT", "5"},
		{"SET", "only", "one"},
		{"SELECT", "0"},
		// Lookups finish the keyspaces' incremental rehashing, which would
		// otherwise go on in the background and change SCAN's order
		// between redis-cli's run and the console's.
		{"EVAL", "for _, db in ipairs({0, 2, 5}) do redis.call('select', db) for i = 1, 2000 do redis.call('exists', 'a') end end return 1", "0"},
		{"ACL", "SETUSER", "noscan", "on", ">pw", "~*", "+@all", "-scan"},
		{"ACL", "SETUSER", "notype", "on", ">pw", "~*", "+@all", "-type"},
		{"ACL", "SETUSER", "nomem", "on", ">pw", "~*", "+@all", "-memory"},
		{"ACL", "SETUSER", "nodbsize", "on", ">pw", "~*", "+@all", "-dbsize"},
		{"ACL", "SETUSER", "nolen", "on", ">pw", "~*", "+@all", "-strlen", "-object", "-select", "-info"},
	} {
		if v, err := c.Do(ctx, cmd...); err != nil || v.Kind == resp.Error {
			t.Fatalf("%q: %v %v", cmd, v, err)
		}
	}
}

// TestGoldenModes runs each line through the real redis-cli in a terminal
// and through ParseInvocation and Run on the same server, and compares
// the outputs byte for byte. Every mode here reads the keyspace without
// changing it (OBJECT FREQ and MEMORY USAGE touch no counter), so both
// see the same server.
func TestGoldenModes(t *testing.T) {
	srv := resptest.StartServer(t)
	c := srv.Dial(t)
	fillKeyspace(t, c)
	cases := []struct{ user, line string }{
		{"", "redis-cli --scan"},
		{"", "redis-cli --scan --pattern '*a*'"},
		{"", "redis-cli --raw --scan --pattern ?"},
		{"", "redis-cli -n 2 --scan --pattern list1*"},
		{"", "redis-cli --bigkeys"},
		{"", "redis-cli --bigkeys -i 0.01"},
		{"", "redis-cli -n 2 --bigkeys"},
		{"", "redis-cli -n 5 --bigkeys"},
		{"", "redis-cli -n 9 --bigkeys"},
		{"", "redis-cli -n 2 --bigkeys --pattern 'list*'"},
		{"", "redis-cli --memkeys"},
		{"", "redis-cli -n 2 --memkeys"},
		{"", "redis-cli --memkeys-samples 2 -n 2"},
		{"", "redis-cli --hotkeys"},
		{"", "redis-cli -n 99 GET a"},
		{"", "redis-cli -n 2 GET k16"},
		{"", "redis-cli --raw GET a"},
		{"", "redis-cli --raw -n 2 LRANGE list1 0 -1"},
		{"", "redis-cli --raw INCR l"},
		{"", "redis-cli --raw GET nosuchkey"},
		{"", "redis-cli --raw INFO keyspace"},
		{"", "redis-cli --raw --no-raw HGETALL h"},
		{"", "redis-cli -r 3 ECHO hi"},
		{"", "redis-cli -r 2 --raw MGET a b"},
		{"", "redis-cli -r 3 -i 0.01 -n 5 GET only"},
		{"", "redis-cli -r 0 PING"},
		{"", "redis-cli --type string --scan"},
		{"", "redis-cli --bigkeys --pattern"},
		{"noscan", "redis-cli --scan"},
		{"noscan", "redis-cli --bigkeys"},
		{"noscan", "redis-cli --hotkeys"},
		{"notype", "redis-cli --bigkeys"},
		{"nomem", "redis-cli --memkeys"},
		{"nodbsize", "redis-cli --bigkeys"},
		{"nolen", "redis-cli --bigkeys"},
		{"nolen", "redis-cli --hotkeys"},
		{"nolen", "redis-cli -n 1 GET a"},
	}
	run := func() {
		for _, tc := range cases {
			args, err := rediscli.Tokenize(tc.line)
			if err != nil {
				t.Fatal(err)
			}
			args = append([]string{"-s", srv.Socket}, args[1:]...)
			if tc.user != "" {
				args = append([]string{"--user", tc.user, "--pass", "pw", "--no-auth-warning"}, args...)
			}
			want := runTerminal(t, "", args...)
			got := consoleRun(t, learnerEnv(t, srv, tc.user), tc.line)
			if got != want {
				t.Errorf("%s (as %q)\n%s", tc.line, tc.user, showDiff(got, want))
			}
		}
	}
	run()
	// Under an LFU policy --hotkeys has counters to show.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, cmd := range [][]string{{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}, {"SELECT", "2"}, {"GET", "k7"}, {"GET", "k7"}, {"SELECT", "0"}} {
		if _, err := c.Do(ctx, cmd...); err != nil {
			t.Fatal(err)
		}
	}
	cases = []struct{ user, line string }{
		{"", "redis-cli --hotkeys"},
		{"", "redis-cli -n 2 --hotkeys"},
		{"", "redis-cli -n 2 --hotkeys --pattern 'k1*'"},
	}
	run()
}

// TestGoldenPrompt types a session into the real redis-cli's prompt (in a
// terminal, where it shows the prompt) and into one console connection
// tracked by Session, and compares every prompt shown.
func TestGoldenPrompt(t *testing.T) {
	oracle := resptest.StartServer(t)
	ours := resptest.StartServer(t).Dial(t)
	lines := []string{
		"SELECT 1", "MULTI", "SELECT 2", "EXEC", "MULTI", "SELECT 3", "DISCARD", "select 4",
		"MULTI", "NOSUCH", "SELECT 5", "EXEC", "WATCH k", "SET k 1", "MULTI", "SELECT 6",
		"EXEC", "SELECT 0", "SELECT 99", "SELECT 1 2", "MULTI", "MULTI", "DISCARD", "EXEC", "DISCARD",
	}
	out := runTerminal(t, strings.Join(lines, "\n")+"\n", "-s", oracle.Socket)
	host := "redis " + oracle.Socket
	re := regexp.MustCompile(regexp.QuoteMeta(host) + `(\[\d+\])?(\(TX\))?> `)
	want := re.FindAllString(out, -1)
	if len(want) != len(lines)+1 {
		t.Fatalf("found %d prompts in redis-cli's session, want %d:\n%s", len(want), len(lines)+1, out)
	}

	var s rediscli.Session
	got := []string{s.Prompt(host)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, line := range lines {
		args, _ := rediscli.Tokenize(line)
		v, err := ours.Do(ctx, args...)
		if err != nil {
			t.Fatal(err)
		}
		s.Observe(args, v)
		got = append(got, s.Prompt(host))
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("prompts differ:\n got %q\nwant %q\n(redis-cli showed:\n%s)", got, want, out)
	}
}

// TestGoldenTimedModes checks --stat, --latency and --latency-history on a
// real server by structure: their figures change from moment to moment.
func TestGoldenTimedModes(t *testing.T) {
	srv := resptest.StartServer(t)
	fillKeyspace(t, srv.Dial(t))
	env := learnerEnv(t, srv, "")
	env.Limits = rediscli.DefaultLimits
	env.Limits.MaxTime = 300 * time.Millisecond
	env.Limits.StatRows = 2
	env.Limits.HistoryRows = 2

	stat := consoleRun(t, env, "redis-cli --stat -i 0.05")
	want := runTerminalFor(t, 1200*time.Millisecond, "-s", srv.Socket, "--stat")
	statRow := regexp.MustCompile(`^\d+ {2,}\d+(\.\d\d[KMGTP]|B) +\d+ +\d+ +\d+ \(\+\d+\) +\d+ {2,}$`)
	gotLines := strings.Split(strings.TrimSuffix(stat, "\n"), "\n")
	wantLines := strings.Split(want, "\n")
	if len(gotLines) != 5 || gotLines[0] != wantLines[0] || gotLines[1] != wantLines[1] {
		t.Fatalf("--stat header or rows differ from redis-cli's:\n%s\nredis-cli:\n%s", stat, want)
	}
	for _, row := range append(gotLines[2:4:4], wantLines[2]) {
		if !statRow.MatchString(row) || len(row) != 68 {
			t.Errorf("--stat row %q is not shaped like redis-cli's", row)
		}
	}
	if !strings.HasPrefix(gotLines[2], "291 ") || !strings.Contains(gotLines[2], " (+0) ") || !strings.HasPrefix(gotLines[4], "(the console stopped after 2 rows") {
		t.Errorf("--stat rows: want 291 keys, +0 on the first, then the bound line:\n%s", stat)
	}

	latencyLine := `min: \d+, max: \d+, avg: \d+\.\d\d \(\d+ samples\)`
	lat := consoleRun(t, env, "redis-cli --latency")
	if !regexp.MustCompile(`^` + latencyLine + "\n\\(the console stopped after sampling for 300ms; .*\\)\n$").MatchString(lat) {
		t.Errorf("--latency printed %q", lat)
	}
	if real := runTerminalFor(t, 300*time.Millisecond, "-s", srv.Socket, "--latency"); !regexp.MustCompile(latencyLine).MatchString(real) {
		t.Errorf("redis-cli --latency showed %q, which the pattern misses", real)
	}
	raw := consoleRun(t, env, "redis-cli --latency --raw -i 0.1")
	if realRaw := runCLIAll(t, "-s", srv.Socket, "--raw", "--latency", "-i", "0.1"); !sameShape(raw, realRaw, `^\d+ \d+ \d+\.\d\d \d+\n$`) {
		t.Errorf("--latency --raw printed %q, redis-cli %q", raw, realRaw)
	}
	hist := consoleRun(t, env, "redis-cli --latency-history -i 0.1")
	histRe := regexp.MustCompile(`^(` + latencyLine + ` -- \d+\.\d\d seconds range\n){2}\(the console stopped after 2 lines of 100ms; .*\)\n$`)
	if !histRe.MatchString(hist) {
		t.Errorf("--latency-history printed %q", hist)
	}
	if real := runTerminalFor(t, 1300*time.Millisecond, "-s", srv.Socket, "--latency-history", "-i", "1"); !regexp.MustCompile(latencyLine + ` -- \d+\.\d\d seconds range\n`).MatchString(real) {
		t.Errorf("redis-cli --latency-history showed %q, which the pattern misses", real)
	}
}

// sameShape reports whether both outputs match the pattern.
func sameShape(a, b, pattern string) bool {
	re := regexp.MustCompile(pattern)
	return re.MatchString(a) && re.MatchString(b)
}

// runCLIAll runs redis-cli with args (no terminal) and returns stdout.
func runCLIAll(t *testing.T, args ...string) string {
	t.Helper()
	bin := resptest.RequireTool(t, "redis-cli")
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("redis-cli %q: %v", args, err)
	}
	return string(out)
}
