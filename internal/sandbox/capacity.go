package sandbox

import (
	"fmt"
	"time"
)

// DefaultRetryAfter is the retry delay of a CapacityError when no running
// sandbox is due to stop (all of them are still starting).
const DefaultRetryAfter = 30 * time.Second

// reserve counts s against the caps, or returns a *CapacityError (or
// ErrClosed) if a cap is reached. The caller holds s's lock.
func (m *Manager) reserve(s *slot, now time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	key := s.key
	if n := m.perOwner[key.owner]; n >= m.cfg.MaxPerLearner {
		m.cfg.Observer.OnRefuse(key.kind, CapLearner)
		retry := m.retryAfter(now, func(o *slot) bool { return o.key.owner == key.owner })
		return &CapacityError{
			Message: fmt.Sprintf("You already have %d sandboxes running, the most one learner may have. "+
				"Close one you no longer need, or try again in %s when an idle one has stopped.", n, humanDuration(retry)),
			RetryAfter: retry,
		}
	}
	// A single-server kind's own cap is its family's: servers of every
	// kind of the family count (Kind.Weight).
	n, max := m.perKind[key.kind], m.cfg.MaxPerKind[key.kind]
	if key.kind == key.kind.Family() {
		n = m.perUnits[key.kind]
	}
	if n >= max {
		m.cfg.Observer.OnRefuse(key.kind, CapGlobal)
		retry := m.retryAfter(now, func(o *slot) bool { return o.key.kind == key.kind })
		return &CapacityError{
			Message: fmt.Sprintf("All %d %s sandboxes are in use right now. Please try again in %s.",
				max, key.kind.Title(), humanDuration(retry)),
			RetryAfter: retry,
		}
	}
	for _, fam := range key.kind.Families() {
		w := key.kind.Weight(fam)
		if n, max := m.perUnits[fam], m.cfg.MaxPerKind[fam]; key.kind != fam && n+w > max {
			m.cfg.Observer.OnRefuse(key.kind, CapGlobal)
			retry := m.retryAfter(now, func(o *slot) bool { return o.key.kind.HasFamily(fam) })
			return &CapacityError{
				Message: fmt.Sprintf("A %s sandbox needs %s, and too few of the platform's %d are free right now. Please try again in %s.",
					key.kind.Title(), servers(w, fam), max, humanDuration(retry)),
				RetryAfter: retry,
			}
		}
	}
	m.perOwner[key.owner]++
	m.perKind[key.kind]++
	m.addUnits(key.kind, 1)
	s.reserved = true
	return nil
}

// retryAfter estimates when the first reserved slot matching match frees
// up: when its sandbox idles out or expires, whichever is first. m.mu must
// be held. The result is whole seconds, at least one.
func (m *Manager) retryAfter(now time.Time, match func(*slot) bool) time.Duration {
	var first time.Time
	for _, s := range m.slots {
		if !s.reserved || !match(s) {
			continue
		}
		at, ok := s.freeAt(m.cfg.IdleTimeout, m.cfg.MaxLifetime)
		if ok && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	if first.IsZero() {
		return DefaultRetryAfter
	}
	d := first.Sub(now).Round(time.Second)
	if d < time.Second {
		d = time.Second
	}
	return d
}

// humanDuration writes d for a sentence: "a few seconds", "about a minute",
// "about 12 minutes", "about 3 hours".
func humanDuration(d time.Duration) string {
	switch {
	case d < 45*time.Second:
		return "a few seconds"
	case d < 90*time.Second:
		return "about a minute"
	case d < 90*time.Minute:
		return fmt.Sprintf("about %d minutes", int((d+30*time.Second)/time.Minute))
	}
	return fmt.Sprintf("about %d hours", int((d+30*time.Minute)/time.Hour))
}

// addUnits adds sign times kind's servers of each family (Kind.Weight) to
// the servers reserved per family. m.mu must be held.
func (m *Manager) addUnits(kind Kind, sign int) {
	for _, fam := range kind.Families() {
		m.perUnits[fam] += sign * kind.Weight(fam)
	}
}

// servers says "1 Redis server" or "3 Kafka servers".
func servers(n int, fam Kind) string {
	if n == 1 {
		return fmt.Sprintf("1 %s server", fam.Title())
	}
	return fmt.Sprintf("%d %s servers", n, fam.Title())
}
