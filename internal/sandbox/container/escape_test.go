package container

import (
	"context"
	"strings"
	"testing"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"

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

// TestContainerFence checks from inside each sandbox container what the
// engine promised: no capability at all, no new privileges, a read-only
// root, a size-capped writable data area, and memory, CPU and process
// limits in its cgroup.
func TestContainerFence(t *testing.T) {
	d := newDriver(t, shortDir(t))
	for _, kind := range []sandbox.Kind{sandbox.KindRedis, sandbox.KindKafka} {
		inst := start(t, d, kind)
		id := inst.Spec.ID
		status, _ := execIn(t, d, id, "cat", "/proc/self/status")
		for _, want := range []string{"CapEff:\t0000000000000000", "CapPrm:\t0000000000000000", "CapBnd:\t0000000000000000", "NoNewPrivs:\t1"} {
			if !strings.Contains(status, want) {
				t.Errorf("%s: /proc/self/status lacks %q:\n%s", kind, want, status)
			}
		}
		if out, code := execIn(t, d, id, "sh", "-c", "echo x > /escape"); code == 0 {
			t.Errorf("%s: the root file system is writable: %s", kind, out)
		}
		// The data area is a tmpfs of a fixed size, not the host's disk.
		if out, _ := execIn(t, d, id, "sh", "-c", "grep ' "+dataDir+" ' /proc/mounts"); !strings.Contains(out, "tmpfs") || !strings.Contains(out, "size=") {
			t.Errorf("%s: %s is not a size-capped tmpfs: %q", kind, dataDir, out)
		}
		res, err := d.cli.ContainerInspect(context.Background(), containerName(id), client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		h := res.Container.HostConfig
		if string(h.NetworkMode) != "none" || h.Memory <= 0 || h.PidsLimit == nil || *h.PidsLimit <= 0 || h.NanoCPUs <= 0 || !h.ReadonlyRootfs {
			t.Errorf("%s: host config network=%s memory=%d pids=%v cpus=%d readonly=%v", kind, h.NetworkMode, h.Memory, h.PidsLimit, h.NanoCPUs, h.ReadonlyRootfs)
		}
	}
}
