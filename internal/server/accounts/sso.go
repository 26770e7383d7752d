package accounts

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/opslab"
	"golang.org/x/oauth2"
)

// Single sign-on with OpenID Connect: the authorization code flow with
// PKCE (S256). GET /auth/oidc/start keeps a random state, nonce and PKCE
// verifier, with the page to return to, in a short-lived cookie that is
// encrypted and authenticated with a key derived from the session key, and
// sends the browser to the provider. GET /auth/oidc/callback checks the
// state against that cookie, exchanges the code with the verifier, verifies
// the ID token (signature, issuer, audience, expiry) and its nonce, and
// signs in the account whose email the provider has verified, creating a
// learner account for a new email.
//
// The provider is discovered on first use, not at start: a provider that
// is down when opslab starts does not stop the site, and the sign-in page
// says so until it answers (SSO.Discover lets main check it at start).

const (
	oidcCookieName = "opslab_oidc"
	oidcCookiePath = "/auth/oidc/"
	// oidcFlowTTL bounds the time from "Sign in with…" to the callback.
	oidcFlowTTL = 10 * time.Minute
	// oidcRetryAfter spaces discovery attempts after a failure.
	oidcRetryAfter = 5 * time.Second
	// oidcTimeout bounds each request to the provider.
	oidcTimeout = 15 * time.Second
	// oidcMaxTeams bounds the teams one team claim can name.
	oidcMaxTeams = 20
)

// userByEmail is what single sign-on needs from the user service beyond
// opslab.UserService: the account with a verified email.
type userByEmail interface {
	// UserByEmail returns the account with the email, in any letter case,
	// or ENOTFOUND.
	UserByEmail(ctx context.Context, email string) (*opslab.User, error)
}

// SSO is single sign-on's relying party: this site's client at the
// provider. Make one with NewSSO; a site without single sign-on has none.
type SSO struct {
	cfg         OIDCConfig
	name        string // shown on the sign-in button
	redirectURL string
	aead        cipher.AEAD
	http        *http.Client
	now         func() time.Time

	mu       sync.Mutex
	provider *oidc.Provider // nil until discovered
	tried    time.Time      // last failed discovery
	lastErr  error
	used     map[string]time.Time // states of finished sign-ins, until they expire
}

// oidcFlow is one sign-in in progress, kept in the browser's cookie.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
	Expires  int64  `json:"exp"` // Unix seconds
}

// NewSSO checks the configuration of single sign-on; it makes no
// request. publicURL is the site's address (the provider sends people back
// to it), sessionKey the site's session key (the sign-in state cookie is
// sealed with a key derived from it) and users must find accounts by
// email.
func NewSSO(c OIDCConfig, publicURL string, sessionKey []byte, users opslab.UserService, now func() time.Time) (*SSO, error) {
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("single sign-on: issuer %q is not an http(s) URL", c.Issuer)
	}
	if c.ClientID == "" {
		return nil, errors.New("single sign-on: the client id is missing")
	}
	if publicURL == "" {
		return nil, errors.New("single sign-on: the public URL is missing: the provider sends people back to an absolute address")
	}
	if _, ok := users.(userByEmail); !ok {
		return nil, errors.New("single sign-on: the user service cannot find accounts by email")
	}
	key := sha256.Sum256(append([]byte("opslab oidc flow\x00"), sessionKey...))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, fmt.Errorf("single sign-on: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("single sign-on: %w", err)
	}
	name := c.Name
	if name == "" {
		name = u.Hostname()
	}
	return &SSO{
		cfg:         c,
		name:        name,
		redirectURL: strings.TrimSuffix(publicURL, "/") + "/auth/oidc/callback",
		aead:        aead,
		http:        &http.Client{Timeout: oidcTimeout},
		now:         now,
		used:        map[string]time.Time{},
	}, nil
}

// discover returns the provider, fetching its discovery document on first
// use; after a failure it tries again at most every few seconds.
func (o *SSO) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	if o.lastErr != nil && o.now().Sub(o.tried) < oidcRetryAfter {
		return nil, o.lastErr
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.http), oidcTimeout)
	defer cancel()
	p, err := oidc.NewProvider(ctx, o.cfg.Issuer)
	if err != nil {
		o.tried, o.lastErr = o.now(), fmt.Errorf("discover provider %s: %w", o.cfg.Issuer, err)
		return nil, o.lastErr
	}
	o.provider, o.lastErr = p, nil
	return p, nil
}

