package container

import (
	"os"

	"github.com/opslab/opslab/internal/sandbox"
)

// Capabilities says what the driver does with kind's sandboxes: it runs
// every kind (postgres and stack only as root, see postgres.go: not root,
// it neither runs nor adopts them); its containers keep running while the
// platform restarts, so it adopts every kind it runs; every kind with a
// Kafka node (kafka, kafka-cluster, stack) runs real Apache Kafka brokers;
// it stops and starts the brokers of a kafka-cluster one by one (StopNode,
// StartNode, NodeRunning), and no other kind's nodes (a stack's servers
// are stopped only together); and every kind's sandbox has a workstation
// container for the learner's shell (see workstation.go).
func (d *Driver) Capabilities(kind sandbox.Kind) sandbox.Capabilities {
	// A PostgreSQL server's data directory is a tmpfs the driver mounts:
	// a driver that is not root runs no postgres or stack sandbox.
	runs := kind.Valid() && (!kind.HasFamily(sandbox.KindPostgres) || os.Geteuid() == 0)
	return sandbox.Capabilities{
		Runs:          runs,
		Adopts:        runs,
		RealKafka:     runs && kind.HasFamily(sandbox.KindKafka),
		ControlsNodes: kind == sandbox.KindKafkaCluster,
		Shell:         runs,
	}
}

var _ sandbox.Driver = (*Driver)(nil)
