package server

// An internal test: it shortens the /dev/events heartbeat, which is not
// configurable from outside.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
)

// devStepTimeout bounds one wait; it catches hangs, not slowness.
const devStepTimeout = 10 * time.Second

func newDevTestServer(t *testing.T, dev bool) *Server {
	t.Helper()
	s, err := New(Config{SessionKey: bytes.Repeat([]byte("k"), 32), Dev: dev})
	if err != nil {
		t.Fatalf("New(Dev: %v): %v", dev, err)
	}
	s.SetCatalog(loadDevContent(t, map[string]string{"demo/course.yaml": "title: Demo\n"}))
	return s
}

// loadDevContent loads a content tree made of files.
func loadDevContent(t *testing.T, files map[string]string) *course.Catalog {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := course.Load(os.DirFS(dir), markdown.New(), nil)
	if err != nil {
		t.Fatalf("load content: %v", err)
	}
	return cat
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec
}

var devScriptRE = regexp.MustCompile(`<script src="(/static/[0-9a-f]+/dev\.js)" data-dev-version="(\d+)" defer></script>`)

func TestDevModeOff(t *testing.T) {
	s := newDevTestServer(t, false)
	for _, path := range []string{"/login", "/register", "/", "/no-such-page"} {
		if body := get(t, s, path).Body.String(); strings.Contains(body, "dev.js") || strings.Contains(body, "data-dev-version") {
			t.Errorf("GET %s outside dev mode includes dev.js:\n%s", path, body)
		}
	}
	for _, path := range []string{"/dev/events", "/dev/problems"} {
		if rec := get(t, s, path); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s outside dev mode: status %d, want 404", path, rec.Code)
		}
	}
	// Safe to call in any mode.
	if v := s.AnnounceReload(); v != 1 {
		t.Errorf("AnnounceReload = %d, want 1", v)
	}
	s.CloseDevEvents()
}

func TestDevModePages(t *testing.T) {
	s := newDevTestServer(t, true)
	for _, path := range []string{"/login", "/register", "/", "/no-such-page"} {
		rec := get(t, s, path)
		m := devScriptRE.FindStringSubmatch(rec.Body.String())
		if m == nil {
			t.Fatalf("GET %s in dev mode (status %d) does not load dev.js:\n%s", path, rec.Code, rec.Body)
		}
		if m[2] != "0" {
			t.Errorf("GET %s: data-dev-version %s, want 0 before any reload", path, m[2])
		}
		if n := strings.Count(rec.Body.String(), "dev.js"); n != 1 {
			t.Errorf("GET %s names dev.js %d times, want once", path, n)
		}
		js := get(t, s, m[1])
		if js.Code != http.StatusOK || !strings.Contains(js.Header().Get("Content-Type"), "javascript") ||
			!strings.Contains(js.Body.String(), "/dev/events") {
			t.Errorf("GET %s: status %d, type %q", m[1], js.Code, js.Header().Get("Content-Type"))
		}
	}
	// The page carries the version it was made from.
	s.AnnounceReload()
	s.AnnounceReload()
	if m := devScriptRE.FindStringSubmatch(get(t, s, "/login").Body.String()); m == nil || m[2] != "2" {
		t.Errorf("after two reloads the page's dev.js tag is %q, want data-dev-version 2", m)
	}
	// The usual head is still there, and the policy still forbids inline script.
	rec := get(t, s, "/login")
	if !strings.Contains(rec.Body.String(), "/app.js\" defer></script>") {
		t.Errorf("the dev page lost app.js:\n%s", rec.Body)
	}
	if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("dev mode CSP = %q", csp)
	}
}

