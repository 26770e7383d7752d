package container

import (
	"context"
	"fmt"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
)

// Exec runs argv inside the sandbox id's container, as the container's
// user and with its fence, and returns the combined output and exit code.
// It is for the platform's own probes and tests, never for learner input.
// For a multi-node sandbox it runs in the first node's container.
func (d *Driver) Exec(ctx context.Context, id string, argv []string) (string, int, error) {
	if err := sandbox.ValidateID(id); err != nil {
		return "", 0, fmt.Errorf("exec in sandbox: %w", err)
	}
	return d.exec(ctx, id, containerName(id), argv)
}

// ExecNode is Exec in the container of the node called node of the
// multi-node sandbox id.
func (d *Driver) ExecNode(ctx context.Context, id, node string, argv []string) (string, int, error) {
	if err := sandbox.ValidateID(id); err != nil {
		return "", 0, fmt.Errorf("exec in sandbox: %w", err)
	}
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		Filters: labelFilter(LabelScope+"="+d.opts.Scope,
			LabelSandbox+"="+id, LabelNode+"="+node),
	})
	if err != nil {
		return "", 0, fmt.Errorf("exec in sandbox %s: %w", id, err)
	}
	if len(list.Items) != 1 {
		return "", 0, fmt.Errorf("exec in sandbox %s: %w: %d running containers of node %q", id, sandbox.ErrNotFound, len(list.Items), node)
	}
	return d.exec(ctx, id, list.Items[0].ID, argv)
}

func (d *Driver) exec(ctx context.Context, id, ctr string, argv []string) (string, int, error) {
	return d.execAs(ctx, id, ctr, "", argv)
}

// execAs runs argv in the container ctr of sandbox id as user ("" for the
// container's), waits for it, and returns its combined output and exit
// code.
func (d *Driver) execAs(ctx context.Context, id, ctr, user string, argv []string) (string, int, error) {
	ex, err := d.cli.ExecCreate(ctx, ctr, client.ExecCreateOptions{
		User: user, Cmd: argv, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return "", 0, fmt.Errorf("exec in sandbox %s: %w", id, err)
	}
	att, err := d.cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return "", 0, fmt.Errorf("exec in sandbox %s: attach: %w", id, err)
	}
	defer att.Close()
	out, err := demux(att.Reader)
	if err != nil {
		return string(out), 0, fmt.Errorf("exec in sandbox %s: read output: %w", id, err)
	}
	code, err := d.execExit(ctx, ex.ID)
	if err != nil {
		return string(out), 0, fmt.Errorf("exec in sandbox %s: inspect: %w", id, err)
	}
	return string(out), code, nil
}
