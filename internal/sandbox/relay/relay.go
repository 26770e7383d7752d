// Package relay is the platform's side of a fenced sandbox's way in: it
// accepts TCP connections on a port of the host's loopback and forwards each
// to the sandbox, through a dial function that reaches inside the fence (a
// unix socket in the sandbox's folder, or a connection made inside its
// network namespace). Clients such as Kafka's, which connect to whatever
// address the broker advertises, then work unchanged: the broker inside
// listens on the same port number as its relay outside.
package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// DialFunc opens one connection to the sandbox's side.
type DialFunc func(ctx context.Context) (net.Conn, error)

// Relay is a listening relay. It is safe for concurrent use.
type Relay struct {
	l    net.Listener
	dial DialFunc

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	done   chan struct{}
}

// Listen listens on 127.0.0.1:port (a free one if port is 0) and forwards
// every connection it accepts to a connection dial opens.
func Listen(port int, dial DialFunc) (*Relay, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the sandbox's clients: %w", err)
	}
	r := &Relay{l: l, dial: dial, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	go r.serve()
	return r, nil
}

// ToUnix returns a DialFunc that connects to the unix socket at path.
func ToUnix(path string) DialFunc {
	return func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}
}

// Addr returns "127.0.0.1:port".
func (r *Relay) Addr() string { return r.l.Addr().String() }

// Port returns the port the relay listens on.
func (r *Relay) Port() int { return r.l.Addr().(*net.TCPAddr).Port }

func (r *Relay) serve() {
	defer close(r.done)
	for {
		c, err := r.l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		if !r.track(c) {
			c.Close()
			return
		}
		go r.forward(c)
	}
}

// track remembers c so close can end it; it reports false once closed.
func (r *Relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *Relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// forward copies bytes both ways between c and a connection to the sandbox.
func (r *Relay) forward(c net.Conn) {
	defer r.untrack(c)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	up, err := r.dial(ctx)
	cancel()
	if err != nil {
		return // the server is not up yet: the client sees a closed connection and retries
	}
	r.track(up)
	defer r.untrack(up)
	defer up.Close()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _, _ = io.Copy(up, c); halfClose(up) }()
	go func() { defer wg.Done(); _, _ = io.Copy(c, up); halfClose(c) }()
	wg.Wait()
}

func halfClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite()
	}
}

// Close stops listening and ends every forwarded connection.
func (r *Relay) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	_ = r.l.Close()
	for c := range r.conns {
		_ = c.Close()
	}
	r.mu.Unlock()
	<-r.done
}
