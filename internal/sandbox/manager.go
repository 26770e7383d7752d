package sandbox

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// Manager owns the lifecycle of every sandbox: one per (learner, lesson,
// kind), started on first use, reused while alive, replaced when its server
// died, stopped when idle, too old, released or at shutdown, and recorded so
// that a restarted platform removes what a crashed one left (Recover).
// It is safe for concurrent use; starting one learner's sandbox never waits
// for another's.
type Manager struct {
	driver  Driver
	records Records
	cfg     Config

	mu       sync.Mutex
	closed   bool
	slots    map[slotKey]*slot
	perOwner map[int64]int // reserved slots per learner
	perKind  map[Kind]int  // reserved slots per kind
	perUnits map[Kind]int  // reserved servers per family (Kind.Weight)
	live     map[string]bool

	pool pool // warm sandboxes, ready to claim
}

// NewManager returns a Manager that runs sandboxes with driver and records
// them in records (nil keeps no records: only the driver's own listing (List)
// then guides Recover). It returns an error wrapping ErrInvalid for a bad
// cfg. Call Recover once before the first Acquire, and Run to reap.
func NewManager(driver Driver, records Records, cfg Config) (*Manager, error) {
	if driver == nil {
		return nil, fmt.Errorf("%w: sandbox manager needs a driver", ErrInvalid)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new sandbox manager: %w", err)
	}
	if records == nil {
		records = nopRecords{}
	}
	return &Manager{
		driver:   driver,
		records:  records,
		cfg:      cfg,
		slots:    make(map[slotKey]*slot),
		perOwner: make(map[int64]int),
		perKind:  make(map[Kind]int),
		perUnits: make(map[Kind]int),
		live:     make(map[string]bool),
		pool:     newPool(),
	}, nil
}

// Acquire returns the learner's sandbox of kind for lesson, starting one if
// none runs; created reports a start. If the previous sandbox's server had
// died, a fresh one replaces it and its Instance.Restarts is above zero:
// tell the learner their data is gone. A sandbox past its max lifetime is
// replaced too. Acquire counts as a use (see Touch).
//
// Errors wrap ErrInvalid for bad arguments, ErrCapacity (a *CapacityError,
// with a sentence for the learner and a retry delay) when a cap is reached,
// ErrClosed after StopAll, or whatever the driver returned.
func (m *Manager) Acquire(ctx context.Context, owner int64, lesson opslab.LessonKey, kind Kind) (Instance, bool, error) {
	return m.acquire(ctx, "acquire", owner, lesson, kind, "")
}

// StopStuck is the reason Replace stops a sandbox: its server still ran
// but had stopped answering (a script that never ends), so a fresh one
// replaces it.
const StopStuck StopReason = "stuck"

// Replace is Acquire after stopping the learner's sandbox of kind for
// lesson if it is still the sandbox id: for a sandbox whose server runs
// but no longer answers (a script that never ends, a hung broker), which
// Acquire would keep reusing. The fresh sandbox it then starts has
// created true and counts the replacement in Instance.Restarts, as one
// replacing a dead sandbox does; the slot keeps its place under the caps
// meanwhile.
//
// If id no longer runs there (a concurrent Replace, a Release or the
// reaper got there first), Replace stops nothing and returns what Acquire
// would: so two callers that saw the same stuck sandbox replace it once.
// Errors are those of Acquire, or the driver's when the stop failed (the
// stuck sandbox then still counts as running).
func (m *Manager) Replace(ctx context.Context, owner int64, lesson opslab.LessonKey, kind Kind, id string) (Instance, bool, error) {
	if id == "" {
		return Instance{}, false, fmt.Errorf("replace %s sandbox: %w: no sandbox id", kind, ErrInvalid)
	}
	return m.acquire(ctx, "replace", owner, lesson, kind, id)
}

// acquire does Acquire (op "acquire") and Replace (op "replace"): with a
// non-empty stuck, the slot's sandbox is first stopped if its id is stuck.
func (m *Manager) acquire(ctx context.Context, op string, owner int64, lesson opslab.LessonKey, kind Kind, stuck string) (Instance, bool, error) {
	key, err := newSlotKey(owner, lesson, kind)
	if err != nil {
		return Instance{}, false, fmt.Errorf("%s sandbox: %w", op, err)
	}
	for {
		s, err := m.slotFor(key)
		if err != nil {
			return Instance{}, false, fmt.Errorf("%s %s sandbox: %w", op, kind, err)
		}
		if err := s.lock(ctx); err != nil {
			return Instance{}, false, fmt.Errorf("%s %s sandbox: %w", op, kind, err)
		}
		if s.removed {
			s.unlock()
			continue
		}
		if stuck != "" && s.running && s.inst.Spec.ID == stuck {
			if err := m.stopLocked(ctx, s, StopStuck); err != nil {
				s.unlock()
				return Instance{}, false, fmt.Errorf("%s %s sandbox: %w", op, kind, err)
			}
			s.restarts++
		}
		inst, created, err := m.acquireLocked(ctx, s)
		if !s.running {
			m.drop(s)
		}
		s.unlock()
		if err != nil {
			return Instance{}, false, fmt.Errorf("%s %s sandbox: %w", op, kind, err)
		}
		return inst, created, nil
	}
}

