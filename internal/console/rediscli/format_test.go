package rediscli_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/resp/resptest"
)

// Shorthands for building replies.
func str(s string) resp.Value    { return resp.Value{Kind: resp.BulkString, Str: s} }
func status(s string) resp.Value { return resp.Value{Kind: resp.SimpleString, Str: s} }
func errv(s string) resp.Value   { return resp.Value{Kind: resp.Error, Str: s} }
func num(n int64) resp.Value     { return resp.Value{Kind: resp.Integer, Int: n} }
func arr(elems ...resp.Value) resp.Value {
	if elems == nil {
		elems = []resp.Value{}
	}
	return resp.Value{Kind: resp.Array, Elems: elems}
}

var (
	nilv     = resp.Value{Kind: resp.Nil}
	nilArray = resp.Value{Kind: resp.NilArray}
	allBytes = func() string {
		var b strings.Builder
		for i := 0; i < 256; i++ {
			b.WriteByte(byte(i))
		}
		return b.String()
	}()
	twelve   = numbered(12, func(i int) resp.Value { return str(fmt.Sprint("e", i)) })
	thousand = numbered(1000, func(i int) resp.Value { return num(int64(i)) })
)

// numbered returns an array of n elements made by f(1) ... f(n).
func numbered(n int, f func(int) resp.Value) resp.Value {
	v := arr()
	for i := 1; i <= n; i++ {
		v.Elems = append(v.Elems, f(i))
	}
	return v
}

// formatCases pair replies with what redis-cli prints for them, formatted
// and raw. TestFormatMatchesRedisCli checks each against the real tool.
var formatCases = []struct {
	name      string
	v         resp.Value
	formatted string
	raw       string
}{
	{"status", status("OK"), "OK\n", "OK"},
	{"error", errv("ERR unknown command 'x'"), "(error) ERR unknown command 'x'\n", "ERR unknown command 'x'\n"},
	{"integer", num(2), "(integer) 2\n", "2"},
	{"negative integer", num(-1 << 63), "(integer) -9223372036854775808\n", "-9223372036854775808"},
	{"bulk", str("hello"), "\"hello\"\n", "hello"},
	{"empty bulk", str(""), "\"\"\n", ""},
	{"escapes", str("a\"b\\c\nd\re\tf\ag\bh\x00\x7f\x80\xff\v\f"), `"a\"b\\c\nd\re\tf\ag\bh\x00\x7f\x80\xff\x0b\x0c"` + "\n", "a\"b\\c\nd\re\tf\ag\bh\x00\x7f\x80\xff\v\f"},
	{"unicode", str("é✓"), `"\xc3\xa9\xe2\x9c\x93"` + "\n", "é✓"},
	{"nil", nilv, "(nil)\n", ""},
	{"nil array", nilArray, "(nil)\n", ""},
	{"empty array", arr(), "(empty array)\n", ""},
	{"flat array", arr(str("a"), num(1), nilv), "1) \"a\"\n2) (integer) 1\n3) (nil)\n", "a\n1\n"},
	{"nested", arr(arr(str("a"), arr(str("b"), str("c"))), str("d")),
		"1) 1) \"a\"\n   2) 1) \"b\"\n      2) \"c\"\n2) \"d\"\n", "a\nb\nc\nd"},
	{"nested empties", arr(arr(), arr(arr()), nilArray, errv("ERR in"), status("QUEUED")),
		"1) (empty array)\n2) 1) (empty array)\n3) (nil)\n4) (error) ERR in\n5) QUEUED\n", "\n\n\nERR in\n\nQUEUED"},
	{"twelve", twelve, "", ""},
	{"twelve at two levels", arr(str("x"), twelve, arr(num(1), twelve)), "", ""},
	{"thousand", thousand, "", ""},
	{"thousand nested", arr(thousand, arr(arr(thousand))), "", ""},
	{"all bytes", arr(str(allBytes), status("st"), num(0)), "", ""},
	{"deep", func() resp.Value {
		v := arr(str("bottom"), twelve)
		for i := 0; i < 30; i++ {
			v = arr(num(int64(i)), v)
		}
		return v
	}(), "", ""},
}

