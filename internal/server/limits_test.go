package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/server/accounts"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

// countingUsers is the real SQLite user service, counting the calls that
// cost a password hash. Each call takes a few milliseconds more, as a
// real hash cost would, so that a limit that checks and then acts lets
// many parallel calls through.
type countingUsers struct {
	*sqlite.UserService
	authenticated atomic.Int64
	created       atomic.Int64
}

func (c *countingUsers) Authenticate(ctx context.Context, email, password string) (*opslab.User, error) {
	c.authenticated.Add(1)
	time.Sleep(3 * time.Millisecond)
	return c.UserService.Authenticate(ctx, email, password)
}

func (c *countingUsers) CreateUser(ctx context.Context, n opslab.NewUser) (*opslab.User, error) {
	time.Sleep(3 * time.Millisecond)
	u, err := c.UserService.CreateUser(ctx, n)
	if err == nil {
		c.created.Add(1)
	}
	return u, err
}

// limitSite is a server over a real SQLite file whose limits run on an
// injected clock; requests go straight to its handler with any peer.
type limitSite struct {
	srv   *server.Server
	users *countingUsers
	clock *testkit.Clock
}

func newLimitSite(t *testing.T, trusted ...string) *limitSite {
	t.Helper()
	db := dbkit.Open(t)
	us := sqlite.NewUserService(db)
	us.BcryptCost = bcrypt.MinCost
	users := &countingUsers{UserService: us}
	clk := testkit.NewClock(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	cfg := server.Config{Users: users, Teams: sqlite.NewTeamService(db), Progress: sqlite.NewProgressService(db),
		SessionKey: bytes.Repeat([]byte("k"), 32), SignupOpen: true, Now: clk.Now}
	for _, p := range trusted {
		cfg.TrustedProxies = append(cfg.TrustedProxies, netip.MustParsePrefix(p))
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &limitSite{srv: srv, users: users, clock: clk}
}

// post sends a JSON POST from peer with the given header pairs.
func (s *limitSite) post(path, body, peer string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = peer
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	s.srv.ServeHTTP(rec, req)
	return rec
}

func (s *limitSite) login(email, password, peer string, header ...string) *httptest.ResponseRecorder {
	return s.post("/api/login", fmt.Sprintf(`{"email":%q,"password":%q}`, email, password), peer, header...)
}

func (s *limitSite) addUser(t *testing.T, email string) {
	t.Helper()
	if _, err := s.users.UserService.CreateUser(context.Background(), opslab.NewUser{Email: email, Name: "Owner",
		Password: "correct-horse-1", Role: opslab.RoleLearner}); err != nil {
		t.Fatal(err)
	}
}

// parallel runs n calls of f at once and returns the status codes seen.
func parallel(n int, f func(i int) *httptest.ResponseRecorder) map[int]int {
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec := f(i)
			mu.Lock()
			codes[rec.Code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// 100 wrong passwords for one account at once: only the free attempts are
// evaluated, the rest are refused before the password hash; the owner
// gets in once the delay has passed.
func TestSignInParallelGuessesOnOneAccount(t *testing.T) {
	site := newLimitSite(t)
	site.addUser(t, "owner@example.com")
	free := accounts.DefaultAccountDelay.Free
	codes := parallel(100, func(int) *httptest.ResponseRecorder {
		return site.login("owner@example.com", "guess", "192.0.2.10:4000")
	})
	if n := site.users.authenticated.Load(); n > int64(free) {
		t.Fatalf("%d of 100 parallel guesses were evaluated; the limit is %d (codes %v)", n, free, codes)
	}
	if codes[401] != free || codes[429] != 100-free {
		t.Fatalf("codes %v: want %d × 401 and the rest 429", codes, free)
	}

	// The owner, from elsewhere, waits the announced delay, then gets in.
	rec := site.login("owner@example.com", "correct-horse-1", "198.51.100.20:4000")
	if rec.Code != 429 || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("owner before the delay: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	site.clock.Add(time.Second)
	if rec := site.login("owner@example.com", "correct-horse-1", "198.51.100.20:4000"); rec.Code != 200 {
		t.Fatalf("owner after the delay: %d %s", rec.Code, rec.Body)
	}
	// A success clears the failures: the next mistake is free again.
	if rec := site.login("owner@example.com", "typo", "198.51.100.20:4000"); rec.Code != 401 {
		t.Fatalf("first mistake after a success: %d", rec.Code)
	}
}

// Past the free failures, each failure doubles the wait, and Retry-After
// says it; the owner is never locked out for longer than the wait.
func TestSignInDelayGrows(t *testing.T) {
	site := newLimitSite(t)
	site.addUser(t, "owner@example.com")
	peer := "192.0.2.11:4000"
	for range accounts.DefaultAccountDelay.Free {
		if rec := site.login("owner@example.com", "guess", peer); rec.Code != 401 {
			t.Fatalf("free failure: %d", rec.Code)
		}
	}
	for _, wait := range []int{1, 2, 4, 8} {
		rec := site.login("owner@example.com", "guess", peer)
		if rec.Code != 429 || rec.Header().Get("Retry-After") != fmt.Sprint(wait) {
			t.Fatalf("want a wait of %d s: %d, Retry-After %q", wait, rec.Code, rec.Header().Get("Retry-After"))
		}
		site.clock.Add(time.Duration(wait)*time.Second - time.Millisecond)
		if rec := site.login("owner@example.com", "guess", peer); rec.Code != 429 {
			t.Fatalf("just before the %d s wait ends: %d", wait, rec.Code)
		}
		site.clock.Add(time.Millisecond)
		if rec := site.login("owner@example.com", "guess", peer); rec.Code != 401 {
			t.Fatalf("after the %d s wait: %d", wait, rec.Code)
		}
	}
	if d := accounts.DefaultAccountDelay.Delay(1000); d != accounts.DefaultAccountDelay.Max {
		t.Fatalf("delay after many failures: %v, want the cap %v", d, accounts.DefaultAccountDelay.Max)
	}
	site.clock.Add(16 * time.Second)
	if rec := site.login("owner@example.com", "correct-horse-1", peer); rec.Code != 200 {
		t.Fatalf("owner after the wait: %d", rec.Code)
	}
}

// 100 guesses at 100 accounts from one address at once: at most the
// address's limit is evaluated.
func TestSignInParallelGuessesFromOneAddress(t *testing.T) {
	site := newLimitSite(t)
	codes := parallel(100, func(i int) *httptest.ResponseRecorder {
		return site.login(fmt.Sprintf("user%d@example.com", i), "guess", "192.0.2.12:4000")
	})
	if n := site.users.authenticated.Load(); n > 20 {
		t.Fatalf("%d guesses from one address were evaluated; the limit is 20 (codes %v)", n, codes)
	}
	if codes[401] != 20 || codes[429] != 80 {
		t.Fatalf("codes %v", codes)
	}
}

// 30 sign-ups from one address at once: at most the cap succeed.
func TestSignUpParallelFromOneAddress(t *testing.T) {
	site := newLimitSite(t)
	codes := parallel(30, func(i int) *httptest.ResponseRecorder {
		return site.post("/api/register", fmt.Sprintf(`{"email":"new%d@example.com","name":"N","password":"correct-horse-1"}`, i), "192.0.2.13:4000")
	})
	if n := site.users.created.Load(); n > 10 {
		t.Fatalf("%d accounts were created from one address; the cap is 10 (codes %v)", n, codes)
	}
	if codes[201] != 10 || codes[429] != 20 {
		t.Fatalf("codes %v", codes)
	}
	// Another address is not affected; the first one is after an hour.
	if rec := site.post("/api/register", `{"email":"other@example.com","name":"O","password":"correct-horse-1"}`, "192.0.2.14:4000"); rec.Code != 201 {
		t.Fatalf("other address: %d %s", rec.Code, rec.Body)
	}
	site.clock.Add(time.Hour)
	if rec := site.post("/api/register", `{"email":"later@example.com","name":"L","password":"correct-horse-1"}`, "192.0.2.13:4000"); rec.Code != 201 {
		t.Fatalf("first address an hour later: %d %s", rec.Code, rec.Body)
	}
}

// exhaust spends the address limit of the client the headers name.
func exhaustAddress(t *testing.T, site *limitSite, peer string, header ...string) {
	t.Helper()
	for i := range 20 {
		if rec := site.login(fmt.Sprintf("x%d@example.com", i), "guess", peer, header...); rec.Code != 401 {
			t.Fatalf("guess %d: %d", i, rec.Code)
		}
	}
	if rec := site.login("y@example.com", "guess", peer, header...); rec.Code != 429 {
		t.Fatalf("guess past the address limit: %d", rec.Code)
	}
}

// From a peer that is not a trusted proxy, forwarding headers are
// ignored: a client cannot spread its guesses over made-up addresses.
func TestForwardedFromUntrustedPeerIgnored(t *testing.T) {
	site := newLimitSite(t, "10.0.0.0/8")
	exhaustAddress(t, site, "198.51.100.30:4000", "X-Forwarded-For", "203.0.113.1")
	for _, h := range [][]string{
		{"X-Forwarded-For", "203.0.113.2"},
		{"Forwarded", "for=203.0.113.3"},
		{},
	} {
		if rec := site.login("z@example.com", "guess", "198.51.100.30:4000", h...); rec.Code != 429 {
			t.Fatalf("spoofed %v from an untrusted peer: %d, want 429", h, rec.Code)
		}
	}
}

// From a trusted proxy, the right-most address it was not told by the
// client names the client: learners behind one proxy have their own
// allowance, and a made-up address the client prepends does not help.
func TestForwardedFromTrustedProxyHonoured(t *testing.T) {
	site := newLimitSite(t, "10.0.0.0/8")
	proxy := "10.0.0.5:4000"
	exhaustAddress(t, site, proxy, "X-Forwarded-For", "203.0.113.1")
	// Another learner behind the same proxy still signs in.
	site.addUser(t, "ann@example.com")
	if rec := site.login("ann@example.com", "correct-horse-1", proxy, "X-Forwarded-For", "203.0.113.2"); rec.Code != 200 {
		t.Fatalf("another client behind the proxy: %d %s", rec.Code, rec.Body)
	}
	if rec := site.login("ann@example.com", "correct-horse-1", proxy, "Forwarded", `for="203.0.113.3:5555"`); rec.Code != 200 {
		t.Fatalf("another client by Forwarded: %d %s", rec.Code, rec.Body)
	}
	// The throttled client prepends a made-up address; a second trusted
	// proxy in the chain is skipped.
	for _, h := range [][]string{
		{"X-Forwarded-For", "203.0.113.99, 203.0.113.1"},
		{"X-Forwarded-For", "203.0.113.99", "X-Forwarded-For", "203.0.113.1, 10.9.9.9"},
		{"Forwarded", "for=203.0.113.99, for=203.0.113.1;proto=https"},
	} {
		if rec := site.login("ann@example.com", "correct-horse-1", proxy, h...); rec.Code != 429 {
			t.Fatalf("throttled client with %v: %d, want 429", h, rec.Code)
		}
	}
}
