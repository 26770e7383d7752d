package rediscli_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console/rediscli"
	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/resp/resptest"
)

// tokenizeCases are lines and how redis-cli splits them; want nil means
// redis-cli answers "Invalid argument(s)". None holds a newline, so each
// can also be typed at the real redis-cli prompt.
var tokenizeCases = []struct {
	line string
	want []string
}{
	{"", []string{}},
	{"   \t  ", []string{}},
	{"GET key", []string{"GET", "key"}},
	{"  SET   a\tb  ", []string{"SET", "a", "b"}},
	{"a\rb", []string{"a", "b"}},
	{`SET a "b c"`, []string{"SET", "a", "b c"}},
	{`SET a "b`, nil},
	{`SET a 'b`, nil},
	{`"unterminated\"`, nil},
	{`""`, []string{""}},
	{`''`, []string{""}},
	{`"" ''`, []string{"", ""}},
	{`"\n\r\t\b\a"`, []string{"\n\r\t\b\a"}},
	{`"\\ \" \' \z \q"`, []string{`\ " ' z q`}},
	{`"\x41\x6a\x4A\xff\x00end"`, []string{"AjJ\xff\x00end"}},
	{`"\x4" "\x" "\xg1" "\X41"`, []string{"x4", "x", "xg1", "X41"}},
	{`'it\'s'`, []string{"it's"}},
	{`'\n \\ \x41 "'`, []string{`\n \\ \x41 "`}},
	{`a"b c"d`, nil},
	{`a"b c" d`, []string{"ab c", "d"}},
	{`a'b c' d`, []string{"ab c", "d"}},
	{`key"quoted"`, []string{"keyquoted"}},
	{`"a"b`, nil},
	{`'a'b`, nil},
	{`"a"'b'`, nil},
	{`a\"b`, nil},
	{`a\ b`, []string{`a\`, "b"}},
	{`\x41`, []string{`\x41`}},
	{"a\vb\fc", []string{"a\vb\fc"}},
	{"a \v\fb", []string{"a", "b"}},
	{"\"a\"\vb", []string{"a", "b"}},
	{"'a'\fb", []string{"a", "b"}},
	{"héllo 'wörld ✓'", []string{"héllo", "wörld ✓"}},
	{"\"\\xc3\\xa9\"", []string{"é"}},
	{"a\x00b c", []string{"a"}},
	{"\"a\x00b\" c", nil},
	{"ECHO \"x\"\x00junk", []string{"ECHO", "x"}},
}

func TestTokenize(t *testing.T) {
	for _, c := range tokenizeCases {
		got, err := rediscli.Tokenize(c.line)
		if c.want == nil {
			if err != rediscli.ErrInvalidArgs {
				t.Errorf("Tokenize(%q) = %q, %v; want ErrInvalidArgs", c.line, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Tokenize(%q): unexpected error %v", c.line, err)
			continue
		}
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

func TestInvalidArgsMessage(t *testing.T) {
	_, err := rediscli.Tokenize(`SET a "b`)
	if !errors.Is(err, rediscli.ErrInvalidArgs) || err.Error() != "Invalid argument(s)" {
		t.Errorf(`Tokenize("SET a \"b") error = %v, want "Invalid argument(s)"`, err)
	}
}

// TestTokenizeMatchesRedisCli types each case into the real redis-cli's
// prompt as the arguments of EVAL "return ARGV" 0, which echoes the
// arguments redis-cli split off, and checks that Tokenize splits the same.
func TestTokenizeMatchesRedisCli(t *testing.T) {
	resptest.RequireTool(t, "redis-cli")
	srv := resptest.StartServer(t)
	for _, c := range tokenizeCases {
		line := `EVAL "return ARGV" 0 ` + c.line
		want := runCLI(t, srv.Socket, line+"\n")
		var got string
		args, err := rediscli.Tokenize(line)
		if err != nil {
			got = err.Error() + "\n"
		} else {
			got = rediscli.Format(stringArray(args[3:]))
		}
		if got != want {
			t.Errorf("line %q: %s", c.line, showDiff(got, want))
		}
	}
}

// stringArray builds the array of bulk strings a server echoes for args.
func stringArray(args []string) resp.Value {
	v := resp.Value{Kind: resp.Array, Elems: []resp.Value{}}
	for _, a := range args {
		v.Elems = append(v.Elems, resp.Value{Kind: resp.BulkString, Str: a})
	}
	return v
}

func TestParseLine(t *testing.T) {
	cases := []struct {
		line    string
		want    []string
		wantErr error
	}{
		{"GET a", []string{"GET", "a"}, nil},
		{"", nil, nil},
		{"redis-cli", nil, nil},
		{"redis-cli GET a", []string{"GET", "a"}, nil},
		{"redis-cli -h localhost -p 6379 GET a", []string{"GET", "a"}, nil},
		{"redis-cli -s /tmp/r.sock -a pw --user u --pass p --no-auth-warning --no-raw PING", []string{"PING"}, nil},
		{"redis-cli -u redis://x:6379 ECHO -h", []string{"ECHO", "-h"}, nil},
		{`redis-cli SET k "v w"`, []string{"SET", "k", "v w"}, nil},
		{"redis-cli -n 2 GET a", nil, rediscli.ErrUnsupportedOption},
		{"redis-cli --raw GET a", nil, rediscli.ErrUnsupportedOption},
		{"redis-cli -h", nil, rediscli.ErrUnsupportedOption},
		{`redis-cli SET a "b`, nil, rediscli.ErrInvalidArgs},
		{"ECHO redis-cli", []string{"ECHO", "redis-cli"}, nil},
		{"REDIS-CLI GET a", []string{"REDIS-CLI", "GET", "a"}, nil},
		{`"redis-cli" GET a`, []string{"GET", "a"}, nil},
	}
	for _, c := range cases {
		got, err := rediscli.ParseLine(c.line)
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("ParseLine(%q) = %q, %v; want error wrapping %v", c.line, got, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseLine(%q): %v", c.line, err)
			continue
		}
		if strings.Join(got, "\x00") != strings.Join(c.want, "\x00") || len(got) != len(c.want) {
			t.Errorf("ParseLine(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}
