package sandbox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// adopt takes over the sandbox rec describes, if the driver adopts its
// kind (Capabilities.Adopts) and started it, it belongs to a learner, it is due neither to idle out
// nor to expire, and it still runs. It reports whether it did; the caller
// stops what it did not adopt. An adopted sandbox counts against the caps
// like a started one, and keeps its start and last-use times.
func (m *Manager) adopt(ctx context.Context, rec Record) bool {
	if !m.driver.Capabilities(rec.Kind).Adopts || rec.Driver != m.driver.Name() || rec.Lesson == PoolLesson {
		return false
	}
	key, err := newSlotKey(rec.Owner, rec.Lesson, rec.Kind)
	if err != nil {
		return false
	}
	now := m.cfg.Now()
	used := rec.LastUsed
	if used.IsZero() {
		used = rec.StartedAt
	}
	if now.Sub(rec.StartedAt) >= m.cfg.MaxLifetime || now.Sub(used) >= m.cfg.IdleTimeout {
		return false
	}
	inst, err := m.driver.Adopt(ctx, rec)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			m.cfg.Logger.Warn("adopt sandbox", "id", rec.ID, "err", err)
		}
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.slots[key] != nil || m.live[rec.ID] {
		return false
	}
	s := newSlot(key)
	s.inst, s.running, s.reserved = inst, true, true
	s.startedAt.Store(rec.StartedAt.UnixNano())
	s.lastUsed.Store(used.UnixNano())
	m.slots[key] = s
	m.live[rec.ID] = true
	m.perOwner[key.owner]++
	m.perKind[key.kind]++
	m.addUnits(key.kind, 1)
	m.cfg.Logger.Info("adopted sandbox", "id", rec.ID, "kind", rec.Kind, "owner", rec.Owner)
	return true
}

// Detach closes the manager like StopAll but leaves the learners'
// sandboxes running, for the next run of the platform to adopt (see
// Recover): each one's record is saved with its last use, so its idle
// timeout holds across the restart. Warm sandboxes are stopped. Use it at
// shutdown with a driver whose sandboxes outlive the process (one that
// adopts some kind, see Capabilities); with any other driver it is StopAll.
func (m *Manager) Detach(ctx context.Context) error {
	if !m.adopts() {
		return m.StopAll(ctx)
	}
	m.mu.Lock()
	m.closed = true
	slots := m.snapshot()
	m.mu.Unlock()
	m.drainPool(ctx)

	var errs []error
	for _, s := range slots {
		if err := s.lock(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		if s.running && !s.removed {
			rec := NewRecord(s.inst)
			rec.StartedAt = time.Unix(0, s.startedAt.Load())
			rec.LastUsed = time.Unix(0, s.lastUsed.Load())
			if err := m.records.Put(ctx, rec); err != nil {
				errs = append(errs, fmt.Errorf("save sandbox %s for the next run: %w", rec.ID, err))
			}
		}
		s.unlock()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("detach sandboxes: %w", err)
	}
	return nil
}
