package accounts

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
	"golang.org/x/oauth2"
)

// handleOIDCStart sends the browser to the provider with a fresh state,
// nonce and PKCE challenge.
func (h *Handler) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	next := kit.SafeNext(r.URL.Query().Get("next"))
	if kit.CurrentUser(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p, err := h.sso.discover(r.Context())
	if err != nil {
		h.kit.Log.Warn("single sign-on: provider unreachable", "err", err)
		h.kit.PageError(w, r, opslab.Errorf(opslab.EUNAVAILABLE, "%s cannot be reached right now, so single sign-on is not possible. Try again in a minute.", h.sso.name))
		return
	}
	f := oidcFlow{Verifier: oauth2.GenerateVerifier(), Next: next, Expires: h.now().Add(oidcFlowTTL).Unix()}
	if f.State, err = randomToken(); err == nil {
		f.Nonce, err = randomToken()
	}
	var sealed string
	if err == nil {
		sealed, err = h.sso.seal(f)
	}
	if err != nil {
		h.kit.PageError(w, r, fmt.Errorf("single sign-on start: %w", err))
		return
	}
	h.setOIDCCookie(w, sealed, int(oidcFlowTTL/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, h.sso.oauth2(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
}

// handleOIDCCallback completes the sign-in the provider sends back. The
// flow cookie is single use: it is cleared whatever the outcome.
func (h *Handler) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h.setOIDCCookie(w, "", -1)
	q := r.URL.Query()
	if code := q.Get("error"); code != "" {
		h.oidcRefused(w, r, opslab.Errorf(opslab.EFORBIDDEN, "%s did not sign you in (%s). Go back to the sign-in page to try again.",
			h.sso.name, oauthErrorCode(code)), nil)
		return
	}
	expired := opslab.Errorf(opslab.EINVALID, "This sign-in has expired or was started in another browser. Go back to the sign-in page to start again.")
	ck, err := r.Cookie(oidcCookieName)
	if err != nil {
		h.oidcRefused(w, r, expired, nil)
		return
	}
	f, ok := h.sso.open(ck.Value)
	if !ok {
		h.oidcRefused(w, r, expired, nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		h.oidcRefused(w, r, opslab.Errorf(opslab.EINVALID, "This sign-in answer does not belong to the sign-in this browser started. Go back to the sign-in page to start again."), nil)
		return
	}
	if !h.sso.finish(f) {
		h.oidcRefused(w, r, opslab.Errorf(opslab.EINVALID, "This sign-in was already completed once. Go back to the sign-in page to sign in again."), nil)
		return
	}
	if q.Get("code") == "" {
		h.oidcRefused(w, r, opslab.Errorf(opslab.EINVALID, "%s sent no authorization code. Go back to the sign-in page to try again.", h.sso.name), nil)
		return
	}
	claims, err := h.oidcClaims(r.Context(), q.Get("code"), f)
	if err != nil {
		var oe *opslab.Error
		if errors.As(err, &oe) {
			h.oidcRefused(w, r, oe, err)
		} else {
			h.oidcRefused(w, r, opslab.Errorf(opslab.EUNAUTHORIZED, "%s did not confirm the sign-in. Go back to the sign-in page to try again.", h.sso.name), err)
		}
		return
	}
	email, _ := claims["email"].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		h.oidcRefused(w, r, opslab.Errorf(opslab.EFORBIDDEN, "%s did not share your email address, which this site needs to find your account. Ask its administrator to release the email claim.", h.sso.name), nil)
		return
	}
	if !claimTrue(claims["email_verified"]) {
		h.oidcRefused(w, r, opslab.Errorf(opslab.EFORBIDDEN, "Your email address %s is not verified at %s, so it cannot be matched to an account here. Verify it there, then sign in again.", email, h.sso.name), nil)
		return
	}
	u, created, err := h.oidcAccount(r.Context(), email, claimName(claims, email))
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	if h.sso.cfg.TeamClaim != "" {
		h.oidcJoinTeams(r.Context(), u, claims[h.sso.cfg.TeamClaim])
	}
	if err := h.sessions.SignIn(w, r, u.ID); err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	h.kit.Log.Info("single sign-on", "user", u.ID, "created", created)
	http.Redirect(w, r, kit.SafeNext(f.Next), http.StatusSeeOther)
}
