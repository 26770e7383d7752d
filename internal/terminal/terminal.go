// Package terminal keeps learners' interactive shells and carries them to
// a browser: a Shell owns one pseudo-terminal and its process, keeps the
// recent output as scrollback, paces what the process prints, and has at
// most one attached window at a time, the writer; Serve speaks the
// WebSocket protocol xterm.js pages use (docs/api.md, "Terminal").
//
// Where the shell runs (which namespaces, which user, which container) is
// not this package's business: a Starter makes the PTY, and the sandbox
// drivers provide Starters that put it inside a sandbox's fence.
package terminal

import (
	"context"
	"errors"
	"io"
	"time"
)

// PTY is a started interactive process behind a pseudo-terminal.
type PTY interface {
	// Read returns what the process printed; after the process ended it
	// returns an error.
	io.Reader
	// Write sends keystrokes to the process.
	io.Writer
	// Resize tells the process its window's size in cells. (A sandbox's
	// Terminal, sandbox.Terminal, is a PTY as it is.)
	Resize(cols, rows uint16) error
	// Wait waits for the process to end and returns its exit status.
	Wait() (int, error)
	// Close ends the process (and its process group) and frees the PTY.
	Close() error
}

// Size is a terminal window's size in character cells.
type Size struct {
	Cols uint16 `json:"cols"`
	Rows uint16 `json:"rows"`
}

// valid reports whether the size is one a terminal can have: at least
// 2×1 and at most 1000×500 cells.
func (s Size) valid() bool {
	return s.Cols >= 2 && s.Rows >= 1 && s.Cols <= 1000 && s.Rows <= 500
}

// DefaultSize is a new shell's size until a window says its own.
var DefaultSize = Size{Cols: 80, Rows: 24}

// Starter starts a shell of the given size.
type Starter interface {
	Start(ctx context.Context, size Size) (PTY, error)
}

// StarterFunc adapts a function to Starter.
type StarterFunc func(ctx context.Context, size Size) (PTY, error)

// Start calls f.
func (f StarterFunc) Start(ctx context.Context, size Size) (PTY, error) { return f(ctx, size) }

// Limits bound what one shell may cost.
type Limits struct {
	// Scrollback is how many bytes of recent output a shell keeps for a
	// window that attaches later (a reload).
	Scrollback int
	// OutputRate and OutputBurst pace the process's output in bytes per
	// second: past them the process waits on its writes, as on a slow
	// line, instead of flooding the browser and the server.
	OutputRate  int
	OutputBurst int
	// Idle ends a shell that has had no keystroke and no new window for
	// this long. Output does not count: a runaway loop does not keep a
	// shell alive.
	Idle time.Duration
	// MaxInput bounds one message of keystrokes (a paste).
	MaxInput int
	// WriteTimeout bounds how long a window may take to accept output;
	// a window that stalls longer is detached, and the shell goes on.
	WriteTimeout time.Duration
}

// DefaultLimits are the limits of a learner's shell.
var DefaultLimits = Limits{
	Scrollback:   256 << 10,
	OutputRate:   256 << 10,
	OutputBurst:  64 << 10,
	Idle:         30 * time.Minute,
	MaxInput:     64 << 10,
	WriteTimeout: 10 * time.Second,
}

// withDefaults fills every zero limit from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.Scrollback <= 0 {
		l.Scrollback = d.Scrollback
	}
	if l.OutputRate <= 0 {
		l.OutputRate = d.OutputRate
	}
	if l.OutputBurst <= 0 {
		l.OutputBurst = d.OutputBurst
	}
	if l.Idle <= 0 {
		l.Idle = d.Idle
	}
	if l.MaxInput <= 0 {
		l.MaxInput = d.MaxInput
	}
	if l.WriteTimeout <= 0 {
		l.WriteTimeout = d.WriteTimeout
	}
	return l
}

// ErrClosed is returned by a Shell that has ended.
var ErrClosed = errors.New("terminal: the shell has ended")
