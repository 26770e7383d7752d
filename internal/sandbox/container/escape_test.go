package container

import (
	"testing"

	"github.com/opslab/opslab/internal/sandbox/escapetest"
)

// TestEscape runs the escape suite against the container driver: no
// network, memory, CPU and process limits, a read-only root with a
// size-capped tmpfs for data. Real Apache Kafka takes a smaller partition
// bomb, which already exceeds what its JVM's heap holds.
func TestEscape(t *testing.T) {
	d := newDriver(t, shortDir(t))
	escapetest.Run(t, escapetest.Config{Driver: d, Spec: spec, KafkaBomb: 20000})
}
