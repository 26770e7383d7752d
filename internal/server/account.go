package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// accountRoutes are the account page, its forms and the reset link pages.
func (s *Server) accountRoutes(r chi.Router) {
	r.Get("/reset/{token}", s.handleResetPage)
	r.Post("/reset/{token}", s.handleResetForm)
	r.Group(func(r chi.Router) {
		r.Use(s.kit.RequireUserPage)
		r.Get("/account", s.handleAccountPage)
		r.Post("/account/password", s.handlePasswordForm)
		r.Post("/account/sessions/{id}/end", s.handleEndSessionForm)
		r.Post("/account/sessions/revoke-others", s.handleRevokeOthersForm)
	})
}

// accountAPIRoutes are the calls of the signed-in user's own account; the
// caller's group requires a signed-in user.
func (s *Server) accountAPIRoutes(r chi.Router) {
	r.Post("/me/password", s.handleAPIChangePassword)
	r.Get("/me/sessions", s.handleAPISessions)
	r.Delete("/me/sessions/{id}", s.handleAPIEndSession)
	r.Post("/me/sessions/revoke-others", s.handleAPIRevokeOthers)
}

// changePassword checks the current password and sets the new one, ending
// every other session of the account; the request's own session stays.
func (s *Server) changePassword(r *http.Request, current, next string) error {
	u := kit.CurrentUser(r)
	c, ok := s.sessions.Current(r)
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
	if _, err := s.signIn(r.Context(), r, u.Email, current); err != nil {
		if opslab.ErrorCode(err) == opslab.EUNAUTHORIZED {
			return opslab.Errorf(opslab.EINVALID, "The current password is wrong.")
		}
		return err
	}
	if err := s.cfg.Sessions.ChangePassword(r.Context(), u.ID, next, c.ID); err != nil {
		return err
	}
	s.sessions.ForgetUser(u.ID, c.ID)
	return nil
}

// endSession ends one of the signed-in user's sessions by its public id.
func (s *Server) endSession(r *http.Request) error {
	u := kit.CurrentUser(r)
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		return kit.ErrNoSession()
	}
	if err := s.cfg.Sessions.DeleteSession(r.Context(), u.ID, id); err != nil {
		return err
	}
	s.sessions.Forget(func(e kit.Session) bool { return e.ID == id })
	return nil
}

// revokeOthers ends every session of the signed-in user but this one.
func (s *Server) revokeOthers(r *http.Request) (int, error) {
	u := kit.CurrentUser(r)
	c, ok := s.sessions.Current(r)
	if !ok {
		return 0, opslab.Errorf(opslab.EUNAUTHORIZED, "Sign in first.")
	}
	n, err := s.cfg.Sessions.DeleteUserSessions(r.Context(), u.ID, c.ID)
	if err != nil {
		return 0, err
	}
	s.sessions.ForgetUser(u.ID, c.ID)
	return n, nil
}

