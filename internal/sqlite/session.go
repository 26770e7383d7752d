package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opslab/opslab/internal/opslab"
)

// SessionService stores sessions and password reset links in the sessions
// and password_resets tables, keeping only the SHA-256 of every token. It
// implements opslab.SessionService; its clock is the database's Now.
type SessionService struct {
	db    *DB
	users *UserService // for the bcrypt cost of new password hashes
}

var _ opslab.SessionService = (*SessionService)(nil)

// NewSessionService returns a SessionService over db that hashes new
// passwords at the cost users uses.
func NewSessionService(db *DB, users *UserService) *SessionService {
	return &SessionService{db: db, users: users}
}

// maxUserAgent bounds the stored user agent.
const maxUserAgent = 300

const sessionColumns = `id, user_id, created_at, last_seen_at, expires_at, user_agent, client_addr`

func scanSession(row scanner) (*opslab.Session, error) {
	var s opslab.Session
	var created, seen, expires string
	if err := row.Scan(&s.ID, &s.UserID, &created, &seen, &expires, &s.UserAgent, &s.ClientAddr); err != nil {
		return nil, err
	}
	var err error
	if s.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if s.LastSeenAt, err = parseTime(seen); err != nil {
		return nil, err
	}
	if s.ExpiresAt, err = parseTime(expires); err != nil {
		return nil, err
	}
	return &s, nil
}

// CreateSession stores the session under the hash of n.Token. ENOTFOUND
// for an unknown user.
func (s *SessionService) CreateSession(ctx context.Context, n opslab.NewSession) (*opslab.Session, error) {
	if n.Token == "" {
		return nil, fmt.Errorf("create session: empty token")
	}
	ua := n.UserAgent
	if len(ua) > maxUserAgent {
		ua = ua[:maxUserAgent]
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	defer tx.Rollback()
	sess := &opslab.Session{UserID: n.UserID, CreatedAt: tx.now, LastSeenAt: tx.now, ExpiresAt: n.ExpiresAt.UTC(),
		UserAgent: ua, ClientAddr: n.ClientAddr}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, user_agent, client_addr)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		opslab.HashToken(n.Token), n.UserID, formatTime(tx.now), formatTime(tx.now), formatTime(sess.ExpiresAt), ua, n.ClientAddr)
	if err != nil {
		return nil, wrap("create session", mapUserFK(err, n.UserID))
	}
	if sess.ID, err = res.LastInsertId(); err != nil {
		return nil, fmt.Errorf("create session: %w", err)
	}
	if err := tx.commit("create session"); err != nil {
		return nil, err
	}
	return sess, nil
}

func errNoSession() error { return opslab.Errorf(opslab.ENOTFOUND, "There is no such session.") }

