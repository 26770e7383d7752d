package main

// End-to-end tests of the opslab binary's commands, run in process through
// Run, plus the shared harness the other end-to-end tests use: a real
// "opslab serve" on a random loopback port with its own data directory, and
// a small JSON API client with a cookie jar.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/testkit"
)

// The built-in course and the lesson the end-to-end tests work with.
const (
	e2eCourse      = "caching-messaging-infrastructure"
	e2eCourseTitle = "Caching & Messaging Infrastructure"
	e2eLesson      = "redis-data-structures-for-operators"
	e2eLessonTitle = "Redis Data Structures for Operators"
	e2eLessonNo    = 11
)

// Generous limits: these bound hangs, they do not measure speed.
const (
	serverStartTimeout = 60 * time.Second
	serverStopTimeout  = 30 * time.Second
	apiCallTimeout     = 30 * time.Second
)

// lessonPath is the page of a lesson; the API paths add the /api prefix.
func lessonPath(course, lesson string) string {
	return "/courses/" + course + "/lessons/" + lesson
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader in
// different goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testServer is one "opslab serve" running inside the test process.
type testServer struct {
	t       testing.TB
	url     string
	dataDir string
	cancel  context.CancelFunc
	done    chan struct{} // closed when Run has returned
	runErr  error         // what Run returned; read after done is closed
	stdout  *lockedBuffer
	stderr  *lockedBuffer

	stopOnce sync.Once
	stopErr  error
}

// startServer runs "opslab serve --addr 127.0.0.1:0 --data <fresh dir>"
// with extraArgs appended, waits until it listens and /readyz answers 200,
// and stops it gracefully when the test ends.
func startServer(t testing.TB, extraArgs ...string) *testServer {
	t.Helper()
	return startServerOn(t, t.TempDir(), extraArgs...)
}

// startServerOn is startServer on a given data directory, so that a test
// can stop a server and start another one on the same data.
func startServerOn(t testing.TB, dataDir string, extraArgs ...string) *testServer {
	t.Helper()
	testkit.Slow(t, "end-to-end test (a real opslab server)")
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{
		t:       t,
		dataDir: dataDir,
		cancel:  cancel,
		done:    make(chan struct{}),
		stdout:  &lockedBuffer{},
		stderr:  &lockedBuffer{},
	}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}, extraArgs...)

	pr, pw := io.Pipe()
	go func() {
		err := Run(ctx, args, strings.NewReader(""), pw, s.stderr)
		s.runErr = err
		pw.Close()
		close(s.done)
	}()

	// Read stdout to its end, so that Run never blocks on a write, and hand
	// over the address from the "listening" line.
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.stdout, line)
			if u, ok := strings.CutPrefix(line, "opslab listening on "); ok && !found {
				found = true
				urlc <- strings.TrimSpace(u)
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()

	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("opslab serve on %s did not shut down cleanly: %v", s.url, err)
		}
		if t.Failed() {
			t.Logf("opslab serve (data %s) stdout:\n%s\nstderr:\n%s", dataDir, s.stdout, s.stderr)
		}
	})

	timer := time.NewTimer(serverStartTimeout)
	defer timer.Stop()
	select {
	case u := <-urlc:
		s.url = u
	case <-s.done:
		t.Fatalf("opslab %s ended before it listened: %v\nstderr:\n%s", strings.Join(args, " "), s.runErr, s.stderr)
	case <-timer.C:
		t.Fatalf("opslab serve printed no listening address within %s\nstderr:\n%s", serverStartTimeout, s.stderr)
	}
	if _, err := url.Parse(s.url); err != nil || !strings.HasPrefix(s.url, "http://127.0.0.1:") {
		t.Fatalf("opslab serve printed an unexpected address %q", s.url)
	}
	s.waitReady()
	return s
}

// URL is the server's base address, such as http://127.0.0.1:41234.
func (s *testServer) URL() string { return s.url }

// DataDir is the server's data directory.
func (s *testServer) DataDir() string { return s.dataDir }

