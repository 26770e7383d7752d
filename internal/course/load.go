package course

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

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
	// Anchors are the ids a link may name after "#": the id of every
	// heading, whatever its level, and of every exercise card
	// ("exercise-<id>").
	Anchors []string
	// Links and Images are the body's Markdown links and images in order,
	// with their file lines. Load checks them once every lesson of the
	// course is parsed, since a link may lead to any of them.
	Links  []Ref
	Images []Ref
}

// Ref is the destination of a link or an image, as the author wrote it.
type Ref struct {
	Target string
	Line   int // file line
	// Href is the destination as the parser wrote it into the HTML's href
	// attribute (escaped), or "" if it wrote none. Load rewrites it to
	// point a link to a lesson file (12-streams.md) at that lesson's page.
	Href string
}

// Catalog is every course of a content tree, with the problems found while
// loading it. Lessons with problems are left out; the rest are served.
// Warnings are things an author probably did not mean (a level-1 heading
// the table of contents leaves out): they leave the lesson served.
type Catalog struct {
	Courses  []*Course
	Problems Problems
	Warnings Problems

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
	cat.Problems = append(cat.Problems, symlinkProblems(fsys, dirs)...)
	for _, dir := range dirs {
		c, ps, ws, err := loadCourse(fsys, dir, parser, commands)
		if err != nil {
			return nil, err
		}
		cat.Problems = append(cat.Problems, ps...)
		cat.Warnings = append(cat.Warnings, ws...)
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
	cat.Warnings.Sort()
	return cat, nil
}

// loadCourse loads one course folder. err is only for I/O failures; content
// mistakes are problems, and ws the warnings.
func loadCourse(fsys fs.FS, dir string, parser LessonParser, commands CommandChecker) (c *Course, ps, ws Problems, err error) {
	yamlPath := path.Join(dir, "course.yaml")
	slug := path.Base(dir)
	if dir == "." {
		slug = "course"
	}
	if !courseSlugRE.MatchString(slug) {
		ps.Add(yamlPath, 0, "course folder %q: use lower-case letters, digits and dashes", slug)
		return nil, ps, nil, nil
	}
	src, err := fs.ReadFile(fsys, yamlPath)
	if err != nil {
		return nil, nil, nil, err
	}
	c = &Course{Slug: slug, Path: dir, bySlug: map[string]*Lesson{}}
	// The course's own files are read through its folder alone: with
	// OpenDir, a link out of it is not followed.
	if dir == "." {
		c.Files = fsys
	} else if c.Files, err = fs.Sub(fsys, dir); err != nil {
		return nil, nil, nil, err
	}
	modules := parseCourseYAML(&ps, yamlPath, src, c)

	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, nil, nil, err
	}
	var files []*lessonFile
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
		src, err := fs.ReadFile(c.Files, name)
		if err != nil && e.Type()&fs.ModeSymlink != 0 {
			continue // a link out of the folder, or to nothing: reported by symlinkProblems
		}
		if err != nil {
			return nil, nil, nil, err
		}
		f, lps, lws := readLesson(p, src, num, m[2], parser, commands)
		ps = append(ps, lps...)
		ws = append(ws, lws...)
		files = append(files, f)
	}
	// Every file's slug counts, valid or not: a lesson with another
	// mistake still takes its slug, and fixing that mistake should not
	// reveal the duplicate. Valid lessons claim their slugs first, so that
	// the duplicate is reported on a file that is not served anyway.
	slugFile := map[string]string{} // lesson slug -> the file that has it
	for _, valid := range []bool{true, false} {
		for _, f := range files {
			if (f.lesson != nil) != valid {
				continue
			}
			if prev, dup := slugFile[f.slug]; dup {
				ps.Add(f.path, 0, "duplicate lesson slug %q (also %s)", f.slug, prev)
				continue
			}
			slugFile[f.slug] = f.path
			if l := f.lesson; l != nil {
				l.Course = c.Slug
				c.bySlug[l.Slug] = l
				c.Lessons = append(c.Lessons, l)
			}
		}
	}
	ps = append(ps, checkReferences(fsys, c, files)...)
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
	return c, ps, ws, nil
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

// lessonFile is what loading learned about one lesson file, valid or not:
// enough for the other lessons' links to be checked against it.
type lessonFile struct {
	path     string
	slug     string  // the front matter's slug, else the file name's
	lesson   *Lesson // nil when the file has problems
	parsed   bool    // the body was parsed, so its anchors are known
	rendered Rendered
}

