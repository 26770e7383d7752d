package resp_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/resp"
)

func TestReaderReadsValuesInSequence(t *testing.T) {
	rd := resp.NewReader(strings.NewReader("+OK\r\n:5\r\n$3\r\nabc\r\n*-1\r\n"))
	want := []resp.Value{
		{Kind: resp.SimpleString, Str: "OK"},
		{Kind: resp.Integer, Int: 5},
		{Kind: resp.BulkString, Str: "abc"},
		{Kind: resp.NilArray},
	}
	for i, w := range want {
		got, err := rd.ReadValue()
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("value %d = %#v, want %#v", i, got, w)
		}
	}
	if _, err := rd.ReadValue(); !errors.Is(err, io.EOF) {
		t.Errorf("read past the end: err = %v, want io.EOF", err)
	}
}

func TestReaderRejectsMalformedInput(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want error
	}{
		{"unknown type byte", "?x\r\n", resp.ErrProtocol},
		{"RESP3 map", "%1\r\n+a\r\n+b\r\n", resp.ErrProtocol},
		{"RESP3 null", "_\r\n", resp.ErrProtocol},
		{"empty line", "\r\n", resp.ErrProtocol},
		{"bare LF", "+OK\n", resp.ErrProtocol},
		{"bad integer", ":12a\r\n", resp.ErrProtocol},
		{"integer overflow", ":99999999999999999999\r\n", resp.ErrProtocol},
		{"negative bulk length", "$-2\r\n", resp.ErrProtocol},
		{"bulk length not a number", "$x\r\n", resp.ErrProtocol},
		{"bulk without CRLF", "$3\r\nabcde\r\n", resp.ErrProtocol},
		{"negative array length", "*-5\r\n", resp.ErrProtocol},
		{"truncated line", "+OK", io.ErrUnexpectedEOF},
		{"truncated bulk", "$10\r\nabc", io.ErrUnexpectedEOF},
		{"truncated bulk CRLF", "$3\r\nabc\r", io.ErrUnexpectedEOF},
		{"truncated array", "*3\r\n:1\r\n", io.ErrUnexpectedEOF},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := resp.NewReader(strings.NewReader(c.in)).ReadValue()
			if !errors.Is(err, c.want) {
				t.Errorf("ReadValue(%q) = %#v, %v; want error wrapping %v", c.in, v, err, c.want)
			}
		})
	}
}

func TestReaderCapsReplySize(t *testing.T) {
	cases := []struct {
		name string
		in   string
	}{
		// Each would allocate far more than the cap if trusted.
		{"huge bulk length", "$9000000000000000\r\n"},
		{"huge array count", "*9000000000000000\r\n"},
		{"array count above cap", "*100\r\n"},
		{"long simple string", "+" + strings.Repeat("a", 5000) + "\r\n"},
		{"bulk over cap", "$2000\r\n" + strings.Repeat("b", 2000) + "\r\n"},
		{"many tiny elements", "*40\r\n" + strings.Repeat(":1\r\n", 40)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rd := resp.NewReader(strings.NewReader(c.in), resp.WithMaxReplyBytes(1024))
			if _, err := rd.ReadValue(); !errors.Is(err, resp.ErrReplyTooLarge) {
				t.Errorf("err = %v, want ErrReplyTooLarge", err)
			}
		})
	}

	// The cap is per value: two values that each fit are both read.
	in := "$900\r\n" + strings.Repeat("c", 900) + "\r\n"
	rd := resp.NewReader(strings.NewReader(in+in), resp.WithMaxReplyBytes(1024))
	for i := 0; i < 2; i++ {
		if _, err := rd.ReadValue(); err != nil {
			t.Fatalf("value %d under the cap: %v", i, err)
		}
	}
}

func TestReaderCapsNesting(t *testing.T) {
	deep := strings.Repeat("*1\r\n", resp.MaxDepth+1) + ":1\r\n"
	if _, err := resp.NewReader(strings.NewReader(deep)).ReadValue(); !errors.Is(err, resp.ErrReplyTooLarge) {
		t.Errorf("nesting %d deep: err = %v, want ErrReplyTooLarge", resp.MaxDepth+1, err)
	}
	ok := strings.Repeat("*1\r\n", resp.MaxDepth) + ":1\r\n"
	if _, err := resp.NewReader(strings.NewReader(ok)).ReadValue(); err != nil {
		t.Errorf("nesting %d deep: %v", resp.MaxDepth, err)
	}
}

func TestReaderLongLinesAcrossBuffer(t *testing.T) {
	// Longer than bufio's default buffer, so the line arrives in pieces.
	long := strings.Repeat("x", 10000)
	v, err := resp.NewReader(bytes.NewReader([]byte("-ERR " + long + "\r\n"))).ReadValue()
	if err != nil {
		t.Fatalf("ReadValue: %v", err)
	}
	if v.Kind != resp.Error || v.Str != "ERR "+long {
		t.Errorf("got %v of %d bytes, want the long error", v.Kind, len(v.Str))
	}
}
