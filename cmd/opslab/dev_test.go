package main

// End-to-end tests of "opslab serve --dev": the content folder reloads as
// the author edits it, a broken lesson keeps its last good version, and
// the problems are listed at /dev/problems.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// devReloadTimeout bounds the wait for a saved file to show; it catches a
// missing reload, not a slow one.
const devReloadTimeout = 20 * time.Second

// The course the dev mode tests edit: a copy of testdata/authoring/good.
const (
	devCourse     = "demo"
	devLesson     = "counter"
	devLessonFile = "demo/01-counter.md"
)

// devContent copies the small authoring course into a temp dir, gives its
// lesson a heading, and returns the folder and the lesson file's path.
func devContent(t *testing.T) (dir, lessonFile string) {
	t.Helper()
	dir = t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "authoring", "good"))); err != nil {
		t.Fatalf("copy the course: %v", err)
	}
	lessonFile = filepath.Join(dir, filepath.FromSlash(devLessonFile))
	editFile(t, lessonFile, "---\ntitle: Counter\n---\n", "---\ntitle: Counter\n---\n\n## Counting hits\n\nA counter in Redis.\n")
	return dir, lessonFile
}

// editFile replaces old with new in the file; old must be there.
func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q:\n%s", path, old, b)
	}
	// Written in place, as most editors save.
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lineOf is the 1-based line of the first line of path containing s.
func lineOf(t *testing.T, path, s string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, s) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line containing %q", path, s)
	return 0
}

// getPage GETs a page with the client's cookies and returns status and body.
func getPage(t *testing.T, c *apiClient, path string) (int, string) {
	t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// devProblems returns GET /dev/problems, which needs no sign-in.
func devProblems(t *testing.T, base string) []string {
	t.Helper()
	resp, err := http.Get(base + "/dev/problems")
	if err != nil {
		t.Fatalf("GET /dev/problems: %v", err)
	}
	defer resp.Body.Close()
	var list []string
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /dev/problems: status %d, %v", resp.StatusCode, err)
	}
	return list
}

// eventually polls cond until it is true or devReloadTimeout passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(devReloadTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", devReloadTimeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// devEventStream reads the events of GET /dev/events in the background.
type devEventStream struct {
	events chan []string // each event's lines
	body   io.Closer
	ended  chan struct{} // closed when the stream ends
}

