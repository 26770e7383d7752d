package accounts

import (
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// accountRoutes are the account page, its forms and the reset link pages.
func (h *Handler) accountRoutes(r chi.Router) {
	r.Get("/reset/{token}", h.handleResetPage)
	r.Post("/reset/{token}", h.handleResetForm)
	r.Group(func(r chi.Router) {
		r.Use(h.kit.RequireUserPage)
		r.Get("/account", h.handleAccountPage)
		r.Post("/account/password", h.handlePasswordForm)
		r.Post("/account/sessions/{id}/end", h.handleEndSessionForm)
		r.Post("/account/sessions/revoke-others", h.handleRevokeOthersForm)
	})
}

// accountAPIRoutes are the calls of the signed-in user's own account; the
// caller's group requires a signed-in user.
func (h *Handler) accountAPIRoutes(r chi.Router) {
	r.Post("/me/password", h.handleAPIChangePassword)
	r.Get("/me/sessions", h.handleAPISessions)
	r.Delete("/me/sessions/{id}", h.handleAPIEndSession)
	r.Post("/me/sessions/revoke-others", h.handleAPIRevokeOthers)
}

// changePassword checks the current password and sets the new one, ending
// every other session of the account; the request's own session stays.
func (h *Handler) changePassword(r *http.Request, current, next string) error {
	u := kit.CurrentUser(r)
	c, ok := h.sessions.Current(r)
	if u == nil || !ok {
		return opslab.Errorf(opslab.EUNAUTHORIZED, "Sign in first.")
	}
	if current == "" {
		return opslab.Errorf(opslab.EINVALID, "Enter your current password.")
	}
	if err := opslab.ValidatePassword(next); err != nil {
		return err
	}
	// Through the sign-in throttle, so that a borrowed session cannot
	// guess the password faster than the sign-in form.
	if _, err := h.signIn(r.Context(), r, u.Email, current); err != nil {
		if opslab.ErrorCode(err) == opslab.EUNAUTHORIZED {
			return opslab.Errorf(opslab.EINVALID, "The current password is wrong.")
		}
		return err
	}
	if err := h.store.ChangePassword(r.Context(), u.ID, next, c.ID); err != nil {
		return err
	}
	h.sessions.ForgetUser(u.ID, c.ID)
	return nil
}

// endSession ends one of the signed-in user's sessions by its public id.
func (h *Handler) endSession(r *http.Request) error {
	u := kit.CurrentUser(r)
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return kit.ErrNoSession()
	}
	if err := h.store.DeleteSession(r.Context(), u.ID, id); err != nil {
		return err
	}
	h.sessions.Forget(func(e kit.Session) bool { return e.ID == id })
	return nil
}

// revokeOthers ends every session of the signed-in user but this one.
func (h *Handler) revokeOthers(r *http.Request) (int, error) {
	u := kit.CurrentUser(r)
	c, ok := h.sessions.Current(r)
	if !ok {
		return 0, opslab.Errorf(opslab.EUNAUTHORIZED, "Sign in first.")
	}
	n, err := h.store.DeleteUserSessions(r.Context(), u.ID, c.ID)
	if err != nil {
		return 0, err
	}
	h.sessions.ForgetUser(u.ID, c.ID)
	return n, nil
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// mySessions lists the signed-in user's sessions, marking the request's own.
func (h *Handler) mySessions(r *http.Request) ([]sessionJSON, error) {
	c, _ := h.sessions.Current(r)
	list, err := h.store.ListSessions(r.Context(), kit.CurrentUser(r).ID)
	if err != nil {
		return nil, err
	}
	out := make([]sessionJSON, 0, len(list))
	for _, x := range list {
		out = append(out, sessionJSON{ID: x.ID, CreatedAt: x.CreatedAt, LastSeenAt: x.LastSeenAt, ExpiresAt: x.ExpiresAt,
			ClientAddr: x.ClientAddr, UserAgent: x.UserAgent, Current: x.ID == c.ID})
	}
	return out, nil
}

// renderAccount renders the account page with a notice or an error.
func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, notice string, err error) {
	u := kit.CurrentUser(r)
	p := accountPage{Name: u.Name, Email: u.Email, MinPassword: opslab.MinPasswordLength, Notice: notice}
	if err != nil {
		p.Error = opslab.ErrorMessage(err)
	}
	list, lerr := h.mySessions(r)
	if lerr != nil {
		h.kit.PageError(w, r, lerr)
		return
	}
	for _, x := range list {
		p.Sessions = append(p.Sessions, sessionRow{ID: x.ID, Created: x.CreatedAt.Format("2006-01-02 15:04 MST"),
			LastSeen: x.LastSeenAt.Format("2006-01-02 15:04 MST"), ClientAddr: x.ClientAddr, Browser: x.UserAgent, Current: x.Current})
	}
	h.kit.Render(w, r, status, "account", "Your account", p)
}

// resetInvalid answers an unknown, used or expired link, all alike.
func (h *Handler) resetInvalid(w http.ResponseWriter, r *http.Request, err error) {
	if opslab.ErrorCode(err) != opslab.ENOTFOUND {
		h.kit.PageError(w, r, err)
		return
	}
	h.kit.Render(w, r, http.StatusNotFound, "reset", "Reset link", resetPage{Invalid: true})
}
