package markdown_test

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/markdown"
)

// element is one tag of rendered HTML with its attributes, decoded.
type element struct {
	tag   string
	attrs map[string]string
}

var (
	tagRE  = regexp.MustCompile(`^<(/?)([a-z][a-z0-9]*)((?:\s+[^\s=/>]+(?:="[^"<>]*")?)*)\s*/?>`)
	attrRE = regexp.MustCompile(`\s+([^\s=/>]+)(?:="([^"]*)")?`)
)

// rawHTMLOmitted is what goldmark writes in place of raw HTML.
const rawHTMLOmitted = "<!-- raw HTML omitted -->"

// parseElements reads the tags of out strictly: every '<' must open a
// well-formed tag (or be goldmark's raw-HTML placeholder), so markup that
// a browser could read differently fails the test.
func parseElements(t *testing.T, out string) []element {
	t.Helper()
	var els []element
	for i := 0; i < len(out); i++ {
		if out[i] != '<' {
			continue
		}
		rest := out[i:]
		if strings.HasPrefix(rest, rawHTMLOmitted) {
			i += len(rawHTMLOmitted) - 1
			continue
		}
		m := tagRE.FindStringSubmatch(rest)
		if m == nil {
			t.Errorf("a '<' that opens no well-formed tag at %q in %s", rest[:min(len(rest), 40)], out)
			return els
		}
		e := element{tag: m[2], attrs: map[string]string{}}
		for _, a := range attrRE.FindAllStringSubmatch(m[3], -1) {
			e.attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
		}
		if m[1] == "" {
			els = append(els, e)
		}
		i += len(m[0]) - 1
	}
	return els
}

// allowedTags are the elements learner Markdown may produce.
var allowedTags = map[string]bool{
	"p": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"a": true, "em": true, "strong": true, "del": true, "code": true, "pre": true, "span": true,
	"ul": true, "ol": true, "li": true, "input": true, "blockquote": true, "hr": true, "br": true,
	"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true,
}

// allowedAttrs are the attributes it may carry, by element ("*" for any).
var allowedAttrs = map[string]bool{
	"a.href": true, "a.rel": true, "a.title": true, "a.class": true, "span.class": true, "span.aria-hidden": true,
	"pre.class": true, "code.class": true, "input.type": true, "input.checked": true, "input.disabled": true,
	"th.style": false, "td.style": false, "h1.id": true, "h2.id": true, "h3.id": true, "h4.id": true, "h5.id": true, "h6.id": true,
	"ol.start": true, "th.align": true, "td.align": true,
}

// assertSafe fails unless out holds only allowed elements and attributes,
// every href is http(s), mailto or relative, and every id is prefixed.
func assertSafe(t *testing.T, src, out string) {
	t.Helper()
	for _, e := range parseElements(t, out) {
		if !allowedTags[e.tag] {
			t.Errorf("%q: rendered a <%s> element: %s", src, e.tag, out)
		}
		for k, v := range e.attrs {
			if !allowedAttrs[e.tag+"."+k] {
				t.Errorf("%q: <%s> has attribute %s=%q: %s", src, e.tag, k, v, out)
			}
			if k == "href" && !safeHref(v) {
				t.Errorf("%q: unsafe href %q: %s", src, v, out)
			}
			if k == "id" && !strings.HasPrefix(v, markdown.SafeIDPrefix) {
				t.Errorf("%q: id %q lacks the prefix", src, v)
			}
		}
	}
}

