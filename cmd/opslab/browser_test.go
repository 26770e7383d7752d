package main

// A learner's journey through the site in real Chromium, driven with
// chromedp: sign up, find lesson 11, use its hints, mark it done without a
// reload, and see the mark survive a reload and a second browser. Every tab
// records console errors, uncaught exceptions, JavaScript dialogs and
// Content-Security-Policy violations; any of them fails the test.

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/opslab/opslab/internal/testkit"
)

// browserStepTimeout bounds one step (a navigation, a click, a wait); it
// catches hangs and says nothing about speed.
const browserStepTimeout = 60 * time.Second

// Viewport of every tab, and so of the screenshot.
const viewportWidth, viewportHeight = 1280, 900

// screenshotPath is where OPSLAB_UPDATE_SCREENSHOT=1 writes the lesson
// screenshot, relative to this package's directory.
var screenshotPath = filepath.Join("..", "..", "docs", "screenshot-lesson.png")

// cspProbeMarker prefixes the console line the injected listener writes for
// each securitypolicyviolation event.
const cspProbeMarker = "opslab-test: CSP violation"

// cspListenerScript runs in every document before the page's own scripts
// (injected through DevTools, so the page's CSP does not block it) and turns
// each CSP violation event into a console error.
const cspListenerScript = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("` + cspProbeMarker + `: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " in " + e.sourceFile + ":" + e.lineNumber);
});`

// chromiumPath finds Chromium, or skips the test when it is missing and
// the test does not run in CI.
func chromiumPath(t *testing.T) string {
	t.Helper()
	testkit.Slow(t, "browser test (headless Chromium)")
	return testkit.RequireTool(t, "chromium", "install it (apt-get install -y chromium)")
}

// browserTab is one tab of a headless Chromium, with what it has reported.
type browserTab struct {
	t    *testing.T
	name string
	ctx  context.Context // the tab's context; steps derive timeouts from it

	mu       sync.Mutex
	problems []string // console errors, exceptions, dialogs, CSP violations
	warnings []string
	requests []string // "METHOD URL" of every request the tab sent
	dialogs  chan struct{}
}

// newBrowser starts a fresh Chromium with its own profile directory (so it
// shares no cookies with any other) and returns its first tab.
func newBrowser(t *testing.T, execPath, name string) *browserTab {
	t.Helper()
	output := &lockedBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.WindowSize(viewportWidth, viewportHeight),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(output),
	}
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browserTab{t: t, name: name, dialogs: make(chan struct{}, 8)}
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithListener(b.onEvent))
	b.ctx = ctx
	// Runs before t.TempDir removes the profile: close the browser and wait
	// for it to exit.
	t.Cleanup(func() {
		cancel()
		allocCancel()
		if t.Failed() {
			t.Logf("%s: chromium output (D-Bus noise left out):\n%s", name, withoutDBusNoise(output.String()))
		}
	})
	// The first run starts the browser; it gets no deadline, since the
	// browser lives as long as the context of its first run.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: start chromium %s: %v\n%s", name, execPath, err, output)
	}
	b.setUp()
	return b
}

// withoutDBusNoise drops the lines Chromium logs about the missing D-Bus,
// which say nothing about the test.
func withoutDBusNoise(out string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "dbus/") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// newTab opens another tab in the same browser, with its own records.
func (b *browserTab) newTab(name string) *browserTab {
	b.t.Helper()
	nb := &browserTab{t: b.t, name: name, dialogs: make(chan struct{}, 8)}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(nb.onEvent))
	nb.ctx = ctx
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("%s: open a tab: %v", name, err)
	}
	nb.setUp()
	return nb
}

// setUp fixes the viewport and the light colour scheme, installs the CSP
// listener, and dismisses dialogs (recorded as problems) so none can hang
// a step.
func (b *browserTab) setUp() {
	b.t.Helper()
	b.do("set up the tab",
		chromedp.EmulateViewport(viewportWidth, viewportHeight),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			if _, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}},
			}); err != nil {
				return fmt.Errorf("emulate the light colour scheme: %w", err)
			}
			if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
				Source: cspListenerScript,
			}); err != nil {
				return fmt.Errorf("install the CSP listener: %w", err)
			}
			return nil
		}),
	)
	go func() {
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-b.dialogs:
				_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
}

// onEvent records what the tab reports. It runs in the tab's event loop:
// it must return quickly and run no command.
func (b *browserTab) onEvent(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		text := remoteObjectsText(ev.Args)
		switch ev.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert:
			b.record(&b.problems, "console.%s: %s%s", ev.Type, text, stackPlace(ev.StackTrace))
		case runtime.ConsoleAPICalledTypeWarning:
			b.record(&b.warnings, "console.warn: %s", text)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		b.record(&b.problems, "uncaught exception: %s (%s:%d)", text, d.URL, d.LineNumber+1)
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		switch {
		case e.Level == cdplog.EntryLevelError, e.Source == cdplog.EntrySourceSecurity,
			strings.Contains(e.Text, "Content Security Policy"):
			b.record(&b.problems, "browser log (%s, %s): %s %s", e.Source, e.Level, e.Text, e.URL)
		case e.Level == cdplog.EntryLevelWarning:
			b.record(&b.warnings, "browser log (%s, %s): %s %s", e.Source, e.Level, e.Text, e.URL)
		}
	case *page.EventJavascriptDialogOpening:
		b.record(&b.problems, "unexpected %s dialog: %q", ev.Type, ev.Message)
		select {
		case b.dialogs <- struct{}{}:
		default:
		}
	case *network.EventRequestWillBeSent:
		if ev.Request != nil {
			b.record(&b.requests, "%s %s", ev.Request.Method, ev.Request.URL)
		}
	}
}

func (b *browserTab) record(list *[]string, format string, args ...any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, fmt.Sprintf(format, args...))
}

// snapshot returns a copy of one of the tab's records.
func (b *browserTab) snapshot(list *[]string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), *list...)
}

// remoteObjectsText renders console arguments roughly as DevTools does.
func remoteObjectsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		switch {
		case a == nil:
		case a.Type == runtime.RemoteObjectTypeString:
			parts = append(parts, strings.Trim(string(a.Value), `"`))
		case len(a.Value) > 0:
			parts = append(parts, string(a.Value))
		case a.Description != "":
			parts = append(parts, a.Description)
		default:
			parts = append(parts, string(a.Type))
		}
	}
	return strings.Join(parts, " ")
}