// waitReady polls /readyz until it answers 200.
func (s *testServer) waitReady() {
	s.t.Helper()
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(serverStartTimeout)
	var last string
	for {
		resp, err := hc.Get(s.url + "/readyz")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = fmt.Sprintf("status %d: %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		select {
		case <-s.done:
			s.t.Fatalf("opslab serve ended while waiting for /readyz: %v\nstderr:\n%s", s.runErr, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("GET %s/readyz did not answer 200 within %s; last answer: %s", s.url, serverStartTimeout, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop cancels the server's context and waits for Run to return, as a
// SIGTERM would. It returns Run's error; a graceful shutdown returns nil.
// Calling it again returns the same result.
func (s *testServer) Stop() error {
	s.stopOnce.Do(func() {
		s.cancel()
		timer := time.NewTimer(serverStopTimeout)
		defer timer.Stop()
		select {
		case <-s.done:
			s.stopErr = s.runErr
		case <-timer.C:
			s.stopErr = fmt.Errorf("Run did not return within %s of the context's end", serverStopTimeout)
		}
	})
	return s.stopErr
}

// apiClient calls the JSON API like a script would: cookies kept in a jar,
// no browser headers.
type apiClient struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func newAPIClient(t testing.TB, base string) *apiClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("cookie jar: %v", err)
	}
	return &apiClient{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: apiCallTimeout}}
}

// apiUser is the API's description of a user.
type apiUser struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
	Error string `json:"error"`
}

// apiCourseProgress is one course in GET /api/me/progress.
type apiCourseProgress struct {
	Slug             string `json:"slug"`
	CompletedLessons int    `json:"completed_lessons"`
	TotalLessons     int    `json:"total_lessons"`
	PassedExercises  int    `json:"passed_exercises"`
	TotalExercises   int    `json:"total_exercises"`
	Percent          int    `json:"percent"`
}

type apiMyProgress struct {
	Courses []apiCourseProgress `json:"courses"`
	Error   string              `json:"error"`
}

// course returns the progress in one course, failing the test if absent.
func (p apiMyProgress) course(t testing.TB, slug string) apiCourseProgress {
	t.Helper()
	for _, c := range p.Courses {
		if c.Slug == slug {
			return c
		}
	}
	t.Fatalf("GET /api/me/progress has no course %q: %+v", slug, p)
	return apiCourseProgress{}
}

// apiCompleteResult is the answer of POST .../complete.
type apiCompleteResult struct {
	Done      bool              `json:"done"`
	Completed bool              `json:"completed"`
	StateText string            `json:"state_text"`
	Progress  apiCourseProgress `json:"progress"`
	Error     string            `json:"error"`
}

// apiLesson is the answer of GET /api/courses/{c}/lessons/{l}.
type apiLesson struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Number    int    `json:"number"`
	Done      bool   `json:"done"`
	Completed bool   `json:"completed"`
	Exercises []struct {
		ID     string `json:"id"`
		Passed bool   `json:"passed"`
	} `json:"exercises"`
	Error string `json:"error"`
}

// do sends one request with an optional JSON body and returns the status
// and the raw body. A transport error fails the test.
func (c *apiClient) do(method, path string, in any) (int, []byte) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			c.t.Fatalf("%s %s: encode body: %v", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, b
}

// call sends a request and decodes a JSON answer into out (when out is not
// nil and the body is not empty), whatever the status; it returns the status.
func (c *apiClient) call(method, path string, in, out any) int {
	c.t.Helper()
	status, b := c.do(method, path, in)
	if out != nil && len(bytes.TrimSpace(b)) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: status %d, body is not the expected JSON (%v): %s", method, path, status, err, b)
		}
	}
	return status
}

// getJSON is call with GET.
func (c *apiClient) getJSON(path string, out any) int {
	c.t.Helper()
	return c.call(http.MethodGet, path, nil, out)
}

// postJSON is call with POST.
func (c *apiClient) postJSON(path string, in, out any) int {
	c.t.Helper()
	return c.call(http.MethodPost, path, in, out)
}

// register creates a learner account and signs the client in; anything
// but 201 fails the test.
func (c *apiClient) register(email, name, password string) apiUser {
	c.t.Helper()
	var u apiUser
	if st := c.postJSON("/api/register", map[string]string{"email": email, "name": name, "password": password}, &u); st != http.StatusCreated {
		c.t.Fatalf("POST /api/register %s: status %d, want 201: %s", email, st, u.Error)
	}
	return u
}

