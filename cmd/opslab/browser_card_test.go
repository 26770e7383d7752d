package main

// The exercise card as a learner reads it, in real Chromium: inline code
// keeps its words and flags whole, the Start button reads Restart while the
// sandbox runs, a failed check shows its author's message as Markdown (no
// raw backticks) and what it wanted beside what it saw, wide output scrolls
// sideways instead of wrapping, and the console widens to the page, a
// choice the browser remembers.

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Lesson 1 of the built-in course: its first exercise (Redis) has check
// messages with code spans.
const (
	cardLessonSlug = "caching-and-messaging-in-production-systems"
	cardExercise   = "product-cache-aside"
)

// codeLayout is how the lesson lays out its inline code.
type codeLayout struct {
	Spans      int      `json:"spans"`      // one-word code spans
	Words      int      `json:"words"`      // words of multi-word spans
	Broken     []string `json:"broken"`     // those laid out on more than one line
	WhiteSpace []string `json:"whiteSpace"` // computed white-space: one-word span, code-words span, its word
}

const readCodeLayout = `(() => {
  const all = s => Array.from(document.querySelectorAll(s));
  const r = {spans: 0, words: 0, broken: [], whiteSpace: []};
  for (const c of all(".lesson-body :not(pre) > code")) {
    if (c.classList.contains("code-words")) {
      for (const w of c.querySelectorAll(":scope > span")) {
        r.words++;
        if (w.getClientRects().length > 1) r.broken.push(w.textContent);
      }
    } else {
      r.spans++;
      if (c.getClientRects().length > 1) r.broken.push(c.textContent);
    }
  }
  const one = document.querySelector(".lesson-body :not(pre) > code:not(.code-words)");
  const many = document.querySelector(".lesson-body :not(pre) > code.code-words");
  r.whiteSpace = [one, many, many && many.querySelector("span")].map(e => e ? getComputedStyle(e).whiteSpace : "");
  return r;
})()`

// checkView is one check of the card as shown.
type checkView struct {
	State   string `json:"state"`
	Label   string `json:"label"`
	Detail  string `json:"detail"`
	Message string `json:"message"`
	Codes   int    `json:"codes"` // code elements in the message
	Want    string `json:"want"`
	Saw     string `json:"saw"`
}