func stackPlace(st *runtime.StackTrace) string {
	if st == nil || len(st.CallFrames) == 0 || st.CallFrames[0].URL == "" {
		return ""
	}
	f := st.CallFrames[0]
	return fmt.Sprintf(" (%s:%d)", f.URL, f.LineNumber+1)
}

// assertClean fails the test for every problem the tab recorded, and logs
// its warnings.
func (b *browserTab) assertClean() {
	b.t.Helper()
	for _, w := range b.snapshot(&b.warnings) {
		b.t.Logf("%s: warning: %s", b.name, w)
	}
	for _, p := range b.snapshot(&b.problems) {
		b.t.Errorf("%s: %s", b.name, p)
	}
}

// assertCleanExcept is assertClean for a page that was made to fail on
// purpose: a problem containing one of expected (the refused request's
// URL) is logged, not failed.
func (b *browserTab) assertCleanExcept(expected ...string) {
	b.t.Helper()
	for _, w := range b.snapshot(&b.warnings) {
		b.t.Logf("%s: warning: %s", b.name, w)
	}
	for _, p := range b.snapshot(&b.problems) {
		if slices.ContainsFunc(expected, func(e string) bool { return strings.Contains(p, e) }) {
			b.t.Logf("%s: expected: %s", b.name, p)
			continue
		}
		b.t.Errorf("%s: %s", b.name, p)
	}
}

// stepContext is the tab's context with the step timeout.
func (b *browserTab) stepContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, browserStepTimeout)
}

// do runs actions as one step; an error fails the test, naming the step.
func (b *browserTab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// fatalf stops the test with the tab's page and its problems in the message.
func (b *browserTab) fatalf(format string, args ...any) {
	b.t.Helper()
	where := ""
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		where = " (at " + loc + ")"
	}
	b.t.Fatalf("%s: %s%s\nproblems so far: %q", b.name, fmt.Sprintf(format, args...), where, b.snapshot(&b.problems))
}

