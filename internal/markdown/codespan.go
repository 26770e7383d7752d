package markdown

import (
	"bytes"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// unbrokenCode renders inline code so that a line never breaks inside a
// word or a flag (`--describe`, `kafka-topics`), only between words: a
// code span of one word is one <code>, which the stylesheet keeps on one
// line; a longer one, <code class="code-words">, has each word in a <span>
// kept on one line, so that a long command still wraps at its spaces.
type unbrokenCode struct{}

func (unbrokenCode) Extend(m goldmark.Markdown) {
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(codeSpanRenderer{}, 100)))
}

type codeSpanRenderer struct{}

func (codeSpanRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindCodeSpan, func(w util.BufWriter, src []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var code bytes.Buffer
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch t := c.(type) {
			case *ast.Text:
				v := t.Segment.Value(src)
				if bytes.HasSuffix(v, []byte("\n")) {
					v = append(v[:len(v)-1:len(v)-1], ' ')
				}
				code.Write(v)
			case *ast.String:
				code.Write(t.Value)
			}
		}
		w.WriteString(CodeSpanHTML(code.String()))
		return ast.WalkSkipChildren, nil
	})
}

// CodeSpanHTML is the HTML of one code span holding text: escaped, with
// its words kept whole (see unbrokenCode).
func CodeSpanHTML(text string) string {
	words := strings.Split(text, " ")
	if len(words) == 1 {
		return "<code>" + string(util.EscapeHTML([]byte(text))) + "</code>"
	}
	var b strings.Builder
	b.WriteString(`<code class="code-words">`)
	for i, word := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		if word != "" {
			b.WriteString("<span>")
			b.Write(util.EscapeHTML([]byte(word)))
			b.WriteString("</span>")
		}
	}
	b.WriteString("</code>")
	return b.String()
}
