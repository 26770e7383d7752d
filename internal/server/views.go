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

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/web"
)

// pages lists every page template; each is parsed with the layout.
var pages = []string{"catalogue", "course", "lesson", "login", "register", "error"}

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
	funcs := template.FuncMap{"asset": func(name string) (string, error) {
		a, ok := v.assets[name]
		if !ok {
			return "", fmt.Errorf("no static file %q", name)
		}
		return "/static/" + a.hash + "/" + name, nil
	}}
	for _, name := range pages {
		t, err := template.New(name).Funcs(funcs).ParseFS(web.FS,
			"templates/layout.html", "templates/partials.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		v.pages[name] = t
	}
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
	t, ok := s.views.pages[name]
	if !ok {
		s.log.Error("render: unknown page", "page", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	data := pageData{Title: title, User: currentUser(r), SignupOpen: s.cfg.SignupOpen, Page: page}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

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
