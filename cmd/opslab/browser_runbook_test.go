package main

// A learner and their team lead in real Chromium, each in their own
// browser. The learner, in team t, writes the runbook of lesson 11 in the
// editor at the end of the lesson, reloads (the draft is still there, even
// text typed just before the reload), and submits it. The lead sees the
// Reviews badge, opens the queue and the runbook, and asks for changes
// with a comment. The learner opens the lesson again and sees "Changes
// requested", the comment and a badge, which goes once the review is on
// screen. Uses the tab and collector conventions of browser_test.go.

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// runbookEditor is what the test reads from the lesson's runbook editor.
type runbookEditor struct {
	Ready    bool     `json:"ready"`
	Body     string   `json:"body"`
	Status   string   `json:"status"`
	StatusOf string   `json:"statusOf"`
	Save     string   `json:"save"`
	SaveText string   `json:"saveText"`
	Notice   string   `json:"notice"`
	Reviews  []string `json:"reviews"`
	Comments []string `json:"comments"`
	Badge    string   `json:"badge"`
	BadgeOn  bool     `json:"badgeOn"`
	BadgeURL string   `json:"badgeURL"`
	AtEditor bool     `json:"atEditor"`
}

const readRunbookEditor = `(() => {
  const q = s => document.querySelector(s);
  const text = el => el ? el.textContent.trim().replace(/\s+/g, " ") : "";
  const ta = q("[data-role=runbook] [data-role=runbook-body]");
  const st = q("[data-role=runbook-status]");
  const save = q("[data-role=runbook-save-status]");
  const badge = q("[data-role=badge-runbooks]");
  return {
    ready: !!ta && !ta.disabled,
    body: ta ? ta.value : "",
    status: text(st), statusOf: st ? (st.dataset.status || "") : "",
    save: save ? (save.dataset.state || "") : "", saveText: text(save),
    notice: text(q("[data-role=runbook-notice]")),
    reviews: Array.from(document.querySelectorAll("[data-role=runbook-review] .runbook-review-head")).map(text),
    comments: Array.from(document.querySelectorAll("[data-role=runbook-review-comment]")).map(text),
    badge: text(badge && badge.querySelector("[data-role=badge-count]")),
    badgeOn: !!badge && !badge.hidden && badge.getClientRects().length > 0,
    badgeURL: badge ? badge.getAttribute("href") : "",
    atEditor: location.hash === "#runbook",
  };
})()`

func (b *browserTab) runbookEditor() runbookEditor {
	b.t.Helper()
	return evalIn[runbookEditor](b, "read the runbook editor", readRunbookEditor)
}

// typeInRunbook puts the caret at the end of the runbook and types text
// as keystrokes.
func (b *browserTab) typeInRunbook(text string) {
	b.t.Helper()
	evalIn[bool](b, "put the caret at the end of the runbook", `(() => {
  const ta = document.querySelector("[data-role=runbook-body]");
  ta.focus();
  ta.setSelectionRange(ta.value.length, ta.value.length);
  return true;
})()`)
	b.do("type in the runbook", chromedp.KeyEvent(text))
}

