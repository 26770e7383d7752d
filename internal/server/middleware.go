package server

import (
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// contentSecurityPolicy allows scripts, styles and connections to this
// origin only: no inline script, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// limitBody caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which handlers answer with 413.
func limitBody(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				tooLarge(w, r, n)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, n)
			next.ServeHTTP(w, r)
		})
	}
}

func tooLarge(w http.ResponseWriter, r *http.Request, n int64) {
	msg := "The request body is larger than " + strconv.FormatInt(n, 10) + " bytes."
	if kit.IsAPI(r) {
		kit.WriteJSON(w, http.StatusRequestEntityTooLarge, kit.ErrorBody{Error: msg})
		return
	}
	http.Error(w, msg, http.StatusRequestEntityTooLarge)
}

// crossOrigin refuses state-changing requests sent by another site (the
// browser's Sec-Fetch-Site and Origin headers tell), so a page elsewhere
// cannot post with the learner's cookie. Requests from non-browser clients
// carry neither header and pass.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := opslab.Errorf(opslab.EFORBIDDEN, "Cross-site request refused.")
		if kit.IsAPI(r) {
			s.kit.APIError(w, r, err)
			return
		}
		s.kit.PageError(w, r, err)
	}))
	return cop.Handler(next)
}

func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

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
