package course

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"html/template"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"

	"gopkg.in/yaml.v3"
)

// LessonParser renders a lesson's Markdown body. It finds the exercise
// blocks (parsing each with ParseExercise) and reports problems with their
// file lines; bodyLine is the file line the body starts at.
type LessonParser interface {
	ParseLesson(path string, body []byte, bodyLine int, commands CommandChecker) (Rendered, Problems)
}

// Rendered is what a LessonParser makes of a lesson body.
type Rendered struct {
	HTML      template.HTML
	TOC       []Heading
	Exercises []*Exercise
	Words     int
}

// Catalog is every course of a content tree, with the problems found while
// loading it. Lessons with problems are left out; the rest are served.
type Catalog struct {
	Courses  []*Course
	Problems Problems

	bySlug map[string]*Course
}

// Course finds a course by slug; ok is false if there is none.
func (c *Catalog) Course(slug string) (co *Course, ok bool) {
	co, ok = c.bySlug[slug]
	return co, ok
}

var lessonFileRE = regexp.MustCompile(`^(\d+)-([a-z0-9][a-z0-9-]*)\.md$`)
var courseSlugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

var courseKeys = []string{"title", "summary", "modules"}
var moduleKeys = []string{"title", "lessons"}

// Load reads every course folder of fsys: each folder with a course.yaml
// directly below the root, or the root itself when it holds a course.yaml.
// It never stops at the first problem; every problem is in the catalog.
func Load(fsys fs.FS, parser LessonParser, commands CommandChecker) (*Catalog, error) {
	cat := &Catalog{bySlug: map[string]*Course{}}
	var dirs []string
	if _, err := fs.Stat(fsys, "course.yaml"); err == nil {
		dirs = append(dirs, ".")
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := fs.Stat(fsys, path.Join(e.Name(), "course.yaml")); err == nil {
			dirs = append(dirs, e.Name())
		}
	}
	for _, dir := range dirs {
		c, ps, err := loadCourse(fsys, dir, parser, commands)
		if err != nil {
			return nil, err
		}
		cat.Problems = append(cat.Problems, ps...)
		if c == nil {
			continue
		}
		if _, dup := cat.bySlug[c.Slug]; dup {
			cat.Problems.Add(path.Join(dir, "course.yaml"), 0, "a course with the slug %q is already loaded", c.Slug)
			continue
		}
		cat.bySlug[c.Slug] = c
		cat.Courses = append(cat.Courses, c)
	}
	cat.Problems.Sort()
	return cat, nil
}

// loadCourse loads one course folder. err is only for I/O failures; content
// mistakes are problems.
func loadCourse(fsys fs.FS, dir string, parser LessonParser, commands CommandChecker) (*Course, Problems, error) {
	var ps Problems
	yamlPath := path.Join(dir, "course.yaml")
	slug := path.Base(dir)
	if dir == "." {
		slug = "course"
	}
	if !courseSlugRE.MatchString(slug) {
		ps.Add(yamlPath, 0, "course folder %q: use lower-case letters, digits and dashes", slug)
		return nil, ps, nil
	}
	src, err := fs.ReadFile(fsys, yamlPath)
	if err != nil {
		return nil, nil, err
	}
	c := &Course{Slug: slug, Path: dir, bySlug: map[string]*Lesson{}}
	modules := parseCourseYAML(&ps, yamlPath, src, c)

	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || path.Ext(name) != ".md" {
			continue
		}
		p := path.Join(dir, name)
		m := lessonFileRE.FindStringSubmatch(name)
		if m == nil {
			ps.Add(p, 0, "a lesson file is named NN-slug.md (for example 11-redis-data-structures-for-operators.md)")
			continue
		}
		num, _ := strconv.Atoi(m[1])
		src, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, nil, err
		}
		l, lps := parseLesson(p, src, num, m[2], parser, commands)
		ps = append(ps, lps...)
		if l == nil {
			continue
		}
		l.Course = c.Slug
		if prev, dup := c.bySlug[l.Slug]; dup {
			ps.Add(p, 0, "duplicate lesson slug %q (also %s)", l.Slug, prev.Path)
			continue
		}
		c.bySlug[l.Slug] = l
		c.Lessons = append(c.Lessons, l)
	}
	sort.SliceStable(c.Lessons, func(i, j int) bool { return c.Lessons[i].Number < c.Lessons[j].Number })

	inModule := map[string]bool{}
	for _, m := range modules {
		mod := &Module{Title: m.title}
		for _, ref := range m.lessons {
			l, ok := c.bySlug[ref.slug]
			if !ok {
				if !lessonFileExists(fsys, dir, ref.slug) {
					ps.Add(yamlPath, ref.line, "module %q names lesson %q, which does not exist", m.title, ref.slug)
				}
				continue
			}
			if inModule[ref.slug] {
				ps.Add(yamlPath, ref.line, "lesson %q is listed in more than one module", ref.slug)
				continue
			}
			inModule[ref.slug] = true
			mod.Lessons = append(mod.Lessons, l)
		}
		c.Modules = append(c.Modules, mod)
	}
	var rest []*Lesson
	for _, l := range c.Lessons {
		if !inModule[l.Slug] {
			rest = append(rest, l)
		}
	}
	if len(rest) > 0 {
		title := "More lessons"
		if len(modules) == 0 {
			title = "Lessons"
		}
		c.Modules = append(c.Modules, &Module{Title: title, Lessons: rest})
	}
	return c, ps, nil
}

