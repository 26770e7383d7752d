package main

// Single sign-on in real Chromium: "opslab serve" runs with --oidc-issuer
// set to a real OpenID provider the test starts (package oidctest) and with
// password sign-in turned off. A signed-out person opens a lesson, is sent
// to the sign-in page, clicks "Sign in with Example ID", signs in on the
// provider's own login form and lands back on the lesson, signed in to an
// account made for them. Console errors and CSP violations on this site
// fail the test, as in the learner journey.

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opslab/opslab/internal/oidctest"
	"github.com/opslab/opslab/internal/testkit"
)

func TestBrowserSingleSignOn(t *testing.T) {
	execPath := chromiumPath(t)
	const (
		clientID = "opslab"
		secret   = "browser-test-client-secret"
		username = "grace"
		password = "grace-at-the-provider"
	)
	// The provider must know the redirect URI before opslab starts, and
	// opslab its public URL: take a free port first.
	addr := testkit.FreeAddr(t)
	public := "http://" + addr
	issuer := oidctest.Start(t, oidctest.Provider{ClientID: clientID, ClientSecret: secret,
		RedirectURI: public + "/auth/oidc/callback",
		People: map[string]oidctest.Person{"u-grace": {Username: username, Password: password, First: "Grace", Last: "Hopper",
			Email: "grace@example.com", EmailVerified: true}},
	})
	secretFile := filepath.Join(t.TempDir(), "oidc-secret")
	if err := os.WriteFile(secretFile, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, "--addr", addr, "--public-url", public, "--oidc-issuer", issuer, "--oidc-client-id", clientID,
		"--oidc-client-secret-file", secretFile, "--oidc-name", "Example ID", "--password-login=false")
	if srv.URL() != public {
		t.Fatalf("opslab listens on %s, want %s", srv.URL(), public)
	}

	b := newBrowser(t, execPath, "browser")
	lesson := lessonPath(e2eCourse, e2eLesson)
	if st := b.navigate(public + lesson); st != 200 {
		b.fatalf("opening a lesson signed out answered %d", st)
	}
	if p := b.location().Path; p != "/login" {
		b.fatalf("a signed-out lesson led to %s, want the sign-in page", p)
	}
	type loginFacts struct {
		Button   string `json:"button"`
		Password bool   `json:"password"`
		Signup   bool   `json:"signup"`
	}
	f := evalIn[loginFacts](b, "read the sign-in page", `(() => ({
  button: (document.querySelector("a[data-role=sso]") || {}).textContent || "",
  password: !!document.querySelector("input[type=password]"),
  signup: !!document.querySelector("a[href^='/register']"),
}))()`)
	if f.Button != "Sign in with Example ID" || f.Password || f.Signup {
		b.fatalf("sign-in page: button %q, password form %v, sign-up link %v; want only the single sign-on button", f.Button, f.Password, f.Signup)
	}

	clickToNavigate(b, `click "Sign in with Example ID"`, chromedp.CSS(`a[data-role=sso]`))
	if u := b.location(); "http://"+u.Host != issuer {
		b.fatalf("the button led to %s, want the provider at %s", u, issuer)
	}
	b.do("fill the provider's login form",
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), username),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	clickToNavigate(b, "submit the provider's login form", chromedp.CSS(`button[type=submit]`))

	if u := b.location(); u.Host != addr || u.Path != lesson {
		b.fatalf("after the provider's form the browser is at %s, want the lesson %s%s", u, public, lesson)
	}
	who := evalIn[string](b, "read who is signed in", `(document.querySelector("nav .whoami") || {}).textContent || ""`)
	if who != "Grace Hopper" {
		b.fatalf("the menu names %q, want Grace Hopper signed in", who)
	}
	// The provider's page has no favicon: its 404 is the provider's.
	b.assertCleanExcept(issuer + "/favicon.ico")
}
