package server

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// WalkRoutes calls fn with the method and the full chi pattern (such as
// "/api/teams/{team}/members") of every route the server answers, in no
// set order; a route registered for any method is reported once per
// method. It stops at, and returns, the first error fn returns. The
// authorization test uses it to check that no route is left out.
func (s *Server) WalkRoutes(fn func(method, pattern string) error) error {
	return chi.Walk(s.router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		return fn(method, route)
	})
}
