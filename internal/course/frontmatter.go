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
			fm.Title = textValue(&ps, path, at(v), "title", v)
			if v.Kind == yaml.ScalarNode && strings.TrimSpace(fm.Title) == "" {
				ps.Add(path, at(v), "title is empty: every lesson needs one")
			}
		case "slug":
			fm.Slug = textValue(&ps, path, at(v), "slug", v)
			if fm.Slug != "" && !lessonSlugRE.MatchString(fm.Slug) {
				ps.Add(path, at(v), "slug %q: use lower-case letters, digits and dashes", fm.Slug)
			}
		case "duration":
			// Any scalar will do: a number such as 30 fails to parse
			// below, with a message that shows what to write.
			s := scalar(&ps, path, at(v), "duration", v)
			d, err := time.ParseDuration(s)
			if s != "" && (err != nil || d <= 0) {
				ps.Add(path, at(v), "duration %q: write a length of time such as 28m or 1h15m", s)
			}
			fm.Duration = d
		case "summary":
			fm.Summary = textValue(&ps, path, at(v), "summary", v)
		case "objectives":
			fm.Objectives = textList(&ps, path, at, "objectives", v)
		default:
			ps.Add(path, at(k), "unknown front matter key %q%s", k.Value, suggest(k.Value, frontMatterKeys))
		}
	}
	if strings.TrimSpace(fm.Title) == "" && nodeOf(root, "title") == nil {
		ps.Add(path, 1, "front matter: missing %q", "title")
	}
	return fm, ps
}

// YAML tags of the scalars that textValue tells apart.
const (
	nullTag = "!!null"
	strTag  = "!!str"
)

// textValue returns the text of a front matter value that must be a
// string. A value YAML reads as something else (title: 42, title: true,
// duration: 2024-01-01) is a problem at line, because it only works by
// accident; an empty value (title:) yields "" and no problem here.
func textValue(ps *Problems, path string, line int, key string, v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		ps.Add(path, line, "%s must be a single value", key)
		return ""
	}
	switch tag := v.ShortTag(); tag {
	case strTag:
		return v.Value
	case nullTag:
		return ""
	default:
		ps.Add(path, line, "%s must be text, not %s %s: put it in quotes (%q)", key, yamlKind(tag), v.Value, v.Value)
		return v.Value
	}
}

// textList reads a front matter list whose entries must be strings; at maps
// a node to its file line.
func textList(ps *Problems, path string, at func(*yaml.Node) int, key string, v *yaml.Node) []string {
	if v.Kind != yaml.SequenceNode {
		ps.Add(path, at(v), "%s must be a list of sentences", key)
		return nil
	}
	var out []string
	for _, item := range v.Content {
		if item.Kind != yaml.ScalarNode {
			ps.Add(path, at(item), "each entry of %s must be a single line of text", key)
			continue
		}
		if s := textValue(ps, path, at(item), "each entry of "+key, item); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// yamlKind names the kind of value a YAML tag stands for, with its article.
func yamlKind(tag string) string {
	switch tag {
	case "!!int", "!!float":
		return "the number"
	case "!!bool":
		return "the boolean"
	case "!!timestamp":
		return "the date"
	}
	return "the " + tag + " value"
}