func TestBrowserRunbookReview(t *testing.T) {
	execPath := chromiumPath(t)

	// A learner and the lead of their team, added as an operator would.
	data := t.TempDir()
	const (
		learnerEmail = "lena.learner@example.com"
		learnerName  = "Lena Learner"
		leadEmail    = "leo.lead@example.com"
		leadName     = "Leo Lead"
		password     = "runbook-password"
		team         = "t"
	)
	for _, u := range []struct{ email, name, role string }{
		{learnerEmail, learnerName, "learner"}, {leadEmail, leadName, "lead"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var out, errOut bytes.Buffer
		err := Run(ctx, []string{"user", "add", "--data", data, "--email", u.email, "--name", u.name, "--role", u.role, "--team", team},
			strings.NewReader(password+"\n"), &out, &errOut)
		cancel()
		if err != nil {
			t.Fatalf("opslab user add --role %s --team %s: %v\nstderr:\n%s", u.role, team, err, errOut.String())
		}
	}
	srv := startServerOn(t, data)
	base := srv.URL()
	lessonURL := base + lessonPath(e2eCourse, e2eLesson)

	// The learner signs in on the way to lesson 11.
	learner := newBrowser(t, execPath, "learner's browser")
	learner.navigate(lessonURL)
	learner.signInThroughForm(learnerEmail, password)
	if u := learner.location(); u.Path != lessonPath(e2eCourse, e2eLesson) {
		learner.fatalf("sign-in led to %s, want the lesson", u)
	}
	learner.waitFor("the runbook editor", `(() => { const ta = document.querySelector("[data-role=runbook-body]"); return ta && !ta.disabled; })()`)
	ed := learner.runbookEditor()
	t.Logf("new runbook: status %q, save %q, template %q", ed.Status, ed.SaveText, ed.Body)
	if ed.StatusOf != "draft" {
		t.Errorf("a new runbook's status is %q (%s), want draft", ed.Status, ed.StatusOf)
	}
	// The template is the lesson's Practice section, heading by heading.
	for _, h := range []string{"# Runbook: " + e2eLessonTitle, "## Prerequisites", "## Commands", "## Verification checks",
		"## Risks", "## Rollback", "## Escalation contacts"} {
		if !strings.Contains(ed.Body, h+"\n") {
			t.Errorf("the runbook template lacks %q: %q", h, ed.Body)
		}
	}

	// Typing saves the draft by itself.
	learner.typeInRunbook("\nMove the session store to volatile-lru.\n")
	learner.waitFor("the draft to be saved", `document.querySelector("[data-role=runbook-save-status]").dataset.state === "ok"`)
	if ed := learner.runbookEditor(); ed.SaveText != "Saved" || !strings.Contains(ed.Body, "Move the session store to volatile-lru.") {
		t.Errorf("after typing: save status %q, text %q", ed.SaveText, ed.Body)
	}

	// A reload brings the draft back, even a line typed just before it,
	// which no autosave had sent yet.
	learner.typeInRunbook("Keep a copy of before-config.txt.")
	learner.do("reload the lesson", chromedp.Reload())
	learner.waitFor("the runbook editor after the reload", `(() => { const ta = document.querySelector("[data-role=runbook-body]"); return ta && !ta.disabled; })()`)
	learner.waitFor("the draft to be saved after the reload", `document.querySelector("[data-role=runbook-save-status]").dataset.state === "ok"`)
	ed = learner.runbookEditor()
	if !strings.Contains(ed.Body, "Move the session store to volatile-lru.\nKeep a copy of before-config.txt.") ||
		!strings.HasPrefix(ed.Body, "# Runbook: ") {
		learner.fatalf("after the reload the runbook reads %q", ed.Body)
	}

	// Submit for review.
	learner.do("click Submit for review", chromedp.Click(chromedp.CSS("[data-role=runbook-submit]"), chromedp.NodeVisible))
	learner.waitFor("the runbook to be submitted", `document.querySelector("[data-role=runbook-status]").dataset.status === "submitted"`)
	if ed := learner.runbookEditor(); !strings.Contains(ed.Notice, "Submitted version 1") || !strings.Contains(ed.Status, "waiting for review") {
		t.Errorf("after submitting: notice %q, status %q", ed.Notice, ed.Status)
	}
	learner.assertClean()

	// The lead, in another browser, sees a badge on Reviews.
	lead := newBrowser(t, execPath, "lead's browser")
	lead.navigate(base + "/login")
	lead.signInThroughForm(leadEmail, password)
	lead.waitFor("the Reviews badge to count 1", `(() => {
  const a = document.querySelector("[data-role=badge-reviews]");
  const n = a && a.querySelector("[data-role=badge-count]");
  return a && !a.hidden && n && !n.hidden && n.textContent.trim() === "1";
})()`)
	clickToNavigate(lead, "open the review queue", chromedp.CSS("[data-role=badge-reviews]"))
	if p := lead.location().Path; p != "/reviews" {
		lead.fatalf("the Reviews link led to %s", p)
	}
	row := evalIn[string](lead, "read the queue", `Array.from(document.querySelectorAll("[data-role=review-row]")).map(r => r.textContent.trim().replace(/\s+/g, " ")).join(" | ")`)
	if !strings.Contains(row, learnerName) || !strings.Contains(row, e2eLessonTitle) || strings.Count(row, " | ") != 0 {
		lead.fatalf("the queue lists %q, want one runbook by %s for %q", row, learnerName, e2eLessonTitle)
	}
	clickToNavigate(lead, "open the runbook", chromedp.Search(fmt.Sprintf(`//tr[@data-role="review-row"]//a[normalize-space(.)=%q]`, learnerName)))
	type reviewView struct {
		Heading  string   `json:"heading"`
		Runbook  string   `json:"runbook"`
		Headings []string `json:"headings"`
		Status   string   `json:"status"`
	}
	rv := evalIn[reviewView](lead, "read the runbook", `(() => {
  const text = el => el ? el.textContent.trim().replace(/\s+/g, " ") : "";
  const body = document.querySelector("[data-role=runbook-rendered]");
  return {
    heading: text(document.querySelector(".review-page h1")),
    runbook: text(body),
    headings: body ? Array.from(body.querySelectorAll("h1, h2")).map(h => h.id) : [],
    status: text(document.querySelector("[data-role=review-status]")),
  };
})()`)
	t.Logf("review page: %q, status %q, heading ids %q", rv.Heading, rv.Status, rv.Headings)
	if !strings.Contains(rv.Runbook, "Move the session store to volatile-lru.") || rv.Status != "Waiting for review" {
		lead.fatalf("the review page shows %q with status %q", rv.Runbook, rv.Status)
	}
	for _, id := range rv.Headings {
		if !strings.HasPrefix(id, "rb-") {
			t.Errorf("the runbook's heading id %q is not prefixed", id)
		}
	}

	// Ask for changes with a comment: a plain form post.
	const comment = "Add the rollback command and who to page at night."
	lead.do("write the comment", chromedp.SendKeys(chromedp.ID("review-comment"), comment))
	clickToNavigate(lead, "click Ask for changes", chromedp.CSS("[data-role=request-changes]"))
	after := evalIn[reviewView](lead, "read the page after the review", `(() => ({
  heading: (document.querySelector("[data-role=review-done]") || {}).textContent || "",
  runbook: Array.from(document.querySelectorAll(".runbook-review-comment")).map(c => c.textContent.trim()).join(" | "),
  status: (document.querySelector("[data-role=review-status]") || {}).textContent || "",
}))()`)
	if !strings.Contains(after.Heading, "Asked for changes") || after.Status != "Changes requested" || !strings.Contains(after.Runbook, comment) {
		lead.fatalf("after asking for changes: notice %q, status %q, comments %q", after.Heading, after.Status, after.Runbook)
	}
	lead.waitFor("the Reviews badge to empty", `document.querySelector("[data-role=badge-reviews] [data-role=badge-count]").hidden`)
	lead.assertClean()

	// The learner opens the lesson again: a badge, the status and the
	// comment. The review is not on screen yet, so the badge stays.
	learner.navigate(lessonURL)
	learner.waitFor("the runbook to show the review", `document.querySelectorAll("[data-role=runbook-review]").length === 1`)
	learner.waitFor("the runbook feedback badge", `(() => { const a = document.querySelector("[data-role=badge-runbooks]"); return a && !a.hidden; })()`)
	ed = learner.runbookEditor()
	t.Logf("learner sees: status %q, reviews %q, badge %q → %s", ed.Status, ed.Reviews, ed.Badge, ed.BadgeURL)
	if ed.StatusOf != "changes_requested" || !strings.Contains(strings.ToLower(ed.Status), "changes requested") {
		t.Errorf("the learner's status reads %q (%s), want changes requested", ed.Status, ed.StatusOf)
	}
	if len(ed.Comments) != 1 || ed.Comments[0] != comment || len(ed.Reviews) != 1 || !strings.Contains(ed.Reviews[0], leadName) ||
		!strings.Contains(ed.Reviews[0], "asked for changes") || !strings.Contains(ed.Reviews[0], "New") {
		t.Errorf("the learner sees reviews %q with comments %q, want %s asking for changes: %q", ed.Reviews, ed.Comments, leadName, comment)
	}
	if ed.Badge != "1" || ed.BadgeURL != lessonPath(e2eCourse, e2eLesson)+"#runbook" {
		t.Errorf("the learner's badge reads %q and leads to %q", ed.Badge, ed.BadgeURL)
	}

	// Following the badge brings the review on screen, which reads it.
	learner.do("click the runbook feedback badge", chromedp.Click(chromedp.CSS("[data-role=badge-runbooks]"), chromedp.NodeVisible))
	learner.waitFor("the badge to go once the review is read", `document.querySelector("[data-role=badge-runbooks]").hidden`)
	if ed := learner.runbookEditor(); !ed.AtEditor {
		t.Errorf("the badge did not lead to the runbook editor")
	}
	learner.assertClean()
}
