package lab

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/console/servicectl"
	"github.com/opslab/opslab/internal/sandbox"
)

// serviceTimeout bounds one systemctl line: a broker's clean shutdown and
// the JVM start of a new one take seconds, not the milliseconds of a tool
// command.
const serviceTimeout = 45 * time.Second

// execService runs a systemctl command on node of inst: stop, start and
// restart the node's Kafka broker, or show whether it runs. It returns
// what systemctl would print, and an error when the command was refused
// or failed (the output then says why).
func (s *Service) execService(ctx context.Context, inst sandbox.Instance, node sandbox.Node, cmd servicectl.Command) (string, error) {
	mgr := s.cfg.Sandboxes
	if !mgr.Capabilities(inst.Spec.Kind).ControlsNodes {
		err := errors.New("systemctl: " + noServiceText(mgr, inst.Spec.Kind))
		return withNewline(err.Error()), err
	}
	ctx, cancel := context.WithTimeout(ctx, serviceTimeout)
	defer cancel()
	id := brokerID(node.Name)
	switch cmd.Verb {
	case servicectl.Status, servicectl.IsActive:
		up, err := mgr.NodeRunning(ctx, inst, node.Name)
		if err != nil {
			s.log.Error("systemctl", "verb", cmd.Verb, "node", node.Name, "err", err)
			return "systemctl: the broker's state could not be read; try again\n", err
		}
		if cmd.Verb == servicectl.IsActive {
			return servicectl.IsActiveText(up), nil
		}
		return servicectl.StatusText(node.Name, id, up), nil
	}
	type step func(context.Context, sandbox.Instance, string) error
	var steps []step
	switch cmd.Verb {
	case servicectl.Stop:
		steps = []step{mgr.StopNode}
	case servicectl.Start:
		steps = []step{mgr.StartNode}
	case servicectl.Restart:
		steps = []step{mgr.StopNode, mgr.StartNode}
	}
	for _, step := range steps {
		if err := step(ctx, inst, node.Name); err != nil {
			s.log.Error("systemctl", "verb", cmd.Verb, "node", node.Name, "err", err)
			if isTimeout(err) && cmd.Verb != servicectl.Stop {
				return fmt.Sprintf("Job for %s failed: the broker runs but has not registered with the controller within %s. A KRaft cluster needs a majority of its controllers running: start the other stopped brokers.\n", servicectl.Unit, serviceTimeout), err
			}
			if isTimeout(err) {
				return fmt.Sprintf("Job for %s failed: the broker did not stop within %s.\n", servicectl.Unit, serviceTimeout), err
			}
			return fmt.Sprintf("Job for %s failed: %s\n", servicectl.Unit, firstLine(err.Error())), err
		}
	}
	return "", nil
}

// noServiceText says why systemctl cannot run on kind's nodes here.
func noServiceText(mgr *sandbox.Manager, kind sandbox.Kind) string {
	switch {
	case kind != sandbox.KindKafkaCluster:
		return fmt.Sprintf("a %s sandbox runs no service you can stop: stopping or starting a broker is for the brokers of a kafka-cluster", kind)
	case !mgr.Capabilities(kind).RealKafka:
		return "these brokers are kfake, an in-process stand-in for Kafka, and cannot be stopped one by one. Broker drills need real Apache Kafka brokers: this server's operator runs them with `opslab serve --sandbox container`"
	}
	return "this server cannot stop or start the brokers of a " + string(kind) + " sandbox"
}

// brokerID is the node.id of the broker on node: its place in the kind's
// node list (broker-0 is 0).
func brokerID(node string) int {
	if n, ok := strings.CutPrefix(node, "broker-"); ok {
		if id, err := strconv.Atoi(n); err == nil {
			return id
		}
	}
	return 0
}

// firstLine returns s up to its first newline.
func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
