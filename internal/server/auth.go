package server

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

type userJSON struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

func toUserJSON(u *opslab.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role)}
}

func (s *Server) handleAPILogin(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decodeJSON(r, &c); err != nil {
		s.apiError(w, r, err)
		return
	}
	if c.Email == "" || c.Password == "" {
		s.apiError(w, r, opslab.Errorf(opslab.EINVALID, "Send both email and password."))
		return
	}
	u, err := s.signIn(r.Context(), r, c.Email, c.Password)
	if err != nil {
		setRetryAfter(w, err)
		s.apiError(w, r, err)
		return
	}
	if err := s.sessions.signIn(w, r, u.ID); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toUserJSON(u))
}

func (s *Server) handleAPILogout(w http.ResponseWriter, r *http.Request) {
	s.sessions.signOut(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAPIRegister(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := decodeJSON(r, &c); err != nil {
		s.apiError(w, r, err)
		return
	}
	u, err := s.register(r.Context(), r, c.withDefaultName())
	if err != nil {
		setRetryAfter(w, err)
		s.apiError(w, r, err)
		return
	}
	if err := s.sessions.signIn(w, r, u.ID); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
}

func (s *Server) handleAPIMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, toUserJSON(currentUser(r)))
}

type loginPage struct {
	Error string
	Email string
	Next  string
	// SSOName names the single sign-on provider ("" without single
	// sign-on); NoPassword hides the password form.
	SSOName    string
	NoPassword bool
}

type registerPage struct {
	Error       string
	Email       string
	Name        string
	MinPassword int
	Next        string // where to go once registered (an invite link)
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if currentUser(r) != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", "Sign in", loginPage{Next: safeNext(r.URL.Query().Get("next")),
		SSOName: s.oidcName(), NoPassword: s.cfg.NoPasswordLogin})
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.formError(w, r, err)
		return
	}
	email, next := r.PostForm.Get("email"), safeNext(r.PostForm.Get("next"))
	u, err := s.signIn(r.Context(), r, email, r.PostForm.Get("password"))
	if err == nil {
		err = s.sessions.signIn(w, r, u.ID)
	}
	if err != nil {
		setRetryAfter(w, err)
		s.render(w, r, statusOf(err), "login", "Sign in", loginPage{Error: opslab.ErrorMessage(err), Email: email, Next: next, SSOName: s.oidcName()})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleRegisterPage(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.SignupOpen {
		s.pageError(w, r, opslab.Errorf(opslab.EFORBIDDEN, "Sign-up is closed: ask an administrator for an account."))
		return
	}
	s.render(w, r, http.StatusOK, "register", "Create an account", registerPage{MinPassword: opslab.MinPasswordLength,
		Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.formError(w, r, err)
		return
	}
	c := credentials{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Password: r.PostForm.Get("password")}
	next := safeNext(r.PostForm.Get("next"))
	u, err := s.register(r.Context(), r, c.withDefaultName())
	if err == nil {
		err = s.sessions.signIn(w, r, u.ID)
	}
	if err != nil {
		setRetryAfter(w, err)
		s.render(w, r, statusOf(err), "register", "Create an account",
			registerPage{Error: opslab.ErrorMessage(err), Email: c.Email, Name: c.Name, MinPassword: opslab.MinPasswordLength, Next: next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogoutForm(w http.ResponseWriter, r *http.Request) {
	s.sessions.signOut(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// formError answers a form that could not be read: 413 when too large.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if asMaxBytes(err, &maxErr) {
		s.pageError(w, r, opslab.Errorf(opslab.ETOOLARGE, "The form is larger than %d bytes.", maxErr.Limit))
		return
	}
	s.pageError(w, r, opslab.Errorf(opslab.EINVALID, "The form could not be read."))
}
