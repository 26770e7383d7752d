package kit

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

type userKey struct{}

// WithUser returns r carrying u as its signed-in user.
func WithUser(r *http.Request, u *opslab.User) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), userKey{}, u))
}

// CurrentUser returns the signed-in user or nil.
func CurrentUser(r *http.Request) *opslab.User {
	u, _ := r.Context().Value(userKey{}).(*opslab.User)
	return u
}

// IsAPI reports whether r is a call of the JSON API (under /api/).
func IsAPI(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/") }

// RequireUserAPI answers 401 in JSON unless someone is signed in.
func (k *Kit) RequireUserAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if CurrentUser(r) == nil {
			k.APIError(w, r, opslab.Errorf(opslab.EUNAUTHORIZED, "Sign in first."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// RequireUserPage sends a GET without a signed-in user to the sign-in page
// (coming back here after) and answers any other method with a 401 page.
func (k *Kit) RequireUserPage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if CurrentUser(r) == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			k.PageError(w, r, opslab.Errorf(opslab.EUNAUTHORIZED, "Sign in first."))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// UserJSON is how the API shows a user.
type UserJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

// ToUserJSON returns the API's view of u.
func ToUserJSON(u *opslab.User) UserJSON {
	return UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role)}
}
