package main

// The learner's terminal in real Chromium (issue 15): on lesson 11's first
// card the Terminal tab opens a real bash beside the learner's sandbox
// (xterm.js over the terminal WebSocket, under the site's strict content
// security policy); the real redis-cli answers `INFO persistence` from the
// sandbox by name; resizing the window resizes the shell; a reload finds
// the same shell. The screenshot is docs/terminal.png
// (OPSLAB_UPDATE_SCREENSHOT=1 rewrites it).

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/opslab/opslab/internal/testkit"
)

func TestBrowserTerminal(t *testing.T) {
	execPath := chromiumPath(t)
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	labRequireTool(t, "redis-server")
	labRequireTool(t, "redis-cli")
	srv := startServer(t)
	base := srv.URL()
	lessonURL := base + lessonPath(e2eCourse, e2eLesson)
	b := newBrowser(t, execPath, "terminal browser")

	b.navigate(base + "/register")
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "term.learner@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "term-learner-password"),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))

	card := `section.exercise[data-exercise="user-profile-hash"]`
	rows := card + " [data-role=terminal] .xterm-rows"
	screen := func() string {
		return evalIn[string](b, "read the terminal's screen", fmt.Sprintf(`(() => {
  const r = document.querySelector(%q);
  return r ? Array.from(r.children).map(l => l.textContent.replace(/\u00a0/g, " ")).join("\n") : "";
})()`, rows))
	}
	waitScreen := func(what, text string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if strings.Contains(screen(), text) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		b.fatalf("waited for %s (%q); the terminal shows:\n%s", what, text, screen())
	}
	// typeLine enters line as typed text (as the browser's text input
	// gives it, which is what xterm.js reads) and presses Enter.
	typeLine := func(line string) {
		t.Helper()
		b.do("focus the terminal", chromedp.Focus(chromedp.CSS(card+" [data-role=terminal] .xterm-helper-textarea"), chromedp.NodeReady))
		ctx, cancel := b.stepContext()
		_, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: line})
		cancel()
		if err != nil {
			b.fatalf("type %q: %v", line, err)
		}
		// Enter as a key press alone (chromedp's KeyEvent also sends a
		// character event, which a browser would not, and xterm.js would
		// read a second Enter from).
		ctx, cancel = b.stepContext()
		for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
			if _, err := chromedp.Call(ctx, input.DispatchKeyEvent, input.DispatchKeyEventParams{
				Type: typ, Key: "Enter", Code: "Enter", WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
			}); err != nil {
				cancel()
				b.fatalf("press Enter: %v", err)
			}
		}
		cancel()
	}
	open := func() {
		t.Helper()
		if st := b.navigate(lessonURL); st != 200 {
			b.fatalf("GET %s answered %d", lessonURL, st)
		}
		b.waitFor("the card's tabs", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=tab-terminal]"))
		b.do("open the Terminal tab",
			chromedp.ScrollIntoView(chromedp.CSS(card)),
			chromedp.Click(chromedp.CSS(card+" [data-role=tab-terminal]"), chromedp.NodeVisible))
	}

	open()
	waitScreen("the shell's prompt", "learner@workstation:~$")
	typeLine("redis-cli -h redis INFO persistence")
	waitScreen("INFO persistence from the sandbox", "aof_enabled:0")
	if s := screen(); !strings.Contains(s, "rdb_") {
		b.fatalf("INFO persistence shows no rdb_ fields; the screen:\n%s", s)
	}

	// The window's size reaches the shell: widening the console to the
	// page gives the shell more columns.
	n := 0
	size := func() (rows, cols int) {
		t.Helper()
		n++
		// The marker is computed by the shell, so only the output holds it,
		// not the echo of the typed line.
		mark := fmt.Sprintf("SZ%d", n)
		typeLine(fmt.Sprintf(`echo "SZ$((%d)) $(stty size) END"`, n))
		waitScreen("stty size", mark+" ")
		for _, l := range strings.Split(screen(), "\n") {
			if i := strings.Index(l, mark+" "); i >= 0 && !strings.Contains(l, "$(") {
				f := strings.Fields(l[i:])
				if len(f) >= 3 {
					rows, _ = strconv.Atoi(f[1])
					cols, _ = strconv.Atoi(f[2])
				}
			}
		}
		return rows, cols
	}
	_, narrow := size()
	b.do("widen the console", chromedp.Click(chromedp.CSS(card+" [data-role=widen]"), chromedp.NodeVisible))
	_, wide := size()
	if wide == 0 || narrow == 0 || wide <= narrow {
		b.fatalf("the shell saw %d columns in the narrow console and %d in the wide one", narrow, wide)
	}
	b.do("narrow the console again", chromedp.Click(chromedp.CSS(card+" [data-role=widen]"), chromedp.NodeVisible))

	// A reload finds the same shell.
	typeLine("export MARK=$((4000+242)); redis-cli -h redis SET from-the-terminal yes")
	waitScreen("SET in the terminal", "\nOK")
	open()
	waitScreen("the shell again", "learner@workstation:~$")
	typeLine(`echo "MARK=$MARK"`)
	waitScreen("the same shell's variable", "MARK=4242")

	// A code block of the lesson goes to the open terminal, pasted at the
	// prompt (not run: Enter is the learner's).
	want := evalIn[string](b, "find a redis-cli block", `(() => {
  const pre = Array.from(document.querySelectorAll(".lesson-body pre")).find(p => (p.querySelector("code") || {}).innerText?.startsWith("redis-cli INFO persistence"));
  if (!pre) return "";
  pre.setAttribute("data-test", "paste-me");
  return pre.querySelector("code").innerText.trim().split("\n")[0];
})()`)
	if want == "" {
		b.fatalf("lesson 11 has no code block starting with redis-cli INFO persistence")
	}
	b.do("paste the block into the terminal",
		chromedp.ScrollIntoView(chromedp.CSS(`pre[data-test=paste-me]`)),
		chromedp.Click(chromedp.CSS(`pre[data-test=paste-me] .paste-button`), chromedp.NodeVisible))
	waitScreen("the pasted block at the prompt", "learner@workstation:~$ "+want[:40])

	b.do("show the card", chromedp.ScrollIntoView(chromedp.CSS(card)))
	ctx, cancel := b.stepContext()
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	cancel()
	if err != nil || len(shot) == 0 {
		b.fatalf("screenshot: %v", err)
	}
	writeScreenshot(t, shot, "terminal.png", "../../docs/terminal.png")
	b.assertClean()
}
