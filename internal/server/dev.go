package server

// Dev mode ("opslab serve --dev") is a local authoring tool: every page
// loads dev.js, which reloads the page when the content changes and shows
// the content's problems over it. Its two routes exist only in dev mode and
// are open to anyone who can reach the server, signed in or not: they tell
// what the author's own files say, and dev mode is meant for the author's
// own machine, never for a shared site.

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/server/kit"
)

// devHeartbeat is how often an idle /dev/events stream sends a comment, so
// that neither a proxy nor the browser drops it.
const devHeartbeat = 15 * time.Second

// devReconnect is how soon, in milliseconds, a browser reconnects a
// /dev/events stream that ended (the server restarted).
const devReconnect = 1000

// devEvents tells the open /dev/events streams about content reloads.
type devEvents struct {
	heartbeat time.Duration

	mu      sync.Mutex
	version uint64
	changed chan struct{} // closed, and replaced, at each reload

	closeOnce sync.Once
	done      chan struct{} // closed when the server shuts down
}

func newDevEvents() *devEvents {
	return &devEvents{heartbeat: devHeartbeat, changed: make(chan struct{}), done: make(chan struct{})}
}

// current returns the content version and a channel closed at the next
// reload.
func (d *devEvents) current() (uint64, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.version, d.changed
}

func (d *devEvents) announce() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.version++
	close(d.changed)
	d.changed = make(chan struct{})
	return d.version
}

// AnnounceReload tells every page open in dev mode that the content
// changed: each /dev/events stream sends a reload event carrying the new
// content version, which AnnounceReload returns. Call it after SetCatalog.
// Outside dev mode it only counts.
func (s *Server) AnnounceReload() uint64 { return s.dev.announce() }

// CloseDevEvents ends every /dev/events stream and refuses new ones, so
// that a graceful shutdown does not wait for them: pass it to
// http.Server.RegisterOnShutdown. It is safe to call more than once.
func (s *Server) CloseDevEvents() {
	s.dev.closeOnce.Do(func() { close(s.dev.done) })
}

// devRoutes adds the dev mode routes.
func (s *Server) devRoutes(r chi.Router) {
	r.Get("/dev/events", s.handleDevEvents)
	r.Get("/dev/problems", s.handleDevProblems)
}

// handleDevEvents streams server-sent events: "hello" with the current
// content version when the stream opens, "reload" with the new version
// after each reload, and a comment line as a heartbeat.
func (s *Server) handleDevEvents(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.dev.done:
		http.Error(w, "The server is shutting down.", http.StatusServiceUnavailable)
		return
	default:
	}
	rc := http.NewResponseController(w)
	// The stream lives longer than the server's read and write timeouts
	// allow a request; clearing them fails only on writers that have none.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	version, changed := s.dev.current()
	if !writeEvent(w, rc, fmt.Sprintf("retry: %d\nevent: hello\ndata: %d\n\n", devReconnect, version)) {
		return
	}
	tick := time.NewTicker(s.dev.heartbeat)
	defer tick.Stop()
	for {
		var msg string
		select {
		case <-r.Context().Done():
			return
		case <-s.dev.done:
			return
		case <-changed:
			version, changed = s.dev.current()
			msg = "event: reload\ndata: " + strconv.FormatUint(version, 10) + "\n\n"
		case <-tick.C:
			msg = ": heartbeat\n\n"
		}
		if !writeEvent(w, rc, msg) {
			return
		}
	}
}

// writeEvent writes and flushes msg; false means the client is gone.
func writeEvent(w http.ResponseWriter, rc *http.ResponseController, msg string) bool {
	if _, err := w.Write([]byte(msg)); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// handleDevProblems answers the content's problems as a JSON list of
// "path:line: message" strings, then its warnings as "path:line: warning:
// message" (as opslab lint prints them); an empty list when there is none.
func (s *Server) handleDevProblems(w http.ResponseWriter, r *http.Request) {
	list := []string{}
	if cat := s.Catalog(); cat != nil {
		for _, p := range cat.Problems {
			list = append(list, p.String())
		}
		for _, p := range cat.Warnings {
			p.Message = "warning: " + p.Message
			list = append(list, p.String())
		}
	}
	kit.WriteJSON(w, http.StatusOK, list)
}

// useDevHead makes every page load dev.js after the usual head. Its tag
// carries the content version the page was made from, so that the script
// can tell a reload it missed while connecting.
func (s *Server) useDevHead() error {
	h, err := s.kit.Views.Head()
	if err != nil {
		return fmt.Errorf("render dev page head: %w", err)
	}
	a, ok := s.kit.Views.Asset("dev.js")
	if !ok {
		return fmt.Errorf("render dev page head: no static file %q", "dev.js")
	}
	head := string(h) + "\n" + `<script src="/static/` + a.Hash + `/dev.js" data-dev-version="`
	s.kit.Views.SetHead(func() template.HTML {
		v, _ := s.dev.current()
		return template.HTML(head + strconv.FormatUint(v, 10) + `" defer></script>`) //nolint:gosec // built from the page head and a number
	})
	return nil
}
