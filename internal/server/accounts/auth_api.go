package accounts

import (
	"net/http"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

func (h *Handler) handleAPILogin(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := kit.DecodeJSON(r, &c); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if c.Email == "" || c.Password == "" {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "Send both email and password."))
		return
	}
	u, err := h.signIn(r.Context(), r, c.Email, c.Password)
	h.startSession(w, r, u, err, http.StatusOK)
}

// startSession answers a sign-in or sign-up: err (with Retry-After for a
// limit), or a new session for u and u as JSON with status.
func (h *Handler) startSession(w http.ResponseWriter, r *http.Request, u *opslab.User, err error, status int) {
	if err != nil {
		kit.SetRetryAfter(w, err)
		h.kit.APIError(w, r, err)
		return
	}
	if err := h.sessions.SignIn(w, r, u.ID); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, status, kit.ToUserJSON(u))
}

func (h *Handler) handleAPILogout(w http.ResponseWriter, r *http.Request) {
	h.sessions.SignOut(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) handleAPIRegister(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := kit.DecodeJSON(r, &c); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	u, err := h.register(r.Context(), r, c.withDefaultName())
	h.startSession(w, r, u, err, http.StatusCreated)
}

func (h *Handler) handleAPIMe(w http.ResponseWriter, r *http.Request) {
	kit.WriteJSON(w, http.StatusOK, kit.ToUserJSON(kit.CurrentUser(r)))
}
