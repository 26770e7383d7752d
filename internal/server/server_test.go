package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit/dbkit"
	"golang.org/x/crypto/bcrypt"
)

const (
	courseSlug = "demo"
	lessonPath = "/api/courses/demo/lessons/first"
)

// testSite is a real router over a real SQLite file and a real content tree.
type testSite struct {
	*httptest.Server
	srv   *server.Server
	users *sqlite.UserService
}

func newSite(t testing.TB, signupOpen bool) *testSite {
	t.Helper()
	return newSiteWith(t, signupOpen, os.DirFS("../markdown/testdata/good"))
}

// newSiteWith serves the content tree fsys.
func newSiteWith(t testing.TB, signupOpen bool, fsys fs.FS) *testSite {
	t.Helper()
	db := dbkit.Open(t)
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	srv, err := server.New(server.Config{
		Users:      users,
		Teams:      sqlite.NewTeamService(db),
		Progress:   sqlite.NewProgressService(db),
		SessionKey: bytes.Repeat([]byte("k"), 32),
		SignupOpen: signupOpen,
	})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := course.Load(fsys, markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetCatalog(cat)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &testSite{Server: ts, srv: srv, users: users}
}

// client is a browser-less API client with its own cookie jar.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func (s *testSite) client(t testing.TB) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: s.URL, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// do sends a request and returns the status, headers and body.
func (c *client) do(method, path, body string, header ...string) (int, http.Header, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func (c *client) register(email string) {
	c.t.Helper()
	st, _, body := c.do("POST", "/api/register", `{"email":"`+email+`","name":"Ada","password":"correct-horse-1"}`)
	if st != http.StatusCreated {
		c.t.Fatalf("register: %d %s", st, body)
	}
}

func errorOf(t testing.TB, body string) string {
	t.Helper()
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
		t.Fatalf("not a JSON error: %q", body)
	}
	return e.Error
}

func TestSessions(t *testing.T) {
	site := newSite(t, true)
	t.Run("RegisterLoginLogout", func(t *testing.T) {
		c := site.client(t)
		c.register("ada@example.com")
		if st, _, _ := c.do("GET", "/api/me/progress", ""); st != 200 {
			t.Fatalf("after register: %d", st)
		}
		if st, _, _ := c.do("POST", "/api/logout", ""); st != 204 {
			t.Fatalf("logout: %d", st)
		}
		if st, _, body := c.do("GET", "/api/me/progress", ""); st != 401 {
			t.Fatalf("after logout: %d %s", st, body)
		}
		st, h, body := c.do("POST", "/api/login", `{"email":"ADA@example.com","password":"correct-horse-1"}`)
		if st != 200 {
			t.Fatalf("login: %d %s", st, body)
		}
		ck := h.Get("Set-Cookie")
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(ck, want) {
				t.Errorf("cookie %q lacks %s", ck, want)
			}
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		c := site.client(t)
		st, _, body := c.do("POST", "/api/login", `{"email":"ada@example.com","password":"wrong-password"}`)
		if st != 401 {
			t.Fatalf("got %d %s", st, body)
		}
		errorOf(t, body)
	})
	t.Run("ErrDuplicateEmail", func(t *testing.T) {
		c := site.client(t)
		st, _, body := c.do("POST", "/api/register", `{"email":"ada@example.com","name":"Ada","password":"correct-horse-1"}`)
		if st != 409 {
			t.Fatalf("got %d %s", st, body)
		}
	})
	t.Run("ErrShortPassword", func(t *testing.T) {
		c := site.client(t)
		st, _, body := c.do("POST", "/api/register", `{"email":"bob@example.com","name":"Bob","password":"short"}`)
		if st != 400 || !strings.Contains(errorOf(t, body), "at least") {
			t.Fatalf("got %d %s", st, body)
		}
	})
	t.Run("ErrThrottled", func(t *testing.T) {
		c := site.client(t)
		c.register("eve@example.com")
		var st int
		var h http.Header
		for i := 0; i < 6; i++ {
			st, h, _ = c.do("POST", "/api/login", `{"email":"eve@example.com","password":"not-her-password"}`)
		}
		if st != 429 || h.Get("Retry-After") == "" {
			t.Fatalf("sixth wrong password: %d, Retry-After %q", st, h.Get("Retry-After"))
		}
		// The right password is refused too while throttled.
		if st, _, _ := c.do("POST", "/api/login", `{"email":"eve@example.com","password":"correct-horse-1"}`); st != 429 {
			t.Fatalf("right password while throttled: %d", st)
		}
		// Another account is not locked by eve's failures.
		if st, _, _ := c.do("POST", "/api/login", `{"email":"ada@example.com","password":"correct-horse-1"}`); st != 200 {
			t.Fatalf("other account: %d", st)
		}
	})
}

func TestSignupClosed(t *testing.T) {
	site := newSite(t, false)
	c := site.client(t)
	st, _, body := c.do("POST", "/api/register", `{"email":"a@example.com","name":"A","password":"correct-horse-1"}`)
	if st != 403 {
		t.Fatalf("got %d %s", st, body)
	}
	if st, _, _ := c.do("GET", "/register", ""); st != 403 {
		t.Fatalf("register page: %d", st)
	}
}

func TestLearningAPI(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	c.register("ada@example.com")

	st, _, body := c.do("GET", "/api/courses", "")
	if st != 200 {
		t.Fatalf("courses: %d %s", st, body)
	}
	var courses []struct {
		Slug    string
		Title   string
		Lessons []struct {
			Slug      string
			Title     string
			Completed bool
		}
	}
	if err := json.Unmarshal([]byte(body), &courses); err != nil || len(courses) != 1 || len(courses[0].Lessons) != 2 {
		t.Fatalf("courses body: %s (%v)", body, err)
	}

	st, _, body = c.do("GET", lessonPath, "")
	if st != 200 {
		t.Fatalf("lesson: %d %s", st, body)
	}
	if strings.Contains(body, "ZADD board 1 alice") {
		t.Error("the lesson API must not reveal solutions")
	}
	var lesson struct {
		Slug, Title string
		Exercises   []struct {
			ID, Title, Sandbox string
			Passed             bool
		}
	}
	_ = json.Unmarshal([]byte(body), &lesson)
	if lesson.Slug != "first" || len(lesson.Exercises) != 1 || lesson.Exercises[0].Sandbox != "redis" {
		t.Fatalf("lesson body: %s", body)
	}

	// Lesson "second" has no exercise: marking it done completes it.
	st, _, body = c.do("POST", "/api/courses/demo/lessons/second/complete", `{"done":true}`)
	if st != 200 || !strings.Contains(body, `"completed":true`) {
		t.Fatalf("complete: %d %s", st, body)
	}
	// Lesson "first" has an exercise: done is recorded, completion waits.
	st, _, body = c.do("POST", lessonPath+"/complete", "")
	if st != 200 || !strings.Contains(body, `"done":true`) || !strings.Contains(body, `"completed":false`) {
		t.Fatalf("complete first: %d %s", st, body)
	}
	st, _, body = c.do("GET", "/api/me/progress", "")
	want := `{"courses":[{"slug":"demo","completed_lessons":1,"total_lessons":2,"passed_exercises":0,"total_exercises":1,"percent":75}]}`
	if st != 200 || strings.TrimSpace(body) != want {
		t.Fatalf("progress: %d %s\nwant %s", st, body, want)
	}
	if st, _, body := c.do("POST", lessonPath+"/activity", `{"seconds":30}`); st != 204 {
		t.Fatalf("activity: %d %s", st, body)
	}
	// Undo.
	if st, _, body := c.do("POST", "/api/courses/demo/lessons/second/complete", `{"done":false}`); st != 200 || !strings.Contains(body, `"completed":false`) {
		t.Fatalf("undo: %d %s", st, body)
	}
}

func TestBadInput(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	c.register("ada@example.com")
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"MalformedJSON", "POST", "/api/login", `{"email":`, 400},
		{"NotAnObject", "POST", "/api/login", `[1,2]`, 400},
		{"TwoObjects", "POST", "/api/login", `{} {}`, 400},
		{"EmptyBody", "POST", "/api/register", ``, 400},
		{"OversizedBody", "POST", "/api/login", `{"email":"` + strings.Repeat("a", 2<<20) + `"}`, 413},
		{"UnknownCourse", "GET", "/api/courses/nope/lessons/first", "", 404},
		{"UnknownLesson", "GET", "/api/courses/demo/lessons/nope", "", 404},
		{"TraversalAPI", "GET", "/api/courses/demo/lessons/..%2f..%2fcourse.yaml", "", 404},
		{"TraversalPage", "GET", "/courses/demo/lessons/..%2f..%2fetc%2fpasswd", "", 404},
		{"TraversalStatic", "GET", "/static/x/..%2f..%2fembed.go", "", 404},
		{"UnknownAPI", "GET", "/api/nope", "", 404},
		{"ActivityOutOfRange", "POST", lessonPath + "/activity", `{"seconds":100000}`, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, h, body := c.do(tc.method, tc.path, tc.body)
			if st != tc.status {
				t.Fatalf("got %d, want %d: %.200s", st, tc.status, body)
			}
			if strings.HasPrefix(tc.path, "/api/") {
				if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
					t.Errorf("content type %q", h.Get("Content-Type"))
				}
				errorOf(t, body)
			}
		})
	}
	// The server still serves after all of that.
	if st, _, _ := c.do("GET", "/api/me/progress", ""); st != 200 {
		t.Fatalf("after bad input: %d", st)
	}
}

