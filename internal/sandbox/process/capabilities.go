package process

import (
	"context"
	"fmt"

	"github.com/opslab/opslab/internal/sandbox"
)

// Capabilities says what the driver does with kind's sandboxes: it runs
// every kind; a kafka sandbox, and a stack's broker, is a real Apache
// Kafka broker with --kafka apache (a kafka-cluster is always a kfake
// cluster here). Its sandboxes
// are child processes, which end with the platform: it adopts none and
// controls no node on its own. A learner's shell needs the fence.
func (d *Driver) Capabilities(kind sandbox.Kind) sandbox.Capabilities {
	return sandbox.Capabilities{
		Runs:      kind.Valid(),
		RealKafka: kind.OneBroker() && d.apache != nil,
		Shell:     kind.Valid() && d.fence.Fenced(),
	}
}

// Adopt returns an error wrapping ErrUnsupported: a process sandbox does
// not outlive the platform.
func (d *Driver) Adopt(_ context.Context, rec sandbox.Record) (sandbox.Instance, error) {
	return sandbox.Instance{}, fmt.Errorf("adopt sandbox %s: %w: the %s driver's sandboxes end with the platform", rec.ID, sandbox.ErrUnsupported, Name)
}

// StopNode returns an error wrapping ErrUnsupported: see Capabilities.
func (d *Driver) StopNode(_ context.Context, id, node string) error {
	return noNodeControl(id, node)
}

// StartNode returns an error wrapping ErrUnsupported: see Capabilities.
func (d *Driver) StartNode(_ context.Context, id, node string) error {
	return noNodeControl(id, node)
}

// NodeRunning returns an error wrapping ErrUnsupported: see Capabilities.
func (d *Driver) NodeRunning(_ context.Context, id, node string) (bool, error) {
	return false, noNodeControl(id, node)
}

func noNodeControl(id, node string) error {
	return fmt.Errorf("node %s of sandbox %s: %w: the %s driver cannot stop or start one node", node, id, sandbox.ErrUnsupported, Name)
}

var _ sandbox.Driver = (*Driver)(nil)
