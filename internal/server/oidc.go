package server

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
	"golang.org/x/oauth2"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
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
// says so until it answers (DiscoverOIDC lets main check it at start).

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

// oidcClient is the relying party: this site's client at the provider.
type oidcClient struct {
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

// newOIDCClient checks the configuration; it makes no request.
func newOIDCClient(cfg Config) (*oidcClient, error) {
	c := cfg.OIDC
	u, err := url.Parse(c.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("single sign-on: issuer %q is not an http(s) URL", c.Issuer)
	}
	if c.ClientID == "" {
		return nil, errors.New("single sign-on: the client id is missing")
	}
	if cfg.PublicURL == "" {
		return nil, errors.New("single sign-on: the public URL is missing: the provider sends people back to an absolute address")
	}
	if _, ok := cfg.Users.(userByEmail); !ok {
		return nil, errors.New("single sign-on: the user service cannot find accounts by email")
	}
	key := sha256.Sum256(append([]byte("opslab oidc flow\x00"), cfg.SessionKey...))
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
	return &oidcClient{
		cfg:         c,
		name:        name,
		redirectURL: strings.TrimSuffix(cfg.PublicURL, "/") + "/auth/oidc/callback",
		aead:        aead,
		http:        &http.Client{Timeout: oidcTimeout},
		now:         cfg.Now,
		used:        map[string]time.Time{},
	}, nil
}

// discover returns the provider, fetching its discovery document on first
// use; after a failure it tries again at most every few seconds.
func (o *oidcClient) discover(ctx context.Context) (*oidc.Provider, error) {
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

func (o *oidcClient) oauth2(p *oidc.Provider) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     o.cfg.ClientID,
		ClientSecret: o.cfg.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  o.redirectURL,
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// seal encrypts and authenticates the flow for its cookie.
func (o *oidcClient) seal(f oidcFlow) (string, error) {
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
func (o *oidcClient) open(v string) (oidcFlow, bool) {
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
func (o *oidcClient) finish(f oidcFlow) bool {
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

// DiscoverOIDC fetches the single sign-on provider's discovery document now,
// so that main can report an unreachable provider at start. Without single
// sign-on it does nothing. A failure is not final: sign-in tries again.
func (s *Server) DiscoverOIDC(ctx context.Context) error {
	if s.oidc == nil {
		return nil
	}
	_, err := s.oidc.discover(ctx)
	return err
}

func (s *Server) oidcRoutes(r chi.Router) {
	if s.oidc == nil {
		return
	}
	r.Get("/auth/oidc/start", s.handleOIDCStart)
	r.Get("/auth/oidc/callback", s.handleOIDCCallback)
}

// oidcName is the provider's name for the sign-in button, or "" without
// single sign-on.
func (s *Server) oidcName() string {
	if s.oidc == nil {
		return ""
	}
	return s.oidc.name
}

func (s *Server) setOIDCCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     oidcCookieName,
		Value:    value,
		Path:     oidcCookiePath,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.cfg.SecureCookies,
		// Lax: the provider's redirect back is a top-level GET navigation.
		SameSite: http.SameSiteLaxMode,
	})
}

// handleOIDCStart sends the browser to the provider with a fresh state,
// nonce and PKCE challenge.
func (s *Server) handleOIDCStart(w http.ResponseWriter, r *http.Request) {
	next := kit.SafeNext(r.URL.Query().Get("next"))
	if kit.CurrentUser(r) != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.Warn("single sign-on: provider unreachable", "err", err)
		s.kit.PageError(w, r, opslab.Errorf(opslab.EUNAVAILABLE, "%s cannot be reached right now, so single sign-on is not possible. Try again in a minute.", s.oidc.name))
		return
	}
	f := oidcFlow{Verifier: oauth2.GenerateVerifier(), Next: next, Expires: s.cfg.Now().Add(oidcFlowTTL).Unix()}
	if f.State, err = randomToken(); err == nil {
		f.Nonce, err = randomToken()
	}
	var sealed string
	if err == nil {
		sealed, err = s.oidc.seal(f)
	}
	if err != nil {
		s.kit.PageError(w, r, fmt.Errorf("single sign-on start: %w", err))
		return
	}
	s.setOIDCCookie(w, sealed, int(oidcFlowTTL/time.Second))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, s.oidc.oauth2(p).AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
}

// oidcRefused is the page for a sign-in that did not complete; the log
// gets the reason in detail, the person a sentence and a way back.
func (s *Server) oidcRefused(w http.ResponseWriter, r *http.Request, err error, detail error) {
	if detail != nil {
		s.log.Warn("single sign-on refused", "reason", opslab.ErrorMessage(err), "err", detail)
	} else {
		s.log.Info("single sign-on refused", "reason", opslab.ErrorMessage(err))
	}
	s.kit.PageError(w, r, err)
}

// handleOIDCCallback completes the sign-in the provider sends back. The
// flow cookie is single use: it is cleared whatever the outcome.
func (s *Server) handleOIDCCallback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.setOIDCCookie(w, "", -1)
	q := r.URL.Query()
	if code := q.Get("error"); code != "" {
		s.oidcRefused(w, r, opslab.Errorf(opslab.EFORBIDDEN, "%s did not sign you in (%s). Go back to the sign-in page to try again.",
			s.oidc.name, oauthErrorCode(code)), nil)
		return
	}
	expired := opslab.Errorf(opslab.EINVALID, "This sign-in has expired or was started in another browser. Go back to the sign-in page to start again.")
	ck, err := r.Cookie(oidcCookieName)
	if err != nil {
		s.oidcRefused(w, r, expired, nil)
		return
	}
	f, ok := s.oidc.open(ck.Value)
	if !ok {
		s.oidcRefused(w, r, expired, nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		s.oidcRefused(w, r, opslab.Errorf(opslab.EINVALID, "This sign-in answer does not belong to the sign-in this browser started. Go back to the sign-in page to start again."), nil)
		return
	}
	if !s.oidc.finish(f) {
		s.oidcRefused(w, r, opslab.Errorf(opslab.EINVALID, "This sign-in was already completed once. Go back to the sign-in page to sign in again."), nil)
		return
	}
	if q.Get("code") == "" {
		s.oidcRefused(w, r, opslab.Errorf(opslab.EINVALID, "%s sent no authorization code. Go back to the sign-in page to try again.", s.oidc.name), nil)
		return
	}
	claims, err := s.oidcClaims(r.Context(), q.Get("code"), f)
	if err != nil {
		var oe *opslab.Error
		if errors.As(err, &oe) {
			s.oidcRefused(w, r, oe, err)
		} else {
			s.oidcRefused(w, r, opslab.Errorf(opslab.EUNAUTHORIZED, "%s did not confirm the sign-in. Go back to the sign-in page to try again.", s.oidc.name), err)
		}
		return
	}
	email, _ := claims["email"].(string)
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		s.oidcRefused(w, r, opslab.Errorf(opslab.EFORBIDDEN, "%s did not share your email address, which this site needs to find your account. Ask its administrator to release the email claim.", s.oidc.name), nil)
		return
	}
	if !claimTrue(claims["email_verified"]) {
		s.oidcRefused(w, r, opslab.Errorf(opslab.EFORBIDDEN, "Your email address %s is not verified at %s, so it cannot be matched to an account here. Verify it there, then sign in again.", email, s.oidc.name), nil)
		return
	}
	u, created, err := s.oidcAccount(r.Context(), email, claimName(claims, email))
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	if s.oidc.cfg.TeamClaim != "" {
		s.oidcJoinTeams(r.Context(), u, claims[s.oidc.cfg.TeamClaim])
	}
	if err := s.sessions.SignIn(w, r, u.ID); err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	s.log.Info("single sign-on", "user", u.ID, "created", created)
	http.Redirect(w, r, kit.SafeNext(f.Next), http.StatusSeeOther)
}

