package terminal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// bash starts a real, quiet bash with a fixed prompt.
func bash(t *testing.T) Starter {
	t.Helper()
	path, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	return Command(func(ctx context.Context) (*exec.Cmd, error) {
		cmd := exec.Command(path, "--norc", "--noprofile", "-i")
		cmd.Env = []string{"PS1=$ ", "TERM=xterm-256color", "HOME=" + t.TempDir(), "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
		return cmd, nil
	})
}

// client is a test's browser tab: a WebSocket to a shell and everything
// it has received.
type client struct {
	t      *testing.T
	c      *websocket.Conn
	mu     sync.Mutex
	out    bytes.Buffer
	events []event
	closed chan struct{}
	status websocket.StatusCode
}

// dial opens a terminal connection to the test server.
func dial(t *testing.T, srv *httptest.Server) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		t.Fatalf("dial the terminal: %v", err)
	}
	cl := &client{t: t, c: c, closed: make(chan struct{})}
	go cl.readAll()
	t.Cleanup(func() { _ = c.CloseNow() })
	return cl
}

func (cl *client) readAll() {
	defer close(cl.closed)
	for {
		typ, data, err := cl.c.Read(context.Background())
		if err != nil {
			cl.mu.Lock()
			cl.status = websocket.CloseStatus(err)
			cl.mu.Unlock()
			return
		}
		cl.mu.Lock()
		if typ == websocket.MessageBinary {
			cl.out.Write(data)
		} else {
			var e event
			if json.Unmarshal(data, &e) != nil {
				cl.t.Errorf("the server sent a text message that is not an event: %q", data)
			}
			cl.events = append(cl.events, e)
		}
		cl.mu.Unlock()
	}
}

// waitOutput waits until the output received holds want, and fails the
// test with the output if it never does.
func (cl *client) waitOutput(want string) {
	cl.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		cl.mu.Lock()
		ok := strings.Contains(cl.out.String(), want)
		cl.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	cl.t.Fatalf("the terminal never showed %q; it showed:\n%q", want, cl.out.String())
}

// waitClosed waits for the server to close the connection and returns the
// close status and the events received.
func (cl *client) waitClosed() (websocket.StatusCode, []event) {
	cl.t.Helper()
	select {
	case <-cl.closed:
	case <-time.After(15 * time.Second):
		cl.t.Fatal("the server never closed the connection")
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.status, cl.events
}

func (cl *client) typeKeys(s string) {
	cl.t.Helper()
	if err := cl.c.Write(context.Background(), websocket.MessageBinary, []byte(s)); err != nil {
		cl.t.Fatalf("type %q: %v", s, err)
	}
}

func (cl *client) control(s string) {
	cl.t.Helper()
	if err := cl.c.Write(context.Background(), websocket.MessageText, []byte(s)); err != nil {
		cl.t.Fatalf("send %s: %v", s, err)
	}
}

// serveShell serves one shell over WebSocket the way the server does.
func serveShell(t *testing.T, sh *Shell) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { Serve(w, r, sh) }))
	t.Cleanup(srv.Close)
	return srv
}

func startShell(t *testing.T, st Starter, limits Limits) *Shell {
	t.Helper()
	sh, err := Start(context.Background(), st, DefaultSize, limits)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sh.Close() })
	return sh
}

