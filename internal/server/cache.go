package server

import (
	"context"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// userTTL is how long a signed-in user's record is reused between
// requests; a role change takes effect within it.
const userTTL = 30 * time.Second

// maxCached bounds each cache; past it the cache starts over.
const maxCached = 50000

type cachedUser struct {
	user    *opslab.User
	expires time.Time
}

// userCache keeps recently loaded users by id.
type userCache struct {
	mu sync.Mutex
	m  map[int64]cachedUser
}

// findUser returns the user with the given id, from the cache when fresh.
func (s *Server) findUser(ctx context.Context, id int64) (*opslab.User, error) {
	now := s.cfg.Now()
	s.users.mu.Lock()
	c, ok := s.users.m[id]
	s.users.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.user, nil
	}
	u, err := s.cfg.Users.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.users.mu.Lock()
	if s.users.m == nil || len(s.users.m) >= maxCached {
		s.users.m = map[int64]cachedUser{}
	}
	s.users.m[id] = cachedUser{user: u, expires: now.Add(userTTL)}
	s.users.mu.Unlock()
	return u, nil
}
