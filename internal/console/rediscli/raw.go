package rediscli

import (
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/resp"
)

// FormatRaw renders v the way redis-cli 7.0 prints the reply of a command
// it always shows raw (see FormatReply), byte for byte:
//
//	SimpleString, BulkString  the bytes as they are, unquoted
//	Error                     the text and a newline: ERR ...\n
//	Integer                   the number: 2
//	Nil, NilArray             nothing
//	Array                     the elements rendered the same way and
//	                          joined by newlines, nested or not
//
// Unlike Format, no newline is added at the end, except the one that ends
// an error: INFO's text already ends with CRLF, and redis-cli prints
// nothing more after it.
func FormatRaw(v resp.Value) string {
	var b strings.Builder
	writeRaw(&b, v)
	return b.String()
}

// writeRaw writes v in redis-cli's raw style.
func writeRaw(b *strings.Builder, v resp.Value) {
	switch v.Kind {
	case resp.SimpleString, resp.BulkString:
		b.WriteString(v.Str)
	case resp.Error:
		b.WriteString(v.Str)
		b.WriteByte('\n')
	case resp.Integer:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.Array:
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteByte('\n')
			}
			writeRaw(b, e)
		}
	}
}

// FormatReply renders the reply v to the command args exactly as
// redis-cli 7.0 --no-raw prints it. That is Format(v), except for the
// commands whose replies redis-cli always prints raw, for which it is
// FormatRaw(v). Command and subcommand names match case-insensitively; the
// counts include the command name:
//
//	INFO, LOLWUT                              any arguments
//	CLIENT LIST, CLIENT INFO                  any arguments after them
//	MEMORY DOCTOR, MEMORY MALLOC-STATS        any arguments after them
//	DEBUG HTSTATS, DEBUG HTSTATS-KEY          any arguments after them
//	LATENCY DOCTOR, CLUSTER INFO, CLUSTER NODES  exactly 2 arguments
//	LATENCY GRAPH                             exactly 3 arguments
//
// The raw rule applies to error replies too, so INFO's errors print
// without "(error) ".
func FormatReply(args []string, v resp.Value) string {
	if printsRaw(args) {
		return FormatRaw(v)
	}
	return Format(v)
}

// printsRaw reports whether redis-cli prints the reply to args raw even
// when asked for formatted output.
func printsRaw(args []string) bool {
	if len(args) == 0 {
		return false
	}
	name := strings.ToLower(args[0])
	if name == "info" || name == "lolwut" {
		return true
	}
	if len(args) < 2 {
		return false
	}
	sub := strings.ToLower(args[1])
	switch name {
	case "client":
		return sub == "list" || sub == "info"
	case "memory":
		return sub == "doctor" || sub == "malloc-stats"
	case "debug":
		return sub == "htstats" || sub == "htstats-key"
	case "latency":
		return sub == "doctor" && len(args) == 2 || sub == "graph" && len(args) == 3
	case "cluster":
		return (sub == "info" || sub == "nodes") && len(args) == 2
	}
	return false
}
