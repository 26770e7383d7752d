package server

import (
	"sync"
	"time"
)

// Throttle counts failures per key in a sliding window and refuses a key
// that reached the limit until its oldest failure leaves the window.
type Throttle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	hits   map[string][]time.Time
	sweeps int
}

// NewThrottle allows limit failures per key within window.
func NewThrottle(limit int, window time.Duration, now func() time.Time) *Throttle {
	return &Throttle{limit: limit, window: window, now: now, hits: map[string][]time.Time{}}
}

// Allow reports whether key may try again; if not, retryAfter says when.
func (t *Throttle) Allow(key string) (ok bool, retryAfter time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hs := t.prune(key)
	if len(hs) < t.limit {
		return true, 0
	}
	wait := hs[0].Add(t.window).Sub(t.now())
	if wait < time.Second {
		wait = time.Second
	}
	return false, wait
}

// Fail records a failure for key.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hits[key] = append(t.prune(key), t.now())
	t.sweeps++
	if t.sweeps >= 1000 {
		t.sweeps = 0
		for k := range t.hits {
			t.prune(k)
		}
	}
}

// Reset forgets key's failures (after a success).
func (t *Throttle) Reset(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.hits, key)
}

// prune drops key's failures older than the window; the caller holds mu.
func (t *Throttle) prune(key string) []time.Time {
	hs := t.hits[key]
	cut := t.now().Add(-t.window)
	i := 0
	for i < len(hs) && !hs[i].After(cut) {
		i++
	}
	hs = hs[i:]
	if len(hs) == 0 {
		delete(t.hits, key)
		return nil
	}
	t.hits[key] = hs
	return hs
}