func (o *SSO) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  o.redirectURL,
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// seal encrypts and authenticates the flow for its cookie.
func (o *SSO) seal(f oidcFlow) (string, error) {
	plain, err := json.Marshal(f)
	if err != nil {
		return "", fmt.Errorf("seal sign-in state: %w", err)
	}
	nonce := make([]byte, o.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal sign-in state: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(o.aead.Seal(nonce, nonce, plain, []byte(oidcCookieName))), nil
}

// open returns the flow sealed in v, if it is authentic and not expired.
func (o *SSO) open(v string) (oidcFlow, bool) {
	var f oidcFlow
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(b) < o.aead.NonceSize() {
		return f, false
	}
	n := o.aead.NonceSize()
	plain, err := o.aead.Open(nil, b[:n], b[n:], []byte(oidcCookieName))
	if err != nil || json.Unmarshal(plain, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return oidcFlow{}, false
	}
	if !o.now().Before(time.Unix(f.Expires, 0)) {
		return oidcFlow{}, false
	}
	return f, true
}

// finish records that the flow's state has been used, and reports false if
// it already was: a callback is accepted once.
func (o *SSO) finish(f oidcFlow) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.now()
	for st, exp := range o.used {
		if !now.Before(exp) {
			delete(o.used, st)
		}
	}
	if _, seen := o.used[f.State]; seen {
		return false
	}
	o.used[f.State] = time.Unix(f.Expires, 0)
	return true
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (h *Handler) oidcRoutes(r chi.Router) {
	if h.sso == nil {
		return
	}
	r.Get("/auth/oidc/start", h.handleOIDCStart)
	r.Get("/auth/oidc/callback", h.handleOIDCCallback)
}

// oidcName is the provider's name for the sign-in button, or "" without
// single sign-on.
func (h *Handler) oidcName() string {
	if h.sso == nil {
		return ""
	}
	return h.sso.name
}

func (h *Handler) setOIDCCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     oidcCookieName,
		Value:    value,
		Path:     oidcCookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.secureCookies,
		// Lax: the provider's redirect back is a top-level GET navigation.
		SameSite: http.SameSiteLaxMode,
	})
}

// oidcRefused is the page for a sign-in that did not complete; the log
// gets the reason in detail, the person a sentence and a way back.
func (h *Handler) oidcRefused(w http.ResponseWriter, r *http.Request, err error, detail error) {
	if detail != nil {
		h.kit.Log.Warn("single sign-on refused", "reason", opslab.ErrorMessage(err), "err", detail)
	} else {
		h.kit.Log.Info("single sign-on refused", "reason", opslab.ErrorMessage(err))
	}
	h.kit.PageError(w, r, err)
}

// oidcClaims exchanges the code, verifies the ID token and its nonce, and
// returns its claims, completed from the userinfo endpoint when the token
// lacks the email, its verification or the team claim. An opslab.Error
// is meant for the person; any other error means the provider did not
// confirm the sign-in.
func (h *Handler) oidcClaims(ctx context.Context, code string, f oidcFlow) (map[string]any, error) {
	p, err := h.sso.discover(ctx)
	if err != nil {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "%s cannot be reached right now. Try again in a minute.", h.sso.name)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, h.sso.http), oidcTimeout)
	defer cancel()
	tok, err := h.sso.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token response has no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: h.sso.cfg.ClientID, Now: h.now}).Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("verify ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return nil, opslab.Errorf(opslab.EINVALID, "This sign-in answer does not belong to the sign-in this browser started. Go back to the sign-in page to start again.")
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("read ID token claims: %w", err)
	}
	team := h.sso.cfg.TeamClaim
	if claims["email"] != nil && claims["email_verified"] != nil && (team == "" || claims[team] != nil) {
		return claims, nil
	}
	if p.UserInfoEndpoint() == "" {
		return claims, nil
	}
	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	if ui.Subject != idt.Subject {
		return nil, fmt.Errorf("userinfo: subject %q is not the ID token's %q", ui.Subject, idt.Subject)
	}
	more := map[string]any{}
	if err := ui.Claims(&more); err != nil {
		return nil, fmt.Errorf("userinfo claims: %w", err)
	}
	for k, v := range more {
		if _, ok := claims[k]; !ok {
			claims[k] = v
		}
	}
	return claims, nil
}

