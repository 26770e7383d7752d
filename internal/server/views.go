package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/web"
)

// pages lists every page template; each is parsed with the layout.
var pages = []string{"catalogue", "course", "lesson", "login", "register", "error",
	"teams", "team_members", "invite", "team", "team_learner", "reviews", "review", "account", "reset"}

// asset is a static file held in memory with its content hash.
type asset struct {
	body []byte
	hash string
	mime string
}

// views holds the parsed templates and the static files.
type views struct {
	pages  map[string]*template.Template
	assets map[string]*asset

	// lessons holds the parts of each lesson page that are the same for
	// every learner, rendered once: a lesson never changes after load (a
	// reload makes new lessons).
	lessons sync.Map // *course.Lesson → *lessonStatic
}

// lessonStatic is the learner-independent HTML of a lesson page.
type lessonStatic struct {
	Aside, Main, FormOpen, Pager template.HTML
}

// lessonStaticData is what the static lesson templates read.
type lessonStaticData struct {
	Course       *course.Course
	Lesson       *course.Lesson
	Prev, Next   *course.Lesson
	TotalLessons int
	Minutes      int
}

// lessonParts renders (once) the learner-independent parts of a lesson page.
func (v *views) lessonParts(d lessonStaticData) (*lessonStatic, error) {
	if st, ok := v.lessons.Load(d.Lesson); ok {
		return st.(*lessonStatic), nil
	}
	st := &lessonStatic{}
	for _, part := range []struct {
		name string
		out  *template.HTML
	}{{"lesson-aside", &st.Aside}, {"lesson-main", &st.Main}, {"lesson-form-open", &st.FormOpen}, {"lesson-pager", &st.Pager}} {
		var b bytes.Buffer
		if err := v.pages["lesson"].ExecuteTemplate(&b, part.name, d); err != nil {
			return nil, fmt.Errorf("render %s: %w", part.name, err)
		}
		*part.out = template.HTML(b.String()) //nolint:gosec // produced by html/template
	}
	v.lessons.Store(d.Lesson, st)
	return st, nil
}

// newViews parses every template once and fails on a missing one.
func newViews(highlightCSS string) (*views, error) {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]*asset{}}
	err := fs.WalkDir(web.FS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(web.FS, p)
		if err != nil {
			return err
		}
		v.addAsset(path.Base(p), b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load static files: %w", err)
	}
	v.addAsset("highlight.css", []byte(highlightCSS))
	var head template.HTML
	funcs := template.FuncMap{
		"asset": func(name string) (string, error) {
			a, ok := v.assets[name]
			if !ok {
				return "", fmt.Errorf("no static file %q", name)
			}
			return "/static/" + a.hash + "/" + name, nil
		},
		// head is the same on every page: rendered once, below.
		"head": func() template.HTML { return head },
		// splice marks where renderSplice writes its HTML (html/template
		// drops comments written in a template, not those a function returns).
		"splice": func() template.HTML { return spliceMarker },
	}
	for _, name := range pages {
		t, err := template.New(name).Funcs(funcs).ParseFS(web.FS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		v.pages[name] = t
	}
	var b bytes.Buffer
	if err := v.pages["error"].ExecuteTemplate(&b, "head", nil); err != nil {
		return nil, fmt.Errorf("render page head: %w", err)
	}
	head = template.HTML(b.String()) //nolint:gosec // produced by html/template
	return v, nil
}

func (v *views) addAsset(name string, b []byte) {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	v.assets[name] = &asset{body: b, hash: hex.EncodeToString(sum[:6]), mime: ct}
}

// pageData is what every page template gets.
type pageData struct {
	Title      string
	User       *opslab.User
	SignupOpen bool
	Flash      string
	Page       any
}

// render writes a page, rendered into a buffer first so that a template
// error never leaves half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name, title string, page any) {
	s.renderSplice(w, r, status, name, title, page, "")
}

// spliceMarker is where renderSplice puts its large, already safe HTML:
// writing it around the template keeps it from being copied through fmt.
const spliceMarker = "<!--opslab:splice-->"

// renderSplice renders like render and writes splice in place of the
// template's spliceMarker.
func (s *Server) renderSplice(w http.ResponseWriter, r *http.Request, status int, name, title string, page any, splice template.HTML) {
	t, ok := s.views.pages[name]
	if !ok {
		s.log.Error("render: unknown page", "page", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	data := pageData{Title: title, User: currentUser(r), SignupOpen: s.cfg.SignupOpen, Page: page}
	b := bufferPool.Get().(*bytes.Buffer)
	defer func() {
		b.Reset()
		bufferPool.Put(b)
	}()
	if err := t.ExecuteTemplate(b, "layout", data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	before, after := b.Bytes(), []byte(nil)
	if i := bytes.Index(before, []byte(spliceMarker)); i >= 0 {
		before, after = before[:i], before[i+len(spliceMarker):]
	} else {
		splice = ""
	}
	// One write of the whole page: fewer system calls than three.
	out := bufferPool.Get().(*bytes.Buffer)
	defer func() {
		out.Reset()
		bufferPool.Put(out)
	}()
	out.Grow(len(before) + len(splice) + len(after))
	out.Write(before)
	out.WriteString(string(splice))
	out.Write(after)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(out.Bytes())
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

type errorPage struct {
	Status     int
	StatusText string
	Message    string
}

// pageError renders the error page with the error's status.
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	st := statusOf(err)
	if st == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	s.render(w, r, st, "error", http.StatusText(st), errorPage{Status: st, StatusText: http.StatusText(st), Message: opslab.ErrorMessage(err)})
}

// handleStatic serves a static file; a URL with the current hash is
// cached for a year, any other hash is not cached.
func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := s.views.assets[chi.URLParam(r, "name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if chi.URLParam(r, "hash") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", a.mime)
	w.Header().Set("ETag", `"`+a.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.body)
}

// handleFavicon answers clients that ask for /favicon.ico with the icon
// the pages link to.
func (s *Server) handleFavicon(w http.ResponseWriter, r *http.Request) {
	a := s.views.assets["favicon.svg"]
	w.Header().Set("Content-Type", a.mime)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(a.body)
}
