package kit

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

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/web"
)

// pages lists every page template; each is parsed with the layout.
var pages = []string{"catalogue", "course", "lesson", "login", "register", "error",
	"teams", "team_members", "invite", "team", "team_learner", "reviews", "review", "account", "reset"}

// Asset is a static file held in memory with its content hash.
type Asset struct {
	Body []byte
	Hash string
	MIME string
}

// Views holds the parsed templates and the static files.
type Views struct {
	pages  map[string]*template.Template
	assets map[string]*Asset
}

// NewViews parses every template once and fails on a missing one.
func NewViews(highlightCSS string) (*Views, error) {
	v := &Views{pages: map[string]*template.Template{}, assets: map[string]*Asset{}}
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
			return "/static/" + a.Hash + "/" + name, nil
		},
		// head is the same on every page: rendered once, below.
		"head": func() template.HTML { return head },
		// splice marks where RenderSplice writes its HTML (html/template
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
	h, err := v.Head()
	if err != nil {
		return nil, err
	}
	head = h
	return v, nil
}

func (v *Views) addAsset(name string, b []byte) {
	sum := sha256.Sum256(b)
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = "application/octet-stream"
	}
	v.assets[name] = &Asset{Body: b, Hash: hex.EncodeToString(sum[:6]), MIME: ct}
}

// Asset returns the static file of that name, if there is one.
func (v *Views) Asset(name string) (*Asset, bool) {
	a, ok := v.assets[name]
	return a, ok
}

// Head renders the page head every page shares.
func (v *Views) Head() (template.HTML, error) {
	var b bytes.Buffer
	if err := v.pages["error"].ExecuteTemplate(&b, "head", nil); err != nil {
		return "", fmt.Errorf("render page head: %w", err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // produced by html/template
}

// SetHead makes every page call head for its head from now on. Call it
// before serving.
func (v *Views) SetHead(head func() template.HTML) {
	for _, t := range v.pages {
		t.Funcs(template.FuncMap{"head": head})
	}
}

// Part renders one named template of a page on its own, such as a part of
// the lesson page that is the same for every learner.
func (v *Views) Part(page, part string, data any) (template.HTML, error) {
	t, ok := v.pages[page]
	if !ok {
		return "", fmt.Errorf("render %s: no page %q", part, page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, part, data); err != nil {
		return "", fmt.Errorf("render %s: %w", part, err)
	}
	return template.HTML(b.String()), nil //nolint:gosec // produced by html/template
}

// PageData is what every page template gets.
type PageData struct {
	Title      string
	User       *opslab.User
	SignupOpen bool
	Flash      string
	Page       any
}

// Render writes a page, rendered into a buffer first so that a template
// error never leaves half a page.
func (k *Kit) Render(w http.ResponseWriter, r *http.Request, status int, name, title string, page any) {
	k.RenderSplice(w, r, status, name, title, page, "")
}

// spliceMarker is where RenderSplice puts its large, already safe HTML:
// writing it around the template keeps it from being copied through fmt.
const spliceMarker = "<!--opslab:splice-->"

// RenderSplice renders like Render and writes splice in place of the
// template's spliceMarker.
func (k *Kit) RenderSplice(w http.ResponseWriter, r *http.Request, status int, name, title string, page any, splice template.HTML) {
	t, ok := k.Views.pages[name]
	if !ok {
		k.Log.Error("render: unknown page", "page", name)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	data := PageData{Title: title, User: CurrentUser(r), SignupOpen: k.SignupOpen, Page: page}
	b := bufferPool.Get().(*bytes.Buffer)
	defer func() {
		b.Reset()
		bufferPool.Put(b)
	}()
	if err := t.ExecuteTemplate(b, "layout", data); err != nil {
		k.Log.Error("render page", "page", name, "err", err)
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

// PageError renders the error page with the error's status; internal
// errors are logged and shown as a generic sentence.
func (k *Kit) PageError(w http.ResponseWriter, r *http.Request, err error) {
	st := StatusOf(err)
	if st == http.StatusInternalServerError {
		k.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	k.Render(w, r, st, "error", http.StatusText(st), errorPage{Status: st, StatusText: http.StatusText(st), Message: opslab.ErrorMessage(err)})
}

// HandleStatic serves a static file; a URL with the current hash is
// cached for a year, any other hash is not cached.
func (v *Views) HandleStatic(w http.ResponseWriter, r *http.Request) {
	a, ok := v.assets[chi.URLParam(r, "name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if chi.URLParam(r, "hash") == a.Hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Header().Set("Content-Type", a.MIME)
	w.Header().Set("ETag", `"`+a.Hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+a.Hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.Body)
}

// HandleFavicon answers clients that ask for /favicon.ico with the icon
// the pages link to.
func (v *Views) HandleFavicon(w http.ResponseWriter, _ *http.Request) {
	a := v.assets["favicon.svg"]
	w.Header().Set("Content-Type", a.MIME)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(a.Body)
}