// oidcClaims exchanges the code, verifies the ID token and its nonce, and
// returns its claims, completed from the userinfo endpoint when the token
// lacks the email, its verification or the team claim. An opslab.Error
// is meant for the person; any other error means the provider did not
// confirm the sign-in.
func (s *Server) oidcClaims(ctx context.Context, code string, f oidcFlow) (map[string]any, error) {
	p, err := s.oidc.discover(ctx)
	if err != nil {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "%s cannot be reached right now. Try again in a minute.", s.oidc.name)
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.oidc.http), oidcTimeout)
	defer cancel()
	tok, err := s.oidc.oauth2(p).Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, fmt.Errorf("exchange code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, errors.New("the token response has no ID token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID, Now: s.cfg.Now}).Verify(ctx, raw)
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
	team := s.oidc.cfg.TeamClaim
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
func (s *Server) oidcAccount(ctx context.Context, email, name string) (*opslab.User, bool, error) {
	finder := s.cfg.Users.(userByEmail) // checked by newOIDCClient
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
	u, err = s.cfg.Users.CreateUser(ctx, opslab.NewUser{Email: email, Name: name, Password: pw[:40], Role: opslab.RoleLearner})
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
func (s *Server) oidcJoinTeams(ctx context.Context, u *opslab.User, claim any) {
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
	if s.cfg.TeamAdmin == nil {
		s.log.Warn("single sign-on: the team claim is ignored: teams are not served")
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
			team, _ = s.cfg.TeamAdmin.FindTeamSummary(ctx, strings.ToLower(name))
		}
		if team == nil {
			if all == nil {
				var err error
				if all, err = s.cfg.TeamAdmin.ListTeams(ctx); err != nil {
					s.log.Warn("single sign-on: list teams", "err", err)
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
			s.log.Info("single sign-on: the team claim names no team here", "claim", s.oidc.cfg.TeamClaim, "team", name, "user", u.ID)
			continue
		}
		if _, added, err := s.cfg.TeamAdmin.AddMemberByEmail(ctx, team.ID, u.Email, false); err != nil {
			s.log.Warn("single sign-on: join team", "team", team.Slug, "user", u.ID, "err", err)
		} else if added {
			s.log.Info("single sign-on: joined team", "team", team.Slug, "user", u.ID)
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
