package markdown

import (
	"bytes"
	"html/template"
	"net/url"
	"strings"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// SafeIDPrefix starts every heading id and in-page link of learner-written
// Markdown, so they never collide with the ids of the page around it.
const SafeIDPrefix = "rb-"

// ExternalLinkRel is the rel of every link to another site in
// learner-written Markdown.
const ExternalLinkRel = "nofollow noopener noreferrer ugc"

// Safe renders Markdown written by learners (runbooks, review comments)
// for anyone to read: CommonMark with GFM tables, task lists,
// strikethrough and autolinks, highlighted code, and nothing that could
// run or load anything. Raw HTML is dropped; links keep only http, https,
// mailto, relative and #fragment destinations, and a link to another site
// gets rel="nofollow noopener noreferrer ugc"; an image becomes a link to
// it, so that no reader's browser fetches what a writer chose; heading ids
// and #fragment links start with SafeIDPrefix. No exercise blocks. It is
// safe for concurrent use.
type Safe struct {
	md goldmark.Markdown
}

// NewSafe builds the renderer for learner-written Markdown.
func NewSafe() *Safe {
	return &Safe{md: goldmark.New(
		goldmark.WithExtensions(
			extension.GFM,
			highlighting.NewHighlighting(
				highlighting.WithStyle("github"),
				highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
			),
			safeLinks{},
		),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)}
}

// Limits past which Render shows the source as plain text: goldmark's
// time grows with the square of unclosed brackets and of blockquote depth,
// and no runbook needs that many.
const (
	maxSafeBrackets    = 2000
	maxSafeQuoteDepth  = 32
	plainTextClassName = "markdown-plain"
)

// Render converts src to HTML that is safe to put in any page. A source
// too convoluted to format quickly (more than maxSafeBrackets '[' or
// blockquotes nested deeper than maxSafeQuoteDepth) is shown as plain
// preformatted text instead.
func (s *Safe) Render(src string) template.HTML {
	if tooConvoluted(src) {
		return preformatted(src)
	}
	var b bytes.Buffer
	if err := s.md.Convert([]byte(src), &b); err != nil {
		return preformatted(src)
	}
	// Raw HTML is off and every URL goes through safeURL: the output is safe.
	return template.HTML(b.String()) //nolint:gosec
}

// preformatted shows src as escaped plain text.
func preformatted(src string) template.HTML {
	return template.HTML(`<pre class="` + plainTextClassName + `">` + template.HTMLEscapeString(src) + "</pre>\n") //nolint:gosec // escaped
}

// tooConvoluted reports whether src would take goldmark unduly long.
func tooConvoluted(src string) bool {
	if strings.Count(src, "[") > maxSafeBrackets {
		return true
	}
	for line := range strings.Lines(src) {
		depth := 0
		for _, c := range line {
			if c == '>' {
				depth++
			} else if c != ' ' && c != '\t' {
				break
			}
		}
		if depth > maxSafeQuoteDepth {
			return true
		}
	}
	return false
}

// safeLinks replaces goldmark's renderers of links, images, autolinks and
// headings with ones that sanitise what learners write.
type safeLinks struct{}

func (safeLinks) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(safeLinkRenderer{}, 50)))
}

type safeLinkRenderer struct{}

func (r safeLinkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, r.link)
	reg.Register(ast.KindImage, r.image)
	reg.Register(ast.KindAutoLink, r.autoLink)
	reg.Register(ast.KindHeading, r.heading)
}