// evalIn evaluates a JavaScript expression in the page (through DevTools,
// so not subject to the page's CSP) and decodes its JSON value into T.
func evalIn[T any](b *browserTab, what, expr string) T {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	return v
}

// waitFor polls a JavaScript condition from Go until it is true. (chromedp's
// Poll compiles its predicate with new Function, which this site's CSP
// rightly refuses.)
func (b *browserTab) waitFor(what, cond string) {
	b.t.Helper()
	deadline := time.Now().Add(browserStepTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool]("Boolean("+cond+")"))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fatalf("waited %s for %s; last error: %v", browserStepTimeout, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// navigate loads a URL and returns the status of the document (after any
// redirects).
func (b *browserTab) navigate(u string) int64 {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		b.fatalf("open %s: %v", u, err)
	}
	return resp.Status
}

// clickToNavigate clicks an element that loads a new page and waits for
// that page; a status other than 200 fails the test.
func clickToNavigate[S chromedp.Selectable](b *browserTab, what string, sel S) {
	b.t.Helper()
	ctx, cancel := b.stepContext()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(sel, chromedp.NodeVisible))
	if err != nil {
		b.fatalf("%s: %v", what, err)
	}
	if resp == nil || resp.Status != 200 {
		status := int64(0)
		if resp != nil {
			status = resp.Status
		}
		b.fatalf("%s: the new page answered %d, want 200", what, status)
	}
}

// location returns the tab's URL.
func (b *browserTab) location() *url.URL {
	b.t.Helper()
	s := evalIn[string](b, "read the location", "location.href")
	u, err := url.Parse(s)
	if err != nil {
		b.fatalf("parse location %q: %v", s, err)
	}
	return u
}

// lessonFacts is what the test reads from a lesson page in one go.
type lessonFacts struct {
	Title        string   `json:"title"`
	Kicker       string   `json:"kicker"`
	TOCLinks     []string `json:"tocLinks"`
	TOCMissing   []string `json:"tocMissing"`
	CodeBlocks   int      `json:"codeBlocks"`
	TokenSpans   int      `json:"tokenSpans"`
	TokenClasses []string `json:"tokenClasses"`
	TokenColours []string `json:"tokenColours"`
	TableHeads   []string `json:"tableHeads"`
	TableRows    int      `json:"tableRows"`
	Exercises    int      `json:"exercises"`
	HintCard     string   `json:"hintCard"`
	HintVisible  []bool   `json:"hintVisible"`
}

// readLessonFacts collects the structure of the lesson page.
const readLessonFacts = `(() => {
  const all = (s, root) => Array.from((root || document).querySelectorAll(s));
  const text = el => el ? el.textContent.trim().replace(/\s+/g, " ") : "";
  const visible = el => !el.hidden && getComputedStyle(el).display !== "none" && el.getClientRects().length > 0;
  const facts = {
    title: text(document.querySelector("article.lesson h1")),
    kicker: text(document.querySelector(".lesson-kicker")),
    tocLinks: all("nav.toc a").map(a => a.getAttribute("href")),
    tocMissing: [],
    codeBlocks: all(".lesson-body pre.chroma").length,
    tokenSpans: 0, tokenClasses: [], tokenColours: [],
    tableHeads: [], tableRows: 0,
    exercises: all(".lesson-body section.exercise").length,
    hintCard: "", hintVisible: [],
  };
  for (const href of facts.tocLinks) {
    if (!href || href[0] !== "#" || !document.getElementById(decodeURIComponent(href.slice(1)))) facts.tocMissing.push(href);
  }
  // Token spans are spans with a class other than chroma's line wrappers.
  const wrappers = new Set(["line", "cl", "ln", "lnt", "lntd", "lntable", "hl"]);
  const classes = new Set(), colours = new Set();
  for (const span of all(".lesson-body pre.chroma span")) {
    const own = Array.from(span.classList).filter(c => !wrappers.has(c));
    if (own.length === 0) continue;
    facts.tokenSpans++;
    own.forEach(c => classes.add(c));
    colours.add(getComputedStyle(span).color);
  }
  facts.tokenClasses = Array.from(classes).sort();
  facts.tokenColours = Array.from(colours).sort();
  const table = document.querySelector(".lesson-body table");
  if (table) {
    facts.tableHeads = all("thead th", table).map(text);
    facts.tableRows = all("tbody tr", table).length;
  }
  const card = all(".lesson-body section.exercise").find(c => all("details.hint", c).length >= 2);
  if (card) {
    facts.hintCard = card.dataset.exercise;
    facts.hintVisible = all("details.hint", card).map(visible);
  }
  return facts;
})()`

