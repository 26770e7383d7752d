package kafkacli_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

func TestCappedWriter(t *testing.T) {
	var buf bytes.Buffer
	w := kafkacli.NewCappedWriter(&buf, 10)
	for _, s := range []string{"12345\n", "6789", "abcdef\n", "more\n"} {
		n, err := w.Write([]byte(s))
		if err != nil || n != len(s) {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if want := "12345\n6789\n" + kafkacli.TruncatedLine; buf.String() != want {
		t.Errorf("got %q, want %q", buf.String(), want)
	}
	if !w.Truncated() {
		t.Error("Truncated() = false after the cap")
	}

	buf.Reset()
	w = kafkacli.NewCappedWriter(&buf, 6)
	w.Write([]byte("12345\n"))
	w.Write([]byte("x"))
	if want := "12345\n" + kafkacli.TruncatedLine; buf.String() != want {
		t.Errorf("cut at a line end: got %q, want %q", buf.String(), want)
	}

	buf.Reset()
	w = kafkacli.NewCappedWriter(&buf, 100)
	w.Write([]byte(strings.Repeat("a", 100)))
	if w.Truncated() || buf.Len() != 100 {
		t.Errorf("exactly at the limit: truncated=%v len=%d", w.Truncated(), buf.Len())
	}
}