// link renders a link whose destination is safe as <a>, and any other as
// its text alone.
func (safeLinkRenderer) link(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	href, external, ok := safeURL(string(n.Destination))
	if !ok {
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	openAnchor(w, href, external, "", string(n.Title))
	return ast.WalkContinue, nil
}

// image renders an image as a link to it labelled with its alt text; an
// image inside a link, or with an unsafe source, as its alt text alone.
func (safeLinkRenderer) image(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	href, external, ok := safeURL(string(n.Destination))
	for p := n.Parent(); p != nil && ok; p = p.Parent() {
		ok = p.Kind() != ast.KindLink
	}
	if !ok {
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	openAnchor(w, href, external, "image-link", string(n.Title))
	_, _ = w.WriteString(`<span class="image-link-mark" aria-hidden="true">🖼 </span>`)
	if n.FirstChild() == nil {
		_, _ = w.Write(util.EscapeHTML([]byte(href)))
	}
	return ast.WalkContinue, nil
}

// autoLink renders <https://…>, <a@b.c> and bare www. links when their
// URL is safe, and their text otherwise.
func (safeLinkRenderer) autoLink(w util.BufWriter, src []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.AutoLink)
	if !entering {
		return ast.WalkContinue, nil
	}
	raw, label := string(n.URL(src)), n.Label(src)
	if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(raw), "mailto:") {
		raw = "mailto:" + raw
	}
	href, external, ok := safeURL(raw)
	if ok {
		openAnchor(w, href, external, "", "")
	}
	_, _ = w.Write(util.EscapeHTML(label))
	if ok {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

// heading renders a heading with its generated id under SafeIDPrefix.
func (safeLinkRenderer) heading(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Heading)
	tag := "h" + string("0123456"[n.Level])
	if !entering {
		_, _ = w.WriteString("</" + tag + ">\n")
		return ast.WalkContinue, nil
	}
	_, _ = w.WriteString("<" + tag)
	if v, ok := n.AttributeString("id"); ok {
		if id, ok := v.([]byte); ok && len(id) > 0 {
			_, _ = w.WriteString(` id="` + SafeIDPrefix)
			_, _ = w.Write(util.EscapeHTML(id))
			_ = w.WriteByte('"')
		}
	}
	_ = w.WriteByte('>')
	return ast.WalkContinue, nil
}

// openAnchor writes <a href=…> with the attributes of a learner's link.
func openAnchor(w util.BufWriter, href string, external bool, class, title string) {
	_, _ = w.WriteString(`<a href="`)
	_, _ = w.Write(util.EscapeHTML(util.URLEscape([]byte(href), false)))
	_ = w.WriteByte('"')
	if class != "" {
		_, _ = w.WriteString(` class="` + class + `"`)
	}
	if title != "" {
		_, _ = w.WriteString(` title="`)
		_, _ = w.Write(util.EscapeHTML(util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations([]byte(title))))))
		_ = w.WriteByte('"')
	}
	if external {
		_, _ = w.WriteString(` rel="` + ExternalLinkRel + `"`)
	}
	_ = w.WriteByte('>')
}

// safeURL decides whether a link destination, as written in the Markdown,
// may be a link: http, https and mailto URLs, and relative ones (paths,
// ?queries, #fragments). It returns the destination to use, with entities
// and escapes resolved as a browser would see them and #fragments moved
// under SafeIDPrefix, and whether it leads to another site. Everything
// else is refused: javascript:, data:, vbscript:, file: and any other
// scheme, however it is spelled or hidden (entities, case, spaces,
// control characters), and protocol-relative //host links.
func safeURL(dest string) (href string, external, ok bool) {
	b := util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations([]byte(dest))))
	// Browsers strip leading and trailing C0 controls and spaces, and drop
	// tabs and newlines anywhere, before they read the scheme.
	u := strings.TrimFunc(string(b), func(r rune) bool { return r <= 0x20 })
	u = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, u)
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return "", false, false
		}
	}
	if u == "" {
		return "", false, false
	}
	if scheme, _, found := strings.Cut(u, ":"); found && isScheme(scheme) {
		switch strings.ToLower(scheme) {
		case "http", "https":
			p, err := url.Parse(u)
			if err != nil || p.Host == "" {
				return "", false, false
			}
			return u, true, true
		case "mailto":
			return u, false, true
		}
		return "", false, false
	}
	// "//host", "\\host", "/\host" and "\/host" all lead off the site.
	if len(u) >= 2 && (u[0] == '/' || u[0] == '\\') && (u[1] == '/' || u[1] == '\\') {
		return "", false, false
	}
	if frag, isFrag := strings.CutPrefix(u, "#"); isFrag && frag != "" && !strings.HasPrefix(frag, SafeIDPrefix) {
		u = "#" + SafeIDPrefix + frag
	}
	return u, false, true
}

// isScheme reports whether s has the shape of a URL scheme: a letter, then
// letters, digits, '+', '-' or '.'. Anything else before a ':' makes the
// URL a relative path.
func isScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}
