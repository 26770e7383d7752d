package container

import (
	"context"
	"fmt"

	"github.com/opslab/opslab/internal/sandbox"
)

// Capabilities says what the driver does with kind's sandboxes: it runs
// every kind; its containers keep running while the platform restarts, so
// it adopts every kind; every Kafka kind runs real Apache Kafka brokers;
// and it stops and starts the brokers of a kafka-cluster one by one
// (StopNode, StartNode, NodeRunning).
func (d *Driver) Capabilities(kind sandbox.Kind) sandbox.Capabilities {
	runs := kind.Valid() && kind != sandbox.KindPostgres // postgres: not yet (issue 16)
	return sandbox.Capabilities{
		Runs:          runs,
		Adopts:        runs,
		RealKafka:     runs && kind.Family() == sandbox.KindKafka,
		ControlsNodes: kind == sandbox.KindKafkaCluster,
	}
}

// StartShell returns an error wrapping ErrUnsupported: a workstation
// container is not built yet (the terminal issue's container step).
func (d *Driver) StartShell(_ context.Context, inst sandbox.Instance, _, _ uint16) (sandbox.Terminal, error) {
	return nil, fmt.Errorf("shell beside sandbox %s: %w: the %s driver has no workstation yet", inst.Spec.ID, sandbox.ErrUnsupported, Name)
}

// RunShell returns an error wrapping ErrUnsupported, as StartShell.
func (d *Driver) RunShell(_ context.Context, inst sandbox.Instance, _ string) (sandbox.ShellResult, error) {
	return sandbox.ShellResult{}, fmt.Errorf("script beside sandbox %s: %w: the %s driver has no workstation yet", inst.Spec.ID, sandbox.ErrUnsupported, Name)
}

var _ sandbox.Driver = (*Driver)(nil)
