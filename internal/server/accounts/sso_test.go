package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/markdown"
	"github.com/opslab/opslab/internal/oidctest"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server"
	"github.com/opslab/opslab/internal/server/accounts"
	"github.com/opslab/opslab/internal/server/kit"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit/dbkit"
)

// The single sign-on tests run a real OpenID provider in the test (package
// oidctest: zitadel's example provider on an httptest server) and go
// through its login form over HTTP.

// ssoSessionKey is the site's session key.
var ssoSessionKey = bytes.Repeat([]byte("k"), 32)

const (
	ssoClientID     = "opslab"
	ssoClientSecret = "client-secret-for-tests"
	ssoTeamClaim    = "groups"
)

var ssoPeople = map[string]oidctest.Person{
	"u-ada":  {Username: "ada", Password: "ada-at-the-idp", First: "Ada", Last: "Lovelace", Email: "Ada.Lovelace@Example.com", EmailVerified: true},
	"u-bob":  {Username: "bob", Password: "bob-at-the-idp", First: "Bob", Last: "Unverified", Email: "bob@example.com", EmailVerified: false},
	"u-cyd":  {Username: "cyd", Password: "cyd-at-the-idp", First: "Cyd", Last: "Platform", Email: "cyd@example.com", EmailVerified: true, Teams: []string{"Platform Team", "no-such-team"}},
	"u-dana": {Username: "dana", Password: "dana-at-the-idp", First: "Dana", Last: "Lead", Email: "dana@example.com", EmailVerified: true, Teams: []string{"platform"}},
}

// startProvider runs the provider with ssoPeople and one web client whose
// redirect URI is redirectURI; it returns the issuer URL.
func startProvider(t testing.TB, redirectURI string) string {
	t.Helper()
	return oidctest.Start(t, oidctest.Provider{ClientID: ssoClientID, ClientSecret: ssoClientSecret,
		RedirectURI: redirectURI, TeamClaim: ssoTeamClaim, People: ssoPeople})
}

// ssoSite is opslab with single sign-on against the test provider.
type ssoSite struct {
	url    string
	srv    *server.Server
	oidc   accounts.OIDCConfig
	now    func() time.Time
	users  *sqlite.UserService
	teams  *sqlite.TeamAdminService
	offset atomic.Int64 // added to the clock, in nanoseconds
}

type ssoOptions struct {
	noPassword bool
	issuer     string // default: a test provider
}

