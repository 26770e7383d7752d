package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/sqlite"
)

// accountClock is a settable clock shared by the server and the database.
type accountClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *accountClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *accountClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// accountSite is a server whose sessions live in a real SQLite file.
type accountSite struct {
	*testSite
	db       *sqlite.DB
	sessions *sqlite.SessionService
	clk      *accountClock
}

// newAccountSite opens (or reopens) the SQLite file at path and serves it
// with the clock clk.
func newAccountSite(t *testing.T, path string, clk *accountClock) *accountSite {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = clk.Now
	users := sqlite.NewUserService(db)
	users.BcryptCost = bcrypt.MinCost
	sessions := sqlite.NewSessionService(db, users)
	srv, err := server.New(server.Config{
		Users:      users,
		Teams:      sqlite.NewTeamService(db),
		Progress:   sqlite.NewProgressService(db),
		Sessions:   sessions,
		SessionKey: bytes.Repeat([]byte("k"), 32),
		SignupOpen: true,
		Now:        clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return &accountSite{testSite: &testSite{Server: ts, srv: srv, users: users}, db: db, sessions: sessions, clk: clk}
}

func newClock() *accountClock {
	return &accountClock{t: time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)}
}

const accountPassword = "correct-horse-1"

// login signs c in with the password and fails the test otherwise.
func (c *client) login(email, password string) {
	c.t.Helper()
	if st, _, body := c.do("POST", "/api/login", `{"email":"`+email+`","password":"`+password+`"}`); st != 200 {
		c.t.Fatalf("login %s: %d %s", email, st, body)
	}
}

// sessionCookie returns the value of c's session cookie.
func (c *client) sessionCookie() string {
	c.t.Helper()
	u, _ := url.Parse(c.base)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "opslab_session" {
			return ck.Value
		}
	}
	c.t.Fatal("no session cookie")
	return ""
}

// withCookie returns a fresh client that sends only the cookie value.
func (s *testSite) withCookie(t *testing.T, value string) *client {
	c := s.client(t)
	u, _ := url.Parse(s.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: "opslab_session", Value: value, Path: "/"}})
	return c
}

type sessionsBody struct {
	Sessions []struct {
		ID         int64  `json:"id"`
		Current    bool   `json:"current"`
		UserAgent  string `json:"user_agent"`
		ClientAddr string `json:"client_addr"`
	} `json:"sessions"`
}

func (c *client) sessions() sessionsBody {
	c.t.Helper()
	st, _, body := c.do("GET", "/api/me/sessions", "")
	if st != 200 {
		c.t.Fatalf("sessions: %d %s", st, body)
	}
	var v sessionsBody
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		c.t.Fatal(err)
	}
	return v
}

// A cookie copied before signing out is refused after it, by the API and
// by the pages.
func TestSignOut_CopiedCookieRefused(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	c := site.client(t)
	c.register("ada@example.com")
	copied := site.withCookie(t, c.sessionCookie())
	if st, _, _ := copied.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("copied cookie before sign-out: %d", st)
	}
	if st, _, _ := c.do("POST", "/api/logout", ""); st != 204 {
		t.Fatalf("logout: %d", st)
	}
	if st, _, body := copied.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("copied cookie after sign-out, API: %d %s", st, body)
	}
	st, h, _ := copied.do("GET", "/account", "")
	if st != 303 || !strings.HasPrefix(h.Get("Location"), "/login") {
		t.Fatalf("copied cookie after sign-out, page: %d to %q", st, h.Get("Location"))
	}

	// The sign-out form does the same.
	c.login("ada@example.com", accountPassword)
	copied = site.withCookie(t, c.sessionCookie())
	if st, _, _ := c.do("POST", "/logout", "", "Origin", site.URL); st != 303 {
		t.Fatalf("sign-out form: %d", st)
	}
	if st, _, _ := copied.do("GET", "/courses/demo", ""); st != 303 {
		t.Fatalf("copied cookie after the sign-out form: %d", st)
	}
}

