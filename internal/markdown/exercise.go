package markdown

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/kinds"
)

// exerciseExtension turns ```exercise fenced blocks into exercise nodes
// (parsed and validated by course.ParseExercise) and renders them as cards.
type exerciseExtension struct {
	render func(string) template.HTML // Markdown of tasks and hints
	inline func(string) template.HTML // Markdown of check labels
}

func (e *exerciseExtension) Extend(m goldmark.Markdown) {
	m.Parser().AddOptions(parser.WithASTTransformers(util.Prioritized(exerciseTransformer{}, 100)))
	m.Renderer().AddOptions(renderer.WithNodeRenderers(util.Prioritized(&cardRenderer{render: e.render, inline: e.inline}, 100)))
}

// kindExercise is the AST node kind of an exercise card.
var kindExercise = ast.NewNodeKind("Exercise")

// exerciseNode replaces an exercise block in the AST.
type exerciseNode struct {
	ast.BaseBlock
	exercise *course.Exercise // nil when the block has problems
}

func (n *exerciseNode) Kind() ast.NodeKind { return kindExercise }

func (n *exerciseNode) Dump(src []byte, level int) { ast.DumpHelper(n, src, level, nil, nil) }

type exerciseTransformer struct{}

func (exerciseTransformer) Transform(doc *ast.Document, reader text.Reader, pc parser.Context) {
	st, _ := pc.Get(stateKey).(*parseState)
	if st == nil {
		return
	}
	src := reader.Source()
	var blocks []*ast.FencedCodeBlock
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if fb, ok := n.(*ast.FencedCodeBlock); ok && entering && string(fb.Language(src)) == "exercise" {
			blocks = append(blocks, fb)
		}
		return ast.WalkContinue, nil
	})
	for _, fb := range blocks {
		var y bytes.Buffer
		for i := 0; i < fb.Lines().Len(); i++ {
			seg := fb.Lines().At(i)
			y.Write(seg.Value(src))
		}
		fence := st.line(fb.Info.Segment.Start)
		ex, ps := course.ParseExercise(st.path, fence, y.Bytes(), st.commands)
		st.problems = append(st.problems, ps...)
		if ex != nil {
			st.exercises = append(st.exercises, ex)
		}
		node := &exerciseNode{exercise: ex}
		fb.Parent().ReplaceChild(fb.Parent(), fb, node)
	}
}

type cardRenderer struct {
	render func(string) template.HTML
	inline func(string) template.HTML
}

func (r *cardRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindExercise, func(w util.BufWriter, _ []byte, n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		ex := n.(*exerciseNode).exercise
		if ex == nil {
			return ast.WalkSkipChildren, nil
		}
		r.writeCard(w, ex)
		return ast.WalkSkipChildren, nil
	})
}

// writeCard writes the card's HTML. Everything from the author is escaped
// or rendered by goldmark with raw HTML off. The page's script turns the
// card's controls live; without script the task and hints still read well.
func (r *cardRenderer) writeCard(w util.BufWriter, ex *course.Exercise) {
	ex.TaskHTML = r.render(ex.Task)
	esc := template.HTMLEscapeString
	kind := esc(ex.Sandbox)
	// A multi-node sandbox lists its nodes, default first, for the
	// console's node picker.
	nodes := ""
	if n := course.SandboxNodes(ex.Sandbox); len(n) > 1 {
		nodes = ` data-nodes="` + esc(strings.Join(n, " ")) + `"`
	}
	// A stack's nodes speak different languages: the card lists each
	// node's family, in the order of its nodes.
	if f := course.SandboxFamilies(ex.Sandbox); len(f) > 1 {
		var per []string
		for _, node := range course.SandboxNodes(ex.Sandbox) {
			per = append(per, course.NodeFamily(ex.Sandbox, node))
		}
		nodes += ` data-families="` + esc(strings.Join(per, " ")) + `"`
	}
	// An exercise that needs real brokers says so on its card; a server
	// that runs kfake refuses to start it with a sentence saying why.
	requires, badge := "", ""
	if len(ex.Requires) > 0 {
		requires = ` data-requires="` + esc(strings.Join(ex.Requires, " ")) + `"`
	}
	if ex.Needs(course.RequireRealKafka) {
		badge = `<span class="requires-badge" data-role="requires" title="Runs on real Apache Kafka brokers (the container driver), not on kfake">real Kafka brokers</span>`
	}
	fmt.Fprintf(w, `<section class="exercise" id="exercise-%s" data-exercise="%s" data-sandbox="%s"%s%s aria-labelledby="exercise-%s-title">`+"\n",
		esc(ex.ID), esc(ex.ID), kind, nodes, requires, esc(ex.ID))
	fmt.Fprintf(w, `<header class="exercise-head"><span class="exercise-label">Exercise</span>`+
		`<h3 class="exercise-title" id="exercise-%s-title">%s</h3>`+
		`<span class="sandbox-badge sandbox-%s" title="Runs in your own %s sandbox">%s sandbox</span>%s`+
		`<span class="exercise-status" data-role="status" aria-live="polite"></span></header>`+"\n",
		esc(ex.ID), esc(ex.Title), kind, kind, esc(sandboxLabel(ex.Sandbox)), badge)
	fmt.Fprintf(w, `<div class="exercise-task">%s</div>`+"\n", ex.TaskHTML)
	if len(ex.Hints) > 0 {
		w.WriteString(`<div class="exercise-hints" data-role="hints">` + "\n")
		for i, h := range ex.Hints {
			fmt.Fprintf(w, `<details class="hint" data-hint="%d"><summary>Hint %d of %d</summary>%s</details>`+"\n",
				i, i+1, len(ex.Hints), r.render(h))
		}
		w.WriteString("</div>\n")
	}
	fmt.Fprintf(w, `<ul class="exercise-checks" data-role="checks" aria-label="Checks">`)
	for i, c := range ex.Checks {
		// The author's label is inline Markdown; a check without one is
		// described from its probe and matchers. data-label keeps the
		// label as written, for the script to tell it from a message.
		label, html := c.Label, template.HTML("")
		if label != "" {
			html = r.inline(label)
		} else {
			subject, predicate := check.DescribeParts(c)
			label = check.Describe(c)
			html = template.HTML(CodeSpanHTML(subject)) //nolint:gosec // escaped by CodeSpanHTML
			if predicate != "" {
				html += template.HTML(" " + esc(predicate)) //nolint:gosec // escaped
			}
		}
		fmt.Fprintf(w, `<li class="check pending" data-check="%d" data-label="%s"><span class="check-label">%s</span><span class="check-detail" data-role="detail"></span></li>`, i, esc(label), html)
	}
	w.WriteString("</ul>\n")
	fmt.Fprintf(w, `<div class="exercise-lab" data-role="lab" data-hints="%d"><noscript><p>The live sandbox needs JavaScript.</p></noscript></div>`+"\n", len(ex.Hints))
	w.WriteString("</section>\n")
}

// sandboxLabel is the card badge's name of a kind (kinds.Kind.Title).
func sandboxLabel(kind string) string {
	if k := kinds.Kind(kind); k.Valid() {
		return k.Title()
	}
	return kind
}