func TestUnauthenticated(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	for _, p := range []string{"/api/courses", lessonPath, "/api/me/progress"} {
		if st, _, body := c.do("GET", p, ""); st != 401 {
			t.Errorf("%s: %d %s", p, st, body)
		} else {
			errorOf(t, body)
		}
	}
	st, h, _ := c.do("GET", "/courses/demo/lessons/first", "")
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/login?next=") {
		t.Errorf("lesson page without a session: %d %s", st, h.Get("Location"))
	}
	if st, _, _ := c.do("GET", "/", ""); st != 200 {
		t.Errorf("catalogue: %d", st)
	}
}

func TestCrossSiteRefused(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	c.register("ada@example.com")
	st, _, body := c.do("POST", lessonPath+"/complete", `{"done":true}`, "Sec-Fetch-Site", "cross-site")
	if st != 403 {
		t.Fatalf("cross-site fetch: %d %s", st, body)
	}
	st, _, _ = c.do("POST", "/logout", "", "Origin", "https://evil.example", "Sec-Fetch-Site", "")
	if st != 403 {
		t.Fatalf("cross-origin form: %d", st)
	}
	st, _, _ = c.do("POST", lessonPath+"/complete", `{"done":true}`, "Sec-Fetch-Site", "same-origin")
	if st != 200 {
		t.Fatalf("same-origin: %d", st)
	}
}