// After a password change the account's other sessions are refused; the
// one that changed it goes on working, and only the new password signs in.
func TestPasswordChange_EndsOtherSessions(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	here := site.client(t)
	here.register("ada@example.com")
	other := site.client(t)
	other.login("ada@example.com", accountPassword)

	for _, tc := range []struct{ body, want string }{
		{`{"current_password":"wrong-password","new_password":"a new password 1"}`, "current password is wrong"},
		{`{"current_password":"","new_password":"a new password 1"}`, "current password"},
		{`{"current_password":"` + accountPassword + `","new_password":"short"}`, "at least"},
	} {
		st, _, body := here.do("POST", "/api/me/password", tc.body)
		if st != 400 || !strings.Contains(errorOf(t, body), tc.want) {
			t.Fatalf("%s: %d %s", tc.body, st, body)
		}
	}
	if st, _, _ := other.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("a refused change ended the other session: %d", st)
	}

	st, _, body := here.do("POST", "/api/me/password", `{"current_password":"`+accountPassword+`","new_password":"a new password 1"}`)
	if st != 204 {
		t.Fatalf("change: %d %s", st, body)
	}
	if st, _, _ := other.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("other session after the change: %d", st)
	}
	if st, _, _ := here.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("this session after the change: %d", st)
	}
	if st, _, _ := site.client(t).do("POST", "/api/login", `{"email":"ada@example.com","password":"`+accountPassword+`"}`); st != 401 {
		t.Fatalf("old password: %d", st)
	}
	site.client(t).login("ada@example.com", "a new password 1")

	// The page's form: the two new passwords must agree.
	st, _, page := here.do("POST", "/account/password", url.Values{"current_password": {"a new password 1"},
		"new_password": {"a new password 2"}, "new_password_again": {"a new password 3"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", site.URL)
	if st != 400 || !strings.Contains(page, "The two new passwords differ.") {
		t.Fatalf("form with differing passwords: %d", st)
	}
	third := site.client(t)
	third.login("ada@example.com", "a new password 1")
	st, h, _ := here.do("POST", "/account/password", url.Values{"current_password": {"a new password 1"},
		"new_password": {"a new password 2"}, "new_password_again": {"a new password 2"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", site.URL)
	if st != 303 || h.Get("Location") != "/account?done=password" {
		t.Fatalf("form: %d to %q", st, h.Get("Location"))
	}
	if st, _, _ := third.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("other session after the form: %d", st)
	}
	if st, _, _ := here.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("this session after the form: %d", st)
	}
}

// The account page lists the sessions, marks this one, and its End button
// and "Sign out everywhere else" end the others at once.
func TestAccountPage_EndSessions(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	here := site.client(t)
	here.register("ada@example.com")
	phone := site.client(t)
	st, _, _ := phone.do("POST", "/api/login", `{"email":"ada@example.com","password":"`+accountPassword+`"}`, "User-Agent", "Phone <b>browser</b>")
	if st != 200 {
		t.Fatal("phone login")
	}
	laptop := site.client(t)
	laptop.login("ada@example.com", accountPassword)

	list := here.sessions().Sessions
	if len(list) != 3 {
		t.Fatalf("sessions: %+v", list)
	}
	var phoneID int64
	current := 0
	for _, s := range list {
		if s.Current {
			current++
		}
		if s.UserAgent == "Phone <b>browser</b>" {
			phoneID = s.ID
		}
	}
	if current != 1 || phoneID == 0 {
		t.Fatalf("sessions: %+v", list)
	}
	st, _, page := here.do("GET", "/account", "")
	if st != 200 || !strings.Contains(page, "(this session)") || !strings.Contains(page, "Phone &lt;b&gt;browser&lt;/b&gt;") ||
		!strings.Contains(page, fmt.Sprintf(`action="/account/sessions/%d/end"`, phoneID)) || !strings.Contains(page, "ada@example.com") {
		t.Fatalf("account page: %d\n%s", st, page)
	}

	st, h, _ := here.do("POST", fmt.Sprintf("/account/sessions/%d/end", phoneID), "", "Origin", site.URL)
	if st != 303 || h.Get("Location") != "/account?done=ended" {
		t.Fatalf("end: %d %q", st, h.Get("Location"))
	}
	if st, _, _ := phone.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("ended session: %d", st)
	}
	if st, _, _ := laptop.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("a session not ended: %d", st)
	}
	if st, _, _ := here.do("POST", "/account/sessions/revoke-others", "", "Origin", site.URL); st != 303 {
		t.Fatalf("revoke others: %d", st)
	}
	if st, _, _ := laptop.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("after revoke-others: %d", st)
	}
	if list := here.sessions().Sessions; len(list) != 1 || !list[0].Current {
		t.Fatalf("sessions left: %+v", list)
	}

	// The API's calls do the same.
	laptop.login("ada@example.com", accountPassword)
	var laptopID int64
	for _, s := range here.sessions().Sessions {
		if !s.Current {
			laptopID = s.ID
		}
	}
	if st, _, body := here.do("DELETE", fmt.Sprintf("/api/me/sessions/%d", laptopID), ""); st != 204 {
		t.Fatalf("DELETE: %d %s", st, body)
	}
	if st, _, _ := laptop.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("after DELETE: %d", st)
	}
	laptop.login("ada@example.com", accountPassword)
	if st, _, body := here.do("POST", "/api/me/sessions/revoke-others", ""); st != 200 || !strings.Contains(body, `"ended":1`) {
		t.Fatalf("revoke-others: %d %s", st, body)
	}
	if st, _, _ := laptop.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("after revoke-others (API): %d", st)
	}
}

