package container

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// relay is the host side of a Kafka sandbox's path in: it accepts TCP
// connections on a loopback port and forwards each to the sandbox's unix
// socket, where opslab-relay inside the container takes over.
type relay struct {
	l      net.Listener
	socket string

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	done   chan struct{}
}

// listenRelay listens on 127.0.0.1:port (a free one if port is 0) and
// forwards to socket.
func listenRelay(port int, socket string) (*relay, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, fmt.Errorf("listen for the sandbox's clients: %w", err)
	}
	r := &relay{l: l, socket: socket, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	go r.serve()
	return r, nil
}

// addr returns "127.0.0.1:port".
func (r *relay) addr() string { return r.l.Addr().String() }

// port returns the port the relay listens on.
func (r *relay) port() int { return r.l.Addr().(*net.TCPAddr).Port }

func (r *relay) serve() {
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
func (r *relay) track(c net.Conn) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return false
	}
	r.conns[c] = struct{}{}
	return true
}

func (r *relay) untrack(c net.Conn) {
	r.mu.Lock()
	delete(r.conns, c)
	r.mu.Unlock()
}

// forward copies bytes both ways between c and the sandbox's socket.
func (r *relay) forward(c net.Conn) {
	defer r.untrack(c)
	defer c.Close()
	up, err := net.DialTimeout("unix", r.socket, 5*time.Second)
	if err != nil {
		return
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

// close stops listening and ends every forwarded connection.
func (r *relay) close() {
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
