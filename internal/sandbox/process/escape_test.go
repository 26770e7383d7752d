package process_test

import (
	"syscall"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/escapetest"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// TestEscape runs the escape suite against the process driver, with the
// kernel's fence: the disk attack also checks that the sandbox's folder is
// its tmpfs, of the size process.Limits promises, and the Kafka bomb must
// kill the opslab-kfake child (its memory limit is there), not the platform.
func TestEscape(t *testing.T) {
	d := mustDriver(t, process.Options{})
	escapetest.Run(t, escapetest.Config{
		Driver: d,
		Spec:   spec,
		// kfake holds 200000 partitions within its limit; ten times that
		// exhausts it.
		KafkaBombKills: true,
		Disk: func(t *testing.T, inst sandbox.Instance) {
			var st syscall.Statfs_t
			if err := syscall.Statfs(inst.Dir, &st); err != nil {
				t.Fatal(err)
			}
			if size, limit := int64(st.Blocks)*st.Bsize, process.Limits(inst.Spec, false).DiskBytes; size != limit {
				t.Fatalf("the sandbox's folder is %d bytes, want its tmpfs of %d", size, limit)
			}
		},
	})
}
