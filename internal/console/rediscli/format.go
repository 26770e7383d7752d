package rediscli

import (
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/resp"
)

// Format renders v exactly as redis-cli 7.0 prints a reply on a terminal
// (or with --no-raw), including the final newline: the result is byte for
// byte what redis-cli writes to stdout for that reply.
//
//	SimpleString  its text: OK
//	Error         (error) ERR unknown command ...
//	Integer       (integer) 2
//	BulkString    "quoted", escaped as described below
//	Nil, NilArray (nil)
//	empty Array   (empty array)
//	Array         one numbered line per element: 1) "a"
//
// Bulk strings are quoted; printable ASCII is shown as it is except '"'
// and '\' (escaped with a backslash), \n \r \t \a \b are shown as such and
// all other bytes, including UTF-8 beyond ASCII, as \xHH.
//
// Array indices are right-aligned to the width of the largest index, so
// " 1) " lines up with "10) ". A nested array's first element goes on the
// line of its parent's index, and its later lines are indented by the
// width of every enclosing index label, as redis-cli does.
//
// Simple strings and errors are written as they are, since servers never
// put line breaks in them. Values of an unknown Kind print as (nil).
//
// Format ignores the command; use FormatReply to also get redis-cli's raw
// output for the few commands (INFO, CLIENT LIST, ...) it prints raw.
func Format(v resp.Value) string {
	var b strings.Builder
	writeFormatted(&b, v, "")
	return b.String()
}

// writeFormatted writes v in redis-cli's terminal style. indent is what
// goes before every line of v except its first, which continues a line
// the caller has begun.
func writeFormatted(b *strings.Builder, v resp.Value, indent string) {
	switch v.Kind {
	case resp.SimpleString:
		b.WriteString(v.Str)
	case resp.Error:
		b.WriteString("(error) ")
		b.WriteString(v.Str)
	case resp.Integer:
		b.WriteString("(integer) ")
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.BulkString:
		writeQuoted(b, v.Str)
	case resp.Array:
		if len(v.Elems) > 0 {
			writeElements(b, v.Elems, indent)
			return
		}
		b.WriteString("(empty array)")
	default:
		b.WriteString("(nil)")
	}
	b.WriteByte('\n')
}

// writeElements writes the numbered elements of a non-empty array.
func writeElements(b *strings.Builder, elems []resp.Value, indent string) {
	width := len(strconv.Itoa(len(elems)))
	childIndent := indent + strings.Repeat(" ", width+len(") "))
	for i, e := range elems {
		if i > 0 {
			b.WriteString(indent)
		}
		label := strconv.Itoa(i + 1)
		b.WriteString(strings.Repeat(" ", width-len(label)))
		b.WriteString(label)
		b.WriteString(") ")
		writeFormatted(b, e, childIndent)
	}
}
