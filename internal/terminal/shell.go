package terminal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Window is where a shell's output goes: a browser tab's connection.
type Window interface {
	// Output shows bytes the shell printed; it must return within the
	// context's deadline.
	Output(ctx context.Context, p []byte) error
	// Detached tells the window that another one took the shell over; the
	// window stops sending keystrokes.
	Detached()
	// Ended tells the window that the shell's process ended with code.
	Ended(code int)
}

// Shell is one interactive process behind a PTY. Its output goes to the
// attached window, if any, and into the scrollback; keystrokes come from
// the attached window only. A Shell is safe for concurrent use.
type Shell struct {
	pty     PTY
	limits  Limits
	limiter *rate.Limiter
	now     func() time.Time

	// outMu orders the scrollback and the window: output is appended and
	// delivered under it, and a window attaches under it, so a new window
	// gets the scrollback and then every later byte exactly once.
	outMu  sync.Mutex
	scroll scrollback
	win    Window

	mu         sync.Mutex // guards the fields below
	lastActive time.Time
	size       Size
	code       int

	done      chan struct{} // closed when the process has ended
	closeOnce sync.Once
}

// Start starts a shell with st at size and keeps it within limits (zero
// fields take DefaultLimits). The shell runs until its process ends, Close
// is called, or it is idle for limits.Idle.
func Start(ctx context.Context, st Starter, size Size, limits Limits) (*Shell, error) {
	if !size.valid() {
		size = DefaultSize
	}
	limits = limits.withDefaults()
	p, err := st.Start(ctx, size)
	if err != nil {
		return nil, fmt.Errorf("start shell: %w", err)
	}
	s := &Shell{
		pty:        p,
		limits:     limits,
		limiter:    rate.NewLimiter(rate.Limit(limits.OutputRate), limits.OutputBurst),
		now:        time.Now,
		scroll:     scrollback{max: limits.Scrollback},
		lastActive: time.Now(),
		size:       size,
		done:       make(chan struct{}),
	}
	go s.pump()
	go s.watchIdle()
	return s, nil
}

// Done is closed when the shell's process has ended.
func (s *Shell) Done() <-chan struct{} { return s.done }

// ExitCode is the process's exit status once Done is closed (-1 when it
// was killed).
func (s *Shell) ExitCode() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.code
}

// Size is the shell's window size.
func (s *Shell) Size() Size {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size
}

// Close ends the shell's process. It is safe to call more than once.
func (s *Shell) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.pty.Close() })
	return err
}

// Attach makes w the shell's window: w first gets the scrollback, then
// every later output; the window attached before, if any, is detached.
// It fails with ErrClosed once the shell has ended.
func (s *Shell) Attach(ctx context.Context, w Window) error {
	select {
	case <-s.done:
		return ErrClosed
	default:
	}
	s.outMu.Lock()
	old := s.win
	s.win = nil
	if back := s.scroll.snapshot(); len(back) > 0 {
		wctx, cancel := context.WithTimeout(ctx, s.limits.WriteTimeout)
		err := w.Output(wctx, back)
		cancel()
		if err != nil {
			s.outMu.Unlock()
			if old != nil {
				old.Detached()
			}
			return fmt.Errorf("attach window: %w", err)
		}
	}
	s.win = w
	s.outMu.Unlock()
	s.touch()
	if old != nil && old != w {
		old.Detached()
	}
	return nil
}

// Detach forgets w if it is the attached window; the shell keeps running.
func (s *Shell) Detach(w Window) {
	s.outMu.Lock()
	if s.win == w {
		s.win = nil
	}
	s.outMu.Unlock()
}

// errNotAttached is returned for keystrokes or a resize from a window that
// is not (or no longer) the shell's window.
var errNotAttached = errors.New("terminal: this window is not attached to the shell")

// attached reports whether w is the shell's window.
func (s *Shell) attached(w Window) bool {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	return s.win == w
}

// Input sends keystrokes from w, which must be the attached window.
func (s *Shell) Input(w Window, p []byte) error {
	if !s.attached(w) {
		return errNotAttached
	}
	if len(p) > s.limits.MaxInput {
		return fmt.Errorf("terminal: %d bytes of input in one message, over the limit of %d", len(p), s.limits.MaxInput)
	}
	s.touch()
	if _, err := s.pty.Write(p); err != nil {
		return fmt.Errorf("write to shell: %w", err)
	}
	return nil
}

// Resize sets the shell's window size, asked by w, which must be the
// attached window.
func (s *Shell) Resize(w Window, size Size) error {
	if !s.attached(w) {
		return errNotAttached
	}
	if !size.valid() {
		return fmt.Errorf("terminal: a window of %d×%d cells is not a size a terminal can have", size.Cols, size.Rows)
	}
	if err := s.pty.Resize(size.Cols, size.Rows); err != nil {
		return fmt.Errorf("resize shell: %w", err)
	}
	s.mu.Lock()
	s.size = size
	s.mu.Unlock()
	return nil
}

// touch records activity that keeps the shell alive.
func (s *Shell) touch() {
	s.mu.Lock()
	s.lastActive = s.now()
	s.mu.Unlock()
}

// pump copies the process's output, paced, into the scrollback and the
// window until the process ends.
func (s *Shell) pump() {
	buf := make([]byte, 16<<10)
	for {
		n, err := s.pty.Read(buf)
		if n > 0 {
			// Pacing before the next read makes the process wait on its
			// writes once the PTY's own buffer is full.
			_ = s.limiter.WaitN(context.Background(), min(n, s.limits.OutputBurst))
			s.deliver(buf[:n])
		}
		if err != nil {
			break
		}
	}
	code, _ := s.pty.Wait()
	_ = s.Close()
	s.mu.Lock()
	s.code = code
	s.mu.Unlock()
	close(s.done)
	s.outMu.Lock()
	w := s.win
	s.win = nil
	s.outMu.Unlock()
	if w != nil {
		w.Ended(code)
	}
}

// deliver appends p to the scrollback and shows it in the window; a window
// that does not take it in time is detached.
func (s *Shell) deliver(p []byte) {
	s.outMu.Lock()
	defer s.outMu.Unlock()
	s.scroll.write(p)
	if s.win == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.limits.WriteTimeout)
	err := s.win.Output(ctx, p)
	cancel()
	if err != nil {
		w := s.win
		s.win = nil
		go w.Detached()
	}
}

// watchIdle closes the shell once it has been idle for limits.Idle.
func (s *Shell) watchIdle() {
	every := min(s.limits.Idle/4, time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.mu.Lock()
			idle := s.now().Sub(s.lastActive)
			s.mu.Unlock()
			if idle >= s.limits.Idle {
				_ = s.Close()
				return
			}
		}
	}
}

// scrollback keeps the last max bytes written to it.
type scrollback struct {
	max     int
	buf     []byte
	wrapped bool // bytes were dropped from the front
}

func (b *scrollback) write(p []byte) {
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*b.max {
		b.buf = append(b.buf[:0:0], b.buf[len(b.buf)-b.max:]...)
		b.wrapped = true
	}
}

// snapshot returns a copy of the kept output, at most max bytes; once
// older output was dropped it starts after a line break, so it never opens
// inside an escape sequence or a character.
func (b *scrollback) snapshot() []byte {
	out := b.buf
	if len(out) > b.max {
		out = out[len(out)-b.max:]
		b.wrapped = true
	}
	if b.wrapped {
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return bytes.Clone(out)
}