// FindSession returns the unexpired session of the token, or ENOTFOUND;
// an expired one is deleted.
func (s *SessionService) FindSession(ctx context.Context, token string) (*opslab.Session, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	sess, err := scanSession(tx.QueryRowContext(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE token_hash = ?`, opslab.HashToken(token)))
	tx.Rollback()
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoSession()
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	if !tx.now.Before(sess.ExpiresAt) {
		if _, err := s.deleteWhere(ctx, "find session: delete expired", `id = ?`, sess.ID); err != nil {
			return nil, err
		}
		return nil, errNoSession()
	}
	return sess, nil
}

// TouchSession sets the session's last use to now.
func (s *SessionService) TouchSession(ctx context.Context, id int64) error {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, formatTime(tx.now), id); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return tx.commit("touch session")
}

// ListSessions returns the user's unexpired sessions, newest first.
func (s *SessionService) ListSessions(ctx context.Context, userID int64) ([]*opslab.Session, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC, id DESC`, userID, formatTime(tx.now))
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	defer rows.Close()
	list := []*opslab.Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("list sessions: scan: %w", err)
		}
		list = append(list, sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	return list, nil
}

// DeleteSession ends the user's session id, or returns ENOTFOUND.
func (s *SessionService) DeleteSession(ctx context.Context, userID, id int64) error {
	n, err := s.deleteWhere(ctx, "delete session", `id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return err
	}
	if n == 0 {
		return errNoSession()
	}
	return nil
}

// DeleteUserSessions ends the user's sessions but keep.
func (s *SessionService) DeleteUserSessions(ctx context.Context, userID, keep int64) (int, error) {
	return s.deleteWhere(ctx, "delete user sessions", `user_id = ? AND id != ?`, userID, keep)
}

// DeleteExpiredSessions removes the sessions whose expiry has passed.
func (s *SessionService) DeleteExpiredSessions(ctx context.Context) (int, error) {
	return s.deleteWhere(ctx, "delete expired sessions", `expires_at <= ?`, formatTime(s.db.Now()))
}

// deleteWhere deletes the sessions matching the condition in its own
// transaction and returns how many.
func (s *SessionService) deleteWhere(ctx context.Context, op, cond string, args ...any) (int, error) {
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	defer tx.Rollback()
	n, err := deleteSessions(ctx, tx, cond, args...)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", op, err)
	}
	return n, tx.commit(op)
}

func deleteSessions(ctx context.Context, tx *tx, cond string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+cond, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// hashPassword validates and hashes a new password, before any transaction
// begins (bcrypt is slow on purpose).
func (s *SessionService) hashPassword(password string) ([]byte, error) {
	if err := opslab.ValidatePassword(password); err != nil {
		return nil, err
	}
	cost := bcrypt.DefaultCost
	if s.users != nil {
		cost = s.users.cost()
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	if err != nil {
		return nil, fmt.Errorf("hash password: %w", err)
	}
	return hash, nil
}

// setPassword replaces the user's hash in tx; ENOTFOUND for an unknown user.
func setPassword(ctx context.Context, tx *tx, userID int64, hash []byte) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, string(hash), userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return errUnknownUser(userID)
	}
	return nil
}

// ChangePassword sets the password and ends the user's other sessions in
// one transaction.
func (s *SessionService) ChangePassword(ctx context.Context, userID int64, password string, keep int64) error {
	hash, err := s.hashPassword(password)
	if err != nil {
		return wrap("change password", err)
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	defer tx.Rollback()
	if err := setPassword(ctx, tx, userID, hash); err != nil {
		return wrap("change password", err)
	}
	if _, err := deleteSessions(ctx, tx, `user_id = ? AND id != ?`, userID, keep); err != nil {
		return fmt.Errorf("change password: end sessions: %w", err)
	}
	return tx.commit("change password")
}

// CreateResetLink stores the token's hash and deletes the user's older links.
func (s *SessionService) CreateResetLink(ctx context.Context, userID int64, token string, expires time.Time) error {
	if token == "" {
		return fmt.Errorf("create reset link: empty token")
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return fmt.Errorf("create reset link: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("create reset link: void older: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		opslab.HashToken(token), userID, formatTime(tx.now), formatTime(expires)); err != nil {
		return wrap("create reset link", mapUserFK(err, userID))
	}
	return tx.commit("create reset link")
}

// resetUser returns the user of a usable token in tx, or ErrResetLinkInvalid.
func resetUser(ctx context.Context, tx *tx, token string) (int64, error) {
	var uid int64
	err := tx.QueryRowContext(ctx, `SELECT user_id FROM password_resets
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?`,
		opslab.HashToken(token), formatTime(tx.now)).Scan(&uid)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, opslab.ErrResetLinkInvalid()
	} else if err != nil {
		return 0, err
	}
	return uid, nil
}

// CheckResetLink returns the user a usable token resets.
func (s *SessionService) CheckResetLink(ctx context.Context, token string) (int64, error) {
	tx, err := s.db.beginRead(ctx)
	if err != nil {
		return 0, fmt.Errorf("check reset link: %w", err)
	}
	defer tx.Rollback()
	uid, err := resetUser(ctx, tx, token)
	if err != nil {
		return 0, wrap("check reset link", err)
	}
	return uid, nil
}

// UseResetLink sets the password, marks the token used and ends every
// session of its user in one transaction.
func (s *SessionService) UseResetLink(ctx context.Context, token, password string) (int64, error) {
	if _, err := s.CheckResetLink(ctx, token); err != nil {
		return 0, err // an invalid link is the answer, before any password complaint
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return 0, wrap("use reset link", err)
	}
	tx, err := s.db.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("use reset link: %w", err)
	}
	defer tx.Rollback()
	// Checked again under the write lock: two uses at once, one wins.
	uid, err := resetUser(ctx, tx, token)
	if err != nil {
		return 0, wrap("use reset link", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE password_resets SET used_at = ? WHERE token_hash = ?`,
		formatTime(tx.now), opslab.HashToken(token)); err != nil {
		return 0, fmt.Errorf("use reset link: mark used: %w", err)
	}
	if err := setPassword(ctx, tx, uid, hash); err != nil {
		return 0, wrap("use reset link", err)
	}
	if _, err := deleteSessions(ctx, tx, `user_id = ?`, uid); err != nil {
		return 0, fmt.Errorf("use reset link: end sessions: %w", err)
	}
	if err := tx.commit("use reset link"); err != nil {
		return 0, err
	}
	return uid, nil
}
