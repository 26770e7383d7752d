package accounts

import (
	"sync"
	"time"
)

// The limits of sign-in and sign-up reserve their slot before the
// expensive work (a bcrypt comparison, an account creation) and settle it
// after: Keep counts the attempt, Return gives the slot back. A slot is
// taken under the limiter's lock, so however many requests run in
// parallel, no more attempts are evaluated than the limit allows.

// Reservation is one attempt's slot in a limiter. Settle it exactly once,
// with Keep or Return; later calls do nothing.
type Reservation struct {
	settle  func(kept bool)
	settled bool
}

// Keep counts the attempt against the limit (a failed sign-in, a sign-up).
func (r *Reservation) Keep() { r.done(true) }

// Return gives the slot back, as if the attempt had not been made.
func (r *Reservation) Return() { r.done(false) }

func (r *Reservation) done(kept bool) {
	if r == nil || r.settled {
		return
	}
	r.settled = true
	r.settle(kept)
}

// sweepEvery is how many reservations pass between sweeps of idle keys.
const sweepEvery = 1000

// Window allows limit kept attempts per key within a sliding window;
// attempts reserved and not yet settled count too.
type Window struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	keys   map[string]*windowKey
	sweeps int
}

type windowKey struct {
	kept    []time.Time // oldest first, all within the window
	pending int
}

// NewWindow allows limit attempts per key within window.
func NewWindow(limit int, window time.Duration, now func() time.Time) *Window {
	return &Window{limit: limit, window: window, now: now, keys: map[string]*windowKey{}}
}

// Reserve takes a slot for key, or reports how long until one may free
// up (at least a second).
func (w *Window) Reserve(key string) (r *Reservation, wait time.Duration, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.sweep()
	now := w.now()
	k := w.keys[key]
	if k == nil {
		k = &windowKey{}
		w.keys[key] = k
	}
	k.prune(now.Add(-w.window))
	if len(k.kept)+k.pending >= w.limit {
		wait = time.Second
		if len(k.kept) > 0 {
			wait = max(wait, k.kept[0].Add(w.window).Sub(now))
		}
		return nil, wait, false
	}
	k.pending++
	return &Reservation{settle: func(kept bool) { w.settle(k, kept) }}, 0, true
}

// settle ends a reservation of k; a key is never swept while reserved.
func (w *Window) settle(k *windowKey, kept bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k.pending--
	if kept {
		k.kept = append(k.kept, w.now())
	}
}

// sweep drops idle keys every sweepEvery calls; the caller holds mu.
func (w *Window) sweep() {
	if w.sweeps++; w.sweeps < sweepEvery {
		return
	}
	w.sweeps = 0
	cut := w.now().Add(-w.window)
	for key, k := range w.keys {
		if k.prune(cut); len(k.kept) == 0 && k.pending == 0 {
			delete(w.keys, key)
		}
	}
}

// prune drops kept attempts at or before cut.
func (k *windowKey) prune(cut time.Time) {
	i := 0
	for i < len(k.kept) && !k.kept[i].After(cut) {
		i++
	}
	k.kept = k.kept[i:]
}

// DelayPolicy shapes a Backoff.
type DelayPolicy struct {
	// Free failures may follow one another without waiting.
	Free int
	// After Free failures, the next attempt waits First after the last
	// failure, and each further failure doubles the wait up to Max.
	First, Max time.Duration
	// Forget is how long after its last failure a key starts afresh.
	Forget time.Duration
}

// DefaultAccountDelay is the per-account policy of sign-in: five free
// tries, then 1 s, 2 s, 4 s … up to 5 minutes between attempts, so the
// owner always gets in after waiting and a guesser gets about a dozen
// tries an hour.
var DefaultAccountDelay = DelayPolicy{Free: 5, First: time.Second, Max: 5 * time.Minute, Forget: time.Hour}

// Backoff makes each key wait longer after each failure instead of
// locking it out: past the free failures, one attempt at a time, and only
// once the delay since the last failure has passed.
type Backoff struct {
	mu     sync.Mutex
	policy DelayPolicy
	now    func() time.Time
	keys   map[string]*backoffKey
	sweeps int
}

type backoffKey struct {
	failures int
	last     time.Time // of the last failure
	pending  int
}

// NewBackoff applies policy per key.
func NewBackoff(policy DelayPolicy, now func() time.Time) *Backoff {
	return &Backoff{policy: policy, now: now, keys: map[string]*backoffKey{}}
}

// Delay is the wait after failures failures (zero while they are free).
func (p DelayPolicy) Delay(failures int) time.Duration {
	if failures < p.Free {
		return 0
	}
	d := p.First
	for i := p.Free; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Reserve takes the key's next attempt, or reports how long to wait for
// it (at least a second). Keep records a failure; Return gives the
// attempt back; after a success call Return and then Forget.
func (b *Backoff) Reserve(key string) (r *Reservation, wait time.Duration, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sweep()
	now := b.now()
	k := b.keys[key]
	if k == nil {
		k = &backoffKey{}
		b.keys[key] = k
	}
	if k.pending == 0 && k.failures > 0 && now.Sub(k.last) >= b.policy.Forget {
		k.failures = 0
	}
	if k.failures+k.pending >= b.policy.Free {
		at := k.last.Add(b.policy.Delay(k.failures))
		if k.pending > 0 || now.Before(at) {
			return nil, max(time.Second, at.Sub(now)), false
		}
	}
	k.pending++
	return &Reservation{settle: func(kept bool) { b.settle(k, kept) }}, 0, true
}

// settle ends a reservation of k; a key is never swept or forgotten
// while reserved.
func (b *Backoff) settle(k *backoffKey, failed bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k.pending--
	if failed {
		k.failures++
		k.last = b.now()
	}
}

// Forget clears key's failures (after a success).
func (b *Backoff) Forget(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if k := b.keys[key]; k != nil {
		k.failures = 0
		if k.pending == 0 {
			delete(b.keys, key)
		}
	}
}

// sweep drops forgotten keys every sweepEvery calls; the caller holds mu.
func (b *Backoff) sweep() {
	if b.sweeps++; b.sweeps < sweepEvery {
		return
	}
	b.sweeps = 0
	now := b.now()
	for key, k := range b.keys {
		if k.pending == 0 && now.Sub(k.last) >= b.policy.Forget {
			delete(b.keys, key)
		}
	}
}