type passwordChange struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) handleAPIChangePassword(w http.ResponseWriter, r *http.Request) {
	var p passwordChange
	if err := kit.DecodeJSON(r, &p); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if err := s.changePassword(r, p.CurrentPassword, p.NewPassword); err != nil {
		kit.SetRetryAfter(w, err)
		s.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type sessionJSON struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	ClientAddr string    `json:"client_addr"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

// mySessions lists the signed-in user's sessions, marking the request's own.
func (s *Server) mySessions(r *http.Request) ([]sessionJSON, error) {
	c, _ := s.sessions.Current(r)
	list, err := s.cfg.Sessions.ListSessions(r.Context(), kit.CurrentUser(r).ID)
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

func (s *Server) handleAPISessions(w http.ResponseWriter, r *http.Request) {
	list, err := s.mySessions(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, struct {
		Sessions []sessionJSON `json:"sessions"`
	}{list})
}

func (s *Server) handleAPIEndSession(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(r); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAPIRevokeOthers(w http.ResponseWriter, r *http.Request) {
	n, err := s.revokeOthers(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, struct {
		Ended int `json:"ended"`
	}{n})
}

// accountPage is the account page: who, the password form, the sessions.
type accountPage struct {
	Name, Email  string
	MinPassword  int
	Sessions     []sessionRow
	Notice       string
	Error        string
	PasswordOpen bool // the password form failed: keep it in view
}

type sessionRow struct {
	ID                  int64
	Created, LastSeen   string
	ClientAddr, Browser string
	Current             bool
}

// renderAccount renders the account page with a notice or an error.
func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, notice string, err error) {
	u := kit.CurrentUser(r)
	p := accountPage{Name: u.Name, Email: u.Email, MinPassword: opslab.MinPasswordLength, Notice: notice}
	if err != nil {
		p.Error = opslab.ErrorMessage(err)
	}
	list, lerr := s.mySessions(r)
	if lerr != nil {
		s.kit.PageError(w, r, lerr)
		return
	}
	for _, x := range list {
		p.Sessions = append(p.Sessions, sessionRow{ID: x.ID, Created: x.CreatedAt.Format("2006-01-02 15:04 MST"),
			LastSeen: x.LastSeenAt.Format("2006-01-02 15:04 MST"), ClientAddr: x.ClientAddr, Browser: x.UserAgent, Current: x.Current})
	}
	s.kit.Render(w, r, status, "account", "Your account", p)
}

func (s *Server) handleAccountPage(w http.ResponseWriter, r *http.Request) {
	notice := ""
	switch r.URL.Query().Get("done") {
	case "password":
		notice = "Your password is changed; every other session of your account has ended."
	case "ended":
		notice = "The session has ended."
	case "others":
		notice = "Every other session of your account has ended."
	}
	s.renderAccount(w, r, http.StatusOK, notice, nil)
}

func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	next := r.PostForm.Get("new_password")
	var err error
	if next != r.PostForm.Get("new_password_again") {
		err = opslab.Errorf(opslab.EINVALID, "The two new passwords differ.")
	} else {
		err = s.changePassword(r, r.PostForm.Get("current_password"), next)
	}
	if err != nil {
		kit.SetRetryAfter(w, err)
		s.renderAccount(w, r, kit.StatusOf(err), "", err)
		return
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

func (s *Server) handleEndSessionForm(w http.ResponseWriter, r *http.Request) {
	if err := s.endSession(r); err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=ended", http.StatusSeeOther)
}

func (s *Server) handleRevokeOthersForm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.revokeOthers(r); err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=others", http.StatusSeeOther)
}

// resetPage is the page of a password reset link.
type resetPage struct {
	Token       string
	Invalid     bool
	Error       string
	MinPassword int
}

func (s *Server) handleResetPage(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	if _, err := s.cfg.Sessions.CheckResetLink(r.Context(), token); err != nil {
		s.resetInvalid(w, r, err)
		return
	}
	s.kit.Render(w, r, http.StatusOK, "reset", "Choose a new password", resetPage{Token: token, MinPassword: opslab.MinPasswordLength})
}

// resetInvalid answers an unknown, used or expired link, all alike.
func (s *Server) resetInvalid(w http.ResponseWriter, r *http.Request, err error) {
	if opslab.ErrorCode(err) != opslab.ENOTFOUND {
		s.kit.PageError(w, r, err)
		return
	}
	s.kit.Render(w, r, http.StatusNotFound, "reset", "Reset link", resetPage{Invalid: true})
}

func (s *Server) handleResetForm(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	if _, err := s.cfg.Sessions.CheckResetLink(r.Context(), token); err != nil {
		s.resetInvalid(w, r, err)
		return
	}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password_again") {
		s.kit.Render(w, r, http.StatusBadRequest, "reset", "Choose a new password",
			resetPage{Token: token, MinPassword: opslab.MinPasswordLength, Error: "The two passwords differ."})
		return
	}
	uid, err := s.cfg.Sessions.UseResetLink(r.Context(), token, password)
	if opslab.ErrorCode(err) == opslab.EINVALID {
		s.kit.Render(w, r, http.StatusBadRequest, "reset", "Choose a new password",
			resetPage{Token: token, MinPassword: opslab.MinPasswordLength, Error: opslab.ErrorMessage(err)})
		return
	} else if err != nil {
		s.resetInvalid(w, r, err)
		return
	}
	s.sessions.ForgetUser(uid, 0)
	// The browser may hold another account's session: end it before the new one.
	s.sessions.EndCurrent(r)
	if err := s.sessions.SignIn(w, r, uid); err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
