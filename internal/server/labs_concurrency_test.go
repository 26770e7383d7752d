package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/lab/labhttp"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/internal/testkit/dbkit"
	"github.com/opslab/opslab/internal/testkit/sandboxkit"
)

// syncBuffer is a log destination safe for parallel handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// labSite is the instructor test content served over a real lab of real
// redis-server sandboxes, with the server's, the lab's and the sandbox
// manager's logs in one buffer.
type labSite struct {
	*testSite
	mgr     *sandbox.Manager
	scratch string
	log     *syncBuffer
	clock   *testkit.Clock
}

func newLabSite(t *testing.T, labCfg lab.Config) *labSite {
	t.Helper()
	testkit.RequireTool(t, "redis-server", "install Debian's redis-server package (make deps-test)")
	db := dbkit.Open(t)
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	mgr, scratch := sandboxkit.ProcessManager(t, db, process.Options{}, sandbox.Config{Logger: log})
	clk := testkit.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	labCfg.Sandboxes, labCfg.Attempts, labCfg.Logger, labCfg.Now = mgr, sqlite.NewAttemptService(db), log, clk.Now
	svc, err := lab.New(labCfg)
	if err != nil {
		t.Fatal(err)
	}
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	srv, err := server.New(server.Config{Users: users, Teams: sqlite.NewTeamService(db), Progress: sqlite.NewProgressService(db),
		Labs: labhttp.New(svc), SessionKey: bytes.Repeat([]byte("k"), 32), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := course.Load(instructorContent, markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetCatalog(cat)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &labSite{testSite: &testSite{Server: ts, srv: srv, users: users}, mgr: mgr, scratch: scratch, log: buf, clock: clk}
}

// learner returns a client signed in as a new learner.
func (s *labSite) learner(t *testing.T, email string) *client {
	t.Helper()
	if _, err := s.users.CreateUser(context.Background(), opslab.NewUser{Email: email, Name: "L", Password: instrPassword, Role: opslab.RoleLearner}); err != nil {
		t.Fatal(err)
	}
	c := s.client(t)
	if st, _, body := c.do("POST", "/api/login", `{"email":"`+email+`","password":"`+instrPassword+`"}`); st != 200 {
		t.Fatalf("login: %d %s", st, body)
	}
	return c
}

// parallelDo sends n copies of a request at once and counts the statuses.
func parallelDo(c *client, n int, method, path, body string) (map[int]int, []string) {
	var (
		mu     sync.Mutex
		codes  = map[int]int{}
		bodies []string
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			st, h, b := c.do(method, path, body)
			mu.Lock()
			defer mu.Unlock()
			codes[st]++
			if st != 200 {
				bodies = append(bodies, b+" Retry-After="+h.Get("Retry-After"))
			}
		}()
	}
	close(start)
	wg.Wait()
	return codes, bodies
}

// Twenty resets of one sandbox at once: every one answers 200, one sandbox
// runs afterwards, no redis-server is left over, and nothing is logged as
// an error.
func TestParallelResetsOfOneSandbox(t *testing.T) {
	site := newLabSite(t, lab.Config{StartBurst: 100, CheckBurst: 100})
	c := site.learner(t, "ann@example.com")
	if st, _, body := c.do("POST", instrExercise+"/start", ""); st != 200 {
		t.Fatalf("start: %d %s", st, body)
	}
	codes, bodies := parallelDo(c, 20, "POST", instrExercise+"/reset", "")
	if codes[200] != 20 {
		t.Fatalf("20 parallel resets: %v %v", codes, bodies)
	}
	if n := site.mgr.Running(sandbox.KindRedis); n != 1 {
		t.Fatalf("%d redis sandboxes after the resets, want 1", n)
	}
	if pids := sandboxtest.RedisPIDs(site.scratch); len(pids) != 1 {
		t.Fatalf("redis processes after the resets: %v, want one", pids)
	}
	// The sandbox works: a command and a check run on it.
	if st, _, body := c.do("POST", instrExercise+"/exec", `{"command":"ZADD board 1 alice 2 bob"}`); st != 200 {
		t.Fatalf("exec after the resets: %d %s", st, body)
	}
	if st, _, body := c.do("POST", instrExercise+"/check", ""); st != 200 || !strings.Contains(body, `"passed":true`) {
		t.Fatalf("check after the resets: %d %s", st, body)
	}
	// Start, reset, stop, check and commands mixed: never a 500, and
	// nothing left after a final stop.
	var wg sync.WaitGroup
	var mu sync.Mutex
	bad := []string{}
	for i := range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			verb, body := []string{"start", "reset", "stop", "check", "exec"}[i%5], ""
			if verb == "exec" {
				body = `{"command":"ZADD board 1 alice"}`
			}
			st, _, body := c.do("POST", instrExercise+"/"+verb, body)
			if st != 200 && st != 204 {
				mu.Lock()
				bad = append(bad, verb+": "+body)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("mixed actions failed: %v", bad)
	}
	if st, _, body := c.do("POST", instrExercise+"/stop", ""); st != 204 {
		t.Fatalf("stop: %d %s", st, body)
	}
	if n := site.mgr.Running(sandbox.KindRedis); n != 0 {
		t.Fatalf("%d redis sandboxes after the stop", n)
	}
	if pids := sandboxtest.RedisPIDs(site.scratch); len(pids) != 0 {
		t.Fatalf("redis processes left after the stop: %v", pids)
	}
	if log := site.log.String(); strings.Contains(log, "level=ERROR") || strings.Contains(log, "level=WARN") {
		t.Fatalf("the log has errors:\n%s", log)
	}
}

// Fifty starts and fifty checks at once from one learner: no more pass
// than the burst; the rest are 429 with Retry-After and a sentence; after
// waiting, the learner may go on; another learner is not affected.
func TestSandboxActionLimitsHoldInParallel(t *testing.T) {
	site := newLabSite(t, lab.Config{StartBurst: 5, StartRate: 0.1, CheckBurst: 7, CheckRate: 0.5})
	c := site.learner(t, "ann@example.com")
	codes, bodies := parallelDo(c, 50, "POST", instrExercise+"/start", "")
	if codes[200] != 5 || codes[429] != 45 {
		t.Fatalf("50 parallel starts with a burst of 5: %v %v", codes, bodies)
	}
	if !strings.Contains(bodies[0], "Too many sandbox starts") || !strings.Contains(bodies[0], "Retry-After=10") {
		t.Fatalf("429 answer: %s", bodies[0])
	}
	codes, bodies = parallelDo(c, 50, "POST", instrExercise+"/reset", "")
	if codes[429] != 50 {
		t.Fatalf("resets share the starts' allowance: %v %v", codes, bodies)
	}
	codes, bodies = parallelDo(c, 50, "POST", instrExercise+"/check", "")
	if codes[200] != 7 || codes[429] != 43 {
		t.Fatalf("50 parallel checks with a burst of 7: %v %v", codes, bodies)
	}
	if !strings.Contains(bodies[0], "Too many checks") || !strings.Contains(bodies[0], "Retry-After=2") {
		t.Fatalf("429 answer: %s", bodies[0])
	}
	site.clock.Add(10 * time.Second)
	if st, _, body := c.do("POST", instrExercise+"/reset", ""); st != 200 {
		t.Fatalf("reset after the wait: %d %s", st, body)
	}
	bob := site.learner(t, "bob@example.com")
	if st, _, body := bob.do("POST", instrExercise+"/start", ""); st != 200 {
		t.Fatalf("another learner: %d %s", st, body)
	}
}
