package kafkacli

import (
	"io"
	"sync"
)

// MaxOutput is how many bytes of output Run lets through before it cuts
// the rest off.
const MaxOutput = 64 << 10

// TruncatedLine is written once, on a line of its own, when a CappedWriter
// cuts output off.
const TruncatedLine = "… truncated\n"

// CappedWriter passes writes through to another writer until a byte limit
// is reached, then writes TruncatedLine once and discards the rest while
// still reporting success, so a command producing too much output is not
// failed by the cap. It is safe for concurrent use.
type CappedWriter struct {
	mu        sync.Mutex
	w         io.Writer
	left      int
	truncated bool
	lastByte  byte
}

// NewCappedWriter returns a writer that lets at most limit bytes through
// to w. A limit of zero or less lets nothing through.
func NewCappedWriter(w io.Writer, limit int) *CappedWriter {
	return &CappedWriter{w: w, left: max(limit, 0), lastByte: '\n'}
}

// Write writes p, or the part of it that fits under the limit. It returns
// len(p) and no error once the limit is reached; an error comes only from
// the underlying writer.
func (c *CappedWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.truncated {
		return len(p), nil
	}
	if len(p) <= c.left {
		n, err := c.w.Write(p)
		c.left -= n
		if n > 0 {
			c.lastByte = p[n-1]
		}
		return n, err
	}
	part := p[:c.left]
	if _, err := c.w.Write(part); err != nil {
		return 0, err
	}
	if len(part) > 0 {
		c.lastByte = part[len(part)-1]
	}
	c.left = 0
	c.truncated = true
	marker := TruncatedLine
	if c.lastByte != '\n' {
		marker = "\n" + marker
	}
	if _, err := io.WriteString(c.w, marker); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Truncated reports whether output has been cut off.
func (c *CappedWriter) Truncated() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.truncated
}
