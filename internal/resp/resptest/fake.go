package resptest

import (
	"net"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/testkit"
)

// FakeServer listens on a unix socket and answers every command it reads
// with the reply set by SetReply, whatever the command is.
type FakeServer struct {
	// Socket is the path of the unix socket to connect to.
	Socket string

	ln net.Listener
	wg sync.WaitGroup

	mu       sync.Mutex
	reply    []byte
	commands [][]string
	conns    map[net.Conn]bool
	stopped  bool
}

// StartFakeServer starts a FakeServer that answers +OK until SetReply is
// called, and stops it when the test ends.
func StartFakeServer(t testing.TB) *FakeServer {
	t.Helper()
	dir := testkit.ShortDir(t, "fake-")
	f := &FakeServer{
		Socket: filepath.Join(dir, "f.sock"),
		reply:  []byte("+OK\r\n"),
		conns:  make(map[net.Conn]bool),
	}
	ln, err := net.Listen("unix", f.Socket)
	if err != nil {
		t.Fatalf("listen for fake server: %v", err)
	}
	f.ln = ln
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.stop)
	return f
}

// SetReply sets the raw bytes sent in answer to each following command.
// They are sent as they are, so they may be invalid on purpose.
func (f *FakeServer) SetReply(raw []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = append([]byte(nil), raw...)
}

// SetValue sets the reply to the RESP encoding of v.
func (f *FakeServer) SetValue(v resp.Value) {
	f.SetReply(v.AppendRESP(nil))
}

// Commands returns the commands received so far, in order.
func (f *FakeServer) Commands() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.commands...)
}

// accept serves connections until the listener is closed.
func (f *FakeServer) accept() {
	defer f.wg.Done()
	for {
		nc, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		if f.stopped {
			f.mu.Unlock()
			nc.Close()
			return
		}
		f.conns[nc] = true
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(nc)
	}
}

// serve reads commands from nc and answers each with the current reply.
func (f *FakeServer) serve(nc net.Conn) {
	defer f.wg.Done()
	defer func() {
		f.mu.Lock()
		delete(f.conns, nc)
		f.mu.Unlock()
		nc.Close()
	}()
	rd := resp.NewReader(nc)
	for {
		cmd, err := rd.ReadValue()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.commands = append(f.commands, commandArgs(cmd))
		reply := f.reply
		f.mu.Unlock()
		if _, err := nc.Write(reply); err != nil {
			return
		}
	}
}

// stop closes the listener and every open connection and waits for the
// serving goroutines to end.
func (f *FakeServer) stop() {
	f.ln.Close()
	f.mu.Lock()
	f.stopped = true
	for nc := range f.conns {
		nc.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}

// commandArgs turns a command read from a client into its arguments.
func commandArgs(v resp.Value) []string {
	args := make([]string, 0, len(v.Elems))
	for _, e := range v.Elems {
		args = append(args, e.Str)
	}
	return args
}
