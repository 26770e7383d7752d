package main

// The learner's terminal through the real server (issue 15): a signed-in
// learner opens the exercise's terminal WebSocket and uses the real
// redis-cli on their own sandbox by name; the key made there is what the
// console then reads; a reconnect finds the same shell with its
// scrollback; a request without a session, or from another site's page,
// is refused before any shell starts.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/opslab/opslab/internal/testkit"
)

// termConn is a test's terminal connection and everything it received.
type termConn struct {
	t   *testing.T
	c   *websocket.Conn
	mu  sync.Mutex
	out strings.Builder
}

var termCSI = regexp.MustCompile(`\x1b\[[0-9;?]*[a-zA-Z]`)

func dialTerminal(t *testing.T, base, path string, header http.Header) (*termConn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	tc := &termConn{t: t, c: c}
	t.Cleanup(func() { _ = c.CloseNow() })
	go func() {
		for {
			typ, data, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if typ == websocket.MessageBinary {
				tc.mu.Lock()
				tc.out.Write(data)
				tc.mu.Unlock()
			}
		}
	}()
	return tc, resp, nil
}

// run types line and returns the rest of the first output line that
// starts with marker.
func (tc *termConn) run(line, marker string) string {
	tc.t.Helper()
	if err := tc.c.Write(context.Background(), websocket.MessageBinary, []byte(line+"\r")); err != nil {
		tc.t.Fatalf("type %q: %v", line, err)
	}
	return tc.wait(marker)
}

func (tc *termConn) wait(marker string) string {
	tc.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		tc.mu.Lock()
		out := termCSI.ReplaceAllString(tc.out.String(), "")
		tc.mu.Unlock()
		for _, l := range strings.Split(out, "\n") {
			l = strings.TrimRight(l, "\r")
			l = l[strings.LastIndex(l, "\r")+1:]
			if rest, ok := strings.CutPrefix(l, marker); ok {
				return rest
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	tc.t.Fatalf("no line starting %q came; the terminal showed:\n%s", marker, tc.out.String())
	return ""
}

func TestTerminalThroughTheServer(t *testing.T) {
	testkit.Slow(t, "a real server, a fenced sandbox and a workstation")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	labRequireTool(t, "redis-server")
	labRequireTool(t, "redis-cli")
	srv := startServer(t)
	base := srv.URL()
	learner := newAPIClient(t, base)
	learner.register("term@example.com", "Term", "terminal-password")
	exercise := "/api/courses/" + e2eCourse + "/lessons/" + e2eLesson + "/exercises/user-profile-hash"

	// Refused before any shell starts: no session, another site's page.
	if _, resp, err := dialTerminal(t, base, exercise+"/terminal", http.Header{"Origin": {base}}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a terminal without a session: %v (response %v), want 401", err, resp)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	cookies := learner.hc.Jar.Cookies(u)
	var ck []string
	for _, c := range cookies {
		ck = append(ck, c.Name+"="+c.Value)
	}
	signedIn := http.Header{"Cookie": {strings.Join(ck, "; ")}}
	evil := signedIn.Clone()
	evil.Set("Origin", "https://evil.example")
	if _, resp, err := dialTerminal(t, base, exercise+"/terminal", evil); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a terminal opened by another site's page: %v (response %v), want 403", err, resp)
	}

	// The learner's own terminal, beside their own sandbox.
	same := signedIn.Clone()
	same.Set("Origin", base)
	a, _, err := dialTerminal(t, base, exercise+"/terminal", same)
	if err != nil {
		t.Fatalf("open the terminal: %v", err)
	}
	if got := a.run(`echo "P=$(redis-cli -h redis PING)"`, "P="); got != "PONG" {
		t.Fatalf("redis-cli -h redis PING in the terminal printed %q", got)
	}
	a.run(`echo "S=$(redis-cli -h redis SET from-terminal 42)"`, "S=")
	var ex struct {
		Output string `json:"output"`
	}
	if st := learner.postJSON(exercise+"/exec", map[string]string{"command": "GET from-terminal"}, &ex); st != http.StatusOK || !strings.Contains(ex.Output, "42") {
		t.Fatalf("the console reads %q (status %d) for the key the terminal set, want 42", ex.Output, st)
	}

	// A reconnect (a reload) finds the same shell, scrollback first.
	a.run(`MARK=$((20+22)); echo "M=$MARK"`, "M=")
	_ = a.c.Close(websocket.StatusNormalClosure, "")
	b, _, err := dialTerminal(t, base, exercise+"/terminal", same)
	if err != nil {
		t.Fatalf("reopen the terminal: %v", err)
	}
	if got := b.wait("P="); got != "PONG" {
		t.Fatalf("the scrollback after a reconnect shows %q", got)
	}
	if got := b.run(`echo "V=$MARK"`, "V="); got != "42" {
		t.Fatalf("after a reconnect the shell's variable is %q, want the same shell's 42", got)
	}
}