func TestFormat(t *testing.T) {
	for _, c := range formatCases {
		if c.formatted == "" {
			continue // checked against redis-cli only
		}
		if got := rediscli.Format(c.v); got != c.formatted {
			t.Errorf("Format(%s):%s", c.name, showDiff(got, c.formatted))
		}
		if got := rediscli.FormatRaw(c.v); got != c.raw {
			t.Errorf("FormatRaw(%s) = %q, want %q", c.name, got, c.raw)
		}
	}
}

func TestFormatAlignsIndices(t *testing.T) {
	got := rediscli.Format(twelve)
	if !strings.HasPrefix(got, " 1) \"e1\"\n") || !strings.Contains(got, "\n 9) \"e9\"\n10) \"e10\"\n") {
		t.Errorf("twelve elements not right-aligned:\n%s", got)
	}
	got = rediscli.Format(arr(str("x"), twelve))
	if !strings.Contains(got, "\n2)  1) \"e1\"\n    2) \"e2\"\n") || !strings.Contains(got, "\n   10) \"e10\"\n") {
		t.Errorf("nested twelve elements not indented like redis-cli:\n%s", got)
	}
	got = rediscli.Format(thousand)
	if !strings.HasPrefix(got, "   1) (integer) 1\n") || !strings.HasSuffix(got, "\n1000) (integer) 1000\n") {
		t.Errorf("thousand elements not right-aligned to width 4")
	}
}

// TestFormatMatchesRedisCli serves each reply from a fake server to the
// real redis-cli, once for GET (printed formatted) and once for INFO
// (printed raw), and compares with Format and FormatRaw.
func TestFormatMatchesRedisCli(t *testing.T) {
	resptest.RequireTool(t, "redis-cli")
	fake := resptest.StartFakeServer(t)
	for _, c := range formatCases {
		fake.SetValue(c.v)
		if want, got := runCLI(t, fake.Socket, "", "GET", "k"), rediscli.Format(c.v); got != want {
			t.Errorf("Format(%s):%s", c.name, showDiff(got, want))
		}
		if want, got := runCLI(t, fake.Socket, "", "INFO"), rediscli.FormatRaw(c.v); got != want {
			t.Errorf("FormatRaw(%s):%s", c.name, showDiff(got, want))
		}
	}
}

// TestFormatReplyRawRules checks which commands redis-cli prints raw, by
// answering every command with an error, which redis-cli prints with
// "(error) " only when it formats the reply.
func TestFormatReplyRawRules(t *testing.T) {
	resptest.RequireTool(t, "redis-cli")
	fake := resptest.StartFakeServer(t)
	reply := errv("ERR fake")
	fake.SetValue(reply)
	commands := [][]string{
		{"info"}, {"INFO", "keyspace"}, {"Info", "a", "b"},
		{"lolwut"}, {"LOLWUT", "VERSION", "5"},
		{"client"}, {"CLIENT", "LIST"}, {"client", "info"}, {"CLIENT", "LIST", "TYPE", "normal"}, {"CLIENT", "KILL"},
		{"memory"}, {"MEMORY", "DOCTOR"}, {"memory", "malloc-stats", "x"}, {"MEMORY", "STATS"},
		{"debug"}, {"DEBUG", "HTSTATS", "0"}, {"debug", "htstats-key", "k"}, {"DEBUG", "OBJECT", "k"},
		{"LATENCY", "DOCTOR"}, {"LATENCY", "DOCTOR", "x"}, {"latency", "graph"}, {"LATENCY", "GRAPH", "command"},
		{"LATENCY", "GRAPH", "command", "x"}, {"LATENCY", "LATEST"},
		{"CLUSTER", "INFO"}, {"cluster", "nodes"}, {"CLUSTER", "NODES", "x"}, {"CLUSTER", "SLOTS"},
		{"GET", "info"}, {"ECHO", "client", "list"},
	}
	for _, args := range commands {
		want := runCLI(t, fake.Socket, "", args...)
		if got := rediscli.FormatReply(args, reply); got != want {
			t.Errorf("FormatReply(%q):%s", args, showDiff(got, want))
		}
	}
}
