package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Reader decodes RESP2 values from a byte stream, one complete value per
// call, enforcing the reply size cap and MaxDepth on each value.
// A Reader is not safe for concurrent use.
type Reader struct {
	br       *bufio.Reader
	maxBytes int64
	budget   int64 // bytes still allowed for the value being read
}

// NewReader returns a Reader that decodes values from r. Only
// WithMaxReplyBytes affects a Reader.
func NewReader(r io.Reader, opts ...Option) *Reader {
	cfg := newConfig(opts)
	return &Reader{br: bufio.NewReader(r), maxBytes: cfg.maxReplyBytes}
}

// ReadValue reads and returns exactly one value. A server error reply is
// returned as a Value of Kind Error with a nil error. The returned error
// wraps io.EOF if the stream ended cleanly before the value started,
// io.ErrUnexpectedEOF if it ended inside the value, ErrProtocol for
// malformed input and ErrReplyTooLarge for values over the caps. After an
// error the stream position is undefined.
func (r *Reader) ReadValue() (Value, error) {
	r.budget = r.maxBytes
	return r.readValue(0)
}

// readValue reads one value nested depth arrays deep.
func (r *Reader) readValue(depth int) (Value, error) {
	if depth > MaxDepth {
		return Value{}, fmt.Errorf("arrays nested deeper than %d: %w", MaxDepth, ErrReplyTooLarge)
	}
	if err := r.charge(valueOverhead); err != nil {
		return Value{}, err
	}
	line, err := r.readLine()
	if err != nil {
		if depth > 0 && errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Value{}, err
	}
	if len(line) == 0 {
		return Value{}, fmt.Errorf("empty line instead of a value: %w", ErrProtocol)
	}
	typ, rest := line[0], line[1:]
	switch typ {
	case '+':
		return Value{Kind: SimpleString, Str: rest}, nil
	case '-':
		return Value{Kind: Error, Str: rest}, nil
	case ':':
		n, err := strconv.ParseInt(rest, 10, 64)
		if err != nil {
			return Value{}, fmt.Errorf("bad integer %q: %w", rest, ErrProtocol)
		}
		return Value{Kind: Integer, Int: n}, nil
	case '$':
		return r.readBulk(rest)
	case '*':
		return r.readArray(rest, depth)
	}
	return Value{}, fmt.Errorf("unexpected type byte %q: %w", typ, ErrProtocol)
}

// readBulk reads the payload of a bulk string whose header text (after
// the '$') is header.
func (r *Reader) readBulk(header string) (Value, error) {
	n, err := parseLength(header)
	if err != nil {
		return Value{}, err
	}
	if n == -1 {
		return Value{Kind: Nil}, nil
	}
	if err := r.charge(n + 2); err != nil {
		return Value{}, err
	}
	var b strings.Builder
	b.Grow(int(n))
	if _, err := io.CopyN(&b, r.br, n); err != nil {
		return Value{}, unexpectedEOF(err)
	}
	var crlf [2]byte
	if _, err := io.ReadFull(r.br, crlf[:]); err != nil {
		return Value{}, unexpectedEOF(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return Value{}, fmt.Errorf("bulk string of %d bytes not followed by CRLF: %w", n, ErrProtocol)
	}
	return Value{Kind: BulkString, Str: b.String()}, nil
}

// readArray reads the elements of an array whose header text (after the
// '*') is header and which sits depth arrays deep.
func (r *Reader) readArray(header string, depth int) (Value, error) {
	n, err := parseLength(header)
	if err != nil {
		return Value{}, err
	}
	if n == -1 {
		return Value{Kind: NilArray}, nil
	}
	// Every element costs at least valueOverhead, so an impossible count
	// is refused before anything is allocated for it.
	if n > r.budget/valueOverhead {
		return Value{}, fmt.Errorf("array of %d elements over the %d-byte cap: %w", n, r.maxBytes, ErrReplyTooLarge)
	}
	elems := make([]Value, 0, n)
	for i := int64(0); i < n; i++ {
		e, err := r.readValue(depth + 1)
		if err != nil {
			return Value{}, err
		}
		elems = append(elems, e)
	}
	return Value{Kind: Array, Elems: elems}, nil
}

// readLine reads one CRLF-terminated line and returns it without the CRLF,
// charging its length against the budget as it goes so an endless line
// cannot grow without bound.
func (r *Reader) readLine() (string, error) {
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if err := r.charge(int64(len(chunk))); err != nil {
			return "", err
		}
		line = append(line, chunk...)
		if err == nil {
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if errors.Is(err, io.EOF) && len(line) > 0 {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", fmt.Errorf("line not terminated by CRLF: %w", ErrProtocol)
	}
	return string(line[:len(line)-2]), nil
}

// charge takes n bytes from the budget of the value being read.
func (r *Reader) charge(n int64) error {
	if n > r.budget {
		return fmt.Errorf("reply over the %d-byte cap: %w", r.maxBytes, ErrReplyTooLarge)
	}
	r.budget -= n
	return nil
}

// parseLength parses the length in a bulk string or array header, which
// is -1 (null) or a non-negative decimal number.
func parseLength(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < -1 {
		return 0, fmt.Errorf("bad length %q: %w", s, ErrProtocol)
	}
	return n, nil
}

// unexpectedEOF turns io.EOF met inside a value into io.ErrUnexpectedEOF.
func unexpectedEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
