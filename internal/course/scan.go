package course

import (
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// The lesson parser hands back only the exercises that are valid. These
// checks need every exercise block, valid or not, and every level-1
// heading, so they read the body's lines themselves: a light scan that
// knows fenced code blocks and headings, and is checked against what the
// parser found (a parsed exercise always counts; a heading warning needs
// the parser's HTML to hold an h1).

// fencedBlock is a fenced code block of a lesson body.
type fencedBlock struct {
	line int    // file line of the opening fence
	info string // the info string, trimmed
	text string // the lines inside, without the fence's indent
}

var fenceOpenRE = regexp.MustCompile("^([ \t]*)(`{3,}|~{3,})(.*)$")

// scanBody splits a lesson body into its fenced blocks and calls plain for
// every other line (with its file line). bodyLine is the file line of the
// body's first line.
func scanBody(body []byte, bodyLine int, plain func(line int, text string)) []fencedBlock {
	var blocks []fencedBlock
	lines := strings.Split(string(body), "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceOpenRE.FindStringSubmatch(lines[i])
		if m == nil || (m[2][0] == '`' && strings.Contains(m[3], "`")) {
			if plain != nil {
				plain(bodyLine+i, lines[i])
			}
			continue
		}
		indent, fence := len(m[1]), m[2]
		b := fencedBlock{line: bodyLine + i, info: strings.TrimSpace(m[3])}
		var inside []string
		for i++; i < len(lines); i++ {
			l := strings.TrimSpace(lines[i])
			if strings.HasPrefix(l, fence) && strings.Trim(l, fence[:1]) == "" {
				break
			}
			inside = append(inside, dedent(lines[i], indent))
		}
		b.text = strings.Join(inside, "\n")
		blocks = append(blocks, b)
	}
	return blocks
}

// dedent removes up to n leading spaces or tabs from s.
func dedent(s string, n int) string {
	for n > 0 && s != "" && (s[0] == ' ' || s[0] == '\t') {
		s, n = s[1:], n-1
	}
	return s
}

// exerciseRef is what the scan learns of one exercise block.
type exerciseRef struct {
	line int
	id   string
	// noSolution: the block is a mapping with no solution, or an empty
	// list of them.
	noSolution bool
}

var idLineRE = regexp.MustCompile(`(?m)^id:[ \t]*(\S[^\n]*?)[ \t]*$`)

// scanExercise reads the id of an exercise block, and whether it has a
// solution, even when the block has other mistakes (or is not YAML at all:
// then a top-level "id:" line still names it).
func scanExercise(b fencedBlock) exerciseRef {
	ref := exerciseRef{line: b.line}
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(b.text), &doc); err != nil {
		if m := idLineRE.FindStringSubmatch(b.text); m != nil {
			ref.id = unquote(m[1])
		}
		return ref
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return ref
	}
	root := doc.Content[0]
	if v := nodeOf(root, "id"); v != nil && v.Kind == yaml.ScalarNode {
		ref.id = v.Value
	}
	sol := nodeOf(root, "solution")
	ref.noSolution = sol == nil || (sol.Kind == yaml.SequenceNode && len(sol.Content) == 0)
	return ref
}

// unquote strips one pair of matching YAML quotes.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}

// checkExerciseBlocks reports duplicate exercise ids and exercises with no
// solution, counting every exercise block of the body, valid or not: an
// exercise with another mistake still takes its id, and fixing that
// mistake should not reveal the duplicate. parsed are the parser's valid
// exercises, which always count.
func checkExerciseBlocks(p string, body []byte, bodyLine int, parsed []*Exercise) Problems {
	refs := map[int]exerciseRef{}
	for _, b := range scanBody(body, bodyLine, nil) {
		if strings.Fields(b.info + " x")[0] == "exercise" {
			refs[b.line] = scanExercise(b)
		}
	}
	for _, e := range parsed {
		refs[e.Line] = exerciseRef{line: e.Line, id: e.ID, noSolution: len(e.Solution) == 0}
	}
	lines := make([]int, 0, len(refs))
	for l := range refs {
		lines = append(lines, l)
	}
	sort.Ints(lines)
	var ps Problems
	ids := map[string]int{}
	for _, l := range lines {
		r := refs[l]
		if r.id != "" {
			if first, dup := ids[r.id]; dup {
				ps.Add(p, r.line, "duplicate exercise id %q (first at line %d)", r.id, first)
				continue
			}
			ids[r.id] = r.line
		}
		// opslab test applies the solution to prove the checks can pass;
		// with no solution the exercise can only fail it.
		if r.noSolution {
			ps.Add(p, r.line+1, "exercise %q has no solution: list the commands that make its checks pass (opslab test runs them)", r.id)
		}
	}
	return ps
}

var (
	atxH1RE    = regexp.MustCompile(`^ {0,3}#(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextH1RE = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
)

// headingWarnings warns about every level-1 heading of a lesson body: the
// table of contents lists level 2 and 3 headings only, and the page's
// title comes from the front matter.
func headingWarnings(p string, body []byte, bodyLine int, r Rendered) Problems {
	if !strings.Contains(string(r.HTML), "<h1") {
		return nil // the parser made no h1: nothing the scan sees is one
	}
	type h1 struct {
		line int
		text string
	}
	var found []h1
	prev := ""
	scanBody(body, bodyLine, func(line int, text string) {
		switch {
		case atxH1RE.MatchString(text):
			found = append(found, h1{line, strings.TrimSpace(atxH1RE.FindStringSubmatch(text)[1])})
			text = ""
		case setextH1RE.MatchString(text) && strings.TrimSpace(prev) != "":
			found = append(found, h1{line - 1, strings.TrimSpace(prev)})
			text = ""
		}
		prev = text
	})
	if len(found) == 0 {
		found = append(found, h1{line: bodyLine}) // in a list or a quote
	}
	what := "the table of contents lists only ## and ### headings and leaves it out"
	if len(r.TOC) == 0 {
		what = "the table of contents lists only ## and ### headings, so this lesson's is empty"
	}
	var ws Problems
	for _, h := range found {
		name := "a level-1 heading (#)"
		if h.text != "" {
			name = "heading \"" + h.text + "\" is level 1 (#)"
		}
		ws.Add(p, h.line, "%s: %s; the page's title comes from the front matter, so start sections at ## (and subsections at ###)", name, what)
	}
	return ws
}
