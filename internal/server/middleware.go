package server

import (
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Flush lets streaming handlers flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe decides the request's client address (kit.Proxies.WithClient), logs each
// request with it and records its duration by route pattern.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = s.proxies.WithClient(r)
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		d := time.Since(start)
		s.metrics.observeRequest(r.Method, route, sw.status, d)
		s.log.Debug("request", "method", r.Method, "route", route, "path", r.URL.Path,
			"client", kit.ClientIP(r), "status", sw.status, "bytes", sw.bytes, "duration", d)
	})
}

// loadUser puts the signed-in user, if any, in the request context.
func (s *Server) loadUser(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := s.sessions.UserID(r)
		if ok {
			u, err := s.findUser(r.Context(), id)
			if err == nil {
				r = kit.WithUser(r, u)
			} else if opslab.ErrorCode(err) != opslab.ENOTFOUND {
				s.log.Error("load session user", "err", err)
			}
		}
		next.ServeHTTP(w, r)
	})
}
