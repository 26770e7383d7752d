package main

// End-to-end tests of the labs: a real "opslab serve" with real sandboxes
// (redis-server child processes and in-process Kafka brokers), driven
// through the JSON API exactly as the contract in /work/shared/spec/api.md
// writes it, against a course the project has never seen
// (testdata/unseen), and against the real clients learners bring
// (redis-cli, kcat). One test builds the binary and kills it with SIGKILL
// to prove that no sandbox outlives the server.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/testkit"
)

// The course in testdata/unseen: written for these tests only.
const (
	unseenContent     = "testdata/unseen"
	unseenCourse      = "ops-drills"
	unseenCourseTitle = "Ops Drills"
	unseenLesson      = "warmup" // from the file name 01-warmup.md
	unseenLessonTitle = "Warm-up Drills"
	unseenRedisEx     = "cache-lfu"
	unseenKafkaEx     = "orders-topic"
)

// The first exercise of lesson 11 of the built-in course.
const builtinRedisEx = "user-profile-hash"

// labTimeout bounds the waits of these tests; it catches hangs and says
// nothing about speed.
const labTimeout = 30 * time.Second

// exercisePath is the API path of an exercise; the calls append /start,
// /exec and so on.
func exercisePath(course, lesson, exercise string) string {
	return "/api" + lessonPath(course, lesson) + "/exercises/" + exercise
}

// startLabServer is startServer that also removes the sandbox scratch
// directory when the test ends: for a long data path it lies outside the
// data directory (see sandboxScratchDir), where t.TempDir does not reach.
// The removal is registered first, so it runs after the server stopped.
func startLabServer(t *testing.T, extraArgs ...string) *testServer {
	t.Helper()
	data := t.TempDir()
	scratch, err := sandboxScratchDir(data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(scratch) })
	return startServerOn(t, data, extraArgs...)
}

// labRequireTool returns the path of a command-line tool the test needs.
// Without it the test is skipped, except in CI, where it fails.
func labRequireTool(t testing.TB, name string) string {
	t.Helper()
	return testkit.RequireTool(t, name, "install it (make deps-test)")
}

// labStarted is the answer of POST …/start and …/reset.
type labStarted struct {
	Status  string `json:"status"`
	Sandbox string `json:"sandbox"`
	Fresh   bool   `json:"fresh"`
	Notice  string `json:"notice"`
	Connect string `json:"connect"`
	Error   string `json:"error"`
}