// A user can neither see nor end another user's sessions: 404, and the
// session goes on.
func TestAccount_CannotEndAnothersSession(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	ann, bob := site.client(t), site.client(t)
	ann.register("ann@example.com")
	bob.register("bob@example.com")
	bobs := bob.sessions().Sessions
	if len(bobs) != 1 {
		t.Fatalf("bob's sessions: %+v", bobs)
	}
	for _, s := range ann.sessions().Sessions {
		if s.ID == bobs[0].ID {
			t.Fatal("ann sees bob's session")
		}
	}
	path := fmt.Sprintf("/api/me/sessions/%d", bobs[0].ID)
	if st, _, body := ann.do("DELETE", path, ""); st != 404 {
		t.Fatalf("ann ends bob's session (API): %d %s", st, body)
	}
	if st, _, _ := ann.do("POST", fmt.Sprintf("/account/sessions/%d/end", bobs[0].ID), "", "Origin", site.URL); st != 404 {
		t.Fatalf("ann ends bob's session (form): %d", st)
	}
	if st, _, _ := ann.do("POST", "/api/me/sessions/revoke-others", ""); st != 200 {
		t.Fatalf("ann's revoke-others: %d", st)
	}
	if st, _, _ := bob.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("bob after ann's attempts: %d", st)
	}
}

// A session survives a restart (the SQLite file reopened, a new server),
// and so does its end: a cookie signed out before a restart stays refused.
func TestSession_SurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "opslab.db")
	clk := newClock()
	first := newAccountSite(t, path, clk)
	c := first.client(t)
	c.register("ada@example.com")
	kept := c.sessionCookie()
	gone := first.client(t)
	gone.login("ada@example.com", accountPassword)
	ended := gone.sessionCookie()
	if st, _, _ := gone.do("POST", "/api/logout", ""); st != 204 {
		t.Fatal("logout")
	}
	first.Close()
	if err := first.db.Close(); err != nil {
		t.Fatal(err)
	}

	second := newAccountSite(t, path, clk)
	if st, _, body := second.withCookie(t, kept).do("GET", "/api/me", ""); st != 200 || !strings.Contains(body, "ada@example.com") {
		t.Fatalf("session after restart: %d %s", st, body)
	}
	if st, _, _ := second.withCookie(t, ended).do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("signed-out session after restart: %d", st)
	}
	// Sessions expire: 30 days on, the cookie is refused and the row goes.
	clk.Add(31 * 24 * time.Hour)
	if st, _, _ := second.withCookie(t, kept).do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("expired session: %d", st)
	}
	if list, err := second.sessions.ListSessions(context.Background(), 1); err != nil || len(list) != 0 {
		t.Fatalf("sessions left: %v %v", list, err)
	}
}

