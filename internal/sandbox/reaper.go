package sandbox

import (
	"context"
	"time"
)

// Run stops idle and expired sandboxes every ReapInterval, and keeps the
// warm pool filled, until ctx is done. Start it once, in its own goroutine.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.ReapInterval)
	defer t.Stop()
	m.fillPool(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.Reap(ctx)
			m.fillPool(ctx)
		case <-m.pool.kick:
			m.fillPool(ctx)
		}
	}
}

// Reap stops, once, every sandbox unused for longer than IdleTimeout or
// started longer than MaxLifetime ago, and returns how many it stopped. It
// skips sandboxes busy starting or stopping; failures are logged and
// retried on the next call.
func (m *Manager) Reap(ctx context.Context) int {
	now := m.cfg.Now()
	m.mu.Lock()
	slots := m.snapshot()
	m.mu.Unlock()

	stopped := 0
	for _, s := range slots {
		if m.reason(s, now) == "" || !s.tryLock() {
			continue
		}
		// Checked again under the lock: an Acquire may have used it since.
		if reason := m.reason(s, now); reason != "" && s.running && !s.removed {
			if err := m.stopLocked(ctx, s, reason); err != nil {
				m.cfg.Logger.Error("reap sandbox", "kind", s.key.kind, "owner", s.key.owner, "err", err)
			} else {
				stopped++
			}
			if !s.running {
				m.drop(s)
			}
		}
		s.unlock()
	}
	return stopped
}

// reason returns why s's sandbox is due to stop at now, or "" if it is not
// (or none runs).
func (m *Manager) reason(s *slot, now time.Time) StopReason {
	started := s.startedAt.Load()
	if started == 0 {
		return ""
	}
	switch {
	case now.Sub(time.Unix(0, started)) >= m.cfg.MaxLifetime:
		return StopExpired
	case now.Sub(time.Unix(0, s.lastUsed.Load())) >= m.cfg.IdleTimeout:
		return StopIdle
	}
	return ""
}
