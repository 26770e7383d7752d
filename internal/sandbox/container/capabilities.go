package container

import (
	"github.com/opslab/opslab/internal/sandbox"
)

// Capabilities says what the driver does with kind's sandboxes: it runs
// every kind (postgres only as root, see postgres.go); its containers keep running while the platform restarts, so
// it adopts every kind; every Kafka kind runs real Apache Kafka brokers;
// and it stops and starts the brokers of a kafka-cluster one by one
// (StopNode, StartNode, NodeRunning); and every kind's sandbox has a
// workstation container for the learner's shell (see workstation.go).
func (d *Driver) Capabilities(kind sandbox.Kind) sandbox.Capabilities {
	runs := kind.Valid()
	return sandbox.Capabilities{
		Runs:          runs,
		Adopts:        runs,
		RealKafka:     runs && kind.HasFamily(sandbox.KindKafka),
		ControlsNodes: kind == sandbox.KindKafkaCluster,
		Shell:         runs,
	}
}

var _ sandbox.Driver = (*Driver)(nil)
