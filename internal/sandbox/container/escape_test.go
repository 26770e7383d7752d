package container

import (
	"testing"

	"github.com/opslab/opslab/internal/sandbox/escapetest"
)

// TestEscape runs the escape suite against the container driver: no
// network, memory, CPU and process limits, a read-only root with a
// size-capped tmpfs for data. Real Apache Kafka takes a bomb of 9999
// partitions, just under what a KRaft controller takes in one request
// (more is a POLICY_VIOLATION).
func TestEscape(t *testing.T) {
	d := newDriver(t, shortDir(t))
	escapetest.Run(t, escapetest.Config{Driver: d, Spec: spec, KafkaBomb: 9999})
}
