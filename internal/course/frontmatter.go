package course

import (
	"bytes"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

var lessonSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

var frontMatterKeys = []string{"title", "slug", "duration", "summary", "objectives"}

// FrontMatter is the YAML head of a lesson file.
type FrontMatter struct {
	Title      string
	Slug       string
	Duration   time.Duration
	Summary    string
	Objectives []string
}

// SplitFrontMatter separates a lesson file into its YAML front matter and
// its Markdown body. bodyLine is the file line the body starts at (1-based).
// A file without front matter yields ok=false.
func SplitFrontMatter(src []byte) (front, body []byte, bodyLine int, ok bool) {
	src = bytes.TrimPrefix(src, []byte("\ufeff"))
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		return nil, src, 1, false
	}
	rest := src[bytes.IndexByte(src, '\n')+1:]
	line := 2
	for len(rest) > 0 {
		i := bytes.IndexByte(rest, '\n')
		var l []byte
		if i < 0 {
			l, i = rest, len(rest)-1
		} else {
			l = rest[:i]
		}
		if strings.TrimRight(string(l), "\r ") == "---" {
			front = src[bytes.IndexByte(src, '\n')+1 : len(src)-len(rest)]
			return front, rest[i+1:], line + 1, true
		}
		rest = rest[i+1:]
		line++
	}
	return nil, src, 1, false
}

// ParseFrontMatter reads the front matter that starts at file line 2 and
// reports every problem with its line.
func ParseFrontMatter(path string, src []byte) (FrontMatter, Problems) {
	var fm FrontMatter
	var ps Problems
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		ps.Add(path, 1+yamlErrorLine(err), "front matter: %s", yamlErrorText(err))
		return fm, ps
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		ps.Add(path, 1, "front matter must be a YAML mapping with at least a title")
		return fm, ps
	}
	root := doc.Content[0]
	at := func(n *yaml.Node) int { return 1 + n.Line }
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "title":
			fm.Title = scalar(&ps, path, at(v), "title", v)
		case "slug":
			fm.Slug = scalar(&ps, path, at(v), "slug", v)
			if fm.Slug != "" && !lessonSlugRE.MatchString(fm.Slug) {
				ps.Add(path, at(v), "slug %q: use lower-case letters, digits and dashes", fm.Slug)
			}
		case "duration":
			s := scalar(&ps, path, at(v), "duration", v)
			d, err := time.ParseDuration(s)
			if s != "" && (err != nil || d <= 0) {
				ps.Add(path, at(v), "duration %q: write a length of time such as 28m or 1h15m", s)
			}
			fm.Duration = d
		case "summary":
			fm.Summary = scalar(&ps, path, at(v), "summary", v)
		case "objectives":
			fm.Objectives = stringList(&ps, path, 1, "objectives", v)
		default:
			ps.Add(path, at(k), "unknown front matter key %q%s", k.Value, suggest(k.Value, frontMatterKeys))
		}
	}
	if strings.TrimSpace(fm.Title) == "" && nodeOf(root, "title") == nil {
		ps.Add(path, 1, "front matter: missing %q", "title")
	}
	return fm, ps
}
