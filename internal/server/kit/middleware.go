package kit

import (
	"net/http"
	"runtime/debug"
	"strconv"

	"github.com/opslab/opslab/internal/opslab"
)

// contentSecurityPolicy allows scripts, styles and connections to this
// origin only: no inline script, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// TerminalPagePolicy is the policy of a page that may open a learner's
// terminal: as strict for scripts, connections and everything else, but
// styles may be inline, since xterm.js measures the terminal and writes its
// rules into <style> elements and style attributes as it runs. Only pages
// that host a terminal (the lesson page) set it, with SetTerminalPagePolicy.
const TerminalPagePolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// SetTerminalPagePolicy replaces the answer's policy with
// TerminalPagePolicy; call it before the first byte is written.
func SetTerminalPagePolicy(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", TerminalPagePolicy)
}

// SecurityHeaders sets the strict content security policy and the other
// protective headers on every answer.
func SecurityHeaders(next http.Handler) http.Handler {
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

// LimitBody caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which handlers answer with 413.
func LimitBody(n int64) func(http.Handler) http.Handler {
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
	if IsAPI(r) {
		WriteJSON(w, http.StatusRequestEntityTooLarge, ErrorBody{Error: msg})
		return
	}
	http.Error(w, msg, http.StatusRequestEntityTooLarge)
}

// CrossOrigin refuses state-changing requests sent by another site (the
// browser's Sec-Fetch-Site and Origin headers tell), so a page elsewhere
// cannot post with the learner's cookie. Requests from non-browser clients
// carry neither header and pass.
func (k *Kit) CrossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := opslab.Errorf(opslab.EFORBIDDEN, "Cross-site request refused.")
		if IsAPI(r) {
			k.APIError(w, r, err)
			return
		}
		k.PageError(w, r, err)
	}))
	return cop.Handler(next)
}

// Recoverer answers 500 for a handler that panics, and logs the panic
// with its stack; http.ErrAbortHandler passes through.
func (k *Kit) Recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				k.Log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
