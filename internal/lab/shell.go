package lab

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/terminal"
)

// DefaultMaxShells is how many learners' terminals a server keeps open at
// once by default.
const DefaultMaxShells = 200

// Shell returns the learner's terminal beside their sandbox of the
// exercise's kind: the shell already open there (a reload finds it with
// its scrollback), or a fresh one in a new workstation, starting the
// sandbox first if it is not running. Opening a new shell counts as a
// sandbox start against the learner's allowance. It fails with
// EUNAVAILABLE when this server offers no terminal (sandboxes run
// unfenced by the process driver) or has as many open as it allows.
func (s *Service) Shell(ctx context.Context, t Target) (*terminal.Shell, error) {
	if err := s.Available(t); err != nil {
		return nil, err
	}
	kind, err := t.kind()
	if err != nil {
		return nil, err
	}
	if !s.cfg.Sandboxes.Capabilities(kind).Shell {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "This server offers no terminal for %s sandboxes; use the console.", kind.Title())
	}
	inst, _, err := s.prepare(ctx, t)
	if err != nil {
		return nil, err
	}
	_ = s.cfg.Sandboxes.Touch(t.UserID, t.sandboxLesson(), inst.Spec.Kind)
	if sh, ok := s.shells.Lookup(inst.Spec.ID); ok {
		return sh, nil
	}
	if err := s.allowStart(t); err != nil {
		return nil, err
	}
	starter := terminal.StarterFunc(func(ctx context.Context, size terminal.Size) (terminal.PTY, error) {
		return s.cfg.Sandboxes.StartShell(ctx, inst, size.Cols, size.Rows)
	})
	s.noteShell(inst.Spec.ID, time.Now())
	sh, err := s.shells.Open(ctx, inst.Spec.ID, starter, terminal.DefaultSize)
	switch {
	case errors.Is(err, terminal.ErrTooMany):
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "Too many terminals are open on this server right now; use the console, or try again in a few minutes.")
	case errors.Is(err, sandbox.ErrUnsupported):
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "This server offers no terminal for %s sandboxes; use the console.", kind.Title())
	case err != nil:
		return nil, fmt.Errorf("open terminal: %w", err)
	}
	return sh, nil
}

// CloseShells ends every learner's terminal (the server is stopping).
func (s *Service) CloseShells() { s.shells.CloseAll() }

// shellsRemembered is how long the Service remembers that a terminal was
// opened beside a sandbox (so that a failed check keeps its commands): a
// day, longer than any sandbox lives idle. Older notes are dropped as new
// ones come, so the notes never outgrow the sandboxes of a day.
const shellsRemembered = 24 * time.Hour

// noteShell remembers that a terminal was opened beside sandbox id at now.
func (s *Service) noteShell(id string, now time.Time) {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	s.used[id] = now
	if len(s.used) > 2*DefaultMaxShells {
		for k, at := range s.used {
			if now.Sub(at) > shellsRemembered {
				delete(s.used, k)
			}
		}
	}
}

// shellUsed reports whether a terminal was opened beside sandbox id.
func (s *Service) shellUsed(id string) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	_, ok := s.used[id]
	return ok
}
