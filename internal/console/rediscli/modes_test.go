package rediscli_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/resp"
)

func TestParseInvocation(t *testing.T) {
	cases := []struct {
		line string
		want rediscli.Invocation
		err  string
	}{
		{line: "GET a", want: rediscli.Invocation{Args: []string{"GET", "a"}, Pattern: "*"}},
		{line: "redis-cli", want: rediscli.Invocation{CLI: true, Pattern: "*"}},
		{line: "redis-cli -h h -p 1 -s /x -u u -a pw --user u --pass p --no-auth-warning PING",
			want: rediscli.Invocation{CLI: true, Args: []string{"PING"}, Pattern: "*"}},
		{line: "redis-cli --raw --no-raw --raw GET a", want: rediscli.Invocation{CLI: true, Raw: true, Args: []string{"GET", "a"}, Pattern: "*"}},
		{line: "redis-cli -n 2 -r 5 -i 0.25 INCR x", want: rediscli.Invocation{CLI: true, DB: 2, HasDB: true, Repeat: 5, HasRepeat: true,
			Interval: 250 * time.Millisecond, HasInterval: true, Args: []string{"INCR", "x"}, Pattern: "*"}},
		{line: "redis-cli -n x2 -r -1 -i 1s PING", want: rediscli.Invocation{CLI: true, HasDB: true, Repeat: -1, HasRepeat: true,
			Interval: time.Second, HasInterval: true, Args: []string{"PING"}, Pattern: "*"}},
		{line: "redis-cli --scan --pattern 'user:*' --count 100", want: rediscli.Invocation{CLI: true, Mode: rediscli.ModeScan, Pattern: "user:*", Count: 100}},
		{line: "redis-cli --scan --bigkeys", want: rediscli.Invocation{CLI: true, Mode: rediscli.ModeBigKeys, Pattern: "*"}},
		{line: "redis-cli --hotkeys --memkeys --latency-history", want: rediscli.Invocation{CLI: true, Mode: rediscli.ModeLatencyHistory, Pattern: "*"}},
		{line: "redis-cli --stat --latency", want: rediscli.Invocation{CLI: true, Mode: rediscli.ModeLatency, Pattern: "*"}},
		{line: "redis-cli --memkeys-samples 5", want: rediscli.Invocation{CLI: true, Mode: rediscli.ModeMemKeys, MemkeysSamples: 5, Pattern: "*"}},
		{line: "redis-cli ECHO --scan", want: rediscli.Invocation{CLI: true, Args: []string{"ECHO", "--scan"}, Pattern: "*"}},
		{line: "redis-cli --type string --scan", err: "Unrecognized option or bad number of args for: '--type'"},
		{line: "redis-cli --scan --pattern", err: "Unrecognized option or bad number of args for: '--pattern'"},
		{line: "redis-cli -n", err: "Unrecognized option or bad number of args for: '-n'"},
		{line: "redis-cli --csv GET a", err: "redis-cli option not supported in this console: --csv"},
		{line: `redis-cli GET "a`, err: "Invalid argument(s)"},
	}
	for _, c := range cases {
		got, err := rediscli.ParseInvocation(c.line)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("ParseInvocation(%q) error = %v, want %q", c.line, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseInvocation(%q): %v", c.line, err)
			continue
		}
		if fmt.Sprintf("%#v", *got) != fmt.Sprintf("%#v", c.want) && !(len(got.Args) == 0 && len(c.want.Args) == 0 && sameExceptArgs(*got, c.want)) {
			t.Errorf("ParseInvocation(%q) =\n %#v\nwant\n %#v", c.line, *got, c.want)
		}
	}
	var oe *rediscli.OptionError
	if _, err := rediscli.ParseInvocation("redis-cli --nope"); !errors.As(err, &oe) {
		t.Errorf("an unknown option gives %v, want an *OptionError", err)
	}
	if _, err := rediscli.ParseInvocation("redis-cli -c GET a"); !errors.Is(err, rediscli.ErrUnsupportedOption) {
		t.Errorf("-c gives %v, want ErrUnsupportedOption", err)
	}
	for line, own := range map[string]bool{"GET a": false, "redis-cli --raw GET a": false, "redis-cli -n 0 GET a": true,
		"redis-cli -r 2 PING": true, "redis-cli --scan": true} {
		inv, _ := rediscli.ParseInvocation(line)
		if inv.OwnConnection() != own {
			t.Errorf("%q: OwnConnection() = %v, want %v", line, !own, own)
		}
	}
}

