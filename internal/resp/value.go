package resp

import (
	"fmt"
	"strconv"
)

// Kind names the RESP2 type of a Value.
type Kind uint8

// The RESP2 reply types. The zero Kind is not a valid type; Values built by
// this package never have it.
const (
	// SimpleString is a '+' status reply such as OK or PONG.
	SimpleString Kind = iota + 1
	// Error is a '-' error reply such as "ERR unknown command".
	Error
	// Integer is a ':' integer reply.
	Integer
	// BulkString is a '$' binary-safe string reply.
	BulkString
	// Nil is the null bulk string "$-1".
	Nil
	// NilArray is the null array "*-1".
	NilArray
	// Array is a '*' array reply, possibly empty, possibly nested.
	Array
)

// String returns the Go name of k, such as "BulkString", or "Kind(N)" for a
// value outside the defined set.
func (k Kind) String() string {
	switch k {
	case SimpleString:
		return "SimpleString"
	case Error:
		return "Error"
	case Integer:
		return "Integer"
	case BulkString:
		return "BulkString"
	case Nil:
		return "Nil"
	case NilArray:
		return "NilArray"
	case Array:
		return "Array"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one decoded RESP2 reply.
//
// Str holds the text of SimpleString, Error and BulkString values (bulk
// strings are arbitrary bytes). Int holds the number of an Integer. Elems
// holds the elements of an Array; it is non-nil, possibly empty, for every
// Array decoded by this package. Fields that do not belong to Kind are zero.
type Value struct {
	Kind  Kind
	Str   string
	Int   int64
	Elems []Value
}

// Any converts v to plain Go values for easy comparisons: a string for
// SimpleString, Error and BulkString; an int64 for Integer; nil for Nil,
// NilArray and unknown kinds; and a non-nil []any (converted recursively)
// for Array. The conversion loses the distinction between the string kinds
// and between the two nils; use Kind when that matters.
func (v Value) Any() any {
	switch v.Kind {
	case SimpleString, Error, BulkString:
		return v.Str
	case Integer:
		return v.Int
	case Array:
		out := make([]any, len(v.Elems))
		for i, e := range v.Elems {
			out[i] = e.Any()
		}
		return out
	}
	return nil
}

// AppendRESP appends the RESP2 wire encoding of v to dst and returns the
// extended slice. Decoding the result with a Reader gives back a Value equal
// to v. A value of an unknown Kind is encoded as a null bulk string.
// It is meant for fake servers in tests and for tools that replay replies.
func (v Value) AppendRESP(dst []byte) []byte {
	switch v.Kind {
	case SimpleString:
		return appendLine(dst, '+', v.Str)
	case Error:
		return appendLine(dst, '-', v.Str)
	case Integer:
		return appendLine(dst, ':', strconv.FormatInt(v.Int, 10))
	case BulkString:
		return appendBulk(dst, v.Str)
	case NilArray:
		return append(dst, "*-1\r\n"...)
	case Array:
		dst = appendLine(dst, '*', strconv.Itoa(len(v.Elems)))
		for _, e := range v.Elems {
			dst = e.AppendRESP(dst)
		}
		return dst
	}
	return append(dst, "$-1\r\n"...)
}

// GoString renders v compactly for test failure messages, for example
// Array[BulkString("a") Integer(1)].
func (v Value) GoString() string {
	switch v.Kind {
	case SimpleString, Error, BulkString:
		return fmt.Sprintf("%s(%q)", v.Kind, v.Str)
	case Integer:
		return fmt.Sprintf("Integer(%d)", v.Int)
	case Array:
		s := "Array["
		for i, e := range v.Elems {
			if i > 0 {
				s += " "
			}
			s += e.GoString()
		}
		return s + "]"
	}
	return v.Kind.String()
}

// appendLine appends a one-line RESP item: the type byte, text and CRLF.
func appendLine(dst []byte, typ byte, text string) []byte {
	dst = append(dst, typ)
	dst = append(dst, text...)
	return append(dst, '\r', '\n')
}

// appendBulk appends s as a RESP bulk string.
func appendBulk(dst []byte, s string) []byte {
	dst = appendLine(dst, '$', strconv.Itoa(len(s)))
	dst = append(dst, s...)
	return append(dst, '\r', '\n')
}
