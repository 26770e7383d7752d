package sandbox

import (
	"context"
	"fmt"
)

// RealKafka reports whether the manager's sandboxes of kind run real Apache
// Kafka brokers (not kfake).
func (m *Manager) RealKafka(kind Kind) bool {
	r, ok := m.driver.(RealKafkaReporter)
	return ok && kind.Family() == KindKafka && r.RealKafka(kind)
}

// CanControlNodes reports whether StopNode and StartNode work on the nodes
// of kind's sandboxes.
func (m *Manager) CanControlNodes(kind Kind) bool {
	c, ok := m.driver.(NodeController)
	return ok && c.CanControlNodes(kind)
}

// StopNode stops the server of one node of inst (see NodeController). It
// returns an error wrapping ErrUnsupported when the driver cannot, and
// ErrInvalid for a node inst does not have.
func (m *Manager) StopNode(ctx context.Context, inst Instance, node string) error {
	c, err := m.nodeController(inst, node)
	if err != nil {
		return fmt.Errorf("stop node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	if err := c.StopNode(ctx, inst.Spec.ID, node); err != nil {
		return fmt.Errorf("stop node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	return nil
}

// StartNode starts the server of one node of inst again (see
// NodeController), with the errors of StopNode.
func (m *Manager) StartNode(ctx context.Context, inst Instance, node string) error {
	c, err := m.nodeController(inst, node)
	if err != nil {
		return fmt.Errorf("start node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	if err := c.StartNode(ctx, inst.Spec.ID, node); err != nil {
		return fmt.Errorf("start node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	return nil
}

// NodeRunning reports whether the server of one node of inst runs, with
// the errors of StopNode.
func (m *Manager) NodeRunning(ctx context.Context, inst Instance, node string) (bool, error) {
	c, err := m.nodeController(inst, node)
	if err != nil {
		return false, fmt.Errorf("state of node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	up, err := c.NodeRunning(ctx, inst.Spec.ID, node)
	if err != nil {
		return false, fmt.Errorf("state of node %s of sandbox %s: %w", node, inst.Spec.ID, err)
	}
	return up, nil
}

func (m *Manager) nodeController(inst Instance, node string) (NodeController, error) {
	if !inst.Spec.Kind.HasNode(node) {
		return nil, fmt.Errorf("%w: a %s sandbox has no node %q", ErrInvalid, inst.Spec.Kind, node)
	}
	c, ok := m.driver.(NodeController)
	if !ok || !c.CanControlNodes(inst.Spec.Kind) {
		return nil, fmt.Errorf("%w: the %s driver cannot stop or start the nodes of %s sandboxes", ErrUnsupported, m.driver.Name(), inst.Spec.Kind)
	}
	return c, nil
}
