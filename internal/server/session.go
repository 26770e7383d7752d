package server

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"

	"github.com/gorilla/sessions"
)

const sessionName = "opslab_session"

// sessionMaxAge is how long a sign-in lasts, in seconds.
const sessionMaxAge = 30 * 24 * 3600

// sessionStore keeps the signed-in user's id in a signed, encrypted cookie.
type sessionStore struct {
	store *sessions.CookieStore
}

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
	return &sessionStore{store: st}, nil
}

// userID returns the id of the signed-in user, if the cookie is valid.
func (s *sessionStore) userID(r *http.Request) (int64, bool) {
	sess, err := s.store.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return 0, false
	}
	id, ok := sess.Values["uid"].(int64)
	return id, ok && id > 0
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