func openDevEvents(t *testing.T, base string) *devEventStream {
	t.Helper()
	resp, err := http.Get(base + "/dev/events")
	if err != nil {
		t.Fatalf("GET /dev/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		t.Fatalf("GET /dev/events: status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &devEventStream{events: make(chan []string, 100), body: resp.Body, ended: make(chan struct{})}
	go func() {
		defer close(s.ended)
		sc := bufio.NewScanner(resp.Body)
		var lines []string
		for sc.Scan() {
			if sc.Text() != "" {
				lines = append(lines, sc.Text())
				continue
			}
			s.events <- lines
			lines = nil
		}
	}()
	t.Cleanup(func() { s.body.Close() })
	return s
}

// next returns the next event that is not a heartbeat.
func (s *devEventStream) next(t *testing.T) []string {
	t.Helper()
	timeout := time.After(devReloadTimeout)
	for {
		select {
		case ev := <-s.events:
			if len(ev) == 1 && strings.HasPrefix(ev[0], ":") {
				continue
			}
			return ev
		case <-s.ended:
			t.Fatalf("/dev/events ended")
		case <-timeout:
			t.Fatalf("no event on /dev/events within %s", devReloadTimeout)
		}
	}
}

func TestDevModeReloads(t *testing.T) {
	dir, lessonFile := devContent(t)
	srv := startServer(t, "--dev", "--content", dir)
	c := newAPIClient(t, srv.URL())
	c.register("author@example.com", "Ada Author", "correct-horse-battery")
	page := lessonPath(devCourse, devLesson)

	st, body := getPage(t, c, page)
	if st != http.StatusOK || !strings.Contains(body, "Counting hits") {
		t.Fatalf("GET %s: status %d, want 200 and the heading %q:\n%s", page, st, "Counting hits", body)
	}
	if !regexp.MustCompile(`<script src="/static/[0-9a-f]+/dev\.js" data-dev-version="0" defer></script>`).MatchString(body) {
		t.Errorf("the dev mode page does not load dev.js with version 0")
	}
	if ps := devProblems(t, srv.URL()); len(ps) != 0 {
		t.Fatalf("the course has problems from the start: %q", ps)
	}
	events := openDevEvents(t, srv.URL())
	if ev := events.next(t); !strings.Contains(strings.Join(ev, "\n"), "event: hello\ndata: 0") {
		t.Fatalf("first /dev/events event %q, want hello with version 0", ev)
	}

	// A valid edit shows without a restart, and open pages are told.
	editFile(t, lessonFile, "## Counting hits", "## Counting requests")
	eventually(t, "the edited heading to be served", func() bool {
		_, body := getPage(t, c, page)
		return strings.Contains(body, "Counting requests")
	})
	if ev := strings.Join(events.next(t), "\n"); ev != "event: reload\ndata: 1" {
		t.Errorf("after the edit /dev/events sent %q, want a reload event with version 1", ev)
	}

	// A broken exercise: the page keeps its last good version, and the
	// problem is listed with its path and line.
	editFile(t, lessonFile, "id: counter", "id: [counter")
	brokenLine := lineOf(t, lessonFile, "id: [counter")
	var problems []string
	eventually(t, "the problem to be listed", func() bool {
		problems = devProblems(t, srv.URL())
		return len(problems) > 0
	})
	want := fmt.Sprintf("%s:%d: ", devLessonFile, brokenLine)
	if len(problems) != 1 || !strings.HasPrefix(problems[0], want) {
		t.Errorf("/dev/problems = %q, want one problem starting %q", problems, want)
	}
	if ev := strings.Join(events.next(t), "\n"); ev != "event: reload\ndata: 2" {
		t.Errorf("after breaking the lesson /dev/events sent %q, want a reload event with version 2", ev)
	}
	st, body = getPage(t, c, page)
	if st != http.StatusOK || !strings.Contains(body, "Counting requests") {
		t.Errorf("the broken lesson answers %d without its last good version:\n%s", st, body)
	}
	if !strings.Contains(srv.stderr.String(), want) {
		t.Errorf("the server did not log the problem %q:\n%s", want, srv.stderr)
	}

	// Fixed: the new version is served and the problem is gone.
	editFile(t, lessonFile, "id: [counter", "id: counter")
	editFile(t, lessonFile, "## Counting requests", "## Counting fixed")
	eventually(t, "the fixed lesson to be served", func() bool {
		_, body := getPage(t, c, page)
		return strings.Contains(body, "Counting fixed")
	})
	eventually(t, "the problem list to empty", func() bool { return len(devProblems(t, srv.URL())) == 0 })

	// A level-1 heading is a warning: the lesson is served as written and
	// the warning is listed as lint prints it, and logged.
	editFile(t, lessonFile, "## Counting fixed", "# Counting fixed")
	h1Line := lineOf(t, lessonFile, "# Counting fixed")
	wantWarn := fmt.Sprintf("%s:%d: warning: ", devLessonFile, h1Line)
	eventually(t, "the heading warning to be listed", func() bool {
		ps := devProblems(t, srv.URL())
		return len(ps) == 1 && strings.HasPrefix(ps[0], wantWarn) && strings.Contains(ps[0], "table of contents")
	})
	if logged := fmt.Sprintf(`msg="content warning" warning="%s:%d: heading`, devLessonFile, h1Line); !strings.Contains(srv.stderr.String(), logged) {
		t.Errorf("the server did not log the warning %q:\n%s", logged, srv.stderr)
	}
	editFile(t, lessonFile, "# Counting fixed", "## Counting fixed")
	eventually(t, "the warning to go", func() bool { return len(devProblems(t, srv.URL())) == 0 })

	// A graceful stop ends the open event stream rather than waiting for it.
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop with an open /dev/events stream: %v", err)
	}
	select {
	case <-events.ended:
	case <-time.After(serverStopTimeout):
		t.Errorf("/dev/events still open after the server stopped")
	}
}

func TestDevModeOffHasNoDevTools(t *testing.T) {
	dir, _ := devContent(t)
	srv := startServer(t, "--content", dir)
	c := newAPIClient(t, srv.URL())
	c.register("reader@example.com", "Rae Reader", "correct-horse-battery")
	for _, path := range []string{"/", lessonPath(devCourse, devLesson)} {
		st, body := getPage(t, c, path)
		if st != http.StatusOK || strings.Contains(body, "dev.js") {
			t.Errorf("GET %s without --dev: status %d, dev.js included: %v", path, st, strings.Contains(body, "dev.js"))
		}
	}
	for _, path := range []string{"/dev/events", "/dev/problems"} {
		st, _ := getPage(t, c, path)
		if st != http.StatusNotFound {
			t.Errorf("GET %s without --dev: status %d, want 404", path, st)
		}
	}
}

func TestDevNeedsContent(t *testing.T) {
	var out, errb lockedBuffer
	err := Run(context.Background(), []string{"serve", "--dev", "--data", t.TempDir(), "--addr", "127.0.0.1:0"},
		strings.NewReader(""), &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "--dev needs --content DIR") {
		t.Fatalf("serve --dev without --content = %v, want an error saying --dev needs --content DIR", err)
	}
	if strings.Contains(out.String(), "listening") {
		t.Errorf("serve --dev without --content started listening: %s", out.String())
	}
}
