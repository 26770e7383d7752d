package sandbox

import (
	"context"
	"fmt"
)

// Capabilities is the driver's answer for kind (see Driver.Capabilities),
// except that only a Kafka kind can be RealKafka.
func (m *Manager) Capabilities(kind Kind) Capabilities {
	c := m.driver.Capabilities(kind)
	c.RealKafka = c.RealKafka && kind.HasFamily(KindKafka)
	return c
}

// adopts reports whether the driver adopts the sandboxes of some kind:
// whether they outlive the platform's process.
func (m *Manager) adopts() bool {
	for _, k := range Kinds() {
		if m.driver.Capabilities(k).Adopts {
			return true
		}
	}
	return false
}

// StopNode stops the server of one node of inst (see Driver.StopNode). It
// returns an error wrapping ErrUnsupported when the driver cannot, and
// ErrInvalid for a node inst does not have.
func (m *Manager) StopNode(ctx context.Context, inst Instance, node string) error {
	if err := m.checkNode(inst, node); err != nil {
		return fmt.Errorf("stop node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	if err := m.driver.StopNode(ctx, inst.Spec.ID, node); err != nil {
		return fmt.Errorf("stop node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	return nil
}

// StartNode starts the server of one node of inst again (see
// Driver.StartNode), with the errors of StopNode.
func (m *Manager) StartNode(ctx context.Context, inst Instance, node string) error {
	if err := m.checkNode(inst, node); err != nil {
		return fmt.Errorf("start node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	if err := m.driver.StartNode(ctx, inst.Spec.ID, node); err != nil {
		return fmt.Errorf("start node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	return nil
}

// NodeRunning reports whether the server of one node of inst runs, with
// the errors of StopNode.
func (m *Manager) NodeRunning(ctx context.Context, inst Instance, node string) (bool, error) {
	if err := m.checkNode(inst, node); err != nil {
		return false, fmt.Errorf("state of node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	up, err := m.driver.NodeRunning(ctx, inst.Spec.ID, node)
	if err != nil {
		return false, fmt.Errorf("state of node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	return up, nil
}

// checkNode returns an error wrapping ErrInvalid when inst has no node
// called node, and ErrUnsupported when the driver cannot control the
// nodes of inst's kind.
func (m *Manager) checkNode(inst Instance, node string) error {
	if !inst.Spec.Kind.HasNode(node) {
		return fmt.Errorf("%w: a %s sandbox has no node %q", ErrInvalid, inst.Spec.Kind, node)
	}
	if !m.driver.Capabilities(inst.Spec.Kind).ControlsNodes {
		return fmt.Errorf("%w: the %s driver cannot stop or start the nodes of %s sandboxes", ErrUnsupported, m.driver.Name(), inst.Spec.Kind)
	}
	return nil
}

// StartShell starts a learner's shell beside inst (see Driver.StartShell).
func (m *Manager) StartShell(ctx context.Context, inst Instance, cols, rows uint16) (Terminal, error) {
	if !m.Capabilities(inst.Spec.Kind).Shell {
		return nil, fmt.Errorf("shell beside sandbox %s: %w: the %s driver offers no terminal", inst.Spec.ID, ErrUnsupported, m.driver.Name())
	}
	t, err := m.driver.StartShell(ctx, inst, cols, rows)
	if err != nil {
		return nil, fmt.Errorf("shell beside sandbox %s: %w", inst.Spec.ID, err)
	}
	return t, nil
}

// RunShell runs script in a workstation beside inst (see Driver.RunShell).
func (m *Manager) RunShell(ctx context.Context, inst Instance, script string) (ShellResult, error) {
	if !m.Capabilities(inst.Spec.Kind).Shell {
		return ShellResult{}, fmt.Errorf("run a script beside sandbox %s: %w: the %s driver offers no workstation", inst.Spec.ID, ErrUnsupported, m.driver.Name())
	}
	res, err := m.driver.RunShell(ctx, inst, script)
	if err != nil {
		return ShellResult{}, fmt.Errorf("run a script beside sandbox %s: %w", inst.Spec.ID, err)
	}
	return res, nil
}