func TestShellOverWebSocket(t *testing.T) {
	sh := startShell(t, bash(t), Limits{})
	srv := serveShell(t, sh)
	a := dial(t, srv)

	// Keystrokes in, UTF-8 out.
	a.typeKeys("echo \"héllo ✓ $((6*7))\"\r")
	a.waitOutput("héllo ✓ 42")

	// The window's size reaches the shell.
	a.control(`{"type":"resize","cols":132,"rows":43}`)
	a.typeKeys("stty size\r")
	a.waitOutput("43 132")

	// Ctrl-C interrupts what runs in the foreground.
	// (As a person would, it waits for the echo: Ctrl-C also discards
	// what the shell has not read yet.)
	a.typeKeys("sleep 600; echo not-$((40+2))\r")
	a.waitOutput("sleep 600; echo not-$((40+2))\r\n")
	a.typeKeys("\x03")
	a.waitOutput("^C")
	a.typeKeys("echo after-$((1+1))\r")
	a.waitOutput("after-2")
	a.typeKeys("echo pid-$$-end\r")
	a.waitOutput("pid-")
	a.mu.Lock()
	out := a.out.String()
	a.mu.Unlock()
	if strings.Contains(out, "not-42") {
		t.Fatal("Ctrl-C did not interrupt sleep")
	}
	pid := out[strings.LastIndex(out, "pid-"):]
	pid = pid[:strings.Index(pid, "-end")+4]

	// A second window (a reload) takes over: it gets the scrollback and
	// the same shell; the first is told and closed.
	b := dial(t, srv)
	b.waitOutput("héllo ✓ 42")
	if st, events := a.waitClosed(); st != websocket.StatusNormalClosure || len(events) != 1 || events[0].Type != "detached" {
		t.Fatalf("the first window closed with %v and events %+v, want a normal closure after a detached event", st, events)
	}
	b.typeKeys("echo pid-$$-end\r")
	b.waitOutput(pid + "\r\n")

	// Exiting the shell reports its code and closes the window.
	b.typeKeys("exit 3\r")
	st, events := b.waitClosed()
	if st != websocket.StatusNormalClosure || len(events) == 0 || events[len(events)-1].Type != "exit" ||
		events[len(events)-1].Code == nil || *events[len(events)-1].Code != 3 {
		t.Fatalf("after exit 3 the window closed with %v and events %+v, want an exit event with code 3", st, events)
	}
	<-sh.Done()
	if sh.ExitCode() != 3 {
		t.Fatalf("ExitCode = %d, want 3", sh.ExitCode())
	}

	// A window opened on an ended shell hears that it ended.
	c := dial(t, srv)
	if _, events := c.waitClosed(); len(events) != 1 || events[0].Type != "exit" {
		t.Fatalf("a window on an ended shell got %+v, want one exit event", events)
	}
}

func TestBadMessagesCloseTheWindowNotTheShell(t *testing.T) {
	sh := startShell(t, bash(t), Limits{MaxInput: 1024})
	srv := serveShell(t, sh)
	for _, tc := range []struct {
		name string
		send func(cl *client)
		want websocket.StatusCode
	}{
		{"unknown control", func(cl *client) { cl.control(`{"type":"exec","cmd":"id"}`) }, websocket.StatusPolicyViolation},
		{"malformed control", func(cl *client) { cl.control(`{"type":`) }, websocket.StatusPolicyViolation},
		{"impossible size", func(cl *client) { cl.control(`{"type":"resize","cols":0,"rows":65535}`) }, websocket.StatusPolicyViolation},
		{"paste over the limit", func(cl *client) { cl.typeKeys(strings.Repeat("x", 4096)) }, websocket.StatusMessageTooBig},
	} {
		cl := dial(t, srv)
		tc.send(cl)
		if st, _ := cl.waitClosed(); st != tc.want {
			t.Errorf("%s: the window closed with %v, want %v", tc.name, st, tc.want)
		}
	}
	// The shell is still there for the next window.
	cl := dial(t, srv)
	cl.typeKeys("echo still-$((2*2))\r")
	cl.waitOutput("still-4")
}

func TestCrossOriginUpgradeRefused(t *testing.T) {
	sh := startShell(t, bash(t), Limits{})
	srv := serveShell(t, sh)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), &websocket.DialOptions{
		HTTPHeader: http.Header{"Origin": []string{"https://evil.example"}},
	})
	if err == nil {
		t.Fatal("a page of another origin opened the terminal")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a cross-origin upgrade answered %v, want 403", resp)
	}
}

func TestIdleShellEnds(t *testing.T) {
	sh := startShell(t, bash(t), Limits{Idle: 300 * time.Millisecond})
	select {
	case <-sh.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("an idle shell was still running")
	}
}