// doneState is the lesson's done button and progress bar as the page shows them.
type doneState struct {
	Bars       int     `json:"bars"`
	Value      float64 `json:"value"`
	ValueAttr  string  `json:"valueAttr"`
	Text       string  `json:"text"`
	Button     string  `json:"button"`
	ButtonDone string  `json:"buttonDone"`
	HiddenDone string  `json:"hiddenDone"`
	State      string  `json:"state"`
}

const readDoneState = `(() => {
  const bar = document.querySelector("progress[data-role=progress-bar]");
  const btn = document.querySelector("[data-role=done-button]");
  const hidden = document.querySelector("[data-role=done-form] input[name=done]");
  const text = s => { const el = document.querySelector(s); return el ? el.textContent.trim() : ""; };
  return {
    bars: document.querySelectorAll("progress[data-role=progress-bar]").length,
    value: bar ? bar.value : -1,
    valueAttr: bar ? bar.getAttribute("value") : "",
    text: text("[data-role=progress-text]"),
    button: btn ? btn.textContent.trim() : "",
    buttonDone: btn ? btn.dataset.done : "",
    hiddenDone: hidden ? hidden.value : "",
    state: text("[data-role=lesson-state]"),
  };
})()`

func (b *browserTab) doneState() doneState {
	b.t.Helper()
	s := evalIn[doneState](b, "read the done button and progress bar", readDoneState)
	if s.Bars != 1 || s.Button == "" {
		b.fatalf("the lesson page has %d progress bars and done button %q, want one of each", s.Bars, s.Button)
	}
	return s
}

