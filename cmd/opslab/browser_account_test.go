package main

// Passwords and sessions in real Chromium (issue 13): a learner signed in
// on two browsers changes the password on the account page and the other
// browser is signed out at once while this one stays; an administrator's
// "opslab user reset-link" prints a link that sets a new password once,
// signs the person in, ends every other session and then stops working;
// the old passwords no longer sign in and the last one does.

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserPasswordChangeAndResetLink(t *testing.T) {
	execPath := chromiumPath(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const (
		email  = "ada@example.com"
		first  = "first-long-password"
		second = "second-long-password"
		third  = "third-long-password"
	)
	var out, errb bytes.Buffer
	if err := Run(ctx, []string{"user", "add", "--data", dir, "--email", email, "--name", "Ada"},
		strings.NewReader(first+"\n"), &out, &errb); err != nil {
		t.Fatalf("opslab user add: %v\n%s", err, errb.String())
	}
	srv := startServerOn(t, dir)
	base := srv.URL()

	// signedIn reports whether the tab's session still opens the account
	// page (a signed-out browser is sent to the sign-in page).
	signedIn := func(b *browserTab) bool {
		b.t.Helper()
		b.navigate(base + "/account")
		return b.location().Path == "/account"
	}

	a := newBrowser(t, execPath, "browser A")
	a.navigate(base + "/login")
	a.signInThroughForm(email, first)
	bb := newBrowser(t, execPath, "browser B")
	bb.navigate(base + "/login")
	bb.signInThroughForm(email, first)

	// The account page, reached from the menu, lists both sessions.
	clickToNavigate(a, "open the account page from the menu", chromedp.CSS(`a[data-role=nav-account]`))
	if p := a.location().Path; p != "/account" {
		a.fatalf("the account link led to %s", p)
	}
	type sessions struct {
		Rows    int `json:"rows"`
		Current int `json:"current"`
	}
	const readSessions = `(() => ({
  rows: document.querySelectorAll("[data-role=sessions] tbody tr").length,
  current: document.querySelectorAll("[data-role=sessions] tbody tr[data-current=true]").length,
}))()`
	if s := evalIn[sessions](a, "read the session list", readSessions); s.Rows != 2 || s.Current != 1 {
		a.fatalf("the account page lists %d sessions (%d marked current), want 2 (1 current)", s.Rows, s.Current)
	}

	// A wrong current password changes nothing.
	a.do("fill the password form with a wrong current password",
		chromedp.SendKeys(chromedp.ID("current-password"), "not-the-password"),
		chromedp.SendKeys(chromedp.ID("new-password"), second),
		chromedp.SendKeys(chromedp.ID("new-password-again"), second),
	)
	if st := clickForStatus(a, "submit the password form", chromedp.CSS(`form[data-role=password-form] button[type=submit]`)); st != 400 {
		a.fatalf("a wrong current password answered %d, want 400", st)
	}
	if msg := evalIn[string](a, "read the error", `(document.querySelector("[data-role=account-error], .form-error") || {}).textContent || ""`); msg == "" {
		a.fatalf("a wrong current password shows no error")
	}
	if !signedIn(bb) {
		bb.fatalf("a refused password change signed browser B out")
	}

	// The right one changes it: B is signed out, A stays.
	a.navigate(base + "/account")
	a.do("fill the password form",
		chromedp.SendKeys(chromedp.ID("current-password"), first),
		chromedp.SendKeys(chromedp.ID("new-password"), second),
		chromedp.SendKeys(chromedp.ID("new-password-again"), second),
	)
	clickToNavigate(a, "submit the password form", chromedp.CSS(`form[data-role=password-form] button[type=submit]`))
	if notice := evalIn[string](a, "read the notice", `(document.querySelector("[data-role=account-notice]") || {}).textContent || ""`); notice == "" {
		a.fatalf("the password change shows no notice")
	}
	if s := evalIn[sessions](a, "read the session list", readSessions); s.Rows != 1 || s.Current != 1 {
		a.fatalf("after the change the account page lists %d sessions (%d current), want only this one", s.Rows, s.Current)
	}
	if signedIn(bb) {
		bb.fatalf("browser B still opens the account page after the password changed elsewhere")
	}
	if !signedIn(a) {
		a.fatalf("the browser that changed the password was signed out")
	}

	// An administrator makes a reset link.
	out.Reset()
	errb.Reset()
	if err := Run(ctx, []string{"user", "reset-link", "--data", dir, "--email", email, "--public-url", base},
		strings.NewReader(""), &out, &errb); err != nil {
		t.Fatalf("opslab user reset-link: %v\n%s", err, errb.String())
	}
	link, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(link, base+"/reset/") {
		t.Fatalf("opslab user reset-link printed %q first, want a link under %s/reset/", out.String(), base)
	}

	// B opens it, chooses a new password and is signed in; A is signed out.
	bb.navigate(link)
	bb.do("fill the reset form",
		chromedp.WaitVisible(chromedp.CSS(`form[data-role=reset-form]`)),
		chromedp.SendKeys(chromedp.ID("password"), third),
		chromedp.SendKeys(chromedp.ID("password-again"), third),
	)
	clickToNavigate(bb, "submit the reset form", chromedp.CSS(`form[data-role=reset-form] button[type=submit]`))
	if p := bb.location().Path; p != "/" {
		bb.fatalf("the reset form led to %s, want /", p)
	}
	if !signedIn(bb) {
		bb.fatalf("setting a password through the link did not sign browser B in")
	}
	if signedIn(a) {
		a.fatalf("browser A is still signed in after the password was reset")
	}

	// The link works once.
	bb.navigate(link)
	if !evalIn[bool](bb, "look for the used-link notice", `!!document.querySelector("[data-role=reset-invalid]")`) ||
		evalIn[bool](bb, "look for the reset form", `!!document.querySelector("form[data-role=reset-form]")`) {
		bb.fatalf("a used reset link still offers to set a password")
	}

	// Only the newest password signs in.
	for _, old := range []string{first, second} {
		a.navigate(base + "/login")
		a.do("fill the sign-in form with an old password",
			chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
			chromedp.SendKeys(chromedp.ID("email"), email),
			chromedp.SendKeys(chromedp.ID("password"), old),
		)
		if st := clickForStatus(a, "submit the sign-in form", chromedp.CSS(`form[action="/login"] button[type=submit]`)); st == 200 {
			a.fatalf("signing in with an old password (%q) answered 200", old)
		}
		if signedIn(a) {
			a.fatalf("an old password (%q) still signs in", old)
		}
	}
	a.navigate(base + "/login")
	a.signInThroughForm(email, third)
	if !signedIn(a) {
		a.fatalf("the password set through the reset link does not sign in")
	}
	// The refused password change, the refused sign-ins and the used link
	// (404) are the only failed requests.
	a.assertCleanExcept(base+"/account/password", base+"/login")
	bb.assertCleanExcept(link)
}

// clickForStatus clicks an element that loads a new page, waits for that
// page and returns its status, for forms that answer an error on purpose.
func clickForStatus[S chromedp.Selectable](b *browserTab, what string, sel S) int64 {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	if resp == nil {
		b.fatalf("%s: no page loaded", what)
	}
	return resp.Status
}
