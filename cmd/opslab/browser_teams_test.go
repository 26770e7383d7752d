package main

// Team invite links in real Chromium: a lead made with "opslab user add"
// opens Teams from the menu, makes an invite link on the members page (the
// page's script offers to copy it), and a newcomer opens the link signed
// out, creates an account, comes back to the link and joins; the lead then
// sees them among the members. Console errors and CSP violations fail the
// test, as in the learner journey.

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserTeamInvite(t *testing.T) {
	execPath := chromiumPath(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	const password = "a-long-password"
	var out, errb bytes.Buffer
	if err := Run(ctx, []string{"user", "add", "--data", dir, "--email", "lena@example.com", "--name", "Lena Lead",
		"--role", "lead", "--team", "platform"}, strings.NewReader(password+"\n"), &out, &errb); err != nil {
		t.Fatalf("opslab user add: %v\n%s", err, errb.String())
	}
	srv := startServerOn(t, dir)
	base := srv.URL()

	lead := newBrowser(t, execPath, "lead's browser")
	lead.navigate(base + "/login")
	lead.signInThroughForm("lena@example.com", password)
	clickToNavigate(lead, `click "Teams" in the menu`, chromedp.CSS(`a[data-role=nav-teams]`))
	if p := lead.location().Path; p != "/teams" {
		lead.fatalf("the Teams link led to %s", p)
	}
	clickToNavigate(lead, "open the members page", chromedp.CSS(`tr[data-team="platform"] a[href="/teams/platform/members"]`))
	lead.do("choose a one-day link",
		chromedp.SetValue(chromedp.ID("invite-ttl"), "24"),
	)
	clickToNavigate(lead, "create an invite link", chromedp.CSS(`form[data-role=invite-form] button[type=submit]`))
	type created struct {
		URL        string `json:"url"`
		Relative   bool   `json:"relative"`
		CopyHidden bool   `json:"copyHidden"`
	}
	c := evalIn[created](lead, "read the new link", `(() => ({
  url: (document.querySelector("[data-role=invite-url]") || {}).value || "",
  relative: !!document.querySelector("[data-role=invite-relative]"),
  copyHidden: (document.querySelector("[data-role=copy-invite]") || {hidden: true}).hidden,
}))()`)
	// The server runs without --public-url: the page shows the link's path
	// and says to put it after the site's address.
	if !strings.HasPrefix(c.URL, "/invite/") || !c.Relative {
		lead.fatalf("the members page shows the invite link %q (relative note: %v), want a path with the note", c.URL, c.Relative)
	}
	if evalIn[bool](lead, "look for an add-by-email form", `!!document.querySelector("[data-role=add-member-form]")`) {
		lead.fatalf("a lead is offered to add an account by email")
	}
	c.URL = base + c.URL
	if c.CopyHidden {
		lead.fatalf("the Copy button stayed hidden: teams.js did not run")
	}

	newcomer := newBrowser(t, execPath, "newcomer's browser")
	if st := newcomer.navigate(c.URL); st != 200 {
		newcomer.fatalf("the invite link answered %d", st)
	}
	clickToNavigate(newcomer, `click "Create an account"`, chromedp.Search(`//a[normalize-space(.)="Create an account"]`))
	newcomer.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "nina@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	clickToNavigate(newcomer, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
	if u := newcomer.location(); u.String() != c.URL {
		newcomer.fatalf("after signing up the newcomer is at %s, want back at the invite link", u)
	}
	clickToNavigate(newcomer, "join the team", chromedp.CSS(`[data-role=join]`))
	if state := evalIn[string](newcomer, "read the invite page", `document.querySelector("[data-role=invite]").dataset.state`); state != "member" {
		newcomer.fatalf("after joining the invite page says %q, want member", state)
	}

	lead.navigate(base + "/teams/platform/members")
	if !evalIn[bool](lead, "look for the newcomer", `!!document.querySelector('tr[data-member="nina@example.com"]')`) {
		lead.fatalf("the newcomer is not among the members")
	}
	if st := evalIn[string](lead, "read the invite's state", `document.querySelector("tr[data-invite] td:nth-child(4)").textContent.trim()`); st != "Used up" {
		lead.fatalf("the single-use link shows %q, want Used up", st)
	}
	lead.assertClean()
	newcomer.assertClean()
}
