package opslab

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"
)

// Session is one signed-in browser or client of an account. Its secret
// token lives only in the person's cookie; the store keeps the token's
// SHA-256, and ID is the public handle the account page shows.
type Session struct {
	ID         int64
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string // as sent when the session began, cut to 300 bytes
	ClientAddr string // the client's address when the session began
}

// NewSession is the input to start a session.
type NewSession struct {
	UserID     int64
	Token      string // the secret, from NewToken
	ExpiresAt  time.Time
	UserAgent  string
	ClientAddr string
}

// NewToken returns a random 256-bit secret, URL-safe base64 encoded, for a
// session or a password reset link.
func NewToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is what a store keeps of a secret token: its SHA-256.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ErrResetLinkInvalid is the one answer to a reset link that is unknown,
// used or expired: the three cases are not told apart.
func ErrResetLinkInvalid() error {
	return Errorf(ENOTFOUND, "This link is not valid any more; ask an administrator for a new one.")
}

// SessionService stores sessions and password reset links, and changes
// passwords together with the sessions a change must end. Every method
// judges expiry by the service's own clock.
type SessionService interface {
	// CreateSession stores a session under the hash of n.Token and returns it.
	CreateSession(ctx context.Context, n NewSession) (*Session, error)
	// FindSession returns the unexpired session whose token is token, or
	// ENOTFOUND. An expired session found this way is deleted.
	FindSession(ctx context.Context, token string) (*Session, error)
	// TouchSession records that the session was used at the service's now.
	TouchSession(ctx context.Context, id int64) error
	// ListSessions returns the user's unexpired sessions, newest first.
	ListSessions(ctx context.Context, userID int64) ([]*Session, error)
	// DeleteSession ends the user's session id; ENOTFOUND if the user has
	// no such session (another user's session is not theirs to end).
	DeleteSession(ctx context.Context, userID, id int64) error
	// DeleteUserSessions ends every session of the user except keep (0
	// keeps none) and returns how many it ended.
	DeleteUserSessions(ctx context.Context, userID, keep int64) (int, error)
	// DeleteExpiredSessions removes every expired session.
	DeleteExpiredSessions(ctx context.Context) (int, error)

	// ChangePassword sets the user's password (EINVALID if
	// ValidatePassword refuses it) and ends every session of the user
	// except keep (0: all), in one step: both happen or neither.
	ChangePassword(ctx context.Context, userID int64, password string, keep int64) error

	// CreateResetLink stores a reset link token for the user, valid until
	// expires, and voids the user's older links. ENOTFOUND for an unknown user.
	CreateResetLink(ctx context.Context, userID int64, token string, expires time.Time) error
	// CheckResetLink returns the user whom the token would reset, or
	// ErrResetLinkInvalid for an unknown, used or expired token.
	CheckResetLink(ctx context.Context, token string) (int64, error)
	// UseResetLink sets the password of the token's user, marks the token
	// used and ends all the user's sessions, in one step, and returns the
	// user id. ErrResetLinkInvalid as CheckResetLink; EINVALID for a
	// password ValidatePassword refuses (the token then stays usable).
	UseResetLink(ctx context.Context, token, password string) (int64, error)
}
