package kit

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// passwordSetter is the part of a user store that replaces a password
// (sqlite.UserService has it).
type passwordSetter interface {
	SetPassword(ctx context.Context, userID int64, password string) error
}

// memorySessions is an opslab.SessionService held in memory, for a server
// built without server.Config.Sessions (tests). Its sessions end with the process.
// Passwords go to users when it can set them.
type memorySessions struct {
	users opslab.UserService
	now   func() time.Time

	mu       sync.Mutex
	nextID   int64
	sessions map[string]*opslab.Session // by token hash
	resets   map[string]*memoryReset    // by token hash
}

type memoryReset struct {
	userID  int64
	expires time.Time
	used    bool
}

var _ opslab.SessionService = (*memorySessions)(nil)

// NewMemorySessions returns an empty in-memory session store; passwords
// changed through it go to users when users can set them.
func NewMemorySessions(users opslab.UserService, now func() time.Time) opslab.SessionService {
	return &memorySessions{users: users, now: now, sessions: map[string]*opslab.Session{}, resets: map[string]*memoryReset{}}
}

func (m *memorySessions) CreateSession(_ context.Context, n opslab.NewSession) (*opslab.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	now := m.now().UTC()
	s := &opslab.Session{ID: m.nextID, UserID: n.UserID, CreatedAt: now, LastSeenAt: now, ExpiresAt: n.ExpiresAt,
		UserAgent: n.UserAgent, ClientAddr: n.ClientAddr}
	m.sessions[string(opslab.HashToken(n.Token))] = s
	c := *s
	return &c, nil
}

func (m *memorySessions) FindSession(_ context.Context, token string) (*opslab.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := string(opslab.HashToken(token))
	s, ok := m.sessions[key]
	if !ok {
		return nil, ErrNoSession()
	}
	if !m.now().Before(s.ExpiresAt) {
		delete(m.sessions, key)
		return nil, ErrNoSession()
	}
	c := *s
	return &c, nil
}

// ErrNoSession is the answer for a session that is not there (or not the
// user's).
func ErrNoSession() error { return opslab.Errorf(opslab.ENOTFOUND, "There is no such session.") }

func (m *memorySessions) TouchSession(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sessions {
		if s.ID == id {
			s.LastSeenAt = m.now().UTC()
		}
	}
	return nil
}

func (m *memorySessions) ListSessions(_ context.Context, userID int64) ([]*opslab.Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := []*opslab.Session{}
	now := m.now()
	for _, s := range m.sessions {
		if s.UserID == userID && now.Before(s.ExpiresAt) {
			c := *s
			list = append(list, &c)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].ID > list[j].ID })
	return list, nil
}

// deleteIf removes the sessions f selects; the caller holds mu.
func (m *memorySessions) deleteIf(f func(*opslab.Session) bool) int {
	n := 0
	for k, s := range m.sessions {
		if f(s) {
			delete(m.sessions, k)
			n++
		}
	}
	return n
}

func (m *memorySessions) DeleteSession(_ context.Context, userID, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.deleteIf(func(s *opslab.Session) bool { return s.ID == id && s.UserID == userID }) == 0 {
		return ErrNoSession()
	}
	return nil
}

func (m *memorySessions) DeleteUserSessions(_ context.Context, userID, keep int64) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deleteIf(func(s *opslab.Session) bool { return s.UserID == userID && s.ID != keep }), nil
}

func (m *memorySessions) DeleteExpiredSessions(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	return m.deleteIf(func(s *opslab.Session) bool { return !now.Before(s.ExpiresAt) }), nil
}

// setPassword sets the password through users, or reports that it cannot.
func (m *memorySessions) setPassword(ctx context.Context, userID int64, password string) error {
	if err := opslab.ValidatePassword(password); err != nil {
		return err
	}
	ps, ok := m.users.(passwordSetter)
	if !ok {
		return opslab.Errorf(opslab.EUNAVAILABLE, "Passwords cannot be changed on this server.")
	}
	return ps.SetPassword(ctx, userID, password)
}

func (m *memorySessions) ChangePassword(ctx context.Context, userID int64, password string, keep int64) error {
	if err := m.setPassword(ctx, userID, password); err != nil {
		return err
	}
	_, err := m.DeleteUserSessions(ctx, userID, keep)
	return err
}

func (m *memorySessions) CreateResetLink(_ context.Context, userID int64, token string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, r := range m.resets {
		if r.userID == userID {
			delete(m.resets, k)
		}
	}
	m.resets[string(opslab.HashToken(token))] = &memoryReset{userID: userID, expires: expires}
	return nil
}

func (m *memorySessions) CheckResetLink(_ context.Context, token string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.resets[string(opslab.HashToken(token))]
	if !ok || r.used || !m.now().Before(r.expires) {
		return 0, opslab.ErrResetLinkInvalid()
	}
	return r.userID, nil
}

func (m *memorySessions) UseResetLink(ctx context.Context, token, password string) (int64, error) {
	uid, err := m.CheckResetLink(ctx, token)
	if err != nil {
		return 0, err
	}
	if err := m.setPassword(ctx, uid, password); err != nil {
		return 0, err
	}
	m.mu.Lock()
	if r, ok := m.resets[string(opslab.HashToken(token))]; ok {
		r.used = true
	}
	m.mu.Unlock()
	_, err = m.DeleteUserSessions(ctx, uid, 0)
	return uid, err
}
