package markdown_test

import (
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/markdown"
)

const cardLesson = "Run `kafka-consumer-groups --describe --group g` or `--describe`.\n\n" +
	"```exercise\n" +
	"id: counter\n" +
	"title: Count\n" +
	"sandbox: redis\n" +
	"task: Set `counter`.\n" +
	"checks:\n" +
	"  - redis: GET counter\n" +
	"    label: \"`counter` holds *five* <b>now</b>\"\n" +
	"    equals: \"5\"\n" +
	"  - redis: GET counter\n" +
	"    equals: \"5\"\n" +
	"  - redis: TTL counter\n" +
	"    min: 1\n" +
	"    max: 60\n" +
	"  - redis: GET a<b>\n" +
	"    equals: x&y\n" +
	"```\n"

// The card's check labels: the author's as inline Markdown, escaped; a
// check without one described from its probe and matcher, never "Check N".
func TestCardCheckLabels(t *testing.T) {
	r, ps := markdown.New().ParseLesson("t.md", []byte(cardLesson), 1, nil)
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	html := string(r.HTML)
	for _, want := range []string{
		`data-label="` + "`counter` holds *five* &lt;b&gt;now&lt;/b&gt;" + `"><span class="check-label"><code>counter</code> holds <em>five</em> <!-- raw HTML omitted -->now<!-- raw HTML omitted --></span>`,
		`data-label="GET counter equals &#34;5&#34;"><span class="check-label"><code class="code-words"><span>GET</span> <span>counter</span></code> equals &#34;5&#34;</span>`,
		`<span class="check-label"><code class="code-words"><span>TTL</span> <span>counter</span></code> is at least 1 and at most 60</span>`,
		`<span class="check-label"><code class="code-words"><span>GET</span> <span>a&lt;b&gt;</span></code> equals &#34;x&amp;y&#34;</span>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the card lacks %s\n%s", want, html)
		}
	}
	for _, bad := range []string{"Check 1", "Check 2", "<b>"} {
		if strings.Contains(html, bad) {
			t.Errorf("the card holds %q", bad)
		}
	}
	// No raw backtick is left in what the learner reads (data-label keeps
	// the label as written, for the script).
	if i := strings.Index(stripAttr(html, "data-label"), "`"); i >= 0 {
		t.Errorf("a backtick shows in the card: %s", html[max(0, i-40):])
	}
}

// Inline code keeps words and flags whole: one word is one <code>, a
// command has its words in spans, so that it wraps only at its spaces.
func TestCodeSpansKeepWordsWhole(t *testing.T) {
	r, _ := markdown.New().ParseLesson("t.md", []byte(cardLesson), 1, nil)
	html := string(r.HTML)
	for _, want := range []string{
		`<code class="code-words"><span>kafka-consumer-groups</span> <span>--describe</span> <span>--group</span> <span>g</span></code>`,
		`or <code>--describe</code>.`,
		`Set <code>counter</code>.`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the lesson lacks %s\n%s", want, html)
		}
	}
	if got := markdown.CodeSpanHTML("a  <b>"); got != `<code class="code-words"><span>a</span>  <span>&lt;b&gt;</span></code>` {
		t.Errorf("CodeSpanHTML = %s", got)
	}
}

func TestInline(t *testing.T) {
	r := markdown.New()
	for src, want := range map[string]string{
		"`x` is *set*":              `<code>x</code> is <em>set</em>`,
		"see [docs](https://x.org)": `see <a href="https://x.org">docs</a>`,
		"<script>alert(1)</script>": `&lt;script&gt;alert(1)&lt;/script&gt;`,
		"a <b>b</b>":                `a <!-- raw HTML omitted -->b<!-- raw HTML omitted -->`,
		"- a list":                  `- a list`,
	} {
		if got := string(r.Inline(src)); got != want {
			t.Errorf("Inline(%q) = %s, want %s", src, got, want)
		}
	}
}

// stripAttr drops every value of the attribute name from html.
func stripAttr(html, name string) string {
	var b strings.Builder
	for {
		i := strings.Index(html, name+`="`)
		if i < 0 {
			b.WriteString(html)
			return b.String()
		}
		b.WriteString(html[:i])
		rest := html[i+len(name)+2:]
		j := strings.IndexByte(rest, '"')
		html = rest[j+1:]
	}
}