func TestOutputDoesNotKeepAShellAlive(t *testing.T) {
	st := bash(t)
	sh := startShell(t, st, Limits{Idle: 500 * time.Millisecond})
	srv := serveShell(t, sh)
	cl := dial(t, srv)
	cl.typeKeys("while :; do echo busy; sleep 0.05; done\r")
	cl.waitOutput("busy")
	if st, events := cl.waitClosed(); st != websocket.StatusNormalClosure || len(events) != 1 || events[0].Type != "exit" {
		t.Fatalf("an idle shell printing in a loop closed its window with %v, events %+v; want it ended", st, events)
	}
}

// stalledWindow never takes output in: a browser that stopped reading.
type stalledWindow struct{ detached atomic.Bool }

func (w *stalledWindow) Output(ctx context.Context, p []byte) error {
	<-ctx.Done()
	return ctx.Err()
}
func (w *stalledWindow) Detached()      { w.detached.Store(true) }
func (w *stalledWindow) Ended(code int) {}

func TestStalledWindowIsDetached(t *testing.T) {
	sh := startShell(t, bash(t), Limits{WriteTimeout: 200 * time.Millisecond})
	w := &stalledWindow{}
	if err := sh.Attach(context.Background(), w); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	// The prompt (or anything) cannot reach it; it is detached, and the
	// shell keeps serving a new window.
	deadline := time.Now().Add(15 * time.Second)
	for !w.detached.Load() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if !w.detached.Load() {
		t.Fatal("a window that takes no output stayed attached")
	}
	if err := sh.Input(w, []byte("echo x\r")); !errors.Is(err, errNotAttached) {
		t.Fatalf("a detached window's keystrokes: %v, want errNotAttached", err)
	}
	srv := serveShell(t, sh)
	cl := dial(t, srv)
	cl.typeKeys("echo alive-$((3*3))\r")
	cl.waitOutput("alive-9")
}

func TestScrollbackKeepsTheEndFromALineStart(t *testing.T) {
	b := scrollback{max: 64}
	for i := range 100 {
		b.write([]byte(strings.Repeat(string(rune('a'+i%26)), 9) + "\n"))
	}
	got := b.snapshot()
	if len(got) > 64 {
		t.Fatalf("snapshot holds %d bytes, over the 64 kept", len(got))
	}
	if !bytes.HasSuffix(got, []byte("vvvvvvvvv\n")) {
		t.Fatalf("snapshot %q does not end with the last line", got)
	}
	if len(got)%10 != 0 {
		t.Fatalf("snapshot %q does not start at a line", got)
	}
}

func TestRegistry(t *testing.T) {
	var starts atomic.Int32
	base := bash(t)
	st := StarterFunc(func(ctx context.Context, size Size) (PTY, error) {
		starts.Add(1)
		return base.Start(ctx, size)
	})
	g := NewRegistry(2, Limits{})
	t.Cleanup(g.CloseAll)

	// Parallel opens of one key start one shell.
	var wg sync.WaitGroup
	shells := make([]*Shell, 10)
	for i := range shells {
		wg.Go(func() {
			sh, err := g.Open(context.Background(), "sandbox-1", st, DefaultSize)
			if err != nil {
				t.Error(err)
			}
			shells[i] = sh
		})
	}
	wg.Wait()
	if n := starts.Load(); n != 1 {
		t.Fatalf("10 parallel opens of one key started %d shells, want 1", n)
	}
	for _, sh := range shells[1:] {
		if sh != shells[0] {
			t.Fatal("parallel opens of one key returned different shells")
		}
	}

	// The maximum holds.
	if _, err := g.Open(context.Background(), "sandbox-2", st, DefaultSize); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Open(context.Background(), "sandbox-3", st, DefaultSize); !errors.Is(err, ErrTooMany) {
		t.Fatalf("a third shell past a maximum of 2: %v, want ErrTooMany", err)
	}

	// An ended shell makes room, and its key gets a new shell.
	g.Close("sandbox-1")
	<-shells[0].Done()
	sh, err := g.Open(context.Background(), "sandbox-1", st, DefaultSize)
	if err != nil {
		t.Fatal(err)
	}
	if sh == shells[0] {
		t.Fatal("a closed shell was handed out again")
	}
	if _, ok := g.Lookup("sandbox-1"); !ok || g.Len() != 2 {
		t.Fatalf("registry holds %d shells, want 2 with sandbox-1 among them", g.Len())
	}
}