var schemeRE = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*):`)

// safeHref reads an href as a browser would (after the attribute is
// decoded): http, https or mailto, or relative and not protocol-relative.
func safeHref(v string) bool {
	v = strings.TrimFunc(v, func(r rune) bool { return r <= 0x20 })
	v = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(v)
	if m := schemeRE.FindStringSubmatch(v); m != nil {
		s := strings.ToLower(m[1])
		return s == "http" || s == "https" || s == "mailto"
	}
	return !strings.HasPrefix(v, "//") && !strings.HasPrefix(v, `\`) && !strings.HasPrefix(v, `/\`)
}

func TestSafe_Hostile(t *testing.T) {
	r := markdown.NewSafe()
	hostile := []string{
		`<script>alert(1)</script>`,
		"<script>\nalert(1)\n</script>\n\ntext",
		`<img src=x onerror=alert(1)>`,
		`text <img src=x onerror="alert(1)"> inline`,
		`<a href="javascript:alert(1)">x</a>`,
		`<iframe src="https://evil.example"></iframe>`,
		`<style>body{display:none}</style>`,
		`<svg onload=alert(1)>`,
		`<div onclick="alert(1)">click</div>`,
		"<!-- --><script>alert(1)</script>",
		`[x](javascript:alert(1))`,
		`[x](JavaScript:alert(1))`,
		`[x](JAVASCRIPT:alert(1))`,
		`[x]( javascript:alert(1))`,
		`[x](<java script:alert(1)>)`,
		"[x](<java\tscript:alert(1)>)",
		`[x](&#106;avascript:alert(1))`,
		`[x](&#x6A;&#x61;vascript:alert(1))`,
		`[x](&#0000106avascript:alert(1))`,
		`[x](javascript&colon;alert(1))`,
		`[x](javascript&#58;alert(1))`,
		`[x](javascript&#x3a;alert(1))`,
		`[x](%6Aavascript:alert(1))`,
		`[x](javascript%3Aalert(1))`,
		`[x](\javascript:alert(1))`,
		`[x](vbscript:msgbox(1))`,
		`[x](VBScript:msgbox(1))`,
		`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
		`[x](DATA:text/html,<script>alert(1)</script>)`,
		`[x](file:///etc/passwd)`,
		`[x](//evil.example/path)`,
		`[x](\\evil.example/path)`,
		`[x](/\evil.example/path)`,
		`[x](https://ok.example "a title\" onmouseover=\"alert(1)")`,
		`[x](https://ok.example" onmouseover="alert(1))`,
		"[x][ref]\n\n[ref]: javascript:alert(1)",
		"[x][ref]\n\n[ref]: <&#106;avascript:alert(1)>",
		`![x](javascript:alert(1))`,
		`![x](data:image/png;base64,iVBORw0KGgo=)`,
		`![x" onerror="alert(1)](https://img.example/a.png)`,
		`[![x](https://img.example/a.png)](javascript:alert(1))`,
		`<javascript:alert(1)>`,
		`<JAVASCRIPT:alert(1)>`,
		`<data:text/html,x>`,
		`<vbscript:x>`,
		`www.example.com/"onmouseover="alert(1)`,
		`https://example.com/<script>`,
		"```\"><script>alert(1)</script>\nx\n```",
		"```js onerror=alert(1)\nalert(1)\n```",
		"# <script>alert(1)</script>",
		"# \" onmouseover=\"alert(1)",
		"| a | b |\n| --- | --- |\n| <script>x</script> | [x](javascript:y) |",
		"- [x] <img src=x onerror=alert(1)>",
		"`<script>`",
		"<details open ontoggle=alert(1)>",
	}
	for _, src := range hostile {
		out := string(r.Render(src))
		assertSafe(t, src, out)
	}
}

