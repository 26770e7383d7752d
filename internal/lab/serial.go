package lab

import (
	"context"
	"errors"
	"sync"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
)

// Actions on one learner's sandbox (start, reset, stop, check) take turns:
// two resets at once would otherwise stop the sandbox the other had just
// started and set up, and fail half-way. An action asked for while the
// same one (same verb, same exercise) is waiting or running is not run
// again: the caller waits for it and shares its result, as a second click
// on the same button should.

// serialKey names one sandbox: the manager's (learner, lesson, kind).
type serialKey struct {
	user   int64
	lesson opslab.LessonKey
	kind   sandbox.Kind
}

// serializer runs the actions of each sandbox one at a time.
type serializer struct {
	mu    sync.Mutex
	slots map[serialKey]*serialSlot
}

type serialSlot struct {
	turn    chan struct{} // holds a token while an action runs
	users   int           // callers holding a reference, for cleanup
	flights map[string]*flight
}

// flight is one action waiting or running, shared by the callers that
// asked for it.
type flight struct {
	done chan struct{}
	res  any // read only once shared
	err  error
}

func newSerializer() *serializer { return &serializer{slots: map[serialKey]*serialSlot{}} }

// do runs fn as the action name on the sandbox key once every earlier
// action on it has finished; if an action of the same name is already
// waiting or running, do waits for it instead and returns its result. A
// shared result cut short by its own caller's cancellation is not
// shared: the next caller runs the action itself.
// The result is shared between the callers: treat it as read-only.
func (z *serializer) do(ctx context.Context, key serialKey, name string, fn func(context.Context) (any, error)) (any, error) {
	for {
		res, err, shared := z.try(ctx, key, name, fn)
		if shared && isCancel(err) && ctx.Err() == nil {
			continue
		}
		return res, err
	}
}

// try joins or runs one flight; shared reports a result another caller's
// action produced.
func (z *serializer) try(ctx context.Context, key serialKey, name string, fn func(context.Context) (any, error)) (any, error, bool) {
	z.mu.Lock()
	sl := z.slots[key]
	if sl == nil {
		sl = &serialSlot{turn: make(chan struct{}, 1), flights: map[string]*flight{}}
		z.slots[key] = sl
	}
	sl.users++
	defer z.leave(key, sl)
	if f := sl.flights[name]; f != nil {
		z.mu.Unlock()
		select {
		case <-f.done:
			return f.res, f.err, true
		case <-ctx.Done():
			return nil, ctx.Err(), false
		}
	}
	f := &flight{done: make(chan struct{})}
	sl.flights[name] = f
	z.mu.Unlock()

	select {
	case sl.turn <- struct{}{}:
		f.res, f.err = fn(ctx)
		<-sl.turn
	case <-ctx.Done():
		f.err = ctx.Err()
	}
	z.mu.Lock()
	delete(sl.flights, name)
	z.mu.Unlock()
	close(f.done)
	return f.res, f.err, false
}

// leave drops a reference to sl, forgetting it when no one holds one.
func (z *serializer) leave(key serialKey, sl *serialSlot) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if sl.users--; sl.users == 0 && z.slots[key] == sl {
		delete(z.slots, key)
	}
}

// isCancel reports an error of a cancelled or timed-out context.
func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