// readLesson parses one lesson file and keeps what the course's other
// lessons need to know about it; its lesson is nil when it has problems.
// ws are its warnings, which leave it served.
func readLesson(p string, src []byte, num int, fileSlug string, parser LessonParser, commands CommandChecker) (f *lessonFile, ps, ws Problems) {
	f = &lessonFile{path: p, slug: fileSlug}
	front, body, bodyLine, ok := SplitFrontMatter(src)
	if !ok {
		ps.Add(p, 1, "a lesson starts with YAML front matter between --- lines (title at least)")
		return f, ps, nil
	}
	fm, fps := ParseFrontMatter(p, front)
	ps = append(ps, fps...)
	if fm.Slug != "" {
		f.slug = fm.Slug
	}
	r, rps := parser.ParseLesson(p, body, bodyLine, commands)
	ps = append(ps, rps...)
	f.parsed, f.rendered = true, r
	ps = append(ps, checkExerciseBlocks(p, body, bodyLine, r.Exercises)...)
	ws = headingWarnings(p, body, bodyLine, r)
	if len(ps) > 0 {
		return f, ps, ws
	}
	sum := sha256.Sum256(src)
	f.lesson = &Lesson{
		Slug: f.slug, Number: num, Title: fm.Title, Summary: fm.Summary,
		Duration: fm.Duration, Objectives: fm.Objectives, Path: p,
		HTML: r.HTML, TOC: r.TOC, Words: r.Words, Exercises: r.Exercises,
		ContentHash: hex.EncodeToString(sum[:]),
	}
	return f, nil, ws
}

// schemeRE matches a URL that starts with a scheme (https:, mailto:, data:).
var schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)

// sitePathRE matches the path of a lesson page: /courses/<course>/lessons/<slug>.
var sitePathRE = regexp.MustCompile(`^/courses/([^/]+)/lessons/([^/]+)$`)

// checkReferences checks the links and images of every lesson file of c
// against the course's lessons and folder, points the links to lesson
// files at their lessons' pages, and leaves out the lessons that have a
// problem. Links with a scheme are not checked: that needs the network.
func checkReferences(fsys fs.FS, c *Course, files []*lessonFile) Problems {
	var all Problems
	byPath := map[string]*lessonFile{}
	bySlug := map[string]*lessonFile{}
	for _, f := range files {
		byPath[f.path] = f
		if _, dup := bySlug[f.slug]; !dup {
			bySlug[f.slug] = f
		}
	}
	for _, f := range files {
		if !f.parsed {
			continue
		}
		var ps Problems
		html := string(f.rendered.HTML)
		for _, ref := range f.rendered.Links {
			href, problem := resolveLink(fsys, c, f, byPath, bySlug, ref.Target)
			switch {
			case problem != "":
				ps.Add(f.path, ref.Line, "link to %q leads nowhere: %s", ref.Target, problem)
			case href != "" && ref.Href != "":
				html = strings.ReplaceAll(html, `href="`+ref.Href+`"`, `href="`+template.HTMLEscapeString(href)+`"`)
			}
		}
		for _, ref := range f.rendered.Images {
			rel, problem := checkImage(fsys, c, f, ref.Target)
			switch {
			case problem != "":
				ps.Add(f.path, ref.Line, "image %q %s", ref.Target, problem)
			case rel != "" && ref.Href != "":
				src := FileURL(c.Slug, rel)
				html = strings.ReplaceAll(html, `src="`+ref.Href+`"`, `src="`+template.HTMLEscapeString(src)+`"`)
			}
		}
		all = append(all, ps...)
		l := f.lesson
		switch {
		case l == nil:
		case len(ps) > 0:
			dropLesson(c, l)
		default:
			l.HTML = template.HTML(html) //nolint:gosec // the parser's HTML with escaped hrefs swapped
		}
	}
	return all
}

