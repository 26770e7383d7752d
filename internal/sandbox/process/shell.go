package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/creack/pty"

	"github.com/opslab/opslab/internal/sandbox"
)

// StartShell starts a learner's shell in a fresh workstation beside inst
// (see WorkstationCommand), on a new pseudo-terminal of cols×rows cells.
func (d *Driver) StartShell(_ context.Context, inst sandbox.Instance, cols, rows uint16) (sandbox.Terminal, error) {
	cmd, start, err := d.WorkstationCommand(inst)
	if err != nil {
		return nil, err
	}
	ptmx, tty, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("shell beside sandbox %s: open a pty: %w", inst.Spec.ID, err)
	}
	defer tty.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: cols, Rows: rows}); err != nil {
		ptmx.Close()
		return nil, fmt.Errorf("shell beside sandbox %s: size the pty: %w", inst.Spec.ID, err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := start(cmd); err != nil {
		ptmx.Close()
		return nil, fmt.Errorf("shell beside sandbox %s: %w", inst.Spec.ID, err)
	}
	return &shell{f: ptmx, cmd: cmd}, nil
}

// shell is a workstation's init behind the PTY it was started on.
type shell struct {
	f    *os.File
	cmd  *exec.Cmd
	once sync.Once
}

func (s *shell) Read(b []byte) (int, error)  { return s.f.Read(b) }
func (s *shell) Write(b []byte) (int, error) { return s.f.Write(b) }

func (s *shell) Resize(cols, rows uint16) error {
	return pty.Setsize(s.f, &pty.Winsize{Cols: cols, Rows: rows})
}

// Wait returns the shell's exit status (the workstation's init exits with
// it); -1 when it was killed.
func (s *shell) Wait() (int, error) {
	err := s.cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit):
		return exit.ExitCode(), nil
	default:
		return -1, err
	}
}

// Close kills the workstation's init, and with it every process of its
// namespace, and closes the PTY.
func (s *shell) Close() error {
	var err error
	s.once.Do(func() {
		if s.cmd.Process != nil {
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
		}
		err = s.f.Close()
	})
	return err
}