func TestSafe_Links(t *testing.T) {
	r := markdown.NewSafe()
	for _, c := range []struct{ src, want string }{
		{`[docs](https://redis.io/docs/)`, `<a href="https://redis.io/docs/" rel="nofollow noopener noreferrer ugc">docs</a>`},
		{`[docs](HTTP://redis.io)`, `<a href="HTTP://redis.io" rel="nofollow noopener noreferrer ugc">docs</a>`},
		{`[mail](mailto:oncall@example.com)`, `<a href="mailto:oncall@example.com">mail</a>`},
		{`[lesson](/courses/c/lessons/l)`, `<a href="/courses/c/lessons/l">lesson</a>`},
		{`[rel](../other?x=1)`, `<a href="../other?x=1">rel</a>`},
		{`[up](#rollback)`, `<a href="#rb-rollback">up</a>`},
		{`[up](#rb-rollback)`, `<a href="#rb-rollback">up</a>`},
		{`[t](https://a.example "Title & more")`, `<a href="https://a.example" title="Title &amp; more" rel="nofollow noopener noreferrer ugc">t</a>`},
		{`[bad](javascript:alert(1)) stays text`, `<p>bad stays text</p>`},
		{`<https://redis.io>`, `<a href="https://redis.io" rel="nofollow noopener noreferrer ugc">https://redis.io</a>`},
		{`<oncall@example.com>`, `<a href="mailto:oncall@example.com">oncall@example.com</a>`},
		{`see www.redis.io today`, `<a href="http://www.redis.io" rel="nofollow noopener noreferrer ugc">www.redis.io</a>`},
		{`<javascript:alert(1)>`, `<p>javascript:alert(1)</p>`},
		{`![diagram](/static/a.png)`, `<a href="/static/a.png" class="image-link"><span class="image-link-mark" aria-hidden="true">🖼 </span>diagram</a>`},
		{`![](https://img.example/a.png)`, `<a href="https://img.example/a.png" class="image-link" rel="nofollow noopener noreferrer ugc"><span class="image-link-mark" aria-hidden="true">🖼 </span>https://img.example/a.png</a>`},
		{`![pic](data:image/png;base64,AAAA)`, `<p>pic</p>`},
		{`[a space](<my page.md>)`, `<a href="my%20page.md">a space</a>`},
	} {
		out := string(r.Render(c.src))
		if !strings.Contains(out, c.want) {
			t.Errorf("Render(%q) = %q, want it to contain %q", c.src, out, c.want)
		}
		assertSafe(t, c.src, out)
	}
}

func TestSafe_Markdown(t *testing.T) {
	r := markdown.NewSafe()
	src := "## Prerequisites\n\n- [ ] backup\n- [x] ticket\n\n## Commands\n\n```bash\nredis-cli INFO memory\n```\n\n" +
		"## Commands\n\n| Role | Name |\n| --- | --- |\n| on-call | `ann` |\n\n~~old~~ **new**\n\n<b>raw</b>\n"
	out := string(r.Render(src))
	for _, want := range []string{
		`<h2 id="rb-prerequisites">Prerequisites</h2>`,
		`<h2 id="rb-commands">Commands</h2>`,
		`<h2 id="rb-commands-1">Commands</h2>`,
		`<input disabled="" type="checkbox"`, `<input checked="" disabled="" type="checkbox"`,
		`<pre class="chroma">`, `<th>Role</th>`, `<code>ann</code>`, `<del>old</del>`, `<strong>new</strong>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "<b>") || strings.Contains(out, `class="anchor"`) {
		t.Errorf("raw HTML or heading anchors in the output:\n%s", out)
	}
	assertSafe(t, src, out)
	// Exercise blocks are lessons' business, not runbooks'.
	ex := "```exercise\nid: x\n```\n"
	if out := string(r.Render(ex)); strings.Contains(out, "exercise-") || !strings.Contains(out, "<pre") {
		t.Errorf("an exercise block rendered as %q, want plain code", out)
	}
}

func TestSafe_Pathological(t *testing.T) {
	r := markdown.NewSafe()
	// Inputs that would take goldmark seconds come back as plain text.
	for _, src := range []string{
		strings.Repeat("[", 30000) + strings.Repeat("]", 30000),
		strings.Repeat("![x](", 10000) + "<script>",
		strings.Repeat("> ", 20000) + "x <b>",
	} {
		out := string(r.Render(src))
		if !strings.HasPrefix(out, `<pre class="markdown-plain">`) {
			t.Errorf("%.20q… rendered as Markdown", src)
		}
		assertSafe(t, src[:20], out)
	}
	for _, src := range []string{
		strings.Repeat("*a ", 20000),
		strings.Repeat("- ", 20000),
		strings.Repeat("[a]", 1000),
		"\x00<script>\x00",
	} {
		out := string(r.Render(src))
		if strings.HasPrefix(out, `<pre class="markdown-plain">`) {
			t.Errorf("%.20q… rendered as plain text", src)
		}
		assertSafe(t, src[:min(len(src), 20)], out)
	}
}