// resolveLink checks one link target of lesson file f. It returns the page
// address to write instead of a link to a lesson file, and a problem
// ("no lesson ...") when the link leads nowhere; both are "" for a link it
// does not check.
func resolveLink(fsys fs.FS, c *Course, f *lessonFile, byPath, bySlug map[string]*lessonFile, target string) (href, problem string) {
	if target == "" || schemeRE.MatchString(target) || strings.HasPrefix(target, "//") {
		return "", ""
	}
	where, anchor, _ := strings.Cut(target, "#")
	where, _, _ = strings.Cut(where, "?")
	where = unescape(where)
	var to *lessonFile
	switch {
	case where == "":
		to = f
	case strings.HasPrefix(where, "/"):
		m := sitePathRE.FindStringSubmatch(where)
		if m == nil {
			return "", ""
		}
		if m[1] != c.Slug {
			if _, err := fs.Stat(fsys, path.Join(m[1], "course.yaml")); err != nil {
				return "", fmt.Sprintf("no course %q", m[1])
			}
			return "", "" // another course's lessons are its own to check
		}
		if to = bySlug[m[2]]; to == nil {
			return "", fmt.Sprintf("no lesson %q", m[2])
		}
	case strings.HasSuffix(where, ".md"):
		if to = byPath[path.Join(path.Dir(f.path), where)]; to == nil {
			return "", fmt.Sprintf("no lesson %q", path.Clean(where))
		}
		href = "/courses/" + c.Slug + "/lessons/" + to.slug
		if anchor != "" {
			href += "#" + anchor
		}
	default:
		return "", ""
	}
	if anchor != "" && to.parsed && !slices.Contains(to.rendered.Anchors, unescape(anchor)) {
		return "", fmt.Sprintf("no heading \"#%s\" in lesson %s", anchor, to.slug)
	}
	return href, ""
}

// checkImage checks one image path of lesson file f and returns what is
// wrong with it, or "". The site's Content-Security-Policy (img-src 'self'
// data:) decides what a browser shows.
func checkImage(fsys fs.FS, c *Course, f *lessonFile, target string) (rel, problem string) {
	switch {
	case target == "":
		return "", "has no path"
	case strings.HasPrefix(strings.ToLower(target), "data:"):
		return "", ""
	case schemeRE.MatchString(target) || strings.HasPrefix(target, "//"):
		return "", "will not show: the site's Content-Security-Policy only allows images from the site itself ('self'); copy the file into the course folder and use a relative path"
	case strings.HasPrefix(target, "/"):
		return "", "" // a path on the site, not in the course folder
	}
	where, _, _ := strings.Cut(target, "#")
	where, _, _ = strings.Cut(where, "?")
	p := path.Join(path.Dir(f.path), unescape(where))
	inside := strings.HasPrefix(p, c.Path+"/")
	if c.Path == "." {
		inside = p != ".." && !strings.HasPrefix(p, "../")
	}
	if !inside {
		folder := c.Path
		if folder == "." {
			folder = "the content folder"
		}
		return "", "is outside the course folder: keep images in " + folder
	}
	if st, err := fs.Stat(fsys, p); err != nil || st.IsDir() {
		return "", "not found: there is no file " + p
	}
	if !IsImageFile(p) {
		return "", "is not an image the site serves: use .png, .jpg, .gif, .svg or .webp"
	}
	if c.Path == "." {
		return p, ""
	}
	return strings.TrimPrefix(p, c.Path+"/"), ""
}

// imageTypes are the files a course folder may serve, by extension.
var imageTypes = map[string]string{
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".svg": "image/svg+xml", ".webp": "image/webp",
}

// IsImageFile reports whether name has the extension of an image a course
// may serve.
func IsImageFile(name string) bool {
	_, ok := imageTypes[strings.ToLower(path.Ext(name))]
	return ok
}

// ImageType is the Content-Type of an image file a course may serve, or "".
func ImageType(name string) string { return imageTypes[strings.ToLower(path.Ext(name))] }

// FileURL is the address at which the site serves a file of a course's
// folder, given its path inside that folder.
func FileURL(courseSlug, rel string) string {
	parts := strings.Split(rel, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/courses/" + courseSlug + "/files/" + strings.Join(parts, "/")
}

// unescape decodes %XX escapes, or returns s as written if it has a bad one.
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// dropLesson removes l from c, which must not serve it.
func dropLesson(c *Course, l *Lesson) {
	if c.bySlug[l.Slug] == l {
		delete(c.bySlug, l.Slug)
	}
	c.Lessons = slices.DeleteFunc(c.Lessons, func(x *Lesson) bool { return x == l })
}
