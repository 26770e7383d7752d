// Package accounts serves signing in, up and out with a password, the
// signed-in user's account (page and calls: password, sessions) and
// password reset links, under the sign-in and sign-up limits: failed
// sign-ins to one account are spaced out (never locked), failed sign-ins
// and sign-ups from one address are capped; and single sign-on with
// OpenID Connect (sso.go), which can be the only way in.
package accounts

import (
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// Config is what the account routes need.
type Config struct {
	Kit   *kit.Kit
	Users opslab.UserService
	// Sessions is the sign-in cookie and its cache; Store the sessions and
	// reset links behind it.
	Sessions *kit.Sessions
	Store    opslab.SessionService
	// SignupOpen lets anyone create a learner account.
	SignupOpen bool
	// NoPasswordLogin refuses signing in and up with a password.
	NoPasswordLogin bool
	// SignupsPerHour caps sign-ups from one address; 0 means 10, -1 no cap.
	SignupsPerHour int
	// SSO is single sign-on's client (see NewSSO); nil without single
	// sign-on. TeamAdmin lets a team claim put people in teams (nil: it
	// does not), and SecureCookies marks the sign-in state cookie Secure.
	SSO           *SSO
	TeamAdmin     opslab.TeamAdminService
	SecureCookies bool
	Now           func() time.Time
	// OnSignIn counts a sign-in by result ("ok", "failed", "throttled");
	// OnProgress counts a progress event ("register"). Nil counts nothing.
	OnSignIn   func(result string)
	OnProgress func(event string)
}

// Handler serves the account routes. Make one with New.
type Handler struct {
	kit           *kit.Kit
	users         opslab.UserService
	sessions      *kit.Sessions
	store         opslab.SessionService
	signupOpen    bool
	noPassword    bool
	sso           *SSO
	teamAdmin     opslab.TeamAdminService
	secureCookies bool
	now           func() time.Time
	limits        limits
	onSignIn      func(string)
	onProgress    func(string)
}

// New returns the account handlers with fresh limits.
func New(cfg Config) *Handler {
	count := func(f func(string)) func(string) {
		if f == nil {
			return func(string) {}
		}
		return f
	}
	return &Handler{kit: cfg.Kit, users: cfg.Users, sessions: cfg.Sessions, store: cfg.Store,
		signupOpen: cfg.SignupOpen, noPassword: cfg.NoPasswordLogin, sso: cfg.SSO, teamAdmin: cfg.TeamAdmin, secureCookies: cfg.SecureCookies, now: cfg.Now,
		limits: newLimits(cfg.SignupsPerHour, cfg.Now), onSignIn: count(cfg.OnSignIn), onProgress: count(cfg.OnProgress)}
}

// PageRoutes registers the sign-in, sign-up and sign-out forms, single
// sign-on's start and callback (with an SSO), the account page and its
// forms, and the reset link pages.
func (h *Handler) PageRoutes(r chi.Router) {
	r.Get("/login", h.handleLoginPage)
	r.With(h.requirePasswordLogin).Post("/login", h.handleLoginForm)
	r.With(h.requirePasswordLogin).Get("/register", h.handleRegisterPage)
	r.With(h.requirePasswordLogin).Post("/register", h.handleRegisterForm)
	r.Post("/logout", h.handleLogoutForm)
	h.oidcRoutes(r)
	h.accountRoutes(r)
}

// APIRoutes registers the sign-in, sign-out and sign-up calls on r, the
// /api router (open to anyone).
func (h *Handler) APIRoutes(r chi.Router) {
	r.With(h.requirePasswordLogin).Post("/login", h.handleAPILogin)
	r.Post("/logout", h.handleAPILogout)
	r.With(h.requirePasswordLogin).Post("/register", h.handleAPIRegister)
}

// UserAPIRoutes registers the signed-in user's own calls (/me, password,
// sessions) on r, a part of /api that requires a signed-in user.
func (h *Handler) UserAPIRoutes(r chi.Router) {
	r.Get("/me", h.handleAPIMe)
	h.accountAPIRoutes(r)
}
