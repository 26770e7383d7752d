package fence_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox/fence"
)

// benchHost returns a fencing Host with opts (CgroupParent set here),
// closed after the benchmark, and a prepared root for sandbox folders; or
// skips where nothing can fence.
func benchHost(b *testing.B, opts fence.Options) (*fence.Host, string) {
	b.Helper()
	opts.CgroupParent = "opslab-bench"
	h := fence.Detect(opts)
	if !h.Fenced() {
		b.Skip(fence.Summary(h.Problems()))
	}
	b.Cleanup(func() { _ = h.Close() })
	return h, sandboxRoot(b, h)
}

// BenchmarkNewClose measures making a fence (a seat made ahead, its tmpfs,
// its group renamed and limited), with no process inside; its removal is
// not timed (a sandbox's stop is off the start path).
func BenchmarkNewClose(b *testing.B) {
	h, root := benchHost(b, fence.Options{})
	lim := fence.Limits{MemoryBytes: 256 << 20, MilliCPU: 1000, Pids: 32, DiskBytes: 128 << 20}
	i := 0
	for b.Loop() {
		i++
		id := "b-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(i)
		f, err := h.New(id, filepath.Join(root, id), lim)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkDial measures one connection into a fence's namespace (to a
// redis-server inside), beside the same on the host's loopback.
func BenchmarkDial(b *testing.B) {
	h, root := benchHost(b, fence.Options{})
	f, err := h.New("dial", filepath.Join(root, "dial"), fence.Limits{MemoryBytes: 256 << 20, MilliCPU: 1000, Pids: 32, DiskBytes: 16 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command("redis-server", "--port", "6399", "--save", "", "--dir", f.Dir())
	if err := f.Start(cmd); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for range 200 {
		if c, err := f.Dial(context.Background(), "127.0.0.1:6399"); err == nil {
			c.Close()
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for b.Loop() {
		c, err := f.Dial(context.Background(), "127.0.0.1:6399")
		if err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkSpawn measures what a sandbox start pays for its fence: making
// the fence and running /bin/true inside it to its end, with the fence of
// the last round removed in between (untimed, as a stop is off the start
// path, but its removal is what makes the kernel's next cgroup v1 move
// wait). made-ahead takes fences from the Host's seats, which closed
// fences give back (the default); on-demand makes each one when asked and
// removes it whole (Options.Seats < 0), moving a thread into the new
// group on the way.
func BenchmarkSpawn(b *testing.B) {
	for _, bc := range []struct {
		name  string
		seats int
	}{{"made-ahead", 0}, {"on-demand", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			h, root := benchHost(b, fence.Options{Seats: bc.seats})
			lim := fence.Limits{MemoryBytes: 256 << 20, MilliCPU: 1000, Pids: 32, DiskBytes: 16 << 20}
			i := 0
			for b.Loop() {
				i++
				id := "s-" + strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(i)
				f, err := h.New(id, filepath.Join(root, id), lim)
				if err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command("/bin/true")
				if err := f.Start(cmd); err != nil {
					b.Fatal(err)
				}
				if err := cmd.Wait(); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := f.Close(); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