// labCheckItem is one check of a report.
type labCheckItem struct {
	Passed  bool   `json:"passed"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// labReport is the answer of POST …/check, and the live "checks" of exec.
type labReport struct {
	Passed   bool               `json:"passed"`
	Checks   []labCheckItem     `json:"checks"`
	TimedOut bool               `json:"timed_out"`
	Progress *apiCourseProgress `json:"progress"`
	Error    string             `json:"error"`
}

// labExecuted is the answer of POST …/exec.
type labExecuted struct {
	Output *string    `json:"output"`
	Notice string     `json:"notice"`
	Checks *labReport `json:"checks"`
	Error  string     `json:"error"`
}

// labLesson is the answer of GET /api/courses/{c}/lessons/{l}.
type labLesson struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Done      bool   `json:"done"`
	Completed bool   `json:"completed"`
	Exercises []struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Sandbox string `json:"sandbox"`
		Passed  bool   `json:"passed"`
	} `json:"exercises"`
	Error string `json:"error"`
}

// passed reports whether the lesson lists exercise id as passed.
func (l labLesson) passed(id string) bool {
	for _, e := range l.Exercises {
		if e.ID == id {
			return e.Passed
		}
	}
	return false
}

// labStart starts an exercise; anything but 200 and "ready" fails the test.
func (c *apiClient) labStart(ex string) labStarted {
	c.t.Helper()
	var s labStarted
	if st := c.postJSON(ex+"/start", nil, &s); st != http.StatusOK || s.Status != "ready" {
		c.t.Fatalf("POST %s/start: status %d, answer %+v; want 200 and status ready", ex, st, s)
	}
	return s
}

// labExec runs one console command; anything but 200 with an "output"
// fails the test.
func (c *apiClient) labExec(ex, command string) labExecuted {
	c.t.Helper()
	var res labExecuted
	st := c.postJSON(ex+"/exec", map[string]string{"command": command}, &res)
	if st != http.StatusOK || res.Output == nil {
		c.t.Fatalf("POST %s/exec %q: status %d, answer %+v; want 200 and an output", ex, command, st, res)
	}
	return res
}

// labOutput runs one console command and returns its output.
func (c *apiClient) labOutput(ex, command string) string {
	c.t.Helper()
	return *c.labExec(ex, command).Output
}

// labWantOutput runs one console command and fails the test unless it
// prints exactly want.
func (c *apiClient) labWantOutput(ex, command, want string) {
	c.t.Helper()
	if got := c.labOutput(ex, command); got != want {
		c.t.Errorf("exec %q printed %q, want %q", command, got, want)
	}
}

// labCheck presses Check; anything but 200 fails the test.
func (c *apiClient) labCheck(ex string) labReport {
	c.t.Helper()
	var r labReport
	if st := c.postJSON(ex+"/check", nil, &r); st != http.StatusOK {
		c.t.Fatalf("POST %s/check: status %d, want 200: %s", ex, st, r.Error)
	}
	return r
}

// labStop stops the exercise's sandbox; anything but 204 and no body fails
// the test.
func (c *apiClient) labStop(ex string) {
	c.t.Helper()
	st, body := c.do(http.MethodPost, ex+"/stop", nil)
	if st != http.StatusNoContent || len(body) != 0 {
		c.t.Fatalf("POST %s/stop: status %d, body %q; want 204 and no body", ex, st, body)
	}
}

// labRaw sends a request with a raw body and returns the status, the
// headers and the body.
func (c *apiClient) labRaw(method, path, contentType string, body []byte) (int, http.Header, []byte) {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s (%d-byte body): %v", method, path, len(body), err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, b
}

// wantAPIError fails the test unless an answer has the status want and is
// a JSON {"error": "<sentence>"}.
func wantAPIError(t testing.TB, what string, status int, h http.Header, body []byte, want int) string {
	t.Helper()
	if status != want {
		t.Errorf("%s: status %d, want %d (body %.300s)", what, status, want, body)
		return ""
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want application/json", what, ct)
	}
	var e map[string]any
	if err := json.Unmarshal(body, &e); err != nil {
		t.Errorf("%s: body is not JSON (%v): %.300s", what, err, body)
		return ""
	}
	msg, _ := e["error"].(string)
	if len(e) != 1 || strings.TrimSpace(msg) == "" {
		t.Errorf(`%s: body %s, want exactly {"error": "<sentence>"}`, what, body)
	}
	return msg
}

// unseenCatalog loads testdata/unseen as the server will, failing the
// test if the fixture has any problem: the fixture must be valid content.
func unseenCatalog(t *testing.T) *course.Lesson {
	t.Helper()
	cat, err := loadContent(unseenContent, markdown.New())
	if err != nil {
		t.Fatalf("load %s: %v", unseenContent, err)
	}
	for _, p := range cat.Problems {
		t.Errorf("fixture problem: %s", p)
	}
	c, ok := cat.Course(unseenCourse)
	if !ok || len(cat.Courses) != 1 {
		t.Fatalf("%s holds %d courses, want exactly %q", unseenContent, len(cat.Courses), unseenCourse)
	}
	l, ok := c.Lesson(unseenLesson)
	if !ok || len(l.Exercises) != 2 {
		t.Fatalf("course %s has no lesson %q with two exercises", unseenCourse, unseenLesson)
	}
	return l
}

// linesOf splits output into its lines, without the final newline.
func linesOf(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func TestLabAPIUnseenCourse(t *testing.T) {
	labRequireTool(t, "redis-server")
	lesson := unseenCatalog(t)
	redisEx, _ := lesson.Exercise(unseenRedisEx)
	kafkaEx, _ := lesson.Exercise(unseenKafkaEx)
	if redisEx == nil || kafkaEx == nil {
		t.Fatalf("the fixture lesson lacks %s or %s", unseenRedisEx, unseenKafkaEx)
	}

	srv := startLabServer(t, "--content", unseenContent)
	rx := exercisePath(unseenCourse, unseenLesson, unseenRedisEx)
	kx := exercisePath(unseenCourse, unseenLesson, unseenKafkaEx)
	lessonAPI := "/api" + lessonPath(unseenCourse, unseenLesson)

	// Not signed in: 401 with a sentence, for reading and for the labs.
	anon := newAPIClient(t, srv.URL())
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/courses", ""},
		{http.MethodGet, lessonAPI, ""},
		{http.MethodGet, "/api/me/progress", ""},
		{http.MethodPost, rx + "/start", ""},
		{http.MethodPost, rx + "/exec", `{"command":"PING"}`},
		{http.MethodPost, rx + "/check", ""},
		{http.MethodPost, rx + "/stop", ""},
	} {
		var body []byte
		if r.body != "" {
			body = []byte(r.body)
		}
		st, h, b := anon.labRaw(r.method, r.path, "application/json", body)
		wantAPIError(t, "signed out "+r.method+" "+r.path, st, h, b, http.StatusUnauthorized)
	}

	c := newAPIClient(t, srv.URL())
	c.register("unseen.learner@example.com", "Una Seen", "unseen-password-1")

	// The catalogue is the unseen course and nothing else.
	var courses []struct {
		Slug    string `json:"slug"`
		Title   string `json:"title"`
		Lessons []struct {
			Slug      string `json:"slug"`
			Title     string `json:"title"`
			Completed bool   `json:"completed"`
		} `json:"lessons"`
	}
	if st := c.getJSON("/api/courses", &courses); st != http.StatusOK {
		t.Fatalf("GET /api/courses: status %d", st)
	}
	if len(courses) != 1 || courses[0].Slug != unseenCourse || courses[0].Title != unseenCourseTitle ||
		len(courses[0].Lessons) != 1 || courses[0].Lessons[0].Slug != unseenLesson ||
		courses[0].Lessons[0].Title != unseenLessonTitle || courses[0].Lessons[0].Completed {
		t.Fatalf("GET /api/courses = %+v, want only %s with the lesson %s (%q), not completed",
			courses, unseenCourse, unseenLesson, unseenLessonTitle)
	}

	// The lesson lists its exercises, never their solutions: not in the
	// JSON, not in the page.
	st, body := c.do(http.MethodGet, lessonAPI, nil)
	if st != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", lessonAPI, st, body)
	}
	var l labLesson
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatalf("GET %s: %v: %s", lessonAPI, err, body)
	}
	if l.Slug != unseenLesson || l.Title != unseenLessonTitle || l.Completed || len(l.Exercises) != 2 ||
		l.Exercises[0].ID != unseenRedisEx || l.Exercises[0].Sandbox != "redis" || l.Exercises[0].Passed ||
		l.Exercises[1].ID != unseenKafkaEx || l.Exercises[1].Sandbox != "kafka" || l.Exercises[1].Passed ||
		l.Exercises[0].Title != redisEx.Title || l.Exercises[1].Title != kafkaEx.Title {
		t.Errorf("GET %s = %s, want the two exercises of the fixture, in order, not passed", lessonAPI, body)
	}
	st, page := c.do(http.MethodGet, lessonPath(unseenCourse, unseenLesson), nil)
	if st != http.StatusOK || !bytes.Contains(page, []byte(`data-exercise="`+unseenKafkaEx+`"`)) {
		t.Errorf("GET the lesson page: status %d, want 200 with the %s card", st, unseenKafkaEx)
	}
	if bytes.Contains(bytes.ToLower(body), []byte("solution")) {
		t.Errorf("GET %s mentions a solution: %s", lessonAPI, body)
	}
	for _, ex := range []*course.Exercise{redisEx, kafkaEx} {
		for _, line := range ex.Solution {
			if bytes.Contains(body, []byte(line)) {
				t.Errorf("GET %s holds the solution line %q", lessonAPI, line)
			}
			if strings.Contains(line, `"`) {
				continue // HTML escapes it; the line has no unique unquoted form
			}
			if bytes.Contains(page, []byte(line)) {
				t.Errorf("the lesson page holds the solution line %q", line)
			}
		}
	}

	// --- Redis exercise ---
	s := c.labStart(rx)
	if s.Sandbox != "redis" || !s.Fresh || s.Connect != "" {
		t.Errorf("first start = %+v, want a fresh redis sandbox and no connect line (no public host)", s)
	}
	if s = c.labStart(rx); s.Fresh {
		t.Errorf("second start = %+v, want the running sandbox reused (fresh false)", s)
	}

	rep := c.labCheck(rx)
	if rep.Passed || len(rep.Checks) != len(redisEx.Checks) || rep.Progress == nil {
		t.Fatalf("check before the solution = %+v, want failed with %d checks and the progress", rep, len(redisEx.Checks))
	}
	for i, ch := range rep.Checks {
		if ch.Passed || strings.TrimSpace(ch.Message) == "" {
			t.Errorf("check %d before the solution = %+v, want failed with a message", i+1, ch)
		}
		if m := redisEx.Checks[i].Message; m != "" && ch.Message != m {
			t.Errorf("check %d message %q, want the author's %q", i+1, ch.Message, m)
		}
	}
	if m := rep.Checks[2].Message; !strings.Contains(m, "HGETALL cache:meta") {
		t.Errorf("check 3 has no author message; the platform wrote %q, want it to name the probe", m)
	}

	// Every solution line, typed into the console, prints what redis-cli
	// prints.
	wantRedis := map[string]string{
		"CONFIG SET maxmemory-policy allkeys-lfu":         "OK\n",
		"INCR cache:hits":                                 "(integer) 1\n",
		`HSET cache:meta owner "platform team" tier gold`: "(integer) 2\n",
	}
	var last labExecuted
	for _, line := range redisEx.Solution {
		want, ok := wantRedis[line]
		if !ok {
			t.Fatalf("the fixture's solution line %q has no expected output in this test", line)
		}
		last = c.labExec(rx, line)
		if *last.Output != want {
			t.Errorf("exec %q printed %q, want %q", line, *last.Output, want)
		}
		if last.Checks == nil || len(last.Checks.Checks) != len(redisEx.Checks) {
			t.Errorf("exec %q answered no live checks: %+v", line, last)
		}
	}
	if last.Checks == nil || !last.Checks.Passed {
		t.Errorf("live checks after the last solution line = %+v, want passed", last.Checks)
	}
	c.labWantOutput(rx, "HGET cache:meta owner", "\"platform team\"\n")
	c.labWantOutput(rx, "CONFIG GET maxmemory-policy", "1) \"maxmemory-policy\"\n2) \"allkeys-lfu\"\n")
	c.labWantOutput(rx, "GET no:such:key", "(nil)\n")
	c.labWantOutput(rx, "redis-cli TYPE cache:meta", "hash\n")
	c.labWantOutput(rx, "  ", "")

	// Refused and unparsable commands are outputs, as redis-cli prints them.
	for _, cmd := range []string{"CONFIG SET dir /tmp", "DEBUG SLEEP 0", "SHUTDOWN NOSAVE", "CONFIG SET maxmemory 0", "MONITOR"} {
		if out := c.labOutput(rx, cmd); !strings.HasPrefix(out, "(error) ") || !strings.HasSuffix(out, "\n") {
			t.Errorf("exec %q printed %q, want a redis-cli error line \"(error) …\"", cmd, out)
		}
	}
	c.labWantOutput(rx, "DEBUG SLEEP 0", "(error) NOPERM this user has no permissions to run the 'debug' command\n")
	c.labWantOutput(rx, `SET k "unbalanced`, "Invalid argument(s)\n")
	c.labWantOutput(rx, "PING", "PONG\n") // SHUTDOWN was refused: the server still runs
	c.labWantOutput(rx, "CONFIG GET maxmemory-policy", "1) \"maxmemory-policy\"\n2) \"allkeys-lfu\"\n")

	rep = c.labCheck(rx)
	if !rep.Passed || len(rep.Checks) != len(redisEx.Checks) {
		t.Fatalf("check after the solution = %+v, want passed", rep)
	}
	for i, ch := range rep.Checks {
		if !ch.Passed {
			t.Errorf("check %d after the solution = %+v, want passed", i+1, ch)
		}
	}
	if rep.Progress == nil || rep.Progress.PassedExercises != 1 || rep.Progress.TotalExercises != 2 {
		t.Errorf("progress in the check answer = %+v, want 1 of 2 exercises passed", rep.Progress)
	}

	// --- Kafka exercise ---
	s = c.labStart(kx)
	if s.Sandbox != "kafka" || !s.Fresh {
		t.Errorf("kafka start = %+v, want a fresh kafka sandbox", s)
	}
	rep = c.labCheck(kx)
	if rep.Passed || len(rep.Checks) != len(kafkaEx.Checks) {
		t.Fatalf("kafka check before the solution = %+v, want failed with %d checks", rep, len(kafkaEx.Checks))
	}
	for i, ch := range rep.Checks {
		if ch.Passed || strings.TrimSpace(ch.Message) == "" {
			t.Errorf("kafka check %d before the solution = %+v, want failed with a message", i+1, ch)
		}
	}
	c.labWantOutput(kx, "kafka-topics --list", "audit\n") // the setup made it
	for i, line := range kafkaEx.Solution {
		out := c.labOutput(kx, line)
		switch i {
		case 0:
			if out != "Created topic orders.\n" {
				t.Errorf("exec %q printed %q, want %q", line, out, "Created topic orders.\n")
			}
		case 1:
			if out != "" {
				t.Errorf("exec %q printed %q, want nothing (the producer is silent)", line, out)
			}
		case 2:
			got := linesOf(out)
			if len(got) != 3 || got[2] != "Processed a total of 2 messages" {
				t.Errorf("exec %q printed %q, want the two records and the summary line", line, out)
				break
			}
			recs := got[:2]
			slices.Sort(recs)
			if !slices.Equal(recs, []string{"o-1", "o-2"}) {
				t.Errorf("exec %q printed the records %q, want o-1 and o-2", line, got[:2])
			}
		}
	}
	c.labWantOutput(kx, "kafka-topics --list --bootstrap-server kafka:9092", "audit\norders\n")
	if out := c.labOutput(kx, "kafka-topics --describe --topic orders"); !strings.Contains(out, "PartitionCount: 3") ||
		!strings.Contains(out, "retention.ms=3600000") {
		t.Errorf("kafka-topics --describe printed %q, want 3 partitions and the retention override", out)
	}
	if out := c.labOutput(kx, "kafka-consumer-groups --describe --group billing"); !strings.Contains(out, "Consumer group 'billing' has no active members.") {
		t.Errorf("kafka-consumer-groups --describe printed %q, want the idle billing group", out)
	}
	if out := c.labOutput(kx, "kafka-topics --describe --topic nope"); !strings.Contains(out, "nope") {
		t.Errorf("describe of a missing topic printed %q, want the tool's error naming it", out)
	}
	rep = c.labCheck(kx)
	if !rep.Passed {
		t.Fatalf("kafka check after the solution = %+v, want passed", rep)
	}

	// Progress: both exercises passed, so the only lesson is completed.
	p := c.progress().course(t, unseenCourse)
	if p.PassedExercises != 2 || p.TotalExercises != 2 || p.CompletedLessons != 1 || p.TotalLessons != 1 || p.Percent != 100 {
		t.Errorf("progress = %+v, want 2 of 2 exercises, 1 of 1 lessons, 100%%", p)
	}
	var l2 labLesson
	if st := c.getJSON(lessonAPI, &l2); st != http.StatusOK || !l2.Completed || !l2.passed(unseenRedisEx) || !l2.passed(unseenKafkaEx) {
		t.Errorf("lesson after both checks = %+v (status %d), want completed with both exercises passed", l2, st)
	}
	if c.getJSON("/api/courses", &courses) != http.StatusOK || len(courses) != 1 || !courses[0].Lessons[0].Completed {
		t.Errorf("GET /api/courses after both checks = %+v, want the lesson completed", courses)
	}

	// --- Bad input ---
	huge := append(append([]byte(`{"command":"SET big `), bytes.Repeat([]byte("x"), 2<<20)...), `"}`...)
	st, h, b := c.labRaw(http.MethodPost, rx+"/exec", "application/json", huge)
	wantAPIError(t, "exec with a 2 MB body", st, h, b, http.StatusRequestEntityTooLarge)
	long := mustJSON(t, map[string]string{"command": "SET big " + strings.Repeat("x", 17<<10)})
	st, h, b = c.labRaw(http.MethodPost, rx+"/exec", "application/json", long)
	wantAPIError(t, "exec of a 17 KiB command", st, h, b, http.StatusRequestEntityTooLarge)
	for _, bad := range []string{`{}`, `{"command":`, `not json`, `{"command": 5}`, `{"command":"PING"} {"command":"PING"}`, ``} {
		st, h, b := c.labRaw(http.MethodPost, rx+"/exec", "application/json", []byte(bad))
		wantAPIError(t, fmt.Sprintf("exec with the body %q", bad), st, h, b, http.StatusBadRequest)
	}
	ping := []byte(`{"command":"PING"}`)
	for _, r := range []struct{ method, path string }{
		{http.MethodPost, exercisePath(unseenCourse, unseenLesson, "no-such-exercise") + "/exec"},
		{http.MethodPost, exercisePath(unseenCourse, unseenLesson, "no-such-exercise") + "/start"},
		{http.MethodPost, exercisePath(unseenCourse, unseenLesson, "no-such-exercise") + "/check"},
		{http.MethodPost, exercisePath(unseenCourse, "no-such-lesson", unseenRedisEx) + "/exec"},
		{http.MethodPost, exercisePath(unseenCourse, "no-such-lesson", unseenRedisEx) + "/start"},
		{http.MethodGet, "/api" + lessonPath(unseenCourse, "no-such-lesson")},
		{http.MethodGet, "/api" + lessonPath("no-such-course", unseenLesson)},
		{http.MethodPost, exercisePath(e2eCourse, e2eLesson, builtinRedisEx) + "/exec"}, // not served with --content
		{http.MethodPost, rx + "/hints/99"},
	} {
		var body []byte
		if r.method == http.MethodPost {
			body = ping
		}
		st, h, b := c.labRaw(r.method, r.path, "application/json", body)
		wantAPIError(t, r.method+" "+r.path, st, h, b, http.StatusNotFound)
	}

	// Hints and the solution are recorded; the solution is shown, never applied.
	if st, body := c.do(http.MethodPost, rx+"/hints/1", nil); st != http.StatusNoContent || len(body) != 0 {
		t.Errorf("POST hints/1: status %d, body %q; want 204", st, body)
	}
	var sol struct {
		Solution []string `json:"solution"`
	}
	if st := c.postJSON(kx+"/solution", nil, &sol); st != http.StatusOK || !slices.Equal(sol.Solution, kafkaEx.Solution) {
		t.Errorf("POST solution: status %d, %q; want 200 and the fixture's solution", st, sol.Solution)
	}

	// Reset starts the exercise over on a fresh sandbox; progress stays.
	if s := c.labStart(rx); s.Fresh {
		t.Errorf("start of a running sandbox = %+v, want it reused", s)
	}
	var rs labStarted
	if st := c.postJSON(rx+"/reset", nil, &rs); st != http.StatusOK || rs.Status != "ready" || !rs.Fresh {
		t.Errorf("POST reset: status %d, %+v; want 200, ready and a fresh sandbox", st, rs)
	}
	c.labWantOutput(rx, "GET cache:hits", "(nil)\n")
	if rep := c.labCheck(rx); rep.Passed {
		t.Errorf("check right after reset = %+v, want failed: the sandbox is back at the setup", rep)
	}

	// Stop tears the sandbox down: a command afterwards runs in a fresh one,
	// set up again, and says so.
	c.labStop(rx)
	c.labStop(rx) // stopping what is not running is no error
	after := c.labExec(rx, "EXISTS cache:hits cache:meta")
	if *after.Output != "(integer) 0\n" || after.Notice == "" {
		t.Errorf("exec after stop = %q (notice %q), want (integer) 0 from a fresh sandbox and a notice", *after.Output, after.Notice)
	}
	c.labWantOutput(rx, "CONFIG GET maxmemory-policy", "1) \"maxmemory-policy\"\n2) \"noeviction\"\n")
	c.labStop(rx)
	c.labStop(kx)
	if p := c.progress().course(t, unseenCourse); p.PassedExercises != 2 || p.CompletedLessons != 1 {
		t.Errorf("progress after stopping the sandboxes = %+v, want it kept", p)
	}
}

