package container

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"

	"github.com/opslab/opslab/internal/sandbox"
)

// Exec runs argv inside the sandbox id's container, as the container's
// user and with its fence, and returns the combined output and exit code.
// It is for the platform's own probes and tests, never for learner input.
func (d *Driver) Exec(ctx context.Context, id string, argv []string) (string, int, error) {
	if err := sandbox.ValidateID(id); err != nil {
		return "", 0, fmt.Errorf("exec in sandbox: %w", err)
	}
	ex, err := d.cli.ContainerExecCreate(ctx, containerName(id), container.ExecOptions{
		Cmd: argv, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return "", 0, fmt.Errorf("exec in sandbox %s: %w", id, err)
	}
	att, err := d.cli.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		return "", 0, fmt.Errorf("exec in sandbox %s: attach: %w", id, err)
	}
	defer att.Close()
	out, err := demux(att.Reader)
	if err != nil {
		return string(out), 0, fmt.Errorf("exec in sandbox %s: read output: %w", id, err)
	}
	info, err := d.cli.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		return string(out), 0, fmt.Errorf("exec in sandbox %s: inspect: %w", id, err)
	}
	return string(out), info.ExitCode, nil
}
