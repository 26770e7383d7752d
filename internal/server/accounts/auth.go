package accounts

import (
	"net/http"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// withDefaultName returns c with the name, when left empty, set to the
// email's local part (the account page can change it later).
func (c credentials) withDefaultName() credentials {
	if strings.TrimSpace(c.Name) == "" {
		local, _, _ := strings.Cut(strings.TrimSpace(c.Email), "@")
		c.Name = local
	}
	return c
}

// requirePasswordLogin refuses signing in and up with a password when the
// site allows single sign-on only.
func (h *Handler) requirePasswordLogin(next http.Handler) http.Handler {
	if !h.noPassword {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := opslab.Errorf(opslab.EFORBIDDEN, "Signing in or up with a password is turned off on this site: sign in with %s.", h.oidcName())
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.kit.APIError(w, r, err)
			return
		}
		h.kit.PageError(w, r, err)
	})
}