// mustJSON encodes v.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encode %v: %v", v, err)
	}
	return b
}

func TestLabIsolation(t *testing.T) {
	labRequireTool(t, "redis-server")
	unseenCatalog(t)
	srv := startLabServer(t, "--content", unseenContent)
	rx := exercisePath(unseenCourse, unseenLesson, unseenRedisEx)
	kx := exercisePath(unseenCourse, unseenLesson, unseenKafkaEx)

	a := newAPIClient(t, srv.URL())
	a.register("alice.isolated@example.com", "Alice", "alice-password-1")
	b := newAPIClient(t, srv.URL())
	b.register("bob.isolated@example.com", "Bob", "bob-password-12")

	// Alice makes data in both of her sandboxes and passes the Redis exercise.
	a.labStart(rx)
	a.labWantOutput(rx, `SET secret:alice "alice only"`, "OK\n")
	for _, line := range []string{"CONFIG SET maxmemory-policy allkeys-lfu", "INCR cache:hits", `HSET cache:meta owner "platform team" tier gold`} {
		a.labExec(rx, line)
	}
	a.labWantOutput(rx, "DEL secret:alice", "(integer) 1\n") // the check wants exactly the two drill keys
	if rep := a.labCheck(rx); !rep.Passed {
		t.Fatalf("alice's check = %+v, want passed", rep)
	}
	a.labWantOutput(rx, `SET secret:alice "alice only"`, "OK\n")
	a.labStart(kx)
	a.labWantOutput(kx, "kafka-topics --create --topic alice-events --partitions 1", "Created topic alice-events.\n")
	a.labWantOutput(kx, "kafka-console-producer --topic alice-events --message private", "")
	a.labWantOutput(kx, "kafka-console-consumer --topic alice-events --group alice-group --from-beginning --max-messages 1",
		"private\nProcessed a total of 1 messages\n")
	aliceDir := a.labOutput(rx, "CONFIG GET dir")

	// Bob, in the same lesson and exercises, sees none of it by any route.
	b.labStart(rx)
	b.labWantOutput(rx, "GET secret:alice", "(nil)\n")
	b.labWantOutput(rx, "EXISTS secret:alice cache:hits cache:meta", "(integer) 0\n")
	b.labWantOutput(rx, "KEYS *", "(empty array)\n")
	b.labWantOutput(rx, "SCAN 0 MATCH * COUNT 1000", "1) \"0\"\n2) (empty array)\n")
	b.labWantOutput(rx, "DBSIZE", "(integer) 0\n")
	b.labWantOutput(rx, "RANDOMKEY", "(nil)\n")
	b.labWantOutput(rx, "CONFIG GET maxmemory-policy", "1) \"maxmemory-policy\"\n2) \"noeviction\"\n")
	if out := b.labOutput(rx, "SELECT 1"); out != "OK\n" {
		t.Errorf("SELECT 1 printed %q", out)
	} else {
		b.labWantOutput(rx, "KEYS *", "(empty array)\n")
		b.labWantOutput(rx, "SELECT 0", "OK\n")
	}
	bobDir := b.labOutput(rx, "CONFIG GET dir")
	// Each sandbox's own folder, shown as /data: the host's paths never show.
	if want := "1) \"dir\"\n2) \"/data\"\n"; aliceDir != want || bobDir != want {
		t.Errorf("CONFIG GET dir: alice %q, bob %q; want %q for both", aliceDir, bobDir, want)
	}
	b.labStart(kx)
	b.labWantOutput(kx, "kafka-topics --list", "audit\n")
	if out := b.labOutput(kx, "kafka-consumer-groups --list"); strings.Contains(out, "alice-group") {
		t.Errorf("bob's kafka-consumer-groups --list printed %q, which names alice's group", out)
	}
	if out := b.labOutput(kx, "kafka-topics --describe --topic alice-events"); strings.Contains(out, "PartitionCount") {
		t.Errorf("bob's describe of alice-events printed %q, want the topic unknown", out)
	}
	if out := b.labOutput(kx, "kafka-consumer-groups --describe --group alice-group"); strings.Contains(out, "alice-events") {
		t.Errorf("bob's describe of alice-group printed %q, which shows alice's offsets", out)
	}
	for _, ex := range []string{rx, kx} {
		if rep := b.labCheck(ex); rep.Passed {
			t.Errorf("bob's check of %s = %+v, want failed: alice's work must not count for bob", ex, rep)
		}
	}
	var bl labLesson
	if st := b.getJSON("/api"+lessonPath(unseenCourse, unseenLesson), &bl); st != http.StatusOK || bl.passed(unseenRedisEx) {
		t.Errorf("bob's lesson = %+v (status %d), want the redis exercise not passed", bl, st)
	}
	if p := b.progress().course(t, unseenCourse); p.PassedExercises != 0 {
		t.Errorf("bob's progress = %+v, want no passed exercise", p)
	}

	// Bob drives the very URLs alice uses: there is no sandbox id in them to
	// steal, and every call lands in bob's own sandbox.
	b.labWantOutput(rx, `SET secret:alice "bob was here"`, "OK\n")
	b.labWantOutput(rx, "FLUSHALL", "OK\n")
	b.labWantOutput(rx, "CONFIG SET maxmemory-policy allkeys-random", "OK\n")
	if out := b.labOutput(kx, "kafka-topics --delete --topic alice-events"); !strings.Contains(out, "does not exist") {
		t.Errorf("bob's delete of alice-events printed %q, want the topic unknown in his broker", out)
	}
	b.labStop(rx)
	b.labStop(kx)
	if _, err := os.Stat(strings.TrimSuffix(strings.TrimPrefix(bobDir, "1) \"dir\"\n2) \""), "\"\n")); err == nil {
		t.Errorf("bob's sandbox directory is still there after stop")
	}

	res := a.labExec(rx, "GET secret:alice")
	if *res.Output != "\"alice only\"\n" || res.Notice != "" {
		t.Errorf("alice's GET after bob's calls = %q (notice %q), want her value from her still running sandbox", *res.Output, res.Notice)
	}
	a.labWantOutput(rx, "CONFIG GET maxmemory-policy", "1) \"maxmemory-policy\"\n2) \"allkeys-lfu\"\n")
	if dir := a.labOutput(rx, "CONFIG GET dir"); dir != aliceDir {
		t.Errorf("alice's sandbox changed under her: dir %q, was %q", dir, aliceDir)
	}
	a.labWantOutput(kx, "kafka-topics --list", "alice-events\naudit\n")
	a.labWantOutput(kx, "kafka-console-consumer --topic alice-events --from-beginning --max-messages 1",
		"private\nProcessed a total of 1 messages\n")
	a.labWantOutput(rx, "DEL secret:alice", "(integer) 1\n")
	if rep := a.labCheck(rx); !rep.Passed {
		t.Errorf("alice's check after bob's calls = %+v, want passed: her sandbox must be as she left it", rep)
	}
	if p := a.progress().course(t, unseenCourse); p.PassedExercises != 1 {
		t.Errorf("alice's progress = %+v, want her passed exercise kept", p)
	}
}

