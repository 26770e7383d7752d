package kit

import (
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/sessions"

	"github.com/opslab/opslab/internal/opslab"
)

const sessionName = "opslab_session"

// sessionMaxAge is how long a sign-in lasts, in seconds.
const sessionMaxAge = 30 * 24 * 3600

// sessionRecheck is how long a session found in the store is trusted
// without asking the store again; a session's last use is recorded at
// most this often. Ending a session through this server forgets it at once.
const sessionRecheck = time.Minute

// sessionSweepEvery is how often signing in also deletes the expired sessions.
const sessionSweepEvery = time.Hour

// Sessions keeps sessions on the server (an opslab.SessionService):
// the signed and encrypted cookie names a random session token, and
// ending a session deletes it from the store.
type Sessions struct {
	store *sessions.CookieStore
	svc   opslab.SessionService
	now   func() time.Time
	log   *slog.Logger

	// cache remembers, by cookie value, sessions recently found in the
	// store: decoding the cookie (HMAC, AES, gob) and the query are the
	// costliest steps of a signed-in request.
	mu        sync.Mutex
	cache     map[string]Session
	lastSweep time.Time
}

// Session is what a request needs of its session: its id in the store
// and its user's.
type Session struct {
	ID, UserID int64

	checked time.Time // when the store last confirmed it
	expires time.Time
}

// maxCachedSessions bounds the session cache; past it the cache restarts.
const maxCachedSessions = 50000

// NewSessions derives the cookie's signing and encryption keys from
// key, which must hold at least 32 bytes, and keeps sessions in svc.
func NewSessions(key []byte, secure bool, svc opslab.SessionService, now func() time.Time, log *slog.Logger) (*Sessions, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("session key: need at least 32 bytes, got %d", len(key))
	}
	hash := sha256.Sum256(append([]byte("opslab session signing\x00"), key...))
	block := sha256.Sum256(append([]byte("opslab session encryption\x00"), key...))
	st := sessions.NewCookieStore(hash[:], block[:])
	st.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   sessionMaxAge,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	st.MaxAge(sessionMaxAge)
	return &Sessions{store: st, svc: svc, now: now, log: log, cache: map[string]Session{}}, nil
}

// UserID returns the id of the signed-in user, if the cookie names a
// session the store holds.
func (s *Sessions) UserID(r *http.Request) (int64, bool) {
	c, ok := s.Current(r)
	return c.UserID, ok
}

// Current returns the request's session, if the cookie names one the
// store holds and it has not expired. Old cookies that hold a user id
// instead of a session token are not sessions.
func (s *Sessions) Current(r *http.Request) (Session, bool) {
	ck, err := r.Cookie(sessionName)
	if err != nil {
		return Session{}, false
	}
	now := s.now()
	s.mu.Lock()
	c, hit := s.cache[ck.Value]
	s.mu.Unlock()
	if hit && now.Sub(c.checked) < sessionRecheck && now.Before(c.expires) {
		return c, true
	}
	token, ok := s.Token(r)
	if !ok {
		return Session{}, false
	}
	sess, err := s.svc.FindSession(r.Context(), token)
	if err != nil {
		if opslab.ErrorCode(err) != opslab.ENOTFOUND {
			s.log.Error("find session", "err", err)
		}
		s.mu.Lock()
		delete(s.cache, ck.Value)
		s.mu.Unlock()
		return Session{}, false
	}
	if now.Sub(sess.LastSeenAt) >= sessionRecheck {
		if err := s.svc.TouchSession(r.Context(), sess.ID); err != nil {
			s.log.Error("touch session", "err", err)
		}
	}
	c = Session{ID: sess.ID, UserID: sess.UserID, checked: now, expires: sess.ExpiresAt}
	s.mu.Lock()
	if len(s.cache) >= maxCachedSessions {
		s.cache = map[string]Session{}
	}
	s.cache[ck.Value] = c
	s.mu.Unlock()
	return c, true
}

// Token decodes the session token from the request's cookie.
func (s *Sessions) Token(r *http.Request) (string, bool) {
	sess, err := s.store.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return "", false
	}
	token, ok := sess.Values["sid"].(string)
	return token, ok && token != ""
}

// SignIn starts a fresh session for the user in the store and names it in
// the cookie. Now and then it also deletes the expired sessions.
func (s *Sessions) SignIn(w http.ResponseWriter, r *http.Request, uid int64) error {
	now := s.now()
	s.mu.Lock()
	sweep := now.Sub(s.lastSweep) >= sessionSweepEvery
	if sweep {
		s.lastSweep = now
	}
	s.mu.Unlock()
	if sweep {
		if _, err := s.svc.DeleteExpiredSessions(r.Context()); err != nil {
			s.log.Error("delete expired sessions", "err", err)
		}
	}
	token := opslab.NewToken()
	if _, err := s.svc.CreateSession(r.Context(), opslab.NewSession{UserID: uid, Token: token,
		ExpiresAt: now.Add(sessionMaxAge * time.Second), UserAgent: r.UserAgent(), ClientAddr: ClientIP(r)}); err != nil {
		return fmt.Errorf("sign in: %w", err)
	}
	sess, _ := s.store.New(r, sessionName)
	sess.Values = map[any]any{"sid": token}
	if err := sess.Save(r, w); err != nil {
		return fmt.Errorf("save session cookie: %w", err)
	}
	return nil
}

// SignOut ends the request's session in the store, at once for this
// server, and expires the cookie.
func (s *Sessions) SignOut(w http.ResponseWriter, r *http.Request) {
	s.EndCurrent(r)
	sess, _ := s.store.New(r, sessionName)
	sess.Options.MaxAge = -1
	_ = sess.Save(r, w)
}

// EndCurrent ends the request's session, if any, in the store and for
// this server at once; the cookie stays as it is.
func (s *Sessions) EndCurrent(r *http.Request) {
	c, ok := s.Current(r)
	if !ok {
		return
	}
	if err := s.svc.DeleteSession(r.Context(), c.UserID, c.ID); err != nil && opslab.ErrorCode(err) != opslab.ENOTFOUND {
		s.log.Error("end session", "err", err)
	}
	s.Forget(func(e Session) bool { return e.ID == c.ID })
}

// Forget drops the cached sessions f selects, after they were ended.
func (s *Sessions) Forget(f func(Session) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.cache {
		if f(e) {
			delete(s.cache, k)
		}
	}
}

// ForgetUser drops the user's cached sessions but keep (0: all).
func (s *Sessions) ForgetUser(uid, keep int64) {
	s.Forget(func(e Session) bool { return e.UserID == uid && e.ID != keep })
}