// oidcAccount returns the account with the email, creating a learner
// account if there is none. A created account gets a random password
// nobody knows: it signs in through the provider (or after a reset).
func (h *Handler) oidcAccount(ctx context.Context, email, name string) (*opslab.User, bool, error) {
	finder := h.users.(userByEmail) // checked by NewSSO
	u, err := finder.UserByEmail(ctx, email)
	if err == nil {
		return u, false, nil
	}
	if opslab.ErrorCode(err) != opslab.ENOTFOUND {
		return nil, false, fmt.Errorf("single sign-on: %w", err)
	}
	pw, err := randomToken()
	if err != nil {
		return nil, false, fmt.Errorf("single sign-on: %w", err)
	}
	u, err = h.users.CreateUser(ctx, opslab.NewUser{Email: email, Name: name, Password: pw[:40], Role: opslab.RoleLearner})
	if opslab.ErrorCode(err) == opslab.ECONFLICT {
		// Created meanwhile by a sign-in in another tab.
		u, err = finder.UserByEmail(ctx, email)
		if err == nil {
			return u, false, nil
		}
	}
	if err != nil {
		if opslab.ErrorCode(err) == opslab.EINVALID {
			return nil, false, opslab.Errorf(opslab.EFORBIDDEN, "An account cannot be created for the email %s: %s", email, opslab.ErrorMessage(err))
		}
		return nil, false, fmt.Errorf("single sign-on: %w", err)
	}
	return u, true, nil
}

// oidcJoinTeams puts the person, as a learner, in each existing team the
// claim names (by slug or name; a string or a list of strings). A name
// that matches no team is logged and ignored; nothing here stops the
// sign-in.
func (h *Handler) oidcJoinTeams(ctx context.Context, u *opslab.User, claim any) {
	var names []string
	switch v := claim.(type) {
	case string:
		names = []string{v}
	case []any:
		for _, x := range v {
			if str, ok := x.(string); ok {
				names = append(names, str)
			}
		}
	}
	if len(names) > oidcMaxTeams {
		names = names[:oidcMaxTeams]
	}
	if len(names) == 0 {
		return
	}
	if h.teamAdmin == nil {
		h.kit.Log.Warn("single sign-on: the team claim is ignored: teams are not served")
		return
	}
	var all []*opslab.TeamSummary
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		var team *opslab.TeamSummary
		if opslab.ValidateTeamSlug(strings.ToLower(name)) == nil {
			team, _ = h.teamAdmin.FindTeamSummary(ctx, strings.ToLower(name))
		}
		if team == nil {
			if all == nil {
				var err error
				if all, err = h.teamAdmin.ListTeams(ctx); err != nil {
					h.kit.Log.Warn("single sign-on: list teams", "err", err)
					return
				}
			}
			for _, t := range all {
				if strings.EqualFold(t.Name, name) {
					team = t
					break
				}
			}
		}
		if team == nil {
			h.kit.Log.Info("single sign-on: the team claim names no team here", "claim", h.sso.cfg.TeamClaim, "team", name, "user", u.ID)
			continue
		}
		if _, added, err := h.teamAdmin.AddMemberByEmail(ctx, team.ID, u.Email, false); err != nil {
			h.kit.Log.Warn("single sign-on: join team", "team", team.Slug, "user", u.ID, "err", err)
		} else if added {
			h.kit.Log.Info("single sign-on: joined team", "team", team.Slug, "user", u.ID)
		}
	}
}

// claimTrue reads a boolean claim that some providers send as a string.
func claimTrue(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}

// claimName is the person's display name: the name claim, else given and
// family names, else the email's local part; at most 100 characters.
func claimName(claims map[string]any, email string) string {
	str := func(k string) string { v, _ := claims[k].(string); return strings.TrimSpace(v) }
	name := str("name")
	if name == "" {
		name = strings.TrimSpace(str("given_name") + " " + str("family_name"))
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return name
}

// oauthErrorCode keeps an OAuth error code shown to the person to its
// documented alphabet, so a crafted link cannot put prose on the page.
func oauthErrorCode(code string) string {
	if len(code) > 40 || strings.IndexFunc(code, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z') }) >= 0 {
		return "error"
	}
	return code
}

// OIDCConfig names the OpenID provider of single sign-on.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; empty turns single sign-on off.
	Issuer       string
	ClientID     string
	ClientSecret string
	// TeamClaim, when set, names an ID token claim whose value is the name
	// of a team the signed-in person joins.
	TeamClaim string
	// Name is the provider's name on the sign-in button ("Sign in with
	// Name"); empty uses the issuer's host name.
	Name string
}

// Discover fetches the provider's discovery document now, so that main
// can report an unreachable provider at start. A failure is not final:
// sign-in tries again.
func (o *SSO) Discover(ctx context.Context) error {
	_, err := o.discover(ctx)
	return err
}
