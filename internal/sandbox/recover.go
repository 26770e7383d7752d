package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Recover removes every sandbox that an earlier run of the platform left:
// each recorded one and each one the driver still holds (Driver.List),
// except those this manager runs. With a driver that adopts its kind
// (Capabilities.Adopts), a recorded learner's sandbox that still runs, and is neither idle nor past its
// lifetime, is adopted instead: the learner finds their lab as they left it
// (see adopt). It stops them (killing a leftover
// server process and removing its directory) and deletes their records,
// and returns how many it stopped. Call it once at startup, before the
// first Acquire; it returns the joined errors of failed stops, whose
// records stay for the next try.
func (m *Manager) Recover(ctx context.Context) (int, error) {
	recs, err := m.records.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("recover sandboxes: list records: %w", err)
	}
	kinds := make(map[string]Kind, len(recs))
	for _, r := range recs {
		if m.adopt(ctx, r) {
			continue
		}
		kinds[r.ID] = r.Kind
	}
	ids, err := m.driver.List(ctx)
	if err != nil {
		return 0, fmt.Errorf("recover sandboxes: list %s driver: %w", m.driver.Name(), err)
	}
	for _, id := range ids {
		if _, ok := kinds[id]; !ok {
			kinds[id] = kindOfID(id)
		}
	}

	m.mu.Lock()
	for id := range m.live {
		delete(kinds, id)
	}
	m.mu.Unlock()

	stopped := 0
	var errs []error
	for id, kind := range kinds {
		stopCtx, cancel := m.stopContext(ctx)
		err := m.driver.Stop(stopCtx, id)
		cancel()
		switch {
		case err == nil:
			stopped++
			m.cfg.Observer.OnStop(kind, m.driver.Name(), StopRecovered, 0)
		case !errors.Is(err, ErrNotFound):
			errs = append(errs, fmt.Errorf("stop leftover sandbox %s: %w", id, err))
			continue
		}
		if err := m.records.Delete(ctx, id); err != nil {
			errs = append(errs, fmt.Errorf("delete record of sandbox %s: %w", id, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return stopped, fmt.Errorf("recover sandboxes: %w", err)
	}
	return stopped, nil
}

// kindOfID returns the kind an id from NewID starts with, or "".
func kindOfID(id string) Kind {
	prefix, _, _ := strings.Cut(id, "-")
	if k := Kind(prefix); k.Valid() {
		return k
	}
	return ""
}
