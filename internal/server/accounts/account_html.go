package accounts

import (
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

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

func (h *Handler) handleAccountPage(w http.ResponseWriter, r *http.Request) {
	notice := ""
	switch r.URL.Query().Get("done") {
	case "password":
		notice = "Your password is changed; every other session of your account has ended."
	case "ended":
		notice = "The session has ended."
	case "others":
		notice = "Every other session of your account has ended."
	}
	h.renderAccount(w, r, http.StatusOK, notice, nil)
}

func (h *Handler) handlePasswordForm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	next := r.PostForm.Get("new_password")
	var err error
	if next != r.PostForm.Get("new_password_again") {
		err = opslab.Errorf(opslab.EINVALID, "The two new passwords differ.")
	} else {
		err = h.changePassword(r, r.PostForm.Get("current_password"), next)
	}
	if err != nil {
		kit.SetRetryAfter(w, err)
		h.renderAccount(w, r, kit.StatusOf(err), "", err)
		return
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

func (h *Handler) handleEndSessionForm(w http.ResponseWriter, r *http.Request) {
	if err := h.endSession(r); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=ended", http.StatusSeeOther)
}

func (h *Handler) handleRevokeOthersForm(w http.ResponseWriter, r *http.Request) {
	if _, err := h.revokeOthers(r); err != nil {
		h.kit.PageError(w, r, err)
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

func (h *Handler) handleResetPage(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	if _, err := h.store.CheckResetLink(r.Context(), token); err != nil {
		h.resetInvalid(w, r, err)
		return
	}
	h.kit.Render(w, r, http.StatusOK, "reset", "Choose a new password", resetPage{Token: token, MinPassword: opslab.MinPasswordLength})
}

func (h *Handler) handleResetForm(w http.ResponseWriter, r *http.Request) {
	token := chi.URLParam(r, "token")
	if err := r.ParseForm(); err != nil {
		h.kit.FormError(w, r, err)
		return
	}
	if _, err := h.store.CheckResetLink(r.Context(), token); err != nil {
		h.resetInvalid(w, r, err)
		return
	}
	password := r.PostForm.Get("password")
	if password != r.PostForm.Get("password_again") {
		h.kit.Render(w, r, http.StatusBadRequest, "reset", "Choose a new password",
			resetPage{Token: token, MinPassword: opslab.MinPasswordLength, Error: "The two passwords differ."})
		return
	}
	uid, err := h.store.UseResetLink(r.Context(), token, password)
	if opslab.ErrorCode(err) == opslab.EINVALID {
		h.kit.Render(w, r, http.StatusBadRequest, "reset", "Choose a new password",
			resetPage{Token: token, MinPassword: opslab.MinPasswordLength, Error: opslab.ErrorMessage(err)})
		return
	} else if err != nil {
		h.resetInvalid(w, r, err)
		return
	}
	h.sessions.ForgetUser(uid, 0)
	// The browser may hold another account's session: end it before the new one.
	h.sessions.EndCurrent(r)
	if err := h.sessions.SignIn(w, r, uid); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
