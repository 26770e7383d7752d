package sandbox

import (
	"context"
	"errors"
	"sync"
	"time"
)

// MaxWarm is the largest warm pool a kind may have.
const MaxWarm = 64

// pool holds warm sandboxes: started with Owner 0 and Lesson PoolLesson,
// recorded (so a crash removes them), and handed to the first learner whose
// start needs one of their kind. Run refills it in the background.
type pool struct {
	kick chan struct{} // a claim asks Run to refill

	mu      sync.Mutex
	ready   map[Kind][]Instance
	filling map[Kind]int
	closed  bool
	wg      sync.WaitGroup // starts under way
}

func newPool() pool {
	return pool{kick: make(chan struct{}, 1), ready: map[Kind][]Instance{}, filling: map[Kind]int{}}
}

// Warm returns how many warm sandboxes of kind are ready to claim.
func (m *Manager) Warm(kind Kind) int {
	m.pool.mu.Lock()
	defer m.pool.mu.Unlock()
	return len(m.pool.ready[kind])
}

// claimWarm hands spec's learner a warm sandbox of spec's kind, if one is
// ready and alive, as theirs: its Spec takes spec's owner and lesson (its
// id stays) and its StartedAt is now, so the lifetime counts from the
// claim. It reports false when none is ready.
func (m *Manager) claimWarm(ctx context.Context, spec Spec) (Instance, bool) {
	for {
		m.pool.mu.Lock()
		list := m.pool.ready[spec.Kind]
		if len(list) == 0 {
			m.pool.mu.Unlock()
			return Instance{}, false
		}
		inst := list[0]
		m.pool.ready[spec.Kind] = list[1:]
		m.pool.mu.Unlock()
		m.kickPool()

		if !m.alive(ctx, inst.Spec.ID) {
			m.stopWarm(ctx, inst, StopDead)
			continue
		}
		inst.Spec.Owner, inst.Spec.Lesson = spec.Owner, spec.Lesson
		inst.StartedAt = time.Now()
		return inst, true
	}
}

// kickPool asks Run to refill the pool, without waiting.
func (m *Manager) kickPool() {
	select {
	case m.pool.kick <- struct{}{}:
	default:
	}
}

// fillPool starts, in the background, as many warm sandboxes as each kind
// lacks. A failed start is logged and retried on the next call.
func (m *Manager) fillPool(ctx context.Context) {
	for kind, want := range m.cfg.Warm {
		m.pool.mu.Lock()
		missing := want - len(m.pool.ready[kind]) - m.pool.filling[kind]
		if m.pool.closed || m.isClosed() {
			missing = 0
		}
		if missing > 0 {
			m.pool.filling[kind] += missing
			m.pool.wg.Add(missing)
		}
		m.pool.mu.Unlock()
		for range max(missing, 0) {
			go m.startWarm(context.WithoutCancel(ctx), kind)
		}
	}
}

// startWarm starts one warm sandbox of kind and adds it to the pool.
func (m *Manager) startWarm(ctx context.Context, kind Kind) {
	defer m.pool.wg.Done()
	spec := Spec{ID: NewID(kind, 0), Kind: kind, Lesson: PoolLesson, MaxMemoryBytes: m.cfg.MaxMemoryBytes}
	begin := time.Now()
	inst, err := m.driver.Start(ctx, spec)
	m.cfg.Observer.OnStart(kind, m.driver.Name(), time.Since(begin), err)
	if err == nil {
		if err = m.records.Put(ctx, NewRecord(inst)); err != nil {
			m.stopWarm(ctx, inst, StopShutdown)
		}
	}
	m.pool.mu.Lock()
	m.pool.filling[kind]--
	closed := m.pool.closed
	if err == nil && !closed {
		m.pool.ready[kind] = append(m.pool.ready[kind], inst)
	}
	m.pool.mu.Unlock()
	switch {
	case err != nil:
		m.cfg.Logger.Warn("start warm sandbox", "kind", kind, "err", err)
	case closed:
		m.stopWarm(ctx, inst, StopShutdown)
	}
}

// stopWarm stops an unclaimed warm sandbox and forgets its record.
func (m *Manager) stopWarm(ctx context.Context, inst Instance, reason StopReason) {
	stopCtx, cancel := m.stopContext(ctx)
	defer cancel()
	if err := m.driver.Stop(stopCtx, inst.Spec.ID); err != nil && !errors.Is(err, ErrNotFound) {
		m.cfg.Logger.Error("stop warm sandbox", "id", inst.Spec.ID, "err", err)
		return
	}
	m.cfg.Observer.OnStop(inst.Spec.Kind, m.driver.Name(), reason, time.Since(inst.StartedAt))
	if err := m.records.Delete(stopCtx, inst.Spec.ID); err != nil {
		m.cfg.Logger.Warn("delete warm sandbox record", "id", inst.Spec.ID, "err", err)
	}
}

// drainPool closes the pool, waits for starts under way and stops every
// warm sandbox.
func (m *Manager) drainPool(ctx context.Context) {
	m.pool.mu.Lock()
	m.pool.closed = true
	m.pool.mu.Unlock()
	m.pool.wg.Wait()
	m.pool.mu.Lock()
	var all []Instance
	for k, list := range m.pool.ready {
		all = append(all, list...)
		delete(m.pool.ready, k)
	}
	m.pool.mu.Unlock()
	for _, inst := range all {
		m.stopWarm(ctx, inst, StopShutdown)
	}
}