// signInThroughForm fills the sign-in form of the current page and submits it.
func (b *browserTab) signInThroughForm(email, password string) {
	b.t.Helper()
	b.do("fill the sign-in form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	clickToNavigate(b, "submit the sign-in form", chromedp.CSS(`form[action="/login"] button[type=submit]`))
}

func TestBrowserLearnerJourney(t *testing.T) {
	execPath := chromiumPath(t)
	srv := startServer(t)
	base := srv.URL()
	lessonURL := base + lessonPath(e2eCourse, e2eLesson)
	const (
		name     = "ada.operator" // sign-up takes the email's local part as the display name
		email    = "ada.operator@example.com"
		password = "correct-horse-battery"
	)

	b := newBrowser(t, execPath, "first browser")

	// Sign up from the home page.
	if st := b.navigate(base + "/"); st != 200 {
		b.fatalf("GET / answered %d", st)
	}
	clickToNavigate(b, `click "Create an account"`, chromedp.Search(`//a[normalize-space(.)="Create an account"]`))
	if p := b.location().Path; p != "/register" {
		b.fatalf(`"Create an account" led to %s, want /register`, p)
	}
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))

	// The catalogue, signed in, lists the course with a progress bar.
	type catalogue struct {
		Path    string   `json:"path"`
		Who     string   `json:"who"`
		Courses []string `json:"courses"`
		Bars    int      `json:"bars"`
		Error   string   `json:"error"`
	}
	cat := evalIn[catalogue](b, "read the catalogue", `(() => ({
  path: location.pathname,
  who: (document.querySelector(".whoami") || {}).textContent || "",
  courses: Array.from(document.querySelectorAll(".course-card h3 a")).map(a => a.textContent.trim()),
  bars: document.querySelectorAll(".course-card progress[data-role=progress-bar]").length,
  error: (document.querySelector(".form-error") || {}).textContent || "",
}))()`)
	if cat.Error != "" {
		b.fatalf("sign-up failed: %s", cat.Error)
	}
	if cat.Path != "/" || cat.Who != name {
		b.fatalf("after sign-up: at %s signed in as %q, want / and %q", cat.Path, cat.Who, name)
	}
	if len(cat.Courses) == 0 || cat.Courses[0] != e2eCourseTitle || cat.Bars != len(cat.Courses) {
		b.fatalf("catalogue lists %q with %d progress bars, want %q with a bar each", cat.Courses, cat.Bars, e2eCourseTitle)
	}

	// Course page, then lesson 11.
	clickToNavigate(b, "open the course", chromedp.Search(fmt.Sprintf(`//a[normalize-space(.)=%q]`, e2eCourseTitle)))
	if p := b.location().Path; p != "/courses/"+e2eCourse {
		b.fatalf("the course link led to %s", p)
	}
	row := evalIn[string](b, "read the lesson row", fmt.Sprintf(`(() => {
  const a = Array.from(document.querySelectorAll(".lesson-row a")).find(a => a.textContent.trim() === %q);
  return a ? a.closest(".lesson-row").querySelector(".lesson-number").textContent.trim() : "";
})()`, e2eLessonTitle))
	if row != fmt.Sprint(e2eLessonNo) {
		b.fatalf("the course page lists %q as lesson %q, want %d", e2eLessonTitle, row, e2eLessonNo)
	}
	clickToNavigate(b, "open lesson 11", chromedp.Search(fmt.Sprintf(`//li[contains(@class,"lesson-row")]//a[normalize-space(.)=%q]`, e2eLessonTitle)))
	if u := b.location(); u.Path != lessonPath(e2eCourse, e2eLesson) {
		b.fatalf("the lesson link led to %s", u)
	}

	// The lesson's structure.
	f := evalIn[lessonFacts](b, "read the lesson page", readLessonFacts)
	t.Logf("lesson page: %d TOC links, %d code blocks, %d token spans in %d colours, classes %v, table %v with %d rows, %d exercises",
		len(f.TOCLinks), f.CodeBlocks, f.TokenSpans, len(f.TokenColours), f.TokenClasses, f.TableHeads, f.TableRows, f.Exercises)
	if f.Title != e2eLessonTitle || !strings.Contains(f.Kicker, fmt.Sprintf("Lesson %d", e2eLessonNo)) {
		t.Errorf("lesson headline %q, kicker %q; want %q and Lesson %d", f.Title, f.Kicker, e2eLessonTitle, e2eLessonNo)
	}
	if len(f.TOCLinks) < 3 {
		t.Errorf("nav.toc has %d links %q, want several", len(f.TOCLinks), f.TOCLinks)
	}
	if len(f.TOCMissing) > 0 {
		t.Errorf("TOC links without a matching heading id: %q", f.TOCMissing)
	}
	if f.CodeBlocks == 0 || f.TokenSpans == 0 {
		t.Errorf("found %d pre.chroma blocks with %d token spans, want highlighted code", f.CodeBlocks, f.TokenSpans)
	}
	if len(f.TokenColours) < 2 {
		t.Errorf("highlighted tokens show %d colours %q, want at least 2 (is highlight.css applied?)", len(f.TokenColours), f.TokenColours)
	}
	if len(f.TableHeads) < 3 || f.TableHeads[0] != "Structure" || f.TableRows < 3 {
		t.Errorf("GFM table has heads %q and %d rows, want the structures table", f.TableHeads, f.TableRows)
	}
	if f.Exercises < 3 {
		t.Errorf("found %d section.exercise cards, want at least 3", f.Exercises)
	}

	// Hints reveal one at a time.
	if f.HintCard == "" {
		b.fatalf("no exercise card has two or more hints")
	}
	hintSel := func(i int) string {
		return fmt.Sprintf(`section.exercise[data-exercise=%q] details.hint[data-hint="%d"]`, f.HintCard, i)
	}
	isVisible := func(i int) string {
		return fmt.Sprintf(`(el => !!el && !el.hidden && getComputedStyle(el).display !== "none" && el.getClientRects().length > 0)(document.querySelector(%q))`, hintSel(i))
	}
	b.waitFor("only the first hint to show", isVisible(0)+" && !"+isVisible(1))
	b.do("open the first hint", chromedp.Click(chromedp.CSS(hintSel(0)+" > summary"), chromedp.NodeVisible))
	b.waitFor("the second hint to show once the first is open",
		fmt.Sprintf(`document.querySelector(%q).open && %s`, hintSel(0), isVisible(1)))
	if len(f.HintVisible) > 2 {
		if evalIn[bool](b, "read the third hint", isVisible(2)) {
			t.Errorf("card %s: the third hint shows after opening only the first", f.HintCard)
		}
	}

	// Mark the lesson done: the script posts to the API, no reload.
	before := b.doneState()
	t.Logf("before marking done: bar %v (%q), %q, button %q", before.Value, before.ValueAttr, before.Text, before.Button)
	if before.Button != "Mark lesson as done" || before.ButtonDone != "false" {
		b.fatalf("done button reads %q (data-done %q), want %q for a new learner", before.Button, before.ButtonDone, "Mark lesson as done")
	}
	if !strings.HasPrefix(before.Text, fmt.Sprintf("%v%%", before.Value)) {
		t.Errorf("progress text %q does not start with the bar's value %v%%", before.Text, before.Value)
	}
	evalIn[bool](b, "mark the document", "window.__opslabNoReload = true")
	b.do("click Mark lesson as done", chromedp.Click(chromedp.CSS("[data-role=done-button]"), chromedp.NodeVisible))
	b.waitFor("the progress bar to increase",
		fmt.Sprintf(`document.querySelector("progress[data-role=progress-bar]").value > %v`, before.Value))
	b.waitFor("the button to read Mark as not done",
		`document.querySelector("[data-role=done-button]").textContent.trim() === "Mark as not done"`)
	if !evalIn[bool](b, "check the page was not reloaded", "window.__opslabNoReload === true") {
		t.Errorf("marking done reloaded the page; the script should have posted to the API")
	}
	completeURL := base + "/api" + lessonPath(e2eCourse, e2eLesson) + "/complete"
	var posted, formPosted bool
	for _, r := range b.snapshot(&b.requests) {
		posted = posted || r == "POST "+completeURL
		formPosted = formPosted || strings.HasSuffix(r, lessonPath(e2eCourse, e2eLesson)+"/done")
	}
	if !posted || formPosted {
		t.Errorf("requests after the click: API POST seen %v, form POST seen %v; want only the API call", posted, formPosted)
	}
	after := b.doneState()
	t.Logf("after marking done: bar %v, %q, state %q", after.Value, after.Text, after.State)
	if !strings.HasPrefix(after.Text, fmt.Sprintf("%v%%", after.Value)) {
		t.Errorf("progress text %q does not show the bar's new value %v%%", after.Text, after.Value)
	}
	if after.ButtonDone != "true" || after.HiddenDone != "false" || after.State == before.State {
		t.Errorf("after the click: data-done %q, form value %q, state %q (was %q); want true, false and a new state",
			after.ButtonDone, after.HiddenDone, after.State, before.State)
	}

	// A reload shows what the server stored, the same as the script showed.
	b.do("reload the lesson", chromedp.Reload())
	reloaded := b.doneState()
	if reloaded.Button != "Mark as not done" || reloaded.ButtonDone != "true" {
		t.Errorf("after reload the button reads %q (data-done %q), want %q", reloaded.Button, reloaded.ButtonDone, "Mark as not done")
	}
	if reloaded.Value != after.Value || reloaded.ValueAttr != fmt.Sprint(after.Value) {
		t.Errorf("after reload the bar is %v (attribute %q), want %v", reloaded.Value, reloaded.ValueAttr, after.Value)
	}
	if reloaded.Text != after.Text || reloaded.State != after.State {
		t.Errorf("after reload the page says %q / %q, the script had shown %q / %q", reloaded.Text, reloaded.State, after.Text, after.State)
	}

	// Screenshot of the lesson, signed in: headline, objectives and TOC. A
	// fresh load starts at the top (a reload would restore the scroll).
	if st := b.navigate(lessonURL); st != 200 {
		b.fatalf("GET %s answered %d", lessonURL, st)
	}
	writeScreenshot(t, takeLessonScreenshot(b), "screenshot-lesson.png", screenshotPath)

	// The collector must be able to see a CSP violation, or "no violations"
	// means nothing: a probe tab breaks the policy on purpose.
	probe := b.newTab("CSP probe tab")
	probe.navigate(base + "/login")
	ran := evalIn[bool](probe, "insert an inline script", `(() => {
  const s = document.createElement("script");
  s.textContent = "window.__opslabInlineRan = true";
  document.body.appendChild(s);
  return window.__opslabInlineRan === true;
})()`)
	if ran {
		t.Errorf("an inline script ran: the page's CSP does not forbid inline scripts")
	}
	deadline := time.Now().Add(browserStepTimeout)
	for {
		var sawLog, sawEvent bool
		for _, p := range probe.snapshot(&probe.problems) {
			sawLog = sawLog || strings.Contains(p, "Content Security Policy")
			sawEvent = sawEvent || strings.Contains(p, cspProbeMarker)
		}
		if sawLog && sawEvent {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the probe's CSP violation was not reported (browser log %v, violation event %v); problems: %q",
				sawLog, sawEvent, probe.snapshot(&probe.problems))
		}
		time.Sleep(100 * time.Millisecond)
	}

	b.assertClean()

	// Another browser, signed in with the same account, sees the same state.
	b2 := newBrowser(t, execPath, "second browser")
	b2.navigate(lessonURL)
	if u := b2.location(); u.Path != "/login" || u.Query().Get("next") != lessonPath(e2eCourse, e2eLesson) {
		b2.fatalf("the lesson, signed out, led to %s; want the sign-in page with next set to the lesson", u)
	}
	b2.signInThroughForm(email, password)
	if u := b2.location(); u.Path != lessonPath(e2eCourse, e2eLesson) {
		b2.fatalf("sign-in led to %s, want back to the lesson", u)
	}
	other := b2.doneState()
	if other.Button != "Mark as not done" || other.ButtonDone != "true" {
		t.Errorf("second browser: button reads %q (data-done %q), want %q", other.Button, other.ButtonDone, "Mark as not done")
	}
	if other.Value != after.Value || other.Text != after.Text || other.State != after.State {
		t.Errorf("second browser shows bar %v, %q, %q; want %v, %q, %q",
			other.Value, other.Text, other.State, after.Value, after.Text, after.State)
	}
	b2.assertClean()
}

