package resp_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/resp"
)

func TestKindString(t *testing.T) {
	cases := map[resp.Kind]string{
		resp.SimpleString: "SimpleString",
		resp.Error:        "Error",
		resp.Integer:      "Integer",
		resp.BulkString:   "BulkString",
		resp.Nil:          "Nil",
		resp.NilArray:     "NilArray",
		resp.Array:        "Array",
		resp.Kind(0):      "Kind(0)",
		resp.Kind(99):     "Kind(99)",
	}
	for k, want := range cases {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestValueAny(t *testing.T) {
	v := resp.Value{Kind: resp.Array, Elems: []resp.Value{
		{Kind: resp.SimpleString, Str: "OK"},
		{Kind: resp.Error, Str: "ERR x"},
		{Kind: resp.Integer, Int: -7},
		{Kind: resp.BulkString, Str: "a\x00b"},
		{Kind: resp.Nil},
		{Kind: resp.NilArray},
		{Kind: resp.Array, Elems: []resp.Value{}},
		{Kind: resp.Array, Elems: []resp.Value{{Kind: resp.Integer, Int: 1}}},
	}}
	want := []any{"OK", "ERR x", int64(-7), "a\x00b", nil, nil, []any{}, []any{int64(1)}}
	if got := v.Any(); !reflect.DeepEqual(got, want) {
		t.Errorf("Any() = %#v, want %#v", got, want)
	}
	if got := (resp.Value{}).Any(); got != nil {
		t.Errorf("zero Value Any() = %#v, want nil", got)
	}
}

func TestAppendRESP(t *testing.T) {
	cases := []struct {
		v    resp.Value
		want string
	}{
		{resp.Value{Kind: resp.SimpleString, Str: "OK"}, "+OK\r\n"},
		{resp.Value{Kind: resp.Error, Str: "ERR no"}, "-ERR no\r\n"},
		{resp.Value{Kind: resp.Integer, Int: -12}, ":-12\r\n"},
		{resp.Value{Kind: resp.BulkString, Str: "a\r\nb"}, "$4\r\na\r\nb\r\n"},
		{resp.Value{Kind: resp.BulkString}, "$0\r\n\r\n"},
		{resp.Value{Kind: resp.Nil}, "$-1\r\n"},
		{resp.Value{Kind: resp.NilArray}, "*-1\r\n"},
		{resp.Value{Kind: resp.Array, Elems: []resp.Value{}}, "*0\r\n"},
		{resp.Value{Kind: resp.Array, Elems: []resp.Value{
			{Kind: resp.Integer, Int: 1},
			{Kind: resp.Array, Elems: []resp.Value{{Kind: resp.Nil}}},
		}}, "*2\r\n:1\r\n*1\r\n$-1\r\n"},
		{resp.Value{}, "$-1\r\n"},
	}
	for _, c := range cases {
		got := string(c.v.AppendRESP([]byte("prefix")))
		if got != "prefix"+c.want {
			t.Errorf("%#v.AppendRESP = %q, want %q", c.v, got, "prefix"+c.want)
		}
	}
}

// TestAppendRESPRoundTrip checks that decoding an encoded value gives it
// back unchanged, including every byte value in bulk strings.
func TestAppendRESPRoundTrip(t *testing.T) {
	var all strings.Builder
	for b := 0; b < 256; b++ {
		all.WriteByte(byte(b))
	}
	v := resp.Value{Kind: resp.Array, Elems: []resp.Value{
		{Kind: resp.BulkString, Str: all.String()},
		{Kind: resp.BulkString, Str: ""},
		{Kind: resp.SimpleString, Str: "PONG"},
		{Kind: resp.Error, Str: "WRONGTYPE nope"},
		{Kind: resp.Integer, Int: -1 << 63},
		{Kind: resp.Nil},
		{Kind: resp.NilArray},
		{Kind: resp.Array, Elems: []resp.Value{}},
	}}
	got, err := resp.NewReader(bytes.NewReader(v.AppendRESP(nil))).ReadValue()
	if err != nil {
		t.Fatalf("ReadValue: %v", err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Errorf("round trip = %#v, want %#v", got, v)
	}
}