// A reset link sets a new password once, ends every session of the
// account and signs the person in; an unknown, used or expired link gets
// the same page.
func TestResetLink(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	old := site.client(t)
	old.register("ada@example.com")
	ctx := context.Background()
	newLink := func(ttl time.Duration) string {
		token := opslab.NewToken()
		if err := site.sessions.CreateResetLink(ctx, 1, token, site.clk.Now().Add(ttl)); err != nil {
			t.Fatal(err)
		}
		return "/reset/" + token
	}
	link := newLink(24 * time.Hour)
	browser := site.client(t)
	st, _, page := browser.do("GET", link, "")
	if st != 200 || !strings.Contains(page, `action="`+link+`"`) {
		t.Fatalf("reset page: %d\n%s", st, page)
	}
	post := func(c *client, link, p1, p2 string) (int, http.Header, string) {
		return c.do("POST", link, url.Values{"password": {p1}, "password_again": {p2}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded", "Origin", site.URL)
	}
	if st, _, page := post(browser, link, "reset password 1", "reset password 2"); st != 400 || !strings.Contains(page, "The two passwords differ.") {
		t.Fatalf("differing passwords: %d", st)
	}
	if st, _, page := post(browser, link, "short", "short"); st != 400 || !strings.Contains(page, "at least") {
		t.Fatalf("short password: %d", st)
	}
	st, h, _ := post(browser, link, "reset password 1", "reset password 1")
	if st != 303 || h.Get("Location") != "/" {
		t.Fatalf("reset: %d %q", st, h.Get("Location"))
	}
	if st, _, body := browser.do("GET", "/api/me", ""); st != 200 || !strings.Contains(body, "ada@example.com") {
		t.Fatalf("signed in by the reset: %d %s", st, body)
	}
	if st, _, _ := old.do("GET", "/api/me", ""); st != 401 {
		t.Fatalf("older session after the reset: %d", st)
	}
	site.client(t).login("ada@example.com", "reset password 1")

	// Used, expired (a link of an hour, two hours on), unknown, and a link
	// voided by a newer one: one page, word for word.
	expired := newLink(time.Hour)
	site.clk.Add(2 * time.Hour)
	voided := newLink(time.Hour)
	newLink(time.Hour)
	pages := map[string]string{}
	for name, l := range map[string]string{"used": link, "expired": expired, "unknown": "/reset/" + opslab.NewToken(), "voided": voided} {
		st, _, page := site.client(t).do("GET", l, "")
		if st != 404 || !strings.Contains(page, "This link is not valid any more; ask an administrator for a new one.") {
			t.Fatalf("%s link: %d\n%s", name, st, page)
		}
		pages[page] = name
		st, _, post := post(site.client(t), l, "reset password 9", "reset password 9")
		if st != 404 || post != page {
			t.Fatalf("%s link, POST: %d", name, st)
		}
	}
	if len(pages) != 1 {
		t.Fatalf("the invalid links got %d different pages", len(pages))
	}
	site.client(t).login("ada@example.com", "reset password 1")
}

// The new forms and calls are refused when another site sends them.
func TestAccount_CrossSiteRefused(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	c := site.client(t)
	c.register("ada@example.com")
	token := opslab.NewToken()
	if err := site.sessions.CreateResetLink(context.Background(), 1, token, site.clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/account/password", "/account/sessions/1/end", "/account/sessions/revoke-others", "/reset/" + token} {
		st, _, _ := c.do("POST", path, "password=evil-password-1&password_again=evil-password-1&new_password=x",
			"Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if st != 403 {
			t.Errorf("cross-site POST %s: %d", path, st)
		}
	}
	for _, call := range [][2]string{{"POST", "/api/me/password"}, {"DELETE", "/api/me/sessions/1"}, {"POST", "/api/me/sessions/revoke-others"}} {
		if st, _, _ := c.do(call[0], call[1], `{}`, "Sec-Fetch-Site", "cross-site"); st != 403 {
			t.Errorf("cross-site %s %s: %d", call[0], call[1], st)
		}
	}
	if st, _, _ := c.do("GET", "/api/me", ""); st != 200 {
		t.Fatalf("the session was ended by a cross-site request: %d", st)
	}
	if _, err := site.sessions.CheckResetLink(context.Background(), token); err != nil {
		t.Fatalf("the reset link was used by a cross-site request: %v", err)
	}
}

// Signing up needs only an email and a password; the name defaults to
// the email's local part.
func TestSignup_NameOptional(t *testing.T) {
	site := newAccountSite(t, filepath.Join(t.TempDir(), "opslab.db"), newClock())
	c := site.client(t)
	st, _, body := c.do("POST", "/api/register", `{"email":"grace.hopper@example.com","password":"`+accountPassword+`"}`)
	if st != 201 || !strings.Contains(body, `"name":"grace.hopper"`) {
		t.Fatalf("API sign-up without a name: %d %s", st, body)
	}
	f := site.client(t)
	st, _, _ = f.do("POST", "/register", url.Values{"email": {"ada@example.com"}, "password": {accountPassword}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded", "Origin", site.URL)
	if st != 303 {
		t.Fatalf("form sign-up without a name: %d", st)
	}
	if st, _, body := f.do("GET", "/api/me", ""); st != 200 || !strings.Contains(body, `"name":"ada"`) {
		t.Fatalf("me: %d %s", st, body)
	}
	if _, _, page := f.do("GET", "/register", ""); strings.Contains(page, `name="name"`) {
		t.Fatal("the sign-up form still asks for a name")
	}
}