func newSSOSite(t testing.TB, o ssoOptions) *ssoSite {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	public := "http://" + ts.Listener.Addr().String()
	if o.issuer == "" {
		o.issuer = startProvider(t, public+"/auth/oidc/callback")
	}
	db := dbkit.Open(t)
	site := &ssoSite{url: public, users: sqlite.NewUserService(db), teams: sqlite.NewTeamAdminService(db)}
	site.users.BcryptCost = bcrypt.MinCost
	oidcCfg := accounts.OIDCConfig{Issuer: o.issuer, ClientID: ssoClientID, ClientSecret: ssoClientSecret, TeamClaim: ssoTeamClaim, Name: "Example ID"}
	site.oidc = oidcCfg
	site.now = func() time.Time { return time.Now().Add(time.Duration(site.offset.Load())) }
	srv, err := server.New(server.Config{
		Users:           site.users,
		Teams:           sqlite.NewTeamService(db),
		TeamAdmin:       site.teams,
		Progress:        sqlite.NewProgressService(db),
		SessionKey:      ssoSessionKey,
		SignupOpen:      true,
		PublicURL:       public,
		OIDC:            oidcCfg,
		NoPasswordLogin: o.noPassword,
		Now:             site.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := course.Load(os.DirFS("../../markdown/testdata/good"), markdown.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv.SetCatalog(cat)
	site.srv = srv
	ts.Config.Handler = srv
	ts.Start()
	t.Cleanup(ts.Close)
	return site
}

// ssoBrowser is a cookie-keeping HTTP client that stops before following
// a redirect to this site's callback, and at the callback's own answer, so
// that tests can look at (or tamper with) that step.
type ssoBrowser struct {
	t   testing.TB
	jar *cookiejar.Jar
	c   *http.Client
}

func newSSOBrowser(t testing.TB) *ssoBrowser {
	jar, _ := cookiejar.New(nil)
	b := &ssoBrowser{t: t, jar: jar}
	b.c = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" || via[len(via)-1].URL.Path == "/auth/oidc/callback" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *ssoBrowser) get(u string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

var authRequestID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// toCallback starts a sign-in at the site, signs in at the provider's
// login form and returns the callback URL the provider sends back.
func (b *ssoBrowser) toCallback(site *ssoSite, username, next string) string {
	b.t.Helper()
	resp, body := b.get(site.url + "/auth/oidc/start?next=" + url.QueryEscape(next))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `name="password"`) {
		b.t.Fatalf("start: want the provider's login form, got %d at %s:\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	m := authRequestID.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("no auth request id in the provider's form:\n%s", body)
	}
	var person oidctest.Person
	for _, p := range ssoPeople {
		if p.Username == username {
			person = p
		}
	}
	form := url.Values{"id": {m[1]}, "username": {username}, "password": {person.Password}}
	loginURL := resp.Request.URL.ResolveReference(&url.URL{Path: "/login/username"})
	resp, err := b.c.PostForm(loginURL.String(), form)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || resp.StatusCode/100 != 3 || loc.Path != "/auth/oidc/callback" {
		b.t.Fatalf("login at the provider: want a redirect to the callback, got %d %v", resp.StatusCode, loc)
	}
	return loc.String()
}

// me returns the signed-in user, or nil.
func (b *ssoBrowser) me(site *ssoSite) *kit.UserJSON {
	b.t.Helper()
	resp, body := b.get(site.url + "/api/me")
	if resp.StatusCode == http.StatusUnauthorized {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		b.t.Fatalf("/api/me: %d %s", resp.StatusCode, body)
	}
	var u kit.UserJSON
	if err := json.Unmarshal([]byte(body), &u); err != nil {
		b.t.Fatal(err)
	}
	return &u
}

// flowCookie returns the browser's sign-in state cookie ("" if none).
func (b *ssoBrowser) flowCookie(site *ssoSite) string {
	u, _ := url.Parse(site.url + "/auth/oidc/callback")
	for _, c := range b.jar.Cookies(u) {
		if c.Name == accounts.OIDCCookieName {
			return c.Value
		}
	}
	return ""
}

func (b *ssoBrowser) setFlowCookie(site *ssoSite, v string) {
	u, _ := url.Parse(site.url + "/auth/oidc/callback")
	b.jar.SetCookies(u, []*http.Cookie{{Name: accounts.OIDCCookieName, Value: v, Path: accounts.OIDCCookiePath}})
}

// wantRefused checks that the callback answered with a 4xx page saying
// want and that the browser is not signed in.
func wantRefused(t *testing.T, site *ssoSite, b *ssoBrowser, resp *http.Response, body string, status int, want string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("callback: status %d, want %d\n%s", resp.StatusCode, status, body)
	}
	if !strings.Contains(body, want) {
		t.Errorf("callback page does not say %q:\n%s", want, body)
	}
	if u := b.me(site); u != nil {
		t.Errorf("a refused sign-in left the browser signed in as %+v", u)
	}
}

func TestOIDCSignInCreatesLearnerAccount(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	b := newSSOBrowser(t)
	cb := b.toCallback(site, "ada", "/courses/demo")
	if !strings.Contains(cb, "code=") || !strings.Contains(cb, "state=") {
		t.Fatalf("callback URL %s lacks the code or the state", cb)
	}
	resp, body := b.get(cb)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/courses/demo" {
		t.Fatalf("callback: %d to %q, want 303 to /courses/demo\n%s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	me := b.me(site)
	if me == nil {
		t.Fatal("not signed in after the callback")
	}
	if me.Email != "ada.lovelace@example.com" || me.Name != "Ada Lovelace" || me.Role != string(opslab.RoleLearner) {
		t.Errorf("signed in as %+v, want a learner ada.lovelace@example.com named Ada Lovelace", me)
	}
	if b.flowCookie(site) != "" {
		t.Error("the sign-in state cookie outlived the callback")
	}
	// A created account has no password anyone knows.
	if _, err := site.users.Authenticate(context.Background(), me.Email, ""); err == nil {
		t.Error("the created account accepts an empty password")
	}
	// Signing in again matches the same account.
	b2 := newSSOBrowser(t)
	b2.get(b2.toCallback(site, "ada", "/"))
	if again := b2.me(site); again == nil || again.ID != me.ID {
		t.Errorf("second sign-in: %+v, want the account %d", again, me.ID)
	}
}

func TestOIDCSignInMatchesExistingAccountByEmail(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	ctx := context.Background()
	existing, err := site.users.CreateUser(ctx, opslab.NewUser{Email: "ada.lovelace@example.com", Name: "Countess Ada",
		Password: "a-local-password", Role: opslab.RoleInstructor})
	if err != nil {
		t.Fatal(err)
	}
	b := newSSOBrowser(t)
	resp, body := b.get(b.toCallback(site, "ada", "/"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d\n%s", resp.StatusCode, body)
	}
	me := b.me(site)
	if me == nil || me.ID != existing.ID || me.Role != string(opslab.RoleInstructor) || me.Name != "Countess Ada" {
		t.Fatalf("signed in as %+v, want the existing instructor account %d unchanged", me, existing.ID)
	}
	// The local password still works.
	if _, err := site.users.Authenticate(ctx, "ada.lovelace@example.com", "a-local-password"); err != nil {
		t.Errorf("the local password stopped working: %v", err)
	}
}

func TestOIDCTeamClaimJoinsExistingTeamAsLearner(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	ctx := context.Background()
	if _, err := site.users.CreateUser(ctx, opslab.NewUser{Email: "lead@example.com", Name: "Lead", Password: "lead-password", Role: opslab.RoleLead}); err != nil {
		t.Fatal(err)
	}
	team, err := site.teams.CreateTeamWithLeads(ctx, opslab.NewTeam{Slug: "platform", Name: "Platform Team", LeadEmails: []string{"lead@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	// cyd's claim names the team by its name, and a team that does not exist.
	b := newSSOBrowser(t)
	b.get(b.toCallback(site, "cyd", "/"))
	me := b.me(site)
	if me == nil {
		t.Fatal("cyd is not signed in")
	}
	m, err := site.teams.Membership(ctx, team.ID, me.ID)
	if err != nil {
		t.Fatalf("cyd did not join the team named in the claim: %v", err)
	}
	if m.Lead || me.Role != string(opslab.RoleLearner) {
		t.Errorf("cyd joined as lead=%v with role %s, want a learner", m.Lead, me.Role)
	}
	teams, err := site.teams.ListTeams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(teams) != 1 {
		t.Errorf("%d teams after sign-in, want 1: an unknown team in the claim must not be created", len(teams))
	}
	// dana's claim names it by slug.
	b2 := newSSOBrowser(t)
	b2.get(b2.toCallback(site, "dana", "/"))
	dana := b2.me(site)
	if dana == nil {
		t.Fatal("dana is not signed in")
	}
	if m, err := site.teams.Membership(ctx, team.ID, dana.ID); err != nil || m.Lead {
		t.Errorf("dana (team claim by slug): membership %+v, %v; want a learner member", m, err)
	}
}

func TestOIDCStateMismatchRefused(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	// An attacker signs in at the provider and hands the callback link
	// to a victim, whose browser started its own sign-in.
	attacker := newSSOBrowser(t)
	cb := attacker.toCallback(site, "ada", "/")
	victim := newSSOBrowser(t)
	victim.get(site.url + "/auth/oidc/start")
	if victim.flowCookie(site) == "" {
		t.Fatal("start set no sign-in state cookie")
	}
	resp, body := victim.get(cb)
	wantRefused(t, site, victim, resp, body, http.StatusBadRequest, "does not belong to the sign-in this browser started")

	// A browser that started nothing.
	fresh := newSSOBrowser(t)
	resp, body = fresh.get(cb)
	wantRefused(t, site, fresh, resp, body, http.StatusBadRequest, "expired or was started in another browser")

	// The attacker's own browser with the state changed.
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Set("state", q.Get("state")+"x")
	u.RawQuery = q.Encode()
	resp, body = attacker.get(u.String())
	wantRefused(t, site, attacker, resp, body, http.StatusBadRequest, "does not belong to the sign-in this browser started")
}

func TestOIDCNonceMismatchRefused(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	b := newSSOBrowser(t)
	cb := b.toCallback(site, "ada", "/")
	// Same state and verifier, another nonce: only the ID token's nonce
	// can tell.
	codec := site.flowCodec(t)
	f, ok := codec.OpenFlow(b.flowCookie(site))
	if !ok {
		t.Fatal("cannot open the sign-in state cookie")
	}
	f.Nonce = "not-the-nonce-sent-to-the-provider"
	v, err := codec.SealFlow(f)
	if err != nil {
		t.Fatal(err)
	}
	b.setFlowCookie(site, v)
	resp, body := b.get(cb)
	wantRefused(t, site, b, resp, body, http.StatusBadRequest, "does not belong to the sign-in this browser started")
}

func TestOIDCCallbackReplayRefused(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	b := newSSOBrowser(t)
	cb := b.toCallback(site, "ada", "/")
	cookie := b.flowCookie(site)
	if resp, body := b.get(cb); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("first callback: %d\n%s", resp.StatusCode, body)
	}
	// The same browser again: the state cookie is gone.
	resp, body := b.get(cb)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "expired or was started in another browser") {
		t.Errorf("replay in the same browser: %d\n%s", resp.StatusCode, body)
	}
	// Someone who copied both the link and the cookie.
	thief := newSSOBrowser(t)
	thief.setFlowCookie(site, cookie)
	resp, body = thief.get(cb)
	wantRefused(t, site, thief, resp, body, http.StatusBadRequest, "already completed")
}

func TestOIDCExpiredSignInRefused(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	b := newSSOBrowser(t)
	cb := b.toCallback(site, "ada", "/")
	site.offset.Store(int64(accounts.OIDCFlowTTL + time.Minute))
	resp, body := b.get(cb)
	wantRefused(t, site, b, resp, body, http.StatusBadRequest, "expired")
}

func TestOIDCUnverifiedEmailRefused(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	b := newSSOBrowser(t)
	resp, body := b.get(b.toCallback(site, "bob", "/"))
	wantRefused(t, site, b, resp, body, http.StatusForbidden, "is not verified at Example ID")
	if _, err := site.users.UserByEmail(context.Background(), "bob@example.com"); opslab.ErrorCode(err) != opslab.ENOTFOUND {
		t.Errorf("an account was created for an unverified email: %v", err)
	}
}

func TestOIDCProviderErrorRefused(t *testing.T) {
	site := newSSOSite(t, ssoOptions{})
	b := newSSOBrowser(t)
	b.get(site.url + "/auth/oidc/start")
	resp, body := b.get(site.url + "/auth/oidc/callback?error=access_denied&error_description=Click+here+to+win&state=x")
	wantRefused(t, site, b, resp, body, http.StatusForbidden, "Example ID did not sign you in (access_denied)")
	if strings.Contains(body, "Click here") {
		t.Error("the provider's error description, which anyone can put in a link, is on the page")
	}
}

func TestOIDCUnreachableProvider(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	issuer := dead.URL
	dead.Close()
	site := newSSOSite(t, ssoOptions{issuer: issuer})
	if err := site.srv.DiscoverOIDC(context.Background()); err == nil {
		t.Error("DiscoverOIDC: no error for a provider that is not there")
	}
	b := newSSOBrowser(t)
	resp, body := b.get(site.url + "/auth/oidc/start")
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "cannot be reached right now") {
		t.Errorf("start with the provider down: %d\n%s", resp.StatusCode, body)
	}
	if resp, body := b.get(site.url + "/login"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sign in with Example ID") {
		t.Errorf("login page with the provider down: %d\n%s", resp.StatusCode, body)
	}
}

func TestNoPasswordLoginRefusesPasswords(t *testing.T) {
	site := newSSOSite(t, ssoOptions{noPassword: true})
	ctx := context.Background()
	if _, err := site.users.CreateUser(ctx, opslab.NewUser{Email: "old@example.com", Name: "Old", Password: "old-password-1"}); err != nil {
		t.Fatal(err)
	}
	b := newSSOBrowser(t)
	resp, body := b.get(site.url + "/login")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Sign in with Example ID") {
		t.Errorf("login page: %d, want the single sign-on button\n%s", resp.StatusCode, body)
	}
	if strings.Contains(body, `name="password"`) || strings.Contains(body, `href="/register`) {
		t.Errorf("login page offers a password form or sign-up:\n%s", body)
	}
	post := func(path, ctype, payload string) (*http.Response, string) {
		resp, err := b.c.Post(site.url+path, ctype, strings.NewReader(payload))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}
	const form = "application/x-www-form-urlencoded"
	for _, c := range []struct{ path, ctype, payload string }{
		{"/login", form, "email=old%40example.com&password=old-password-1"},
		{"/register", form, "email=new%40example.com&name=New&password=new-password-1"},
		{"/api/login", "application/json", `{"email":"old@example.com","password":"old-password-1"}`},
		{"/api/register", "application/json", `{"email":"new@example.com","name":"New","password":"new-password-1"}`},
	} {
		resp, body := post(c.path, c.ctype, c.payload)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "password is turned off") {
			t.Errorf("POST %s: %d, want 403 saying passwords are off\n%s", c.path, resp.StatusCode, body)
		}
	}
	if resp, _ := b.get(site.url + "/register"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /register: %d, want 403", resp.StatusCode)
	}
	if u := b.me(site); u != nil {
		t.Fatalf("signed in with a password: %+v", u)
	}
	if _, err := site.users.UserByEmail(ctx, "new@example.com"); opslab.ErrorCode(err) != opslab.ENOTFOUND {
		t.Errorf("an account was registered with a password: %v", err)
	}
	// Single sign-on still works.
	b.get(b.toCallback(site, "ada", "/"))
	if b.me(site) == nil {
		t.Error("single sign-on failed with passwords off")
	}
}

// flowCodec is a single sign-on client with the site's configuration and
// session key, which seals and opens the site's sign-in state cookies.
func (site *ssoSite) flowCodec(t *testing.T) *accounts.SSO {
	t.Helper()
	c, err := accounts.NewSSO(site.oidc, site.url, ssoSessionKey, site.users, site.now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
