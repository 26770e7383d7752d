package accounts

import (
	"net/http"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

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

func (h *Handler) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	if kit.CurrentUser(r) != nil {
		http.Redirect(w, r, kit.SafeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	h.kit.Render(w, r, http.StatusOK, "login", "Sign in", loginPage{Next: kit.SafeNext(r.URL.Query().Get("next")),
		SSOName: h.oidcName(), NoPassword: h.noPassword})
}

func (h *Handler) handleLoginForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	email, next := r.PostForm.Get("email"), kit.SafeNext(r.PostForm.Get("next"))
	u, err := h.signIn(r.Context(), r, email, r.PostForm.Get("password"))
	if err == nil {
		err = h.sessions.SignIn(w, r, u.ID)
	}
	if err != nil {
		kit.SetRetryAfter(w, err)
		h.kit.Render(w, r, kit.StatusOf(err), "login", "Sign in", loginPage{Error: opslab.ErrorMessage(err), Email: email, Next: next, SSOName: h.oidcName()})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) handleRegisterPage(w http.ResponseWriter, r *http.Request) {
	if !h.signupOpen {
		h.kit.PageError(w, r, opslab.Errorf(opslab.EFORBIDDEN, "Sign-up is closed: ask an administrator for an account."))
		return
	}
	h.kit.Render(w, r, http.StatusOK, "register", "Create an account", registerPage{MinPassword: opslab.MinPasswordLength,
		Next: kit.SafeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) handleRegisterForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	c := credentials{Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"), Password: r.PostForm.Get("password")}
	next := kit.SafeNext(r.PostForm.Get("next"))
	u, err := h.register(r.Context(), r, c.withDefaultName())
	if err == nil {
		err = h.sessions.SignIn(w, r, u.ID)
	}
	if err != nil {
		kit.SetRetryAfter(w, err)
		h.kit.Render(w, r, kit.StatusOf(err), "register", "Create an account",
			registerPage{Error: opslab.ErrorMessage(err), Email: c.Email, Name: c.Name, MinPassword: opslab.MinPasswordLength, Next: next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) handleLogoutForm(w http.ResponseWriter, r *http.Request) {
	h.sessions.SignOut(w, r)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