func readChecks(card string) string {
	return fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).map(li => {
  const t = s => { const e = li.querySelector(s); return e ? e.textContent : ""; };
  const m = li.querySelector("[data-role=message]");
  return {
    state: ["ok", "fail", "pending"].find(c => li.classList.contains(c)) || "",
    label: t(".check-label"), detail: t("[data-role=detail]"), message: t("[data-role=message]"),
    codes: m ? m.querySelectorAll("code").length : 0, want: t("[data-role=want]"), saw: t("[data-role=saw]"),
  };
})`, card+" [data-role=checks] li.check")
}

// consoleBox is the console's output and the card's size.
type consoleBox struct {
	WhiteSpace  string  `json:"whiteSpace"`
	ScrollWidth float64 `json:"scrollWidth"`
	ClientWidth float64 `json:"clientWidth"`
	CardLeft    float64 `json:"cardLeft"`
	CardWidth   float64 `json:"cardWidth"`
	PageWidth   float64 `json:"pageWidth"`
	Wide        bool    `json:"wide"`
	Pressed     string  `json:"pressed"`
	Start       string  `json:"start"`
}

func readConsoleBox(card string) string {
	return fmt.Sprintf(`(() => {
  const card = document.querySelector(%q);
  const out = card.querySelector("[data-role=console-output]");
  const r = card.getBoundingClientRect();
  return {
    whiteSpace: getComputedStyle(out).whiteSpace, scrollWidth: out.scrollWidth, clientWidth: out.clientWidth,
    cardLeft: r.left, cardWidth: r.width, pageWidth: document.documentElement.clientWidth,
    wide: card.classList.contains("wide"), pressed: card.querySelector("[data-role=widen]").getAttribute("aria-pressed"),
    start: card.querySelector("[data-role=start]").textContent,
  };
})()`, card)
}

// typeLine types one console line and Enter and waits for its reply.
func (b *browserTab) typeLine(card, line string) string {
	b.t.Helper()
	replies := card + " [data-role=console-output] .console-reply, " + card + " [data-role=console-output] .console-error"
	n := evalIn[int](b, "count the replies", fmt.Sprintf(`document.querySelectorAll(%q).length`, replies))
	b.do("type "+line, chromedp.SendKeys(chromedp.CSS(card+" [data-role=console-input]"), line+kb.Enter))
	b.waitFor("the reply to "+line, fmt.Sprintf(`document.querySelectorAll(%q).length > %d`, replies, n))
	return evalIn[string](b, "read the reply", fmt.Sprintf(`(l => l[l.length - 1].textContent)(document.querySelectorAll(%q))`, replies))
}

func TestBrowserLabCard(t *testing.T) {
	execPath := chromiumPath(t)
	labRequireTool(t, "redis-server")
	srv := startLabServer(t)
	base := srv.URL()
	lessonURL := base + lessonPath(e2eCourse, cardLessonSlug)
	b := newBrowser(t, execPath, "card browser")

	if st := b.navigate(base + "/register"); st != 200 {
		b.fatalf("GET /register answered %d", st)
	}
	b.do("fill the sign-up form",
		chromedp.WaitVisible(chromedp.CSS(`form[action="/register"]`)),
		chromedp.SendKeys(chromedp.ID("email"), "card.reader@example.com"),
		chromedp.SendKeys(chromedp.ID("password"), "card-reader-password"),
	)
	clickToNavigate(b, "submit the sign-up form", chromedp.CSS(`form[action="/register"] button[type=submit]`))
	if st := b.navigate(lessonURL); st != 200 {
		b.fatalf("GET %s answered %d", lessonURL, st)
	}
	card := fmt.Sprintf("section.exercise[data-exercise=%q]", cardExercise)
	b.waitFor("the lab controls", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=start]"))

	// Inline code: a one-word span never wraps, a command wraps only
	// between its words; none is laid out across two lines.
	code := evalIn[codeLayout](b, "read the inline code", readCodeLayout)
	if code.Spans == 0 || code.Words == 0 {
		b.fatalf("the lesson has %d one-word code spans and %d words in commands; want both", code.Spans, code.Words)
	}
	if want := []string{"nowrap", "pre-wrap", "nowrap"}; strings.Join(code.WhiteSpace, " ") != strings.Join(want, " ") {
		t.Errorf("white-space of a code span, a command and its word = %q, want %q", code.WhiteSpace, want)
	}
	if len(code.Broken) > 0 {
		t.Errorf("inline code broken across lines: %q", code.Broken)
	}
	t.Logf("inline code: %d one-word spans and %d words of commands, each on one line", code.Spans, code.Words)

	// Before a start the button reads Start; once the sandbox runs, Restart.
	b.do("scroll the card into view", chromedp.ScrollIntoView(chromedp.CSS(card)))
	if got := b.consoleBox(card).Start; got != "Start sandbox" {
		t.Errorf("before a start the button reads %q, want %q", got, "Start sandbox")
	}
	b.do("click Start", chromedp.Click(chromedp.CSS(card+" [data-role=start]"), chromedp.NodeVisible))
	b.waitFor("the sandbox to be ready", fmt.Sprintf(`(el => el && el.classList.contains("ready"))(document.querySelector(%q))`, card+" [data-role=lab-state]"))
	if got := b.consoleBox(card).Start; got != "Restart sandbox" {
		t.Errorf("while the sandbox runs the button reads %q, want %q", got, "Restart sandbox")
	}

	// Check before any work: every check fails, with the author's message
	// rendered (code elements, no backticks) and wanted beside seen.
	b.do("click Check", chromedp.Click(chromedp.CSS(card+" [data-role=check]"), chromedp.NodeVisible))
	b.waitFor("the checks to fail", fmt.Sprintf(`Array.from(document.querySelectorAll(%q)).some(li => li.classList.contains("fail"))`, card+" [data-role=checks] li.check"))
	checks := evalIn[[]checkView](b, "read the checks", readChecks(card))
	if len(checks) == 0 {
		b.fatalf("the card lists no checks")
	}
	first := checks[0]
	if first.State != "fail" || first.Codes < 2 || !strings.Contains(first.Message, "HGETALL db:product:101") {
		t.Errorf("the first failed check shows message %q with %d code elements (%s); want the author's message with its code spans", first.Message, first.Codes, first.State)
	}
	if first.Want != `wanted it to contain "Blue mug"` || first.Saw != "saw (nil)" {
		t.Errorf("the first failed check shows %q and %q; want what it wanted and what it saw", first.Want, first.Saw)
	}
	for i, c := range checks {
		if strings.Contains(c.Label+c.Detail, "`") {
			t.Errorf("check %d shows a raw backtick: %q %q", i+1, c.Label, c.Detail)
		}
		if c.State == "fail" && (c.Want == "" || c.Saw == "") {
			t.Errorf("failed check %d (%q) does not show what it wanted and saw: %q", i+1, c.Label, c.Detail)
		}
	}
	t.Logf("first failed check: %s | %s", first.Label, first.Detail)

	// Wide output, as a consumer-group table prints it: one line, scrolled.
	row := strings.Repeat("GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID ", 3)
	if got := b.typeLine(card, fmt.Sprintf("SET wide %q", row)); got != "OK\n" {
		t.Errorf("SET answered %q", got)
	}
	if got := b.typeLine(card, "GET wide"); !strings.Contains(got, "CLIENT-ID") {
		t.Errorf("GET answered %q", got)
	}
	narrow := b.consoleBox(card)
	if narrow.WhiteSpace != "pre" || narrow.ScrollWidth <= narrow.ClientWidth {
		t.Errorf("the console output has white-space %q, scroll width %v, client width %v; want pre, scrolling sideways",
			narrow.WhiteSpace, narrow.ScrollWidth, narrow.ClientWidth)
	}

	// Widen: the card spans the page (16 px either side); a reload keeps it.
	b.do("click Widen console", chromedp.Click(chromedp.CSS(card+" [data-role=widen]"), chromedp.NodeVisible))
	wide := b.consoleBox(card)
	if !wide.Wide || wide.Pressed != "true" || wide.CardWidth < wide.PageWidth-40 || wide.CardLeft > 20 || wide.ClientWidth <= narrow.ClientWidth {
		t.Errorf("widened: %+v; narrow was %+v; want the card across the page", wide, narrow)
	}
	t.Logf("console width: %v px narrow, %v px wide (page %v px)", narrow.ClientWidth, wide.ClientWidth, wide.PageWidth)
	b.do("reload the lesson", chromedp.Reload())
	b.waitFor("the lab controls after reload", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=widen]"))
	if re := b.consoleBox(card); !re.Wide || re.Pressed != "true" || re.CardWidth < re.PageWidth-40 {
		t.Errorf("after reload: %+v; want the console still wide", re)
	}
	b.do("click Narrow console", chromedp.Click(chromedp.CSS(card+" [data-role=widen]"), chromedp.NodeVisible))
	if re := b.consoleBox(card); re.Wide || re.Pressed != "false" || re.CardWidth > narrow.CardWidth+1 {
		t.Errorf("narrowed: %+v; want the lesson's column (%v px)", re, narrow.CardWidth)
	}
	b.do("reload the lesson", chromedp.Reload())
	b.waitFor("the lab controls after reload", fmt.Sprintf(`!!document.querySelector(%q)`, card+" [data-role=widen]"))
	if re := b.consoleBox(card); re.Wide {
		t.Errorf("after reload the console is wide again: %+v", re)
	}

	// Restart: a fresh sandbox, the checks back to pending, still Restart.
	b.do("scroll the card into view", chromedp.ScrollIntoView(chromedp.CSS(card)))
	b.do("click Start", chromedp.Click(chromedp.CSS(card+" [data-role=start]"), chromedp.NodeVisible))
	b.waitFor("the sandbox to be ready", fmt.Sprintf(`(el => el && el.classList.contains("ready"))(document.querySelector(%q))`, card+" [data-role=lab-state]"))
	if got := b.typeLine(card, "EXISTS wide"); got != "(integer) 1\n" {
		t.Errorf("before Restart, EXISTS wide answered %q", got)
	}
	b.do("click Restart", chromedp.Click(chromedp.CSS(card+" [data-role=start]"), chromedp.NodeVisible))
	b.waitFor("the restart", fmt.Sprintf(`(el => el && el.classList.contains("ready"))(document.querySelector(%q)) && document.querySelector(%q).textContent === ""`,
		card+" [data-role=lab-state]", card+" [data-role=console-output]"))
	if got := b.typeLine(card, "EXISTS wide"); got != "(integer) 0\n" {
		t.Errorf("after Restart, EXISTS wide answered %q; want a fresh sandbox", got)
	}
	if got := b.consoleBox(card).Start; got != "Restart sandbox" {
		t.Errorf("after a restart the button reads %q, want %q", got, "Restart sandbox")
	}
	b.assertClean()
}

func (b *browserTab) consoleBox(card string) consoleBox {
	b.t.Helper()
	return evalIn[consoleBox](b, "read the console", readConsoleBox(card))
}
