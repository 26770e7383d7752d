package resp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

// maxKeptWriteBuffer is the largest command buffer a Conn keeps for reuse.
const maxKeptWriteBuffer = 64 << 10

// Conn is a RESP2 connection to one server. Do may be called from several
// goroutines; calls are serialized so each gets its own reply. Close may be
// called at any time, also while a Do is blocked, to abort it.
type Conn struct {
	nc net.Conn
	rd *Reader

	mu   sync.Mutex // serializes Do and guards wbuf
	wbuf []byte

	closeOnce sync.Once
	closeErr  error
	closed    chan struct{} // closed by Close
}

// Dial connects to a server at addr over network, which must be "unix"
// (addr is a socket path) or "tcp", "tcp4" or "tcp6" (addr is host:port).
// ctx bounds only the connection attempt.
func Dial(ctx context.Context, network, addr string, opts ...Option) (*Conn, error) {
	switch network {
	case "unix", "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("dial %s %s: unsupported network %q", network, addr, network)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s %s: %w", network, addr, err)
	}
	return NewConn(nc, opts...), nil
}

// NewConn wraps an already established connection, for example one end of
// net.Pipe in a test. The Conn owns nc from then on and closes it in Close.
func NewConn(nc net.Conn, opts ...Option) *Conn {
	return &Conn{
		nc:     nc,
		rd:     NewReader(nc, opts...),
		closed: make(chan struct{}),
	}
}

// Do sends args as one command (a RESP array of bulk strings) and returns
// the server's single reply. A Redis error reply is returned as a Value of
// Kind Error with a nil error.
//
// ctx's deadline becomes the I/O deadline of the exchange, and cancelling
// ctx interrupts it; the error then wraps ctx's error (context.Canceled or
// context.DeadlineExceeded). Any error from the exchange itself (I/O,
// protocol, reply too large, cancellation) closes the Conn, since later
// replies could no longer be matched to their commands: Dial again to go
// on. Errors found before anything is sent (no args, ctx already done,
// Conn closed) leave the Conn as it was.
func (c *Conn) Do(ctx context.Context, args ...string) (Value, error) {
	if len(args) == 0 {
		return Value{}, errors.New("do: empty command")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case <-c.closed:
		return Value{}, fmt.Errorf("do %.40q: %w", args[0], ErrClosed)
	default:
	}
	if err := ctx.Err(); err != nil {
		return Value{}, fmt.Errorf("do %.40q: %w", args[0], err)
	}

	deadline, _ := ctx.Deadline() // the zero time means no deadline
	if err := c.nc.SetDeadline(deadline); err != nil {
		return Value{}, c.fail(ctx, "set deadline", err)
	}
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		// A deadline in the past wakes up any blocked Read or Write.
		c.nc.SetDeadline(time.Unix(1, 0))
		close(interrupted)
	})
	defer func() {
		if !stop() {
			<-interrupted // do not let it race with the next Do
		}
	}()

	c.wbuf = appendCommand(c.wbuf[:0], args)
	_, err := c.nc.Write(c.wbuf)
	if cap(c.wbuf) > maxKeptWriteBuffer {
		c.wbuf = nil // do not pin the memory of one huge command
	}
	if err != nil {
		return Value{}, c.fail(ctx, "send command", err)
	}
	v, err := c.rd.ReadValue()
	if err != nil {
		return Value{}, c.fail(ctx, "read reply", err)
	}
	return v, nil
}

// Auth authenticates the connection with AUTH user pass, or with the
// legacy AUTH pass when user is empty. It returns nil when the server
// accepts the credentials and an error otherwise, whose text includes the
// server's error reply.
func (c *Conn) Auth(ctx context.Context, user, pass string) error {
	args := []string{"AUTH", user, pass}
	if user == "" {
		args = []string{"AUTH", pass}
	}
	v, err := c.Do(ctx, args...)
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if v.Kind == Error {
		return fmt.Errorf("auth: server replied %q", v.Str)
	}
	return nil
}

// Close closes the connection. It is safe to call more than once and from
// any goroutine; later calls return the result of the first.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		if err := c.nc.Close(); err != nil {
			c.closeErr = fmt.Errorf("close: %w", err)
		}
	})
	return c.closeErr
}

// fail closes the Conn after a failed exchange and returns err wrapped
// with op and, when the failure came from ctx, with ctx's error.
func (c *Conn) fail(ctx context.Context, op string, err error) error {
	select {
	case <-c.closed:
		// Close was called by another goroutine mid-exchange.
		err = fmt.Errorf("%w: %w", ErrClosed, err)
	default:
	}
	c.Close()
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w: %w", op, ctxErr, err)
	}
	if deadline, ok := ctx.Deadline(); ok && errors.Is(err, os.ErrDeadlineExceeded) && !time.Now().Before(deadline) {
		// The conn deadline fired a moment before ctx noticed its own.
		return fmt.Errorf("%s: %w: %w", op, context.DeadlineExceeded, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// appendCommand appends args to dst as a RESP array of bulk strings.
func appendCommand(dst []byte, args []string) []byte {
	dst = appendLine(dst, '*', strconv.Itoa(len(args)))
	for _, a := range args {
		dst = appendBulk(dst, a)
	}
	return dst
}
