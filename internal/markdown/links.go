package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/util"

	"github.com/opslab/opslab/internal/course"
)

// references lists what course.Load needs to check a lesson's links once
// the whole course is parsed: the ids a "#anchor" may name (every heading
// and every exercise card) and the links and images of the body, each at
// its file line. Autolinks are left out: they always carry a scheme, and
// links with a scheme are not checked.
func references(doc ast.Node, st *parseState) (anchors []string, links, images []course.Ref) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch x := n.(type) {
		case *ast.Heading:
			if id, ok := x.AttributeString("id"); ok {
				if b, ok := id.([]byte); ok && len(b) > 0 {
					anchors = append(anchors, string(b))
				}
			}
		case *exerciseNode:
			if x.exercise != nil {
				anchors = append(anchors, "exercise-"+x.exercise.ID)
			}
		case *ast.Link:
			links = append(links, course.Ref{
				Target: string(x.Destination),
				Line:   st.line(inlineOffset(x, st.src)),
				// What goldmark's HTML renderer writes into href.
				Href: string(util.EscapeHTML(util.URLEscape(x.Destination, true))),
			})
		case *ast.Image:
			images = append(images, course.Ref{
				Target: string(x.Destination),
				Line:   st.line(inlineOffset(x, st.src)),
				// What goldmark's HTML renderer writes into src.
				Href: string(util.EscapeHTML(util.URLEscape(x.Destination, true))),
			})
		}
		return ast.WalkContinue, nil
	})
	return anchors, links, images
}

// inlineOffset returns a body offset on the line where an inline node
// starts. goldmark keeps no position for links and images themselves, so
// it is found from their text, else from the text just before them, else
// from the first line of the block holding them.
func inlineOffset(n ast.Node, src []byte) int {
	if off, ok := firstTextOffset(n); ok {
		return off
	}
	if t, ok := n.PreviousSibling().(*ast.Text); ok {
		if t.SoftLineBreak() || t.HardLineBreak() {
			// The node starts the next line: just past the line break.
			if i := bytes.IndexByte(src[min(t.Segment.Stop, len(src)):], '\n'); i >= 0 {
				return t.Segment.Stop + i + 1
			}
		}
		return t.Segment.Stop
	}
	for b := n.Parent(); b != nil; b = b.Parent() {
		if b.Type() == ast.TypeBlock && b.Lines().Len() > 0 {
			return b.Lines().At(0).Start
		}
	}
	return 0
}

// firstTextOffset returns the start of the first text below n.
func firstTextOffset(n ast.Node) (int, bool) {
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			return t.Segment.Start, true
		}
		if off, ok := firstTextOffset(c); ok {
			return off, true
		}
	}
	return 0, false
}
