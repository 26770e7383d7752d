package process

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"github.com/creack/pty"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/terminal"
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
	// Closing it kills the init's process group, and with the init every
	// process of its namespace.
	return terminal.Started(ptmx, cmd), nil
}

// RunShell runs script with bash -c in a fresh workstation beside inst,
// its standard input empty, and returns its output (each stream cut at
// sandbox.MaxShellOutput) and exit status. ctx bounds it: past it the
// workstation is killed.
func (d *Driver) RunShell(ctx context.Context, inst sandbox.Instance, script string) (sandbox.ShellResult, error) {
	cmd, start, err := d.workstationCommand(inst, []string{"/bin/bash", "--noprofile", "--norc", "-c", script})
	if err != nil {
		return sandbox.ShellResult{}, err
	}
	var stdout, stderr sandbox.CappedOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := start(cmd); err != nil {
		return sandbox.ShellResult{}, fmt.Errorf("script beside sandbox %s: %w", inst.Spec.ID, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return sandbox.ShellResult{}, fmt.Errorf("script beside sandbox %s: %w", inst.Spec.ID, ctx.Err())
	}
	res := sandbox.ShellResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Exit = exit.ExitCode()
		if res.Exit == 125 && strings.HasPrefix(res.Stderr, "opslab-workstation:") {
			return sandbox.ShellResult{}, fmt.Errorf("script beside sandbox %s: %s", inst.Spec.ID, strings.TrimSpace(res.Stderr))
		}
	default:
		return sandbox.ShellResult{}, fmt.Errorf("script beside sandbox %s: %w", inst.Spec.ID, err)
	}
	return res, nil
}