func TestEscapedOutput(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	st, _, body := c.do("POST", "/api/register", `{"email":"x@example.com","name":"<script>alert(1)</script>","password":"correct-horse-1"}`)
	if st != 201 {
		t.Fatalf("register: %d %s", st, body)
	}
	for _, p := range []string{"/", "/courses/demo", "/courses/demo/lessons/first"} {
		st, h, page := c.do("GET", p, "")
		if st != 200 {
			t.Fatalf("%s: %d", p, st)
		}
		if strings.Contains(page, "<script>alert(1)</script>") {
			t.Errorf("%s: the name was not escaped", p)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the escaped name is missing", p)
		}
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", p, csp)
		}
		// Only the lesson page, whose cards host xterm.js terminals, lets
		// styles be inline; scripts never are.
		wantStyle := "style-src 'self';"
		if strings.Contains(p, "/lessons/") {
			wantStyle = "style-src 'self' 'unsafe-inline';"
		}
		if !strings.Contains(csp, wantStyle) {
			t.Errorf("%s: CSP %q, want %s", p, csp, wantStyle)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: security headers missing", p)
		}
	}
}

func TestLessonPage(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	c.register("ada@example.com")
	st, _, page := c.do("GET", "/courses/demo/lessons/first", "")
	if st != 200 {
		t.Fatalf("lesson page: %d", st)
	}
	for _, want := range []string{`class="toc"`, `href="#sorted-sets"`, `<pre class="chroma">`, `class="exercise"`, `rel="next"`, `5 min`} {
		if !strings.Contains(page, want) {
			t.Errorf("lesson page lacks %q", want)
		}
	}
	// The plain form works without script and redirects back.
	st, h, _ := c.do("POST", "/courses/demo/lessons/second/done", "done=true", "Content-Type", "application/x-www-form-urlencoded")
	if st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/courses/demo/lessons/second") {
		t.Fatalf("done form: %d %s", st, h.Get("Location"))
	}
	_, _, page = c.do("GET", "/courses/demo", "")
	if !strings.Contains(page, `status-completed`) {
		t.Error("the course page does not show the completed lesson")
	}
}

func TestOperations(t *testing.T) {
	site := newSite(t, true)
	c := site.client(t)
	if st, _, _ := c.do("GET", "/healthz", ""); st != 200 {
		t.Errorf("healthz: %d", st)
	}
	st, _, body := c.do("GET", "/readyz", "")
	if st != 200 || !strings.Contains(body, `"lessons":2`) || !strings.Contains(body, `"problems":0`) {
		t.Errorf("readyz: %d %s", st, body)
	}
	c.do("POST", "/api/login", `{"email":"nobody@example.com","password":"whatever-1234"}`)
	_, _, metrics := c.do("GET", "/metrics", "")
	for _, want := range []string{`opslab_http_request_duration_seconds_bucket{code="200",method="GET",route="/readyz"`, `opslab_signins_total{result="failed"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestNotReadyWithoutContent(t *testing.T) {
	db := dbkit.Open(t)
	srv, err := server.New(server.Config{Users: sqlite.NewUserService(db), Teams: sqlite.NewTeamService(db),
		Progress: sqlite.NewProgressService(db), SessionKey: bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 {
		t.Fatalf("readyz before content: %d", rec.Code)
	}
}