func TestLabGlobalCap(t *testing.T) {
	labRequireTool(t, "redis-server")
	unseenCatalog(t)
	srv := startLabServer(t, "--content", unseenContent, "--sandbox-max-redis", "1")
	rx := exercisePath(unseenCourse, unseenLesson, unseenRedisEx)
	kx := exercisePath(unseenCourse, unseenLesson, unseenKafkaEx)

	a := newAPIClient(t, srv.URL())
	a.register("cap.a@example.com", "Cap A", "cap-a-password")
	b := newAPIClient(t, srv.URL())
	b.register("cap.b@example.com", "Cap B", "cap-b-password")

	a.labStart(rx)
	for _, call := range []struct {
		path string
		body []byte
	}{
		{rx + "/start", nil},
		{rx + "/exec", []byte(`{"command":"PING"}`)}, // exec starts the sandbox too
		{rx + "/check", nil},
	} {
		st, h, body := b.labRaw(http.MethodPost, call.path, "application/json", call.body)
		msg := wantAPIError(t, "second learner POST "+call.path+" at the cap", st, h, body, http.StatusServiceUnavailable)
		ra, err := strconv.Atoi(h.Get("Retry-After"))
		if err != nil || ra < 1 {
			t.Errorf("POST %s at the cap: Retry-After %q, want a whole number of seconds ≥ 1", call.path, h.Get("Retry-After"))
		}
		if !strings.Contains(msg, "Redis") || !strings.HasSuffix(msg, ".") || len(strings.Fields(msg)) < 5 {
			t.Errorf("POST %s at the cap: error %q, want a sentence about the Redis sandboxes", call.path, msg)
		}
	}
	// The cap is per kind: the Kafka sandbox still starts.
	b.labStart(kx)
	// The first learner is unaffected, and once she stops, the slot is free.
	a.labWantOutput(rx, "PING", "PONG\n")
	a.labStop(rx)
	b.labStart(rx)
	b.labWantOutput(rx, "PING", "PONG\n")
	st, h, body := a.labRaw(http.MethodPost, rx+"/start", "application/json", nil)
	wantAPIError(t, "first learner's restart once the second holds the slot", st, h, body, http.StatusServiceUnavailable)
}

