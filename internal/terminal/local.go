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

// Started returns the PTY of cmd, which was started with the other end of
// ptmx as its terminal, in a session of its own: closing it kills cmd's
// process group and closes ptmx.
func Started(ptmx *os.File, cmd *exec.Cmd) PTY { return &localPTY{f: ptmx, cmd: cmd} }

// localPTY is a PTY of a local process.
type localPTY struct {
	f    *os.File
	cmd  *exec.Cmd
	once sync.Once
}

func (p *localPTY) Read(b []byte) (int, error)  { return p.f.Read(b) }
func (p *localPTY) Write(b []byte) (int, error) { return p.f.Write(b) }

func (p *localPTY) Resize(cols, rows uint16) error {
	return pty.Setsize(p.f, &pty.Winsize{Cols: cols, Rows: rows})
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