func (m *Manager) acquireLocked(ctx context.Context, s *slot) (Instance, bool, error) {
	now := m.cfg.Now()
	if s.running {
		switch {
		case now.Sub(time.Unix(0, s.startedAt.Load())) >= m.cfg.MaxLifetime:
			if err := m.stopLocked(ctx, s, StopExpired); err != nil {
				return Instance{}, false, err
			}
		case !m.alive(ctx, s.inst.Spec.ID):
			if err := m.stopLocked(ctx, s, StopDead); err != nil {
				return Instance{}, false, err
			}
			s.restarts++
		default:
			s.lastUsed.Store(now.UnixNano())
			return s.inst, false, nil
		}
	}
	if !s.reserved {
		if err := m.reserve(s, now); err != nil {
			return Instance{}, false, err
		}
	} else if m.isClosed() {
		return Instance{}, false, ErrClosed
	}
	inst, err := m.startLocked(ctx, s)
	if err != nil {
		return Instance{}, false, err
	}
	return inst, true, nil
}

// alive reports whether the sandbox id still runs (Driver.Alive).
func (m *Manager) alive(ctx context.Context, id string) bool {
	return m.driver.Alive(ctx, id)
}

// startLocked starts a sandbox for s and records it. On error nothing is
// left running.
func (m *Manager) startLocked(ctx context.Context, s *slot) (Instance, error) {
	spec := Spec{
		ID:             NewID(s.key.kind, s.key.owner),
		Kind:           s.key.kind,
		Owner:          s.key.owner,
		Lesson:         s.key.lesson,
		MaxMemoryBytes: m.cfg.MaxMemoryBytes,
	}
	inst, claimed := m.claimWarm(ctx, spec)
	if claimed {
		spec = inst.Spec
	} else {
		begin := time.Now()
		var err error
		inst, err = m.driver.Start(ctx, spec)
		m.cfg.Observer.OnStart(spec.Kind, m.driver.Name(), time.Since(begin), err)
		if err != nil {
			return Instance{}, fmt.Errorf("start sandbox %s: %w", spec.ID, err)
		}
	}
	// A sandbox without a record could outlive a crash unnoticed, so a
	// failed write undoes the start.
	if err := m.records.Put(ctx, NewRecord(inst)); err != nil {
		stopCtx, cancel := m.stopContext(ctx)
		defer cancel()
		if stopErr := m.driver.Stop(stopCtx, spec.ID); stopErr != nil {
			m.cfg.Logger.Error("stop unrecorded sandbox", "id", spec.ID, "err", stopErr)
		}
		return Instance{}, fmt.Errorf("record sandbox %s: %w", spec.ID, err)
	}
	inst.Restarts = s.restarts
	now := m.cfg.Now().UnixNano()
	s.inst, s.running = inst, true
	s.startedAt.Store(now)
	s.lastUsed.Store(now)
	m.mu.Lock()
	m.live[spec.ID] = true
	m.mu.Unlock()
	return inst, nil
}

// stopLocked stops s's running sandbox and forgets its record. On error the
// sandbox still counts as running, so that a later call tries again.
func (m *Manager) stopLocked(ctx context.Context, s *slot, reason StopReason) error {
	id := s.inst.Spec.ID
	stopCtx, cancel := m.stopContext(ctx)
	defer cancel()
	if err := m.driver.Stop(stopCtx, id); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("stop sandbox %s (%s): %w", id, reason, err)
	}
	lived := m.cfg.Now().Sub(time.Unix(0, s.startedAt.Load()))
	s.running = false
	s.startedAt.Store(0)
	m.mu.Lock()
	delete(m.live, id)
	m.mu.Unlock()
	m.cfg.Observer.OnStop(s.key.kind, m.driver.Name(), reason, lived)
	// A stale record is harmless: Recover finds nothing left to stop.
	if err := m.records.Delete(stopCtx, id); err != nil {
		m.cfg.Logger.Warn("delete sandbox record", "id", id, "err", err)
	}
	return nil
}

// stopContext returns the context for stopping a sandbox: not cancelled
// with ctx, since a half-done stop helps no one, but bounded in time.
func (m *Manager) stopContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), m.cfg.StopTimeout)
}

