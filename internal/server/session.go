package server

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/sessions"
)

const sessionName = "opslab_session"

// sessionMaxAge is how long a sign-in lasts, in seconds.
const sessionMaxAge = 30 * 24 * 3600

// sessionStore keeps the signed-in user's id in a signed, encrypted cookie.
type sessionStore struct {
	store *sessions.CookieStore

	// decoded remembers cookies already verified and decoded: decoding
	// (HMAC, AES, gob) is the costliest step of a signed-in request.
	mu      sync.Mutex
	decoded map[string]decodedSession
}

type decodedSession struct {
	uid     int64
	expires time.Time
}

// maxDecoded bounds the decoded-cookie cache; past it the cache restarts.
const maxDecoded = 50000

// newSessionStore derives the signing and encryption keys from key, which
// must hold at least 32 bytes.
func newSessionStore(key []byte, secure bool) (*sessionStore, error) {
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
	return &sessionStore{store: st, decoded: map[string]decodedSession{}}, nil
}

// userID returns the id of the signed-in user, if the cookie is valid.
func (s *sessionStore) userID(r *http.Request) (int64, bool) {
	ck, err := r.Cookie(sessionName)
	if err != nil {
		return 0, false
	}
	now := time.Now()
	s.mu.Lock()
	d, hit := s.decoded[ck.Value]
	s.mu.Unlock()
	if hit && now.Before(d.expires) {
		return d.uid, true
	}
	sess, err := s.store.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return 0, false
	}
	id, ok := sess.Values["uid"].(int64)
	if !ok || id <= 0 {
		return 0, false
	}
	s.mu.Lock()
	if len(s.decoded) >= maxDecoded {
		s.decoded = map[string]decodedSession{}
	}
	// Re-verify at least every ten minutes so that expiry still applies.
	s.decoded[ck.Value] = decodedSession{uid: id, expires: now.Add(10 * time.Minute)}
	s.mu.Unlock()
	return id, true
}

// signIn starts a fresh session for the user.
func (s *sessionStore) signIn(w http.ResponseWriter, r *http.Request, uid int64) error {
	sess, _ := s.store.New(r, sessionName)
	sess.Values = map[any]any{"uid": uid}
	if err := sess.Save(r, w); err != nil {
		return fmt.Errorf("save session: %w", err)
	}
	return nil
}

// signOut expires the session cookie.
func (s *sessionStore) signOut(w http.ResponseWriter, r *http.Request) {
	sess, _ := s.store.New(r, sessionName)
	sess.Options.MaxAge = -1
	_ = sess.Save(r, w)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
