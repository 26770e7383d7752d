package terminal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/creack/pty"
)

// Command starts a local process behind a PTY: newCmd makes the command
// (its path, arguments, environment, user, namespaces); Command runs it as
// a session leader with the PTY as its controlling terminal. Closing the
// PTY kills the process's whole process group.
func Command(newCmd func(ctx context.Context) (*exec.Cmd, error)) Starter {
	return StarterFunc(func(ctx context.Context, size Size) (PTY, error) {
		cmd, err := newCmd(ctx)
		if err != nil {
			return nil, err
		}
		f, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: size.Cols, Rows: size.Rows})
		if err != nil {
			return nil, fmt.Errorf("start %s on a pty: %w", cmd.Path, err)
		}
		return &localPTY{f: f, cmd: cmd}, nil
	})
}

// CommandStartedBy is Command for a process that another part must start,
// such as a sandbox driver that starts it inside a fence: newCmd returns
// the command and the function that starts it. The command gets the PTY
// as its standard streams and controlling terminal, in a session of its
// own.
func CommandStartedBy(newCmd func(ctx context.Context) (*exec.Cmd, func(*exec.Cmd) error, error)) Starter {
	return StarterFunc(func(ctx context.Context, size Size) (PTY, error) {
		cmd, start, err := newCmd(ctx)
		if err != nil {
			return nil, err
		}
		ptmx, tty, err := pty.Open()
		if err != nil {
			return nil, fmt.Errorf("open a pty: %w", err)
		}
		defer tty.Close()
		if err := pty.Setsize(ptmx, &pty.Winsize{Cols: size.Cols, Rows: size.Rows}); err != nil {
			ptmx.Close()
			return nil, fmt.Errorf("size the pty: %w", err)
		}
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		if cmd.SysProcAttr == nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{}
		}
		cmd.SysProcAttr.Setsid = true
		cmd.SysProcAttr.Setctty = true
		cmd.SysProcAttr.Ctty = 0
		if err := start(cmd); err != nil {
			ptmx.Close()
			return nil, fmt.Errorf("start %s on a pty: %w", cmd.Path, err)
		}
		return &localPTY{f: ptmx, cmd: cmd}, nil
	})
}

// localPTY is a PTY of a local process.
type localPTY struct {
	f    *os.File
	cmd  *exec.Cmd
	once sync.Once
}

func (p *localPTY) Read(b []byte) (int, error)  { return p.f.Read(b) }
func (p *localPTY) Write(b []byte) (int, error) { return p.f.Write(b) }

func (p *localPTY) Resize(s Size) error {
	return pty.Setsize(p.f, &pty.Winsize{Cols: s.Cols, Rows: s.Rows})
}

// Wait waits for the process; a process killed by a signal reports -1.
func (p *localPTY) Wait() (int, error) {
	err := p.cmd.Wait()
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

// Close kills the process group (the shell and whatever it started) and
// closes the PTY, which ends reads.
func (p *localPTY) Close() error {
	var err error
	p.once.Do(func() {
		if p.cmd.Process != nil {
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		}
		err = p.f.Close()
	})
	return err
}