// writeScreenshot writes a screenshot (PNG bytes) to the test's temporary
// directory as name, or, with OPSLAB_UPDATE_SCREENSHOT=1, to updatePath in
// the repository (the image the README shows); it fails t when the file
// is not written or empty.
func writeScreenshot(t *testing.T, shot []byte, name, updatePath string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), name)
	if os.Getenv("OPSLAB_UPDATE_SCREENSHOT") == "1" {
		out = updatePath
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatalf("write screenshot: %v", err)
	}
	if st, err := os.Stat(out); err != nil || st.Size() == 0 {
		t.Fatalf("screenshot %s is missing or empty: %v", out, err)
	}
	t.Logf("screenshot written to %s (%d bytes)", out, len(shot))
}

// takeLessonScreenshot captures the 1280x900 viewport at the top of the
// lesson: site header, table of contents, headline, summary, objectives.
func takeLessonScreenshot(b *browserTab) []byte {
	b.t.Helper()
	evalIn[bool](b, "scroll to the top", "(window.scrollTo(0, 0), true)")
	b.waitFor("fonts and layout to settle", `document.readyState === "complete" && (!document.fonts || document.fonts.status === "loaded")`)
	ctx, cancel := b.stepContext()
	defer cancel()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fatalf("screenshot: %v", err)
	}
	if len(shot) == 0 {
		b.fatalf("screenshot: empty image")
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		b.fatalf("screenshot is not a PNG: %v", err)
	}
	if sz := img.Bounds().Size(); sz.X != viewportWidth || sz.Y != viewportHeight {
		b.t.Errorf("screenshot is %dx%d, want %dx%d", sz.X, sz.Y, viewportWidth, viewportHeight)
	}
	return shot
}

// signUp registers a learner through the real sign-up form at base and
// waits for the page it leads to.
func (b *browserTab) signUp(base, email, password string) {
	b.t.Helper()
	if st := b.navigate(base + "/register"); st != 200 {
		b.fatalf("GET /register answered %d", st)
	}
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
}
