package server

import (
	"context"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// viewInterval is how often one learner's views of one lesson are written:
// "last activity" is kept to the minute, and a reload costs no write.
const viewInterval = time.Minute

type viewKey struct {
	user int64
	opslab.LessonKey
}

// viewRecorder remembers when each view was last written.
type viewRecorder struct {
	mu   sync.Mutex
	last map[viewKey]time.Time
}

// recordView writes a lesson view unless the same learner's view of the
// same lesson was written less than viewInterval ago.
func (s *Server) recordView(ctx context.Context, userID int64, k opslab.LessonKey) error {
	now := s.cfg.Now()
	key := viewKey{userID, k}
	s.viewsSeen.mu.Lock()
	if s.viewsSeen.last == nil || len(s.viewsSeen.last) > 100000 {
		s.viewsSeen.last = map[viewKey]time.Time{}
	}
	last, ok := s.viewsSeen.last[key]
	fresh := ok && now.Sub(last) < viewInterval
	if !fresh {
		s.viewsSeen.last[key] = now
	}
	s.viewsSeen.mu.Unlock()
	if fresh {
		return nil
	}
	err := s.cfg.Progress.RecordView(ctx, userID, k)
	s.forgetProgress(userID)
	if err != nil {
		s.viewsSeen.mu.Lock()
		delete(s.viewsSeen.last, key)
		s.viewsSeen.mu.Unlock()
		return err
	}
	s.metrics.progressEvent("view")
	return nil
}