func sameExceptArgs(a, b rediscli.Invocation) bool {
	a.Args, b.Args = nil, nil
	return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// fakeKey is a key of fakeRedis.
type fakeKey struct {
	typ        string
	size, mem  int64
	freq       int64
	deletedNow bool // TYPE says "none": deleted between SCAN and TYPE
}

// fakeRedis answers the commands the modes send from a table of keys, on
// a fake clock: every command takes rtt. Commands named in deny get a
// NOPERM error, as a learner's ACL gives.
type fakeRedis struct {
	keys  map[string]fakeKey
	deny  map[string]bool
	batch int
	now   time.Time
	rtt   time.Duration
	info  func(n int) string
	sent  [][]string
	infos int
}

func newFake() *fakeRedis {
	return &fakeRedis{keys: map[string]fakeKey{}, deny: map[string]bool{}, batch: 3, now: time.Unix(1e9, 0), rtt: time.Millisecond}
}

func (f *fakeRedis) env() rediscli.Env {
	return rediscli.Env{
		Do:     f.do,
		Now:    func() time.Time { return f.now },
		Sleep:  func(ctx context.Context, d time.Duration) error { f.now = f.now.Add(d); return nil },
		Limits: rediscli.DefaultLimits,
	}
}

func (f *fakeRedis) sortedKeys(pattern string) []string {
	var ks []string
	for k := range f.keys {
		if ok, _ := pathMatch(pattern, k); ok {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

func pathMatch(pattern, s string) (bool, error) {
	re := "(?s)^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	return regexp.MatchString(re, s)
}

func (f *fakeRedis) do(ctx context.Context, args ...string) (resp.Value, error) {
	f.now = f.now.Add(f.rtt)
	f.sent = append(f.sent, args)
	name := strings.ToLower(args[0])
	if f.deny[name] {
		return errv(fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", name)), nil
	}
	key := func() fakeKey { return f.keys[args[len(args)-1]] }
	switch name {
	case "dbsize":
		return num(int64(len(f.keys))), nil
	case "scan":
		pattern := "*"
		for i := 2; i+1 < len(args); i += 2 {
			if strings.EqualFold(args[i], "MATCH") {
				pattern = args[i+1]
			}
		}
		all := f.sortedKeys(pattern)
		from, _ := strconv.Atoi(args[1])
		to := min(from+f.batch, len(all))
		next := strconv.Itoa(to)
		if to == len(all) {
			next = "0"
		}
		page := arr()
		for _, k := range all[from:to] {
			page.Elems = append(page.Elems, str(k))
		}
		return arr(str(next), page), nil
	case "type":
		if k := key(); !k.deletedNow {
			return status(k.typ), nil
		}
		return status("none"), nil
	case "strlen", "llen", "scard", "hlen", "zcard", "xlen":
		return num(key().size), nil
	case "memory":
		return num(f.keys[args[2]].mem), nil
	case "object":
		return num(key().freq), nil
	case "info":
		f.infos++
		return str(f.info(f.infos)), nil
	case "ping":
		return status("PONG"), nil
	case "select":
		return status("OK"), nil
	case "incr":
		k := f.keys[args[1]]
		k.size++
		f.keys[args[1]] = k
		return num(k.size), nil
	}
	return errv("ERR unknown command '" + args[0] + "'"), nil
}

func runLine(t *testing.T, env rediscli.Env, line string) string {
	t.Helper()
	inv, err := rediscli.ParseInvocation(line)
	if err != nil {
		t.Fatalf("ParseInvocation(%q): %v", line, err)
	}
	out, err := rediscli.Run(context.Background(), inv, env)
	if err != nil {
		t.Fatalf("Run(%q): %v", line, err)
	}
	return out
}

func TestRepeatBounded(t *testing.T) {
	f := newFake()
	out := runLine(t, f.env(), "redis-cli -r 1000 INCR n")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 101 || lines[0] != "(integer) 1" || lines[99] != "(integer) 100" {
		t.Fatalf("-r 1000 printed %d lines, first %q", len(lines), lines[0])
	}
	if want := "(the console stopped after 100 of 1000 runs (at most 100 runs and 3s); redis-cli would go on until done or Ctrl-C)"; lines[100] != want {
		t.Errorf("bound line %q, want %q", lines[100], want)
	}
	out = runLine(t, f.env(), "redis-cli -r -1 --raw INCR m")
	if !strings.HasPrefix(out, "1\n2\n") || !strings.Contains(out, "\n100\n(the console stopped after 100 runs (at most") {
		t.Errorf("-r -1 printed %q", out)
	}
	// -i: four runs a second apart would take 3 s and more.
	out = runLine(t, f.env(), "redis-cli -r 5 -i 1 INCR k")
	if want := "(integer) 1\n(integer) 2\n(integer) 3\n(the console stopped after 3 of 5 runs (at most 100 runs and 3s); redis-cli would go on until done or Ctrl-C)\n"; out != want {
		t.Errorf("-r 5 -i 1 printed %q, want %q", out, want)
	}
	if out := runLine(t, f.env(), "redis-cli -r 3 -i 0.5 INCR j"); strings.Contains(out, "stopped") || strings.Count(out, "\n") != 3 {
		t.Errorf("-r 3 -i 0.5 fits the bound but printed %q", out)
	}
	if out := runLine(t, f.env(), "redis-cli -r 0 INCR j"); out != "" {
		t.Errorf("-r 0 printed %q", out)
	}
}

func TestScanMode(t *testing.T) {
	f := newFake()
	for _, k := range []string{"user:1", "user:2", "cart:1", "user:x\n\"y\"", "user:3"} {
		f.keys[k] = fakeKey{typ: "string"}
	}
	out := runLine(t, f.env(), "redis-cli --scan --pattern 'user:*' --count 50")
	if want := "\"user:1\"\n\"user:2\"\n\"user:3\"\n\"user:x\\n\\\"y\\\"\"\n"; out != want {
		t.Errorf("--scan printed %q, want %q", out, want)
	}
	if got := fmt.Sprint(f.sent[0]); got != "[SCAN 0 MATCH user:* COUNT 50]" {
		t.Errorf("first SCAN was %s", got)
	}
	if out := runLine(t, f.env(), "redis-cli --raw --scan --pattern cart*"); out != "cart:1\n" {
		t.Errorf("--raw --scan printed %q", out)
	}
	f.deny["scan"] = true
	if out := runLine(t, f.env(), "redis-cli --scan"); out != "SCAN error: NOPERM this user has no permissions to run the 'scan' command\n" {
		t.Errorf("denied --scan printed %q", out)
	}
}

func TestBigKeysMode(t *testing.T) {
	f := newFake()
	f.keys["only"] = fakeKey{typ: "string", size: 4, mem: 56}
	// One key: one lookup in redis-cli's type table, which leaves it half
	// rehashed, so string comes first.
	out := runLine(t, f.env(), "redis-cli --bigkeys")
	for _, want := range []string{
		"[00.00%] Biggest string found so far '\"only\"' with 4 bytes\n",
		"Sampled 1 keys in the keyspace!\nTotal key length in bytes is 4 (avg len 4.00)\n\nBiggest string found '\"only\"' has 4 bytes\n\n" +
			"1 strings with 4 bytes (100.00% of keys, avg size 4.00)\n0 lists with 0 items (00.00% of keys, avg size 0.00)\n" +
			"0 hashs with 0 fields (00.00% of keys, avg size 0.00)\n0 streams with 0 entries (00.00% of keys, avg size 0.00)\n" +
			"0 sets with 0 members (00.00% of keys, avg size 0.00)\n0 zsets with 0 members (00.00% of keys, avg size 0.00)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--bigkeys output lacks %q:\n%s", want, out)
		}
	}
	f.keys["gone"] = fakeKey{typ: "string", deletedNow: true}
	f.keys["mod"] = fakeKey{typ: "MBbloom--", size: 9}
	f.keys["l1"] = fakeKey{typ: "list", size: 2, mem: 100}
	f.keys["l2"] = fakeKey{typ: "list", size: 7, mem: 90}
	out = runLine(t, f.env(), "redis-cli --memkeys")
	for _, want := range []string{
		"[00.00%] Biggest list   found so far '\"l1\"' with 100 bytes\n",
		"[40.00%] Biggest string found so far '\"only\"' with 56 bytes\n",
		"Sampled 4 keys in the keyspace!\n",
		"Biggest   list found '\"l1\"' has 100 bytes\n",
		"2 lists with 190 bytes (50.00% of keys, avg size 95.00)\n",
		"1 MBbloom--s with 0 bytes (25.00% of keys, avg size 0.00)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--memkeys output lacks %q:\n%s", want, out)
		}
	}
	f.deny["llen"] = true
	out = runLine(t, f.env(), "redis-cli --bigkeys")
	if !strings.Contains(out, "Warning:  LLEN on 'l1' failed (may have changed type)\nWarning:  LLEN on 'l2' failed (may have changed type)\n") {
		t.Errorf("--bigkeys without LLEN:\n%s", out)
	}
	f.deny["type"] = true
	if out := runLine(t, f.env(), "redis-cli --bigkeys"); !strings.HasSuffix(out, "(not usually needed).\n\nTYPE returned an error: NOPERM this user has no permissions to run the 'type' command\n") {
		t.Errorf("--bigkeys without TYPE:\n%s", out)
	}
	f.deny["dbsize"] = true
	if out := runLine(t, f.env(), "redis-cli --bigkeys"); out != "Couldn't determine DBSIZE: NOPERM this user has no permissions to run the 'dbsize' command\n" {
		t.Errorf("--bigkeys without DBSIZE printed %q", out)
	}
}

func TestHotKeysMode(t *testing.T) {
	f := newFake()
	f.batch = 100
	for i := 1; i <= 20; i++ {
		f.keys[fmt.Sprintf("k%02d", i)] = fakeKey{typ: "string", freq: 5}
	}
	f.keys["k99"] = fakeKey{typ: "string", freq: 9}
	f.keys["k00"] = fakeKey{typ: "string", freq: 0}
	out := runLine(t, f.env(), "redis-cli --hotkeys")
	// The first 16 keys of counter 5 fill the slots; later ones do not
	// beat them; k99 pushes the first-filled lowest slot (k16) out.
	if strings.Count(out, "found so far") != 17 || !strings.Contains(out, "[00.00%] Hot key '\"k99\"' found so far with counter 9\n") {
		t.Errorf("--hotkeys progress:\n%s", out)
	}
	summary := out[strings.Index(out, "Sampled"):]
	want := "Sampled 22 keys in the keyspace!\nhot key found with counter: 9\tkeyname: \"k99\"\n" +
		"hot key found with counter: 5\tkeyname: \"k01\"\n"
	if !strings.HasPrefix(summary, want) || strings.Count(summary, "hot key found") != 16 ||
		!strings.HasSuffix(summary, "keyname: \"k15\"\n") || strings.Contains(summary, "\"k16\"") {
		t.Errorf("--hotkeys summary:\n%s", summary)
	}
	f.deny["object"] = true
	if out := runLine(t, f.env(), "redis-cli --hotkeys"); !strings.HasSuffix(out, "\n\nError: NOPERM this user has no permissions to run the 'object' command\n") {
		t.Errorf("--hotkeys without OBJECT:\n%s", out)
	}
}

func TestStatMode(t *testing.T) {
	f := newFake()
	f.info = func(n int) string {
		child := ""
		if n == 2 {
			child = "rdb_bgsave_in_progress:1\r\n"
		}
		return fmt.Sprintf("# Server\r\n%sused_memory:%d\r\nconnected_clients:2\r\nblocked_clients:1\r\ntotal_commands_processed:%d\r\n"+
			"total_connections_received:7\r\naof_rewrite_in_progress:0\r\nloading:0\r\n# Keyspace\r\ndb0:keys=3,expires=0,avg_ttl=0\r\ndb4:keys=10,expires=1,avg_ttl=5\r\n",
			child, 1500000+n, 100+2*n)
	}
	env := f.env()
	env.Limits.StatRows = 22
	env.Limits.MaxTime = time.Minute
	out := runLine(t, env, "redis-cli --stat")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	head := "------- data ------ --------------------- load -------------------- - child -"
	if len(lines) != 2+20+2+2+1 || lines[0] != head || lines[22] != head {
		t.Fatalf("--stat printed %d lines; headers every 20 rows expected:\n%s", len(lines), out)
	}
	if want := "13         1.43M    2       1       102 (+0)            7           "; lines[2] != want {
		t.Errorf("first row %q, want %q", lines[2], want)
	}
	if want := "13         1.43M    2       1       104 (+2)            7           SAVE"; lines[3] != want {
		t.Errorf("second row %q, want %q", lines[3], want)
	}
	if !strings.HasPrefix(lines[len(lines)-1], "(the console stopped after 22 rows;") {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	if f.now.Sub(time.Unix(1e9, 0)) < 21*time.Second {
		t.Errorf("--stat did not wait a second between rows")
	}
	f.deny["info"] = true
	if out := runLine(t, f.env(), "redis-cli --stat"); out != "ERROR: NOPERM this user has no permissions to run the 'info' command\n" {
		t.Errorf("denied --stat printed %q", out)
	}
}

func TestLatencyModes(t *testing.T) {
	f := newFake()
	f.rtt = 2 * time.Millisecond
	out := runLine(t, f.env(), "redis-cli --latency")
	// PING every 10 ms plus its 2 ms, until 1 s has passed: 85 samples.
	if want := "min: 2, max: 2, avg: 2.00 (85 samples)\n(the console stopped after sampling for 1s; redis-cli would go on until done or Ctrl-C)\n"; out != want {
		t.Errorf("--latency printed %q, want %q", out, want)
	}
	if out := runLine(t, f.env(), "redis-cli --latency --raw -i 0.5"); out != "2 2 2.00 43\n" {
		t.Errorf("--latency --raw printed %q", out)
	}
	out = runLine(t, f.env(), "redis-cli --latency-history")
	want := strings.Repeat("min: 2, max: 2, avg: 2.00 (85 samples) -- 1.01 seconds range\n", 3) +
		"(the console stopped after 3 lines of 1s; redis-cli would go on until done or Ctrl-C)\n"
	if out != want {
		t.Errorf("--latency-history printed %q, want %q", out, want)
	}
	f.deny["ping"] = true
	if out := runLine(t, f.env(), "redis-cli --latency --raw"); out != "2 2 2.00 85\n" {
		t.Errorf("--latency with PING refused printed %q (redis-cli times error replies too)", out)
	}
}

func TestSelectForDB(t *testing.T) {
	f := newFake()
	runLine(t, f.env(), "redis-cli -n 0 --scan")
	runLine(t, f.env(), "redis-cli -n 3 --scan")
	if got := fmt.Sprint(f.sent); got != "[[SCAN 0] [SELECT 3] [SCAN 0]]" {
		t.Errorf("sent %s; -n 0 sends no SELECT", got)
	}
	f.deny["select"] = true
	if out := runLine(t, f.env(), "redis-cli -n 3 --scan"); out != "SELECT 3 failed: NOPERM this user has no permissions to run the 'select' command\n" {
		t.Errorf("-n refused printed %q", out)
	}
}

func TestSession(t *testing.T) {
	var s rediscli.Session
	step := func(line string, v resp.Value, want string) {
		t.Helper()
		args, _ := rediscli.Tokenize(line)
		s.Observe(args, v)
		if got := s.Prompt("127.0.0.1:6379"); got != want {
			t.Errorf("after %s: prompt %q, want %q", line, got, want)
		}
	}
	step("SELECT 1", status("OK"), "127.0.0.1:6379[1]> ")
	step("SELECT 99", errv("ERR DB index is out of range"), "127.0.0.1:6379[1]> ")
	step("multi", status("OK"), "127.0.0.1:6379[1](TX)> ")
	step("SELECT 2", status("QUEUED"), "127.0.0.1:6379[2](TX)> ")
	step("EXEC", errv("EXECABORT Transaction discarded"), "127.0.0.1:6379[1]> ")
	step("MULTI", status("OK"), "127.0.0.1:6379[1](TX)> ")
	step("SELECT 0", status("QUEUED"), "127.0.0.1:6379(TX)> ")
	step("EXEC", nilArray, "127.0.0.1:6379[1]> ")
	step("MULTI", status("OK"), "127.0.0.1:6379[1](TX)> ")
	step("SELECT 3", status("QUEUED"), "127.0.0.1:6379[3](TX)> ")
	step("EXEC", arr(status("OK")), "127.0.0.1:6379[3]> ")
	step("MULTI", status("OK"), "127.0.0.1:6379[3](TX)> ")
	step("DISCARD x", errv("ERR wrong number of arguments"), "127.0.0.1:6379[3](TX)> ")
	step("DISCARD", status("OK"), "127.0.0.1:6379[3]> ")
}

func TestHidePaths(t *testing.T) {
	sock := "/tmp/opslab-sb/abc123/redis.sock"
	in := "id=3 addr=/tmp/opslab-sb/abc123/redis.sock:0 laddr=/tmp/opslab-sb/abc123/redis.sock:0 fd=8\n" +
		"1) \"dir\"\n2) \"/tmp/opslab-sb/abc123\"\n" +
		"1) \"unixsocket\"\n2) \"/tmp/opslab-sb/abc123/node-2.sock\"\n" +
		"/tmp/opslab-sb/abc1234 stays\r\n" +
		"executable:/usr/bin/redis-server\r\nconfig_file:\r\nconfig_file:/etc/x.conf\r\n"
	want := "id=3 addr=/data/redis.sock:0 laddr=/data/redis.sock:0 fd=8\n" +
		"1) \"dir\"\n2) \"/data\"\n" +
		"1) \"unixsocket\"\n2) \"/data/node-2.sock\"\n" +
		"/tmp/opslab-sb/abc1234 stays\r\n" +
		"executable:/usr/local/bin/redis-server\r\nconfig_file:\r\nconfig_file:/etc/redis/redis.conf\r\n"
	if got := rediscli.HidePaths(in, sock); got != want {
		t.Errorf("HidePaths:%s", showDiff(got, want))
	}
	if got := rediscli.HidePaths("GET /tmp/x", ""); got != "GET /tmp/x" {
		t.Errorf("no socket: %q", got)
	}
}