// lessonFileExists reports whether a lesson file with that slug is in the
// folder, valid or not (an invalid one is reported on its own).
func lessonFileExists(fsys fs.FS, dir, slug string) bool {
	entries, _ := fs.ReadDir(fsys, dir)
	for _, e := range entries {
		if m := lessonFileRE.FindStringSubmatch(e.Name()); m != nil && m[2] == slug {
			return true
		}
	}
	return false
}

type moduleRef struct {
	title   string
	lessons []lessonRef
}

type lessonRef struct {
	slug string
	line int
}

func parseCourseYAML(ps *Problems, p string, src []byte, c *Course) []moduleRef {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		ps.Add(p, yamlErrorLine(err), "%s", yamlErrorText(err))
		c.Title = c.Slug
		return nil
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		ps.Add(p, 1, "course.yaml must be a mapping with title, summary and modules")
		c.Title = c.Slug
		return nil
	}
	root := doc.Content[0]
	var mods []moduleRef
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "title":
			c.Title = scalar(ps, p, v.Line, "title", v)
		case "summary":
			c.Summary = scalar(ps, p, v.Line, "summary", v)
		case "modules":
			if v.Kind != yaml.SequenceNode {
				ps.Add(p, v.Line, "modules must be a list of {title, lessons}")
				continue
			}
			for _, mn := range v.Content {
				if mn.Kind != yaml.MappingNode {
					ps.Add(p, mn.Line, "a module is a mapping with title and lessons")
					continue
				}
				var m moduleRef
				for j := 0; j+1 < len(mn.Content); j += 2 {
					mk, mv := mn.Content[j], mn.Content[j+1]
					switch mk.Value {
					case "title":
						m.title = scalar(ps, p, mv.Line, "title", mv)
					case "lessons":
						if mv.Kind != yaml.SequenceNode {
							ps.Add(p, mv.Line, "lessons must be a list of lesson slugs")
							continue
						}
						for _, ln := range mv.Content {
							if ln.Kind != yaml.ScalarNode {
								ps.Add(p, ln.Line, "a lesson is named by its slug")
								continue
							}
							m.lessons = append(m.lessons, lessonRef{slug: ln.Value, line: ln.Line})
						}
					default:
						ps.Add(p, mk.Line, "unknown key %q in module%s", mk.Value, suggest(mk.Value, moduleKeys))
					}
				}
				if m.title == "" {
					ps.Add(p, mn.Line, "a module needs a title")
				}
				mods = append(mods, m)
			}
		default:
			ps.Add(p, k.Line, "unknown key %q in course.yaml%s", k.Value, suggest(k.Value, courseKeys))
		}
	}
	if c.Title == "" {
		ps.Add(p, 1, "course.yaml: missing %q", "title")
		c.Title = c.Slug
	}
	return mods
}

// parseLesson parses one lesson file; the lesson is nil when it has problems.
func parseLesson(p string, src []byte, num int, fileSlug string, parser LessonParser, commands CommandChecker) (*Lesson, Problems) {
	var ps Problems
	front, body, bodyLine, ok := SplitFrontMatter(src)
	if !ok {
		ps.Add(p, 1, "a lesson starts with YAML front matter between --- lines (title at least)")
		return nil, ps
	}
	fm, fps := ParseFrontMatter(p, front)
	ps = append(ps, fps...)
	r, rps := parser.ParseLesson(p, body, bodyLine, commands)
	ps = append(ps, rps...)
	ids := map[string]int{}
	for _, e := range r.Exercises {
		if first, dup := ids[e.ID]; dup {
			ps.Add(p, e.Line, "duplicate exercise id %q (first at line %d)", e.ID, first)
			continue
		}
		ids[e.ID] = e.Line
	}
	if len(ps) > 0 {
		return nil, ps
	}
	sum := sha256.Sum256(src)
	slug := fm.Slug
	if slug == "" {
		slug = fileSlug
	}
	return &Lesson{
		Slug: slug, Number: num, Title: fm.Title, Summary: fm.Summary,
		Duration: fm.Duration, Objectives: fm.Objectives, Path: p,
		HTML: r.HTML, TOC: r.TOC, Words: r.Words, Exercises: r.Exercises,
		ContentHash: hex.EncodeToString(sum[:]),
	}, nil
}

// ErrNoCourse is returned by callers that need at least one course.
var ErrNoCourse = errors.New("no course found: a course is a folder with a course.yaml")
