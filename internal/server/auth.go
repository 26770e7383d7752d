package server

import (
	"net/http"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
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

func (s *Server) handleAPILogin(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := kit.DecodeJSON(r, &c); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if c.Email == "" || c.Password == "" {
		s.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, "Send both email and password."))
		return
	}
	u, err := s.signIn(r.Context(), r, c.Email, c.Password)
	if err != nil {
		kit.SetRetryAfter(w, err)
		s.kit.APIError(w, r, err)
		return
	}
	if err := s.sessions.SignIn(w, r, u.ID); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, kit.ToUserJSON(u))
}

func (s *Server) handleAPILogout(w http.ResponseWriter, r *http.Request) {
	s.sessions.SignOut(w, r)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleAPIRegister(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if err := kit.DecodeJSON(r, &c); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	u, err := s.register(r.Context(), r, c.withDefaultName())
	if err != nil {
		kit.SetRetryAfter(w, err)
		s.kit.APIError(w, r, err)
		return
	}
	if err := s.sessions.SignIn(w, r, u.ID); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusCreated, kit.ToUserJSON(u))
}

func (s *Server) handleAPIMe(w http.ResponseWriter, r *http.Request) {
	kit.WriteJSON(w, http.StatusOK, kit.ToUserJSON(kit.CurrentUser(r)))
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
	if kit.CurrentUser(r) != nil {
		http.Redirect(w, r, kit.SafeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.kit.Render(w, r, http.StatusOK, "login", "Sign in", loginPage{Next: kit.SafeNext(r.URL.Query().Get("next")),
		SSOName: s.oidcName(), NoPassword: s.cfg.NoPasswordLogin})
}

func (s *Server) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	email, next := r.PostForm.Get("email"), kit.SafeNext(r.PostForm.Get("next"))
	u, err := s.signIn(r.Context(), r, email, r.PostForm.Get("password"))
	if err == nil {
		err = s.sessions.SignIn(w, r, u.ID)
	}
	if err != nil {
		kit.SetRetryAfter(w, err)
		s.kit.Render(w, r, kit.StatusOf(err), "login", "Sign in", loginPage{Error: opslab.ErrorMessage(err), Email: email, Next: next, SSOName: s.oidcName()})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleRegisterPage(w http.ResponseWriter, r *http.Request) {
	if !s.cfg.SignupOpen {
		s.kit.PageError(w, r, opslab.Errorf(opslab.EFORBIDDEN, "Sign-up is closed: ask an administrator for an account."))
		return
	}
	s.kit.Render(w, r, http.StatusOK, "register", "Create an account", registerPage{MinPassword: opslab.MinPasswordLength,
		Next: kit.SafeNext(r.URL.Query().Get("next"))})
}

func (s *Server) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.kit.FormError(w, r, err)
		return
	}
	c := credentials{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Password: r.PostForm.Get("password")}
	next := kit.SafeNext(r.PostForm.Get("next"))
	u, err := s.register(r.Context(), r, c.withDefaultName())
	if err == nil {
		err = s.sessions.SignIn(w, r, u.ID)
	}
	if err != nil {
		kit.SetRetryAfter(w, err)
		s.kit.Render(w, r, kit.StatusOf(err), "register", "Create an account",
			registerPage{Error: opslab.ErrorMessage(err), Email: c.Email, Name: c.Name, MinPassword: opslab.MinPasswordLength, Next: next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogoutForm(w http.ResponseWriter, r *http.Request) {
	s.sessions.SignOut(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
