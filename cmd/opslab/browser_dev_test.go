package main

// An author edits a lesson with "opslab serve --dev" open in real
// Chromium: breaking the lesson reloads the page through /dev/events and
// shows the problem over the last good version; fixing it reloads again,
// the panel goes and the new text shows. Uses the tab and collector
// helpers of browser_test.go: no console error, no CSP violation.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// devOverlay is the problems panel as the page shows it.
type devOverlay struct {
	Shown     bool     `json:"shown"`
	Role      string   `json:"role"`
	Fixed     bool     `json:"fixed"`
	Title     string   `json:"title"`
	Problems  []string `json:"problems"`
	CloseTag  string   `json:"closeTag"`
	CloseName string   `json:"closeName"`
}

const readDevOverlay = `(() => {
  const p = document.getElementById("dev-overlay");
  if (!p) return {shown: false};
  const close = p.querySelector(".dev-overlay-close");
  return {
    shown: p.getClientRects().length > 0,
    role: p.getAttribute("role") || "",
    fixed: getComputedStyle(p).position === "fixed",
    title: (p.querySelector("h2") || {}).textContent || "",
    problems: Array.from(p.querySelectorAll("li")).map(li => li.textContent.trim()),
    closeTag: close ? close.tagName : "",
    closeName: close ? close.getAttribute("aria-label") || "" : "",
  };
})()`

// devPageMarker is set on the window; its absence later proves a reload.
const devPageMarker = "window.__opslabDevMarker"

func TestBrowserDevOverlay(t *testing.T) {
	execPath := chromiumPath(t)
	dir, lessonFile := devContent(t)
	srv := startServer(t, "--dev", "--content", dir)
	base := srv.URL()
	lessonURL := base + lessonPath(devCourse, devLesson)

	b := newBrowser(t, execPath, "author's browser")
	b.navigate(base + "/register")
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "ada.author@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "correct-horse-battery"),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
	if st := b.navigate(lessonURL); st != 200 {
		b.fatalf("GET %s answered %d", lessonURL, st)
	}
	b.waitFor("the lesson with its heading", `document.body.textContent.includes("Counting hits")`)
	// dev.js has fetched the (empty) problem list once the resource is loaded.
	b.waitFor("dev.js to load", `performance.getEntriesByType("resource").some(e => e.name.endsWith("/dev/problems"))`)
	if o := evalIn[devOverlay](b, "read the overlay", readDevOverlay); o.Shown {
		b.fatalf("the overlay shows on a course without problems: %+v", o)
	}

	// Break the lesson: the page reloads by itself and shows the problem
	// over the last good version.
	evalIn[bool](b, "mark the page", "("+devPageMarker+" = true)")
	editFile(t, lessonFile, "id: counter", "id: [counter")
	want := fmt.Sprintf("%s:%d: ", devLessonFile, lineOf(t, lessonFile, "id: [counter"))
	b.waitFor("the overlay to list the problem", fmt.Sprintf(
		`(p => !!p && Array.from(p.querySelectorAll("li")).some(li => li.textContent.startsWith(%q)))(document.getElementById("dev-overlay"))`, want))
	if evalIn[bool](b, "check for the reload", devPageMarker+" === true") {
		t.Errorf("the overlay showed without the page reloading; the reload event should have reloaded it")
	}
	o := evalIn[devOverlay](b, "read the overlay", readDevOverlay)
	t.Logf("overlay: %+v", o)
	if !o.Shown || o.Role != "alert" || !o.Fixed || o.Title != "1 content problem" || len(o.Problems) != 1 {
		t.Errorf("overlay %+v, want one visible, fixed alert with one problem", o)
	}
	if o.CloseTag != "BUTTON" || o.CloseName == "" {
		t.Errorf("overlay close control is <%s aria-label=%q>, want a labelled button", o.CloseTag, o.CloseName)
	}
	if !evalIn[bool](b, "read the lesson", `document.body.textContent.includes("Counting hits")`) {
		t.Errorf("the broken lesson is not served in its last good version")
	}

	// Fix it, with a new heading: the page reloads, the panel goes.
	evalIn[bool](b, "mark the page", "("+devPageMarker+" = true)")
	editFile(t, lessonFile, "id: [counter", "id: counter")
	editFile(t, lessonFile, "## Counting hits", "## Counting fixed")
	b.waitFor("the new heading", `document.body.textContent.includes("Counting fixed")`)
	b.waitFor("the overlay to go", `!document.getElementById("dev-overlay")`)
	if evalIn[bool](b, "check for the reload", devPageMarker+" === true") {
		t.Errorf("the new content showed without a reload")
	}

	// Keyboard: the close button takes focus and Esc dismisses the panel;
	// it stays dismissed until the problems change.
	editFile(t, lessonFile, "id: counter", "id: [counter")
	b.waitFor("the overlay again", `!!document.getElementById("dev-overlay")`)
	b.do("focus the close button", chromedp.Focus(chromedp.CSS("#dev-overlay .dev-overlay-close")))
	if !evalIn[bool](b, "read the focus", `document.activeElement && document.activeElement.matches("#dev-overlay .dev-overlay-close")`) {
		t.Errorf("the overlay's close button cannot take focus")
	}
	b.do("press Esc", chromedp.KeyEvent(kb.Escape))
	b.waitFor("Esc to dismiss the overlay", `!document.getElementById("dev-overlay")`)
	b.do("reload the lesson", chromedp.Reload())
	b.waitFor("dev.js to load", `performance.getEntriesByType("resource").some(e => e.name.endsWith("/dev/problems"))`)
	if o := evalIn[devOverlay](b, "read the overlay", readDevOverlay); o.Shown {
		t.Errorf("the dismissed overlay came back for the same problems: %+v", o)
	}
	evalIn[bool](b, "mark the page", "("+devPageMarker+" = true)")
	editFile(t, lessonFile, "id: [counter", "id: counter")
	b.waitFor("the page to reload after the fix", devPageMarker+" === undefined && document.readyState === \"complete\"")
	if o := evalIn[devOverlay](b, "read the overlay", readDevOverlay); o.Shown {
		t.Errorf("the overlay shows after the fix: %+v", o)
	}

	if !strings.Contains(srv.stderr.String(), "content reloaded") {
		t.Errorf("the server logged no reload:\n%s", srv.stderr)
	}
	b.assertClean()
}