// redisProcsUnder returns the running (not zombie) redis- processes whose
// working directory is dir or below it, as "pid cwd".
func redisProcsUnder(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil {
			continue
		}
		cwd = strings.TrimSuffix(cwd, " (deleted)")
		if cwd != dir && !strings.HasPrefix(cwd, dir+string(filepath.Separator)) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		prog, _, _ := strings.Cut(string(cmdline), "\x00")
		prog, _, _ = strings.Cut(prog, " ")
		if !strings.HasPrefix(filepath.Base(prog), "redis-") {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && (stat[i+2] == 'Z' || stat[i+2] == 'X') {
			continue
		}
		out = append(out, fmt.Sprintf("%d %s", pid, cwd))
	}
	return out
}

// waitProcs polls until redisProcsUnder(dir) has n entries, or fails the
// test at the deadline.
func waitProcs(t testing.TB, dir string, n int, what string) {
	t.Helper()
	deadline := time.Now().Add(labTimeout)
	for {
		got := redisProcsUnder(t, dir)
		if len(got) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %d redis processes under %s, want %d: %q", what, len(got), dir, n, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sandboxDirs lists the sandbox directories of a scratch dir.
func sandboxDirs(t testing.TB, scratch string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(scratch, "sandboxes"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("list sandboxes: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// buildOpslab builds this package's binary once per test into dir.
func buildOpslab(t *testing.T, dir string) string {
	t.Helper()
	testkit.Slow(t, "end-to-end test (builds and runs the opslab binary)")
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build the binary: %v", err)
	}
	bin := filepath.Join(dir, "opslab")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-buildvcs=false", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// childServer is "opslab serve" run as its own process.
type childServer struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	exited chan struct{}
}

// startChild runs bin serve --data dir --addr 127.0.0.1:0, waits for /readyz
// and makes sure the process is gone when the test ends.
func startChild(t *testing.T, bin, dataDir string) *childServer {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", dataDir, "--addr", "127.0.0.1:0")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OPSLAB_SESSION_KEY=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cs := &childServer{cmd: cmd, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stderr = cs.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "opslab listening on "); ok {
				select {
				case urlc <- strings.TrimSpace(u):
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(cs.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-cs.exited:
		default:
			_ = cmd.Process.Kill()
			<-cs.exited
		}
		if t.Failed() {
			t.Logf("opslab serve (pid %d) stderr:\n%s", cmd.Process.Pid, cs.stderr)
		}
	})
	select {
	case cs.url = <-urlc:
	case <-cs.exited:
		t.Fatalf("opslab serve exited before listening: %s\nstderr:\n%s", cmd.ProcessState, cs.stderr)
	case <-time.After(serverStartTimeout):
		t.Fatalf("opslab serve printed no address within %s\nstderr:\n%s", serverStartTimeout, cs.stderr)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(serverStartTimeout)
	for {
		resp, err := hc.Get(cs.url + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz did not answer 200 within %s (last error %v)\nstderr:\n%s", cs.url, serverStartTimeout, err, cs.stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// wait waits for the child to exit, failing the test at the deadline.
func (cs *childServer) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-cs.exited:
	case <-time.After(serverStopTimeout):
		t.Fatalf("%s: opslab serve (pid %d) still runs after %s", what, cs.cmd.Process.Pid, serverStopTimeout)
	}
}

func TestKillServerLeavesNoRedis(t *testing.T) {
	labRequireTool(t, "redis-server")
	begin := time.Now()
	bin := buildOpslab(t, t.TempDir())
	t.Logf("built %s in %s", bin, time.Since(begin).Round(time.Millisecond))

	data := t.TempDir()
	scratch, err := sandboxScratchDir(data)
	if err != nil {
		t.Fatal(err)
	}
	// The scratch dir may live outside data (a short path for the sockets).
	t.Cleanup(func() { _ = os.RemoveAll(scratch) })
	rx := exercisePath(e2eCourse, e2eLesson, builtinRedisEx)

	first := startChild(t, bin, data)
	const password = "kill-test-password"
	var learners []*apiClient
	for i := range 3 {
		c := newAPIClient(t, first.url)
		c.register(fmt.Sprintf("kill%d@example.com", i), fmt.Sprintf("Kill %d", i), password)
		if s := c.labStart(rx); s.Sandbox != "redis" || !s.Fresh {
			t.Fatalf("learner %d start = %+v, want a fresh redis sandbox", i, s)
		}
		c.labWantOutput(rx, "SET before:kill yes", "OK\n")
		learners = append(learners, c)
	}
	var done apiCompleteResult
	if st := learners[0].postJSON("/api"+lessonPath(e2eCourse, e2eLesson)+"/complete", map[string]bool{"done": true}, &done); st != http.StatusOK || !done.Done {
		t.Fatalf("POST complete: status %d, %+v", st, done)
	}
	before := learners[0].progress().course(t, e2eCourse)
	if before.Percent <= 0 {
		t.Fatalf("progress after marking done = %+v, want above 0%%", before)
	}
	waitProcs(t, scratch, 3, "three learners started")
	if n := len(sandboxDirs(t, scratch)); n != 3 {
		t.Fatalf("%d sandbox directories under %s, want 3", n, scratch)
	}

	killed := time.Now()
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9 the server: %v", err)
	}
	first.wait(t, "after SIGKILL")
	waitProcs(t, scratch, 0, "after the server was killed with SIGKILL")
	t.Logf("redis sandboxes gone %s after kill -9", time.Since(killed).Round(time.Millisecond))
	if n := len(sandboxDirs(t, scratch)); n != 3 {
		t.Errorf("%d sandbox directories left after kill -9, want the 3 a crash cannot clean up", n)
	}

	// A new server on the same data removes the leftovers and keeps progress.
	second := startChild(t, bin, data)
	if left := sandboxDirs(t, scratch); len(left) != 0 {
		t.Errorf("sandbox directories left after the restart: %q", left)
	}
	c := newAPIClient(t, second.url)
	c.login("kill0@example.com", password)
	if after := c.progress().course(t, e2eCourse); after != before {
		t.Errorf("progress after kill -9 and restart = %+v, want %+v", after, before)
	}
	var l labLesson
	if st := c.getJSON("/api"+lessonPath(e2eCourse, e2eLesson), &l); st != http.StatusOK || !l.Done {
		t.Errorf("lesson after restart = %+v (status %d), want done", l, st)
	}
	s := c.labStart(rx)
	if !s.Fresh {
		t.Errorf("start after restart = %+v, want a fresh sandbox", s)
	}
	c.labWantOutput(rx, "GET before:kill", "(nil)\n")
	waitProcs(t, scratch, 1, "one sandbox started after the restart")

	// A graceful stop takes its sandboxes with it.
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	second.wait(t, "after SIGTERM")
	if !second.cmd.ProcessState.Success() {
		t.Errorf("opslab serve after SIGTERM: %s, want exit status 0\nstderr:\n%s", second.cmd.ProcessState, second.stderr)
	}
	waitProcs(t, scratch, 0, "after a graceful stop")
	if left := sandboxDirs(t, scratch); len(left) != 0 {
		t.Errorf("sandbox directories left after a graceful stop: %q", left)
	}
	t.Logf("whole test took %s", time.Since(begin).Round(time.Millisecond))
}

// runTool runs a real client without a shell and returns its standard
// output; a failure or a hang fails the test.
func runTool(t *testing.T, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), labTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\nstdout: %s\nstderr: %s", filepath.Base(name), args, err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

var (
	kcatConnectRE  = regexp.MustCompile(`^kcat -b (127\.0\.0\.1:\d+) -L$`)
	redisConnectRE = regexp.MustCompile(`^redis-cli -h 127\.0\.0\.1 -p \d+ --user \S+ --pass \S+$`)
)

func TestKcatAgainstKafkaSandbox(t *testing.T) {
	kcat := labRequireTool(t, "kcat")
	redisCLI := labRequireTool(t, "redis-cli")
	labRequireTool(t, "redis-server")
	unseenCatalog(t)
	srv := startLabServer(t, "--content", unseenContent, "--sandbox-public-host", "127.0.0.1")

	t.Run("kcat", func(t *testing.T) {
		c := newAPIClient(t, srv.URL())
		c.register("kcat.user@example.com", "Kay Cat", "kcat-password-1")
		kx := exercisePath(unseenCourse, unseenLesson, unseenKafkaEx)
		s := c.labStart(kx)
		m := kcatConnectRE.FindStringSubmatch(s.Connect)
		if m == nil {
			t.Fatalf("kafka start connect = %q, want kcat -b 127.0.0.1:PORT -L", s.Connect)
		}
		broker := m[1]
		args := strings.Fields(s.Connect)[1:]
		meta := runTool(t, "", kcat, args...)
		if !strings.Contains(meta, " 1 brokers:") || !strings.Contains(meta, `topic "audit"`) {
			t.Errorf("%s printed:\n%s\nwant one broker and the topic audit the setup made", s.Connect, meta)
		}

		const topic = "kcat-events"
		c.labWantOutput(kx, "kafka-topics --create --topic "+topic+" --partitions 1", "Created topic "+topic+".\n")
		runTool(t, "m1\nm2\nm3\n", kcat, "-P", "-b", broker, "-t", topic)
		c.labWantOutput(kx, "kafka-console-consumer --topic "+topic+" --from-beginning --max-messages 3",
			"m1\nm2\nm3\nProcessed a total of 3 messages\n")

		got := runTool(t, "", kcat, "-b", broker, "-G", "grp", "-X", "auto.offset.reset=earliest",
			"-c", "3", "-e", "-q", "-f", `%s\n`, topic)
		if got != "m1\nm2\nm3\n" {
			t.Errorf("kcat -G grp printed %q, want the three records", got)
		}
		out := c.labOutput(kx, "kafka-consumer-groups --describe --group grp")
		found := false
		for _, line := range linesOf(out) {
			f := strings.Fields(line)
			if len(f) >= 6 && f[0] == "grp" && f[1] == topic && f[2] == "0" && f[3] == "3" && f[4] == "3" && f[5] == "0" {
				found = true
			}
		}
		if !found {
			t.Errorf("kafka-consumer-groups --describe --group grp printed:\n%s\nwant grp on %s partition 0 at offset 3 of 3, lag 0", out, topic)
		}
		if out := c.labOutput(kx, "kafka-consumer-groups --list"); !slices.Contains(linesOf(out), "grp") {
			t.Errorf("kafka-consumer-groups --list printed %q, want grp", out)
		}

		// And back: what the console produces, kcat reads.
		c.labWantOutput(kx, "kafka-console-producer --topic "+topic+` --message "from the console"`, "")
		got = runTool(t, "", kcat, "-C", "-b", broker, "-t", topic, "-o", "beginning", "-e", "-q", "-f", `%s\n`)
		if got != "m1\nm2\nm3\nfrom the console\n" {
			t.Errorf("kcat -C printed %q, want m1..m3 and the console's record", got)
		}
	})

	t.Run("redis-cli", func(t *testing.T) {
		c := newAPIClient(t, srv.URL())
		c.register("redis.cli.user@example.com", "Cli User", "cli-password-1")
		rx := exercisePath(unseenCourse, unseenLesson, unseenRedisEx)
		s := c.labStart(rx)
		if !redisConnectRE.MatchString(s.Connect) {
			t.Fatalf("redis start connect = %q, want redis-cli -h 127.0.0.1 -p PORT --user U --pass P", s.Connect)
		}
		args := strings.Fields(s.Connect)[1:]
		with := func(cmd ...string) []string { return append(slices.Clone(args), cmd...) }

		if got := runTool(t, "", redisCLI, with("PING")...); got != "PONG\n" {
			t.Errorf("redis-cli PING printed %q, want PONG", got)
		}
		c.labWantOutput(rx, `SET console:greeting "hello from the console"`, "OK\n")
		if got := runTool(t, "", redisCLI, with("GET", "console:greeting")...); got != "hello from the console\n" {
			t.Errorf("redis-cli GET console:greeting printed %q, want the value the console set", got)
		}
		if got := runTool(t, "", redisCLI, with("SET", "cli:key", "42")...); got != "OK\n" {
			t.Errorf("redis-cli SET printed %q", got)
		}
		c.labWantOutput(rx, "GET cli:key", "\"42\"\n")
		user := args[slices.Index(args, "--user")+1]
		if got := runTool(t, "", redisCLI, with("ACL", "WHOAMI")...); got != user+"\n" {
			t.Errorf("redis-cli ACL WHOAMI printed %q, want the account of the connect line, %s", got, user)
		}

		// The learner's own client is held to the limits of the console: a
		// setting the console refuses to change, and the sandbox's memory
		// cap above all, must not change through redis-cli either. (Only
		// settings that keep the server reachable are tried.)
		capBefore := c.labOutput(rx, "CONFIG GET maxmemory")
		for _, cmd := range [][]string{
			{"CONFIG", "SET", "maxmemory", "0"},
			{"CONFIG", "SET", "maxmemory", "4gb"},
			{"CONFIG", "SET", "maxclients", "4000"},
			{"CONFIG", "SET", "oom-score-adj", "no"},
			{"DEBUG", "SLEEP", "0"},
		} {
			line := strings.Join(cmd, " ")
			console := c.labOutput(rx, line)
			if !strings.HasPrefix(console, "(error) ") {
				t.Errorf("the console ran %q: %q, want it refused", line, console)
			}
			if got := runTool(t, "", redisCLI, with(cmd...)...); !strings.HasPrefix(got, "ERR") && !strings.HasPrefix(got, "NOPERM") {
				t.Errorf("redis-cli %s printed %q, want it refused as the console refuses it (%q)", line, got, console)
			}
		}
		if got := c.labOutput(rx, "CONFIG GET maxmemory"); got != capBefore || !strings.HasPrefix(got, "1) \"maxmemory\"\n2) \"6") {
			t.Errorf("CONFIG GET maxmemory after the learner's own client tried to lift it: %q, was %q (the sandbox cap)", got, capBefore)
		}
		c.labWantOutput(rx, "PING", "PONG\n")
	})
}
