package terminal

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrTooMany is returned when the registry already holds its maximum of
// shells.
var ErrTooMany = errors.New("terminal: too many shells are open; try again when others have closed")

// Registry keeps the shells by key (a sandbox's id), so that a reload
// finds the same shell, and bounds how many run at once. It is safe for
// concurrent use.
type Registry struct {
	max    int
	limits Limits

	mu       sync.Mutex
	shells   map[string]*Shell
	starting map[string]chan struct{} // keys whose shell is being started
}

// NewRegistry returns a registry of at most max shells (max ≥ 1), each
// kept within limits.
func NewRegistry(max int, limits Limits) *Registry {
	return &Registry{max: max, limits: limits, shells: map[string]*Shell{}, starting: map[string]chan struct{}{}}
}

// Open returns the live shell of key, or starts one with st at size.
// Parallel opens of one key start one shell.
func (g *Registry) Open(ctx context.Context, key string, st Starter, size Size) (*Shell, error) {
	for {
		g.mu.Lock()
		if sh, ok := g.shells[key]; ok {
			g.mu.Unlock()
			select {
			case <-sh.Done():
				g.forget(key, sh)
				continue
			default:
				return sh, nil
			}
		}
		if wait, ok := g.starting[key]; ok {
			g.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if len(g.shells)+len(g.starting) >= g.max {
			g.mu.Unlock()
			return nil, ErrTooMany
		}
		wait := make(chan struct{})
		g.starting[key] = wait
		g.mu.Unlock()

		sh, err := Start(ctx, st, size, g.limits)
		g.mu.Lock()
		delete(g.starting, key)
		if err == nil {
			g.shells[key] = sh
		}
		g.mu.Unlock()
		close(wait)
		if err != nil {
			return nil, fmt.Errorf("open shell %s: %w", key, err)
		}
		go func() {
			<-sh.Done()
			g.forget(key, sh)
		}()
		return sh, nil
	}
}

// Lookup returns the live shell of key, if any.
func (g *Registry) Lookup(key string) (*Shell, bool) {
	g.mu.Lock()
	sh, ok := g.shells[key]
	g.mu.Unlock()
	if !ok {
		return nil, false
	}
	select {
	case <-sh.Done():
		return nil, false
	default:
		return sh, true
	}
}

// Close ends the shell of key, if any (its sandbox stopped).
func (g *Registry) Close(key string) {
	g.mu.Lock()
	sh, ok := g.shells[key]
	delete(g.shells, key)
	g.mu.Unlock()
	if ok {
		_ = sh.Close()
	}
}

// CloseAll ends every shell.
func (g *Registry) CloseAll() {
	g.mu.Lock()
	all := g.shells
	g.shells = map[string]*Shell{}
	g.mu.Unlock()
	for _, sh := range all {
		_ = sh.Close()
	}
}

// Len is the number of shells held.
func (g *Registry) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.shells)
}

func (g *Registry) forget(key string, sh *Shell) {
	g.mu.Lock()
	if g.shells[key] == sh {
		delete(g.shells, key)
	}
	g.mu.Unlock()
}