func TestDevProblems(t *testing.T) {
	s := newDevTestServer(t, true)
	rec := get(t, s, "/dev/problems")
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("GET /dev/problems with no problem: status %d, body %q; want 200 and []", rec.Code, rec.Body)
	}
	s.SetCatalog(loadDevContent(t, map[string]string{
		"demo/course.yaml": "title: Demo\n",
		"demo/01-one.md":   "---\ntitle: One\n---\n\n```exercise\nid: [unclosed\n```\n",
	}))
	rec = get(t, s, "/dev/problems")
	var list []string
	if err := json.Unmarshal(rec.Body.Bytes(), &list); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("GET /dev/problems: status %d, body %q: %v", rec.Code, rec.Body, err)
	}
	if len(list) != 1 || !strings.HasPrefix(list[0], "demo/01-one.md:6: ") {
		t.Errorf("GET /dev/problems = %q, want one problem at demo/01-one.md:6", list)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
}

// sseReader reads server-sent events: each is its lines up to a blank line.
type sseReader struct {
	t  *testing.T
	br *bufio.Reader
}

// next returns the next event's lines, failing the test after a timeout.
func (r *sseReader) next() []string {
	r.t.Helper()
	type result struct {
		lines []string
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		var lines []string
		for {
			line, err := r.br.ReadString('\n')
			if err != nil {
				ch <- result{lines, err}
				return
			}
			line = strings.TrimRight(line, "\n")
			if line == "" {
				ch <- result{lines, nil}
				return
			}
			lines = append(lines, line)
		}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			r.t.Fatalf("read event: %v (read %q)", res.err, res.lines)
		}
		return res.lines
	case <-time.After(devStepTimeout):
		r.t.Fatalf("no event within %s", devStepTimeout)
	}
	return nil
}

// openEvents opens /dev/events on ts and checks the answer's headers.
func openEvents(t *testing.T, url string) (*sseReader, io.Closer) {
	t.Helper()
	resp, err := http.Get(url + "/dev/events")
	if err != nil {
		t.Fatalf("GET /dev/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET /dev/events: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sseReader{t: t, br: bufio.NewReader(resp.Body)}, resp.Body
}

func TestDevEvents(t *testing.T) {
	s := newDevTestServer(t, true)
	s.dev.heartbeat = 100 * time.Millisecond
	ts := httptest.NewUnstartedServer(s)
	// Timeouts far shorter than the stream: it must outlive them.
	ts.Config.ReadTimeout = 300 * time.Millisecond
	ts.Config.WriteTimeout = 300 * time.Millisecond
	ts.Start()
	defer ts.Close()

	s.AnnounceReload()
	events, body := openEvents(t, ts.URL)
	defer body.Close()
	if got := events.next(); strings.Join(got, "|") != "retry: 1000|event: hello|data: 1" {
		t.Fatalf("first event %q, want retry, hello and version 1", got)
	}
	time.Sleep(600 * time.Millisecond)
	if got := events.next(); len(got) != 1 || got[0] != ": heartbeat" {
		t.Fatalf("idle stream sent %q, want a heartbeat comment", got)
	}
	if v := s.AnnounceReload(); v != 2 {
		t.Fatalf("AnnounceReload = %d, want 2", v)
	}
	for {
		got := events.next()
		if len(got) == 1 && got[0] == ": heartbeat" {
			continue
		}
		if strings.Join(got, "|") != "event: reload|data: 2" {
			t.Fatalf("after a reload the stream sent %q, want a reload event with version 2", got)
		}
		break
	}

	// Closing ends the stream and refuses new ones.
	s.CloseDevEvents()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, events.br)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stream ended with %v, want a clean end", err)
		}
	case <-time.After(devStepTimeout):
		t.Fatalf("the stream did not end within %s of CloseDevEvents", devStepTimeout)
	}
	resp, err := http.Get(ts.URL + "/dev/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /dev/events after close: status %d, want 503", resp.StatusCode)
	}
}

func TestDevEventsGracefulShutdown(t *testing.T) {
	s := newDevTestServer(t, true)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: s, ReadHeaderTimeout: time.Second}
	hs.RegisterOnShutdown(s.CloseDevEvents)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	events, body := openEvents(t, "http://"+ln.Addr().String())
	defer body.Close()
	events.next()

	ctx, cancel := context.WithTimeout(context.Background(), devStepTimeout)
	defer cancel()
	start := time.Now()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with an open /dev/events stream: %v (after %s)", err, time.Since(start))
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v", err)
	}
}