// Release stops the learner's sandbox of kind for lesson. It returns an
// error wrapping ErrNotFound if none runs.
func (m *Manager) Release(ctx context.Context, owner int64, lesson opslab.LessonKey, kind Kind) error {
	key, err := newSlotKey(owner, lesson, kind)
	if err != nil {
		return fmt.Errorf("release sandbox: %w", err)
	}
	for {
		s := m.existingSlot(key)
		if s == nil {
			return fmt.Errorf("release %s sandbox: %w", kind, ErrNotFound)
		}
		if err := s.lock(ctx); err != nil {
			return fmt.Errorf("release %s sandbox: %w", kind, err)
		}
		if s.removed {
			s.unlock()
			continue
		}
		err := ErrNotFound
		if s.running {
			err = m.stopLocked(ctx, s, StopReleased)
		}
		if !s.running {
			m.drop(s)
		}
		s.unlock()
		if err != nil {
			return fmt.Errorf("release %s sandbox: %w", kind, err)
		}
		return nil
	}
}

// Touch records a use of the learner's sandbox of kind for lesson, so that
// it does not idle out. Call it on every command. It returns an error
// wrapping ErrNotFound if none runs.
func (m *Manager) Touch(owner int64, lesson opslab.LessonKey, kind Kind) error {
	s := m.existingSlot(slotKey{owner: owner, lesson: lesson, kind: kind})
	if s == nil || s.startedAt.Load() == 0 {
		return fmt.Errorf("touch %s sandbox: %w", kind, ErrNotFound)
	}
	s.lastUsed.Store(m.cfg.Now().UnixNano())
	return nil
}

// Running returns how many sandboxes of kind run or are starting.
func (m *Manager) Running(kind Kind) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.perKind[kind]
}

// StopAll stops every sandbox and closes the manager: later Acquires fail
// with ErrClosed. It waits for starts under way and returns the joined
// errors of the stops that failed; their records stay for Recover.
func (m *Manager) StopAll(ctx context.Context) error {
	m.mu.Lock()
	m.closed = true
	slots := m.snapshot()
	m.mu.Unlock()
	m.drainPool(ctx)

	const parallel = 16
	var (
		wg    sync.WaitGroup
		errMu sync.Mutex
		errs  []error
		gate  = make(chan struct{}, parallel)
	)
	for _, s := range slots {
		wg.Add(1)
		gate <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-gate }()
			if err := m.stopSlot(ctx, s, StopShutdown); err != nil {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop all sandboxes: %w", err)
	}
	return nil
}

// stopSlot waits for s's lock and stops its sandbox, if any.
func (m *Manager) stopSlot(ctx context.Context, s *slot, reason StopReason) error {
	if err := s.lock(ctx); err != nil {
		return fmt.Errorf("stop %s sandbox of learner %d: %w", s.key.kind, s.key.owner, err)
	}
	defer s.unlock()
	if s.removed {
		return nil
	}
	var err error
	if s.running {
		err = m.stopLocked(ctx, s, reason)
	}
	if !s.running {
		m.drop(s)
	}
	return err
}

// slotFor returns the slot of key, adding an empty one if needed, or
// ErrClosed.
func (m *Manager) slotFor(key slotKey) (*slot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s := m.slots[key]
	if s == nil {
		s = newSlot(key)
		m.slots[key] = s
	}
	return s, nil
}

// isClosed reports whether StopAll was called.
func (m *Manager) isClosed() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.closed
}

// existingSlot returns the slot of key, or nil.
func (m *Manager) existingSlot(key slotKey) *slot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.slots[key]
}

// snapshot returns every slot; m.mu must be held.
func (m *Manager) snapshot() []*slot {
	slots := make([]*slot, 0, len(m.slots))
	for _, s := range m.slots {
		slots = append(slots, s)
	}
	return slots
}

// drop removes s, which runs nothing, from the manager and gives back its
// share of the caps. The caller holds s's lock.
func (m *Manager) drop(s *slot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.slots[s.key] == s {
		delete(m.slots, s.key)
	}
	if s.reserved {
		s.reserved = false
		if m.perOwner[s.key.owner]--; m.perOwner[s.key.owner] <= 0 {
			delete(m.perOwner, s.key.owner)
		}
		m.perKind[s.key.kind]--
		m.addUnits(s.key.kind, -1)
	}
	s.removed = true
}

// nopRecords is the Records of a Manager that keeps none.
type nopRecords struct{}

func (nopRecords) Put(context.Context, Record) error      { return nil }
func (nopRecords) Delete(context.Context, string) error   { return nil }
func (nopRecords) List(context.Context) ([]Record, error) { return nil, nil }
