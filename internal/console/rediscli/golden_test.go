package rediscli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/resp/resptest"
)

// consoleOutput is what the console shows for one line: the parse error
// message for a line redis-cli would refuse, nothing for a blank line, and
// otherwise the formatted reply, all in redis-cli's exact bytes.
func consoleOutput(t *testing.T, c *resp.Conn, line string) string {
	t.Helper()
	args, err := rediscli.ParseLine(line)
	if err != nil {
		return err.Error() + "\n"
	}
	if len(args) == 0 {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := c.Do(ctx, args...)
	if err != nil {
		t.Fatalf("Do(%q): %v", args, err)
	}
	return rediscli.FormatReply(args, v)
}

// TestGoldenCommands runs every line of testdata/commands.txt through the
// real redis-cli and through this package and compares the outputs byte
// for byte. redis-cli writes the reply followed by a newline; Format's
// contract is to return exactly those bytes, so they are compared whole.
//
// The two sides use two servers given the same commands in the same
// order, so that each command runs once per server; the script avoids
// replies that could differ between them.
func TestGoldenCommands(t *testing.T) {
	resptest.RequireTool(t, "redis-cli")
	oracle := resptest.StartServer(t)
	ours := resptest.StartServer(t).Dial(t)

	lines := readLines(t, "testdata/commands.txt", false)
	if len(lines) < 50 {
		t.Fatalf("only %d command lines; the golden script needs at least 50", len(lines))
	}
	for _, line := range lines {
		args, err := rediscli.ParseLine(line)
		if err != nil || len(args) == 0 {
			t.Fatalf("command line %q does not parse to a command: %v", line, err)
		}
		want := runCLI(t, oracle.Socket, "", args...)
		got := consoleOutput(t, ours, line)
		if got != want {
			t.Errorf("%s\n%s", line, showDiff(got, want))
		}
	}
	t.Logf("compared %d commands", len(lines))
}

// TestGoldenSession types testdata/session.txt into one redis-cli prompt
// (through its standard input, so redis-cli's own line splitting is used)
// and into one console session, and compares the whole transcripts. This
// covers state kept by the connection, like MULTI/EXEC and SELECT, and
// lines redis-cli rejects.
func TestGoldenSession(t *testing.T) {
	resptest.RequireTool(t, "redis-cli")
	oracle := resptest.StartServer(t)
	ours := resptest.StartServer(t).Dial(t)

	lines := readLines(t, "testdata/session.txt", true)
	want := runCLI(t, oracle.Socket, strings.Join(lines, "\n")+"\n")
	var got strings.Builder
	for _, line := range lines {
		got.WriteString(consoleOutput(t, ours, line))
	}
	if got.String() != want {
		t.Errorf("session transcripts differ: %s", showDiff(got.String(), want))
	}
}

// TestGoldenReplay covers replies that differ from server to server or
// from moment to moment (client lists, times, random picks, hash-table
// order). Each command runs once, through this package against a real
// server; the reply it got is then served by a fake server to the real
// redis-cli, given the same arguments, so both format the very same reply.
func TestGoldenReplay(t *testing.T) {
	resptest.RequireTool(t, "redis-cli")
	srv := resptest.StartServer(t)
	c := srv.Dial(t)
	fake := resptest.StartFakeServer(t)

	setup := []string{
		`CLIENT SETNAME replay-test`,
		`EVAL "for i = 1, 120 do redis.call('SADD', KEYS[1], 'member:' .. i) redis.call('HSET', KEYS[2], 'field' .. i, i) redis.call('SET', 'key:' .. i, i) end return 1" 2 bigset bighash`,
		`XADD clicks * page home`,
		`XGROUP CREATE clicks g 0`,
		`XREADGROUP GROUP g alice STREAMS clicks >`,
		`CONFIG SET latency-monitor-threshold 1`,
		`DEBUG SLEEP 0`,
	}
	for _, line := range setup {
		consoleOutput(t, c, line)
	}
	lines := []string{
		`CLIENT INFO`,
		`CLIENT LIST`,
		`client list TYPE normal`,
		`CLIENT LIST TYPE nosuchtype`,
		`TIME`,
		`RANDOMKEY`,
		`SPOP bigset 3`,
		`SMEMBERS bigset`,
		`HGETALL bighash`,
		`SCAN 0 COUNT 50`,
		`KEYS key:1*`,
		`INFO`,
		`INFO server clients`,
		`LOLWUT`,
		`MEMORY STATS`,
		`MEMORY MALLOC-STATS`,
		`CONFIG GET *max*`,
		`COMMAND INFO get xread`,
		`COMMAND DOCS set`,
		`XINFO STREAM clicks FULL`,
		`XINFO CONSUMERS clicks g`,
		`XPENDING clicks g - + 10`,
		`LATENCY LATEST`,
		`LATENCY HISTOGRAM get`,
		`HELLO 2`,
		`ACL LOG`,
		`SLOWLOG GET 2`,
		`CLIENT TRACKINGINFO`,
		`OBJECT ENCODING bigset`,
		`MEMORY USAGE bigset`,
	}
	for _, line := range lines {
		args, err := rediscli.ParseLine(line)
		if err != nil {
			t.Fatalf("ParseLine(%q): %v", line, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		v, err := c.Do(ctx, args...)
		cancel()
		if err != nil {
			t.Fatalf("Do(%q): %v", args, err)
		}
		fake.SetValue(v)
		want := runCLI(t, fake.Socket, "", args...)
		if got := rediscli.FormatReply(args, v); got != want {
			t.Errorf("%s\n%s", line, showDiff(got, want))
		}
	}
	// redis-cli must have sent exactly the arguments it was given.
	cmds := fake.Commands()
	if len(cmds) != len(lines) {
		t.Fatalf("fake server got %d commands, want %d", len(cmds), len(lines))
	}
	for i, line := range lines {
		args, _ := rediscli.ParseLine(line)
		if strings.Join(cmds[i], "\x00") != strings.Join(args, "\x00") {
			t.Errorf("redis-cli sent %q for %q", cmds[i], args)
		}
	}
}
