// Package markdown renders lessons with one goldmark instance built at start:
// CommonMark with GFM, heading ids and anchors, chroma highlighting through
// CSS classes, raw HTML off, and exercise blocks rendered as cards. The rest
// of the platform sees it only through course.LessonParser.
package markdown

import (
	"bytes"
	"html/template"
	"strings"
	"unicode"

	chromahtml "github.com/alecthomas/chroma/v2/formatters/html"
	"github.com/yuin/goldmark"
	highlighting "github.com/yuin/goldmark-highlighting/v2"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/opslab/opslab/internal/course"
)

// Renderer is safe for concurrent use. It implements course.LessonParser.
type Renderer struct {
	lesson goldmark.Markdown // lessons: everything, exercises included
	inline goldmark.Markdown // tasks and hints: no exercise blocks
}

// New builds the renderer. Raw HTML in the Markdown is never passed through.
func New() *Renderer {
	r := &Renderer{inline: newMarkdown()}
	r.lesson = newMarkdown(&exerciseExtension{render: r.renderFragment, inline: r.Inline})
	return r
}

func newMarkdown(extra ...goldmark.Extender) goldmark.Markdown {
	exts := []goldmark.Extender{
		extension.GFM,
		highlighting.NewHighlighting(
			highlighting.WithStyle("github"),
			highlighting.WithFormatOptions(chromahtml.WithClasses(true)),
		),
		headingAnchors{},
		unbrokenCode{},
	}
	return goldmark.New(
		goldmark.WithExtensions(append(exts, extra...)...),
		goldmark.WithParserOptions(parser.WithAutoHeadingID()),
	)
}

// HighlightCSS returns the stylesheet for highlighted code in light and dark
// themes: the light rules, then the dark ones scoped under darkScope.
func HighlightCSS(darkScope string) (string, error) {
	var b bytes.Buffer
	if err := writeStyleCSS(&b, "github", ""); err != nil {
		return "", err
	}
	if err := writeStyleCSS(&b, "github-dark", darkScope); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Fragment renders a piece of author Markdown (a task, a hint) to safe HTML.
func (r *Renderer) Fragment(src string) template.HTML { return r.renderFragment(src) }

// Inline renders a one-line piece of author Markdown (a check's label)
// to safe HTML without the paragraph around it: code spans, emphasis and
// links. Anything that is not one paragraph is shown as escaped text.
func (r *Renderer) Inline(src string) template.HTML {
	h := string(r.renderFragment(src))
	inner, ok := strings.CutPrefix(strings.TrimSuffix(h, "\n"), "<p>")
	if inner, ok2 := strings.CutSuffix(inner, "</p>"); ok && ok2 && !strings.Contains(inner, "<p>") {
		return template.HTML(inner) //nolint:gosec // goldmark output with raw HTML off
	}
	return template.HTML(template.HTMLEscapeString(src))
}

func (r *Renderer) renderFragment(src string) template.HTML {
	var b bytes.Buffer
	if err := r.inline.Convert([]byte(src), &b); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	// goldmark escapes text and drops raw HTML, so its output is safe.
	return template.HTML(b.String()) //nolint:gosec
}

// parseState carries the per-lesson inputs and outputs of a parse.
type parseState struct {
	path      string
	bodyLine  int
	src       []byte
	commands  course.CommandChecker
	problems  course.Problems
	exercises []*course.Exercise
}

// line returns the file line of a byte offset into the body.
func (s *parseState) line(offset int) int {
	if offset > len(s.src) {
		offset = len(s.src)
	}
	return s.bodyLine + bytes.Count(s.src[:offset], []byte("\n"))
}

var stateKey = parser.NewContextKey()

// ParseLesson implements course.LessonParser. Besides the HTML, it reports
// the heading and exercise ids, links and images it found, with their file
// lines, for course.Load to check against the rest of the course.
func (r *Renderer) ParseLesson(path string, body []byte, bodyLine int, commands course.CommandChecker) (course.Rendered, course.Problems) {
	st := &parseState{path: path, bodyLine: bodyLine, src: body, commands: commands}
	pc := parser.NewContext()
	pc.Set(stateKey, st)
	doc := r.lesson.Parser().Parse(text.NewReader(body), parser.WithContext(pc))
	var b bytes.Buffer
	if err := r.lesson.Renderer().Render(&b, body, doc); err != nil {
		st.problems.Add(path, bodyLine, "render: %v", err)
		return course.Rendered{}, st.problems
	}
	anchors, links, images := references(doc, st)
	return course.Rendered{
		HTML:      template.HTML(b.String()), //nolint:gosec // goldmark output with raw HTML off
		TOC:       tableOfContents(doc, body),
		Exercises: st.exercises,
		Words:     countWords(doc, body),
		Anchors:   anchors,
		Links:     links,
		Images:    images,
	}, st.problems
}

// tableOfContents lists the level 2 and 3 headings with their ids.
func tableOfContents(doc ast.Node, src []byte) []course.Heading {
	var toc []course.Heading
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		h, ok := n.(*ast.Heading)
		if !entering || !ok {
			return ast.WalkContinue, nil
		}
		if h.Level == 2 || h.Level == 3 {
			id, _ := h.AttributeString("id")
			idb, _ := id.([]byte)
			toc = append(toc, course.Heading{Level: h.Level, ID: string(idb), Text: plainText(h, src)})
		}
		return ast.WalkSkipChildren, nil
	})
	return toc
}

// plainText concatenates the text below n.
func plainText(n ast.Node, src []byte) string {
	var b strings.Builder
	_ = ast.Walk(n, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			b.Write(t.Segment.Value(src))
			if t.SoftLineBreak() || t.HardLineBreak() {
				b.WriteByte(' ')
			}
		case *ast.String:
			b.Write(t.Value)
		}
		return ast.WalkContinue, nil
	})
	return strings.TrimSpace(b.String())
}

// countWords counts the words of prose and code a reader goes through.
func countWords(doc ast.Node, src []byte) int {
	n := 0
	_ = ast.Walk(doc, func(c ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch t := c.(type) {
		case *ast.Text:
			n += len(strings.FieldsFunc(string(t.Segment.Value(src)), unicode.IsSpace))
		case *ast.FencedCodeBlock:
			for i := 0; i < t.Lines().Len(); i++ {
				seg := t.Lines().At(i)
				n += len(strings.Fields(string(seg.Value(src))))
			}
		}
		return ast.WalkContinue, nil
	})
	return n
}

// headingAnchors renders headings with a self-link after their text.
type headingAnchors struct{}

func (headingAnchors) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(headingRenderer{}, 100)))
}

type headingRenderer struct{}

func (headingRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindHeading, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		h := n.(*ast.Heading)
		idv, _ := h.AttributeString("id")
		id, _ := idv.([]byte)
		if entering {
			w.WriteString("<h")
			w.WriteByte("0123456"[h.Level])
			if len(id) > 0 {
				w.WriteString(` id="`)
				w.Write(util.EscapeHTML(id))
				w.WriteByte('"')
			}
			w.WriteByte('>')
			return ast.WalkContinue, nil
		}
		if len(id) > 0 {
			w.WriteString(` <a class="anchor" href="#`)
			w.Write(util.EscapeHTML(id))
			w.WriteString(`" aria-label="Link to this section">#</a>`)
		}
		w.WriteString("</h")
		w.WriteByte("0123456"[h.Level])
		w.WriteString(">\n")
		return ast.WalkContinue, nil
	})
}
