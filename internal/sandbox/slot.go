package sandbox

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// slotKey names the one sandbox a learner may have per lesson and kind.
type slotKey struct {
	owner  int64
	lesson opslab.LessonKey
	kind   Kind
}

func newSlotKey(owner int64, lesson opslab.LessonKey, kind Kind) (slotKey, error) {
	if owner <= 0 {
		return slotKey{}, fmt.Errorf("%w: learner id must be positive, got %d", ErrInvalid, owner)
	}
	if err := ValidateLesson(lesson); err != nil {
		return slotKey{}, err
	}
	if !kind.Valid() {
		return slotKey{}, fmt.Errorf("%w: unknown sandbox kind %q", ErrInvalid, kind)
	}
	return slotKey{owner: owner, lesson: lesson, kind: kind}, nil
}

// slot holds the sandbox of one key. Its lock serializes the lifecycle of
// that key only, so a slow start never blocks another learner.
type slot struct {
	key  slotKey
	sema chan struct{} // the slot's lock: a token is held while locked

	// Guarded by the slot's lock.
	removed  bool // dropped from the manager; lock holders must retry
	running  bool
	inst     Instance
	restarts int

	// Written with both the slot's lock and Manager.mu held.
	reserved bool // counts against the caps

	// Read without any lock (Touch, the reaper's pre-check, capacity
	// estimates); Unix nanoseconds of the manager's clock, 0 when unset.
	startedAt atomic.Int64
	lastUsed  atomic.Int64
}

func newSlot(key slotKey) *slot {
	return &slot{key: key, sema: make(chan struct{}, 1)}
}

// lock takes the slot's lock, or returns ctx's error.
func (s *slot) lock(ctx context.Context) error {
	select {
	case s.sema <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// tryLock takes the slot's lock if it is free.
func (s *slot) tryLock() bool {
	select {
	case s.sema <- struct{}{}:
		return true
	default:
		return false
	}
}

func (s *slot) unlock() { <-s.sema }

// freeAt returns when the reaper will stop the slot's sandbox at the
// latest, or false if none is running.
func (s *slot) freeAt(idle, lifetime time.Duration) (time.Time, bool) {
	started, used := s.startedAt.Load(), s.lastUsed.Load()
	if started == 0 {
		return time.Time{}, false
	}
	at := time.Unix(0, used).Add(idle)
	if end := time.Unix(0, started).Add(lifetime); end.Before(at) {
		at = end
	}
	return at, true
}