// login signs the client in; anything but 200 fails the test.
func (c *apiClient) login(email, password string) apiUser {
	c.t.Helper()
	u, st := c.tryLogin(email, password)
	if st != http.StatusOK {
		c.t.Fatalf("POST /api/login %s: status %d, want 200: %s", email, st, u.Error)
	}
	return u
}

// tryLogin attempts a sign-in and returns the answer and its status.
func (c *apiClient) tryLogin(email, password string) (apiUser, int) {
	c.t.Helper()
	var u apiUser
	st := c.postJSON("/api/login", map[string]string{"email": email, "password": password}, &u)
	return u, st
}

// progress returns GET /api/me/progress; anything but 200 fails the test.
func (c *apiClient) progress() apiMyProgress {
	c.t.Helper()
	var p apiMyProgress
	if st := c.getJSON("/api/me/progress", &p); st != http.StatusOK {
		c.t.Fatalf("GET /api/me/progress: status %d, want 200: %s", st, p.Error)
	}
	return p
}

// cookie returns the client's cookie of that name for the server, or nil.
func (c *apiClient) cookie(name string) *http.Cookie {
	u, err := url.Parse(c.base)
	if err != nil {
		c.t.Fatalf("parse %q: %v", c.base, err)
	}
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// setCookie puts a cookie for the server into the client's jar.
func (c *apiClient) setCookie(ck *http.Cookie) {
	u, err := url.Parse(c.base)
	if err != nil {
		c.t.Fatalf("parse %q: %v", c.base, err)
	}
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
}

// sessionCookieName is the name of the session cookie the server sets.
const sessionCookieName = "opslab_session"

func TestServeRestartKeepsProgress(t *testing.T) {
	// The session key must come from the data directory, not the process.
	t.Setenv("OPSLAB_SESSION_KEY", "")
	dir := t.TempDir()
	const email, password = "restart@example.com", "restart-password-1"

	first := startServerOn(t, dir)
	c := newAPIClient(t, first.URL())
	u := c.register(email, "Rita Restart", password)
	if u.Email != email || u.Role != "learner" {
		t.Fatalf("registered user = %+v, want email %s and role learner", u, email)
	}

	var done apiCompleteResult
	if st := c.postJSON("/api"+lessonPath(e2eCourse, e2eLesson)+"/complete", map[string]bool{"done": true}, &done); st != http.StatusOK {
		t.Fatalf("POST complete: status %d, want 200: %s", st, done.Error)
	}
	if !done.Done || done.Progress.Percent <= 0 {
		t.Fatalf("POST complete answered %+v, want done and a percent above 0", done)
	}
	before := c.progress().course(t, e2eCourse)
	if before.Percent <= 0 || before.Percent != done.Progress.Percent {
		t.Fatalf("progress before restart = %+v, want the percent %d the done mark gave", before, done.Progress.Percent)
	}
	oldSession := c.cookie(sessionCookieName)
	if oldSession == nil {
		t.Fatalf("no %s cookie after registering", sessionCookieName)
	}

	if err := first.Stop(); err != nil {
		t.Fatalf("stop the first server: %v", err)
	}
	st, err := os.Stat(filepath.Join(dir, "session.key"))
	if err != nil {
		t.Fatalf("session key not kept in the data directory: %v", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("session.key has mode %v, want no access for group and others", perm)
	}
	if resp, err := http.Get(first.URL() + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("the first server still answers on %s after Stop", first.URL())
	}

	second := startServerOn(t, dir)

	// The cookie issued before the restart still signs the user in.
	old := newAPIClient(t, second.URL())
	old.setCookie(oldSession)
	var me apiUser
	if st := old.getJSON("/api/me", &me); st != http.StatusOK || me.Email != email {
		t.Fatalf("GET /api/me with the cookie from before the restart: status %d, user %+v; want 200 and %s", st, me, email)
	}
	if got := old.progress().course(t, e2eCourse); got != before {
		t.Errorf("progress with the old session after restart = %+v, want %+v", got, before)
	}

	// A fresh sign-in sees the same progress and the done mark.
	fresh := newAPIClient(t, second.URL())
	if u := fresh.login(email, password); u.ID != me.ID {
		t.Errorf("login after restart gave user id %d, want %d", u.ID, me.ID)
	}
	after := fresh.progress().course(t, e2eCourse)
	if after.Percent <= 0 || after != before {
		t.Errorf("progress after restart = %+v, want %+v (percent above 0)", after, before)
	}
	var l apiLesson
	if st := fresh.getJSON("/api"+lessonPath(e2eCourse, e2eLesson), &l); st != http.StatusOK {
		t.Fatalf("GET lesson after restart: status %d: %s", st, l.Error)
	}
	if !l.Done {
		t.Errorf("lesson after restart = %+v, want done", l)
	}
}

func TestUserAddCommand(t *testing.T) {
	dir := t.TempDir()
	const (
		email    = "lena.lead@example.com"
		password = "a-long-password"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	userAdd := func(email, password string) (stdout, stderr string, err error) {
		t.Helper()
		var out, errb bytes.Buffer
		err = Run(ctx, []string{"user", "add", "--data", dir, "--email", email, "--name", "Lena Lead",
			"--role", "lead", "--team", "platform"}, strings.NewReader(password+"\n"), &out, &errb)
		return out.String(), errb.String(), err
	}

	out, errOut, err := userAdd(email, password)
	if err != nil {
		t.Fatalf("opslab user add: %v\nstderr:\n%s", err, errOut)
	}
	if !strings.Contains(out, "created lead user "+email) || !strings.Contains(out, "team platform") {
		t.Errorf("user add printed %q, want it to name the role, the email and the team", out)
	}

	// A password below the minimum is refused and says why.
	const shortEmail = "short@example.com"
	out, _, err = userAdd(shortEmail, "short")
	if err == nil {
		t.Fatalf("user add with a 5-character password succeeded (stdout %q), want an error", out)
	}
	if msg := err.Error(); !strings.Contains(msg, "password") || !strings.Contains(msg, fmt.Sprint(opslab.MinPasswordLength)) {
		t.Errorf("short password error = %q, want it to say the password needs %d characters", msg, opslab.MinPasswordLength)
	}
	if strings.Contains(out, "created") {
		t.Errorf("user add with a short password printed %q", out)
	}

	// The same email twice is refused and says so.
	out, _, err = userAdd(email, "another-long-password")
	if err == nil {
		t.Fatalf("user add with a taken email succeeded (stdout %q), want an error", out)
	}
	if msg := err.Error(); !strings.Contains(msg, "already exists") || !strings.Contains(msg, email) {
		t.Errorf("duplicate email error = %q, want it to say that %s already exists", msg, email)
	}
	var exit exitError
	if errors.As(err, &exit) {
		t.Errorf("duplicate email gave a bare exit status %d, want a message", int(exit))
	}

	// The site, with sign-up closed, lets the added user in and nobody else.
	srv := startServerOn(t, dir, "--signup", "closed")
	c := newAPIClient(t, srv.URL())
	u := c.login(email, password)
	if u.Email != email || u.Role != "lead" || u.Name != "Lena Lead" {
		t.Errorf("signed in as %+v, want %s, role lead, name Lena Lead", u, email)
	}
	var me apiUser
	if st := c.getJSON("/api/me", &me); st != http.StatusOK || me.ID != u.ID {
		t.Errorf("GET /api/me after login: status %d, user %+v", st, me)
	}
	if _, st := newAPIClient(t, srv.URL()).tryLogin(email, "another-long-password"); st != http.StatusUnauthorized {
		t.Errorf("login with the duplicate attempt's password: status %d, want 401 (the first account must be unchanged)", st)
	}
	if _, st := newAPIClient(t, srv.URL()).tryLogin(shortEmail, "short"); st != http.StatusUnauthorized {
		t.Errorf("login as the refused short-password user: status %d, want 401", st)
	}
	var reg apiUser
	if st := newAPIClient(t, srv.URL()).postJSON("/api/register",
		map[string]string{"email": "new@example.com", "name": "New", "password": "a-long-password"}, &reg); st != http.StatusForbidden {
		t.Errorf("register with --signup closed: status %d, want 403", st)
	}
}
