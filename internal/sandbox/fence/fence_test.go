package fence_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox/fence"
)

// testLimits are small limits, so that each attack hits them fast.
var testLimits = fence.Limits{MemoryBytes: 48 << 20, MilliCPU: 500, Pids: 12, DiskBytes: 4 << 20}

// newHost returns a fencing Host, or skips the test where this machine
// cannot fence (not root): CI runs as root, so there it never skips.
func newHost(t *testing.T) *fence.Host {
	t.Helper()
	h := fence.Detect(fence.Options{CgroupParent: "opslab-test"})
	if !h.Fenced() {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must be able to fence sandboxes: %s", fence.Summary(h.Problems()))
		}
		t.Skipf("cannot fence here: %s", fence.Summary(h.Problems()))
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// sandboxRoot returns a fresh folder for sandbox folders, prepared by h
// (its parent searchable by the sandboxes' users), removed at the end.
func sandboxRoot(tb testing.TB, h *fence.Host) string {
	tb.Helper()
	tmp, err := os.MkdirTemp("", "fence-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o711); err != nil {
		tb.Fatal(err)
	}
	root := filepath.Join(tmp, "sandboxes")
	if err := h.PrepareRoot(root); err != nil {
		tb.Fatal(err)
	}
	return root
}

// newFence makes a fence with lim under a fresh root, closed at the end.
func newFence(t *testing.T, h *fence.Host, lim fence.Limits) *fence.Fence {
	t.Helper()
	root := sandboxRoot(t, h)
	id := fmt.Sprintf("t-%d-%d", os.Getpid(), time.Now().UnixNano())
	f, err := h.New(id, filepath.Join(root, id), lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Error(err)
		}
	})
	return f
}

// run runs a bash script inside f and returns its output and error.
func run(t *testing.T, f *fence.Fence, script string) (string, error) {
	t.Helper()
	return runShell(t, f, "/bin/bash", script)
}

// runShell runs script with shell inside f.
func runShell(t *testing.T, f *fence.Fence, shell, script string) (string, error) {
	t.Helper()
	cmd := exec.Command(shell, "-c", script)
	cmd.Dir = f.Dir()
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := f.Start(cmd); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	return out.String(), err
}

// listen starts a TCP listener on the host's loopback that counts the
// connections it accepts.
func listen(t *testing.T) (port int, accepted func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	n := make(chan int, 1)
	n <- 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n <- <-n + 1
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port, func() int { v := <-n; n <- v; return v }
}

func TestNetworkNamespace(t *testing.T) {
	h := newHost(t)
	f := newFence(t, h, testLimits)
	port, accepted := listen(t)

	t.Run("NoRouteToHostLoopback", func(t *testing.T) {
		out, err := run(t, f, fmt.Sprintf("exec 3<>/dev/tcp/127.0.0.1/%d && echo connected", port))
		if err == nil || strings.Contains(out, "connected") {
			t.Fatalf("a process in the fence reached the host's loopback: %q %v", out, err)
		}
		if !strings.Contains(out, "Connection refused") {
			t.Errorf("want the sandbox's own empty loopback to refuse, got %q", out)
		}
	})
	t.Run("NoRouteOut", func(t *testing.T) {
		out, err := run(t, f, "exec 3<>/dev/tcp/192.0.2.1/80 && echo connected")
		if err == nil || !strings.Contains(out, "Network is unreachable") {
			t.Fatalf("want no route out of the fence, got %q %v", out, err)
		}
	})
	t.Run("OnlyLoopbackInterface", func(t *testing.T) {
		out, err := run(t, f, "cat /proc/net/dev")
		if err != nil {
			t.Fatal(err, out)
		}
		var ifaces []string
		for _, line := range strings.Split(out, "\n")[2:] {
			if name, _, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
				ifaces = append(ifaces, name)
			}
		}
		if len(ifaces) != 1 || ifaces[0] != "lo" {
			t.Fatalf("interfaces in the fence: %v, want only lo", ifaces)
		}
	})
	if n := accepted(); n != 0 {
		t.Fatalf("the host's listener accepted %d connections from the fence", n)
	}

	t.Run("DialReachesInside", func(t *testing.T) {
		redis, err := exec.LookPath("redis-server")
		if err != nil {
			t.Skip("redis-server not installed")
		}
		cmd := exec.Command(redis, "--port", "6399", "--bind", "127.0.0.1", "--save", "", "--dir", f.Dir())
		cmd.Dir = f.Dir()
		if err := f.Start(cmd); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		var c net.Conn
		for range 200 {
			if c, err = f.Dial(context.Background(), "127.0.0.1:6399"); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 7)
		if _, err := c.Read(buf); err != nil || string(buf) != "+PONG\r\n" {
			t.Fatalf("PING through Dial: %q %v", buf, err)
		}
		// The same port on the host is not the sandbox's.
		if hc, err := net.DialTimeout("tcp", "127.0.0.1:6399", time.Second); err == nil {
			hc.Close()
			t.Fatal("the sandbox's port is reachable on the host's loopback")
		}
	})
}

func TestUserAndLimits(t *testing.T) {
	h := newHost(t)
	f := newFence(t, h, testLimits)

	t.Run("OwnUser", func(t *testing.T) {
		out, err := run(t, f, "id -u; id -G; touch mine && stat -c %u mine")
		if err != nil {
			t.Fatal(err, out)
		}
		uid := strconv.Itoa(f.UID())
		if want := uid + "\n" + uid + "\n" + uid + "\n"; out != want {
			t.Fatalf("user, groups and file owner in the fence: %q, want %q", out, want)
		}
		if f.UID() < fence.DefaultFirstUID {
			t.Fatalf("uid %d is below the sandbox range", f.UID())
		}
	})
	t.Run("CannotReadPlatformFiles", func(t *testing.T) {
		secret := filepath.Join(filepath.Dir(filepath.Dir(f.Dir())), "secret")
		if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, f, "cat "+secret)
		if err == nil || strings.Contains(out, "s3cret") {
			t.Fatalf("the sandbox read a platform file: %q", out)
		}
	})
	t.Run("Disk", func(t *testing.T) {
		out, err := run(t, f, "dd if=/dev/zero of=big bs=1M count=64")
		if err == nil || !strings.Contains(out, "No space left on device") {
			t.Fatalf("want the tmpfs to fill at %d bytes, got %q %v", testLimits.DiskBytes, out, err)
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(f.Dir(), &st); err != nil {
			t.Fatal(err)
		}
		if size := int64(st.Blocks) * st.Bsize; size != testLimits.DiskBytes {
			t.Fatalf("tmpfs size %d, want %d", size, testLimits.DiskBytes)
		}
		_, _ = run(t, f, "rm -f big")
	})
	t.Run("Memory", func(t *testing.T) {
		before := f.OOMKills()
		out, err := run(t, f, "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived ${#x}")
		if strings.Contains(out, "survived") {
			t.Fatalf("200 MB in a %d-byte fence: %q", testLimits.MemoryBytes, out)
		}
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("want the process killed, got %v", err)
		}
		if f.OOMKills() <= before {
			t.Fatalf("the kernel counted no OOM kill in the fence (before %d, after %d)", before, f.OOMKills())
		}
	})
	t.Run("Processes", func(t *testing.T) {
		out, _ := runShell(t, f, "/bin/sh", "for i in $(seq 30); do sleep 60 >/dev/null 2>&1 & done")
		pids, err := f.Pids()
		if err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if len(pids) == 0 || len(pids) > testLimits.Pids {
			t.Fatalf("%d processes left in a fence of %d (%q)", len(pids), testLimits.Pids, out)
		}
	})
	t.Run("CPU", func(t *testing.T) {
		// The limit is the kernel's: read it back from the group.
		switch h.CgroupVersion() {
		case "v1":
			b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup/cpu/opslab-test", filepath.Base(f.Dir()), "cpu.cfs_quota_us"))
			if err != nil || strings.TrimSpace(string(b)) != "50000" {
				t.Fatalf("cpu.cfs_quota_us = %q %v, want 50000 (half a core)", b, err)
			}
		case "v2":
			out, err := run(t, f, "cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/cpu.max")
			if err != nil || strings.TrimSpace(out) != "50000 100000" {
				t.Fatalf("cpu.max = %q %v", out, err)
			}
		}
	})
}

func TestCloseLeavesNothing(t *testing.T) {
	h := newHost(t)
	root := sandboxRoot(t, h)
	for _, crash := range []bool{false, true} {
		id := fmt.Sprintf("t-close-%d-%v", os.Getpid(), crash)
		dir := filepath.Join(root, id)
		var (
			pid int
			err error
		)
		if crash {
			// A platform that died left it all: the next one removes it.
			var platform int
			platform, pid = crashWithFence(t, id, dir)
			err = h.Remove(id, dir)
			// The groups of the fences it had made ahead are removed by the
			// next Host's first fence.
			h2 := newHost(t)
			_ = newFence(t, h2, testLimits)
			left, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/opslab-test/seat-%d-*", platform))
			if len(left) > 0 {
				t.Errorf("the dead platform's fences made ahead are still there: %v", left)
			}
		} else {
			f, err := h.New(id, dir, testLimits)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/bin/sleep", "600")
			cmd.Dir = dir
			if err := f.Start(cmd); err != nil {
				t.Fatal(err)
			}
			go func() { _ = cmd.Wait() }()
			pid = cmd.Process.Pid
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, 0); err == nil {
			if st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); !bytes.Contains(st, []byte(") Z")) {
				t.Errorf("crash=%v: the sandbox's process still runs", crash)
			}
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("crash=%v: the folder is still there: %v", crash, err)
		}
		mounts, _ := os.ReadFile("/proc/self/mountinfo")
		if bytes.Contains(mounts, []byte(dir)) {
			t.Errorf("crash=%v: the tmpfs is still mounted", crash)
		}
		if h.CgroupVersion() == "v1" {
			for _, ctl := range []string{"memory", "cpu", "pids"} {
				if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", ctl, "opslab-test", id)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("crash=%v: the %s group is still there", crash, ctl)
				}
			}
		}
	}
}

// crashWithFence runs this test binary as a platform that makes the fence
// of sandbox id at dir, starts a process in it and dies by SIGKILL, and
// returns the platform's pid and that process's.
func crashWithFence(t *testing.T, id, dir string) (platform, pid int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCrashingPlatform$")
	cmd.Env = append(os.Environ(), "FENCE_CRASH_ID="+id, "FENCE_CRASH_DIR="+dir)
	out, err := cmd.Output()
	var status syscall.WaitStatus
	if ee, ok := err.(*exec.ExitError); ok {
		status, _ = ee.Sys().(syscall.WaitStatus)
	}
	if !status.Signaled() || status.Signal() != syscall.SIGKILL {
		t.Fatalf("the crashing platform: %v: %s", err, out)
	}
	pid, err = strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("the crashing platform printed %q", out)
	}
	return cmd.Process.Pid, pid
}

// TestCrashingPlatform is the platform of crashWithFence; it runs only
// when asked by it.
func TestCrashingPlatform(t *testing.T) {
	id, dir := os.Getenv("FENCE_CRASH_ID"), os.Getenv("FENCE_CRASH_DIR")
	if id == "" {
		t.Skip("run by TestCloseLeavesNothing")
	}
	h := fence.Detect(fence.Options{CgroupParent: "opslab-test"})
	f, err := h.New(id, dir, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sleep", "600")
	cmd.Dir = dir
	if err := f.Start(cmd); err != nil {
		t.Fatal(err)
	}
	fmt.Println(cmd.Process.Pid)
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {}
}

func TestUnfencedIsExplicit(t *testing.T) {
	h := fence.Detect(fence.Options{Off: true})
	if h.Fenced() || !h.Off() || len(h.Problems()) != 0 {
		t.Fatalf("Off host: fenced=%v off=%v problems=%v", h.Fenced(), h.Off(), h.Problems())
	}
	if !strings.Contains(h.Describe(), "--unfenced") {
		t.Fatalf("Describe = %q", h.Describe())
	}
	dir := filepath.Join(t.TempDir(), "x")
	f, err := h.New("x", dir, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if f.Fenced() || f.UID() != -1 {
		t.Fatal("an Off host made a real fence")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLimitsValidate(t *testing.T) {
	for _, lim := range []fence.Limits{
		{MemoryBytes: 1 << 20, MilliCPU: 1000, Pids: 10, DiskBytes: 1 << 20},
		{MemoryBytes: 64 << 20, MilliCPU: 2000, Pids: 10, DiskBytes: 1 << 20},
		{MemoryBytes: 64 << 20, MilliCPU: 1000, Pids: 1, DiskBytes: 1 << 20},
		{MemoryBytes: 64 << 20, MilliCPU: 1000, Pids: 10, DiskBytes: 0},
	} {
		if err := lim.Validate(); err == nil {
			t.Errorf("%+v passed", lim)
		}
	}
}

// More fences at once than are made ahead: each one's process is in its
// own namespace and its own groups, whether its fence was made ahead or on
// demand; closing the Host removes the fences it had made ahead.
func TestManyFencesAtOnce(t *testing.T) {
	h := fence.Detect(fence.Options{CgroupParent: "opslab-test", Seats: 2})
	if !h.Fenced() {
		t.Skipf("cannot fence here: %s", fence.Summary(h.Problems()))
	}
	const n = 8
	type seen struct{ netns, groups string }
	got := make([]seen, n)
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- func() error {
				f := newFence(t, h, testLimits)
				out, err := run(t, f, "readlink /proc/self/ns/net; cat /proc/self/cgroup")
				if err != nil {
					return fmt.Errorf("%v: %s", err, out)
				}
				netns, groups, _ := strings.Cut(out, "\n")
				got[i] = seen{netns, groups}
				return nil
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	nets := map[string]bool{}
	for i, s := range got {
		nets[s.netns] = true
		if h.CgroupVersion() == "v1" {
			for _, ctl := range []string{"memory", "pids"} {
				if !strings.Contains(s.groups, ":"+ctl+":/opslab-test/t-") {
					t.Errorf("fence %d: its process is not in its own %s group: %s", i, ctl, s.groups)
				}
			}
		}
	}
	if len(nets) != n {
		t.Errorf("%d fences had %d network namespaces", n, len(nets))
	}

	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/*/opslab-test/seat-%d-*", os.Getpid())); len(left) > 0 {
		t.Errorf("closing the Host left fences made ahead: %v", left)
	}
	if _, err := h.New("after", filepath.Join(t.TempDir(), "after"), testLimits); err == nil {
		t.Error("a closed Host made a fence")
	}
}

// A closed fence's seat (user id, group, thread) serves the next sandbox,
// which finds nothing of the last one: not its processes, its network
// namespace and what listened there, its files, nor its OOM kills.
func TestReusedSeatIsClean(t *testing.T) {
	// A seat given back is the next one taken.
	h := fence.Detect(fence.Options{CgroupParent: "opslab-test", Seats: 1})
	if !h.Fenced() {
		t.Skipf("cannot fence here: %s", fence.Summary(h.Problems()))
	}
	t.Cleanup(func() { _ = h.Close() })
	root := sandboxRoot(t, h)
	firstID, secondID := fmt.Sprintf("first-%d", os.Getpid()), fmt.Sprintf("second-%d", os.Getpid())
	first, err := h.New(firstID, filepath.Join(root, firstID), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	uid := first.UID()
	netns, err := run(t, first, "touch secret; (sleep 600 >/dev/null 2>&1 &); readlink /proc/self/ns/net")
	if err != nil {
		t.Fatal(err, netns)
	}
	if out, _ := run(t, first, "x=$(head -c 200000000 /dev/zero | tr '\\0' a)"); first.OOMKills() == 0 {
		t.Fatalf("no OOM kill in the first fence: %q", out)
	}
	ln := exec.Command("/usr/bin/python3", "-c", "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', 7111)); s.listen(); print('up', flush=True); time.sleep(600)")
	lnOut, _ := ln.StdoutPipe()
	if err := first.Start(ln); err == nil {
		go func() { _ = ln.Wait() }()
		buf := make([]byte, 3)
		_, _ = lnOut.Read(buf)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := h.New(secondID, filepath.Join(root, secondID), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if second.UID() != uid {
		t.Fatalf("the second fence has user %d, the first had %d: the seat was not reused", second.UID(), uid)
	}
	if pids, err := second.Pids(); err != nil || len(pids) != 0 {
		t.Fatalf("processes in the reused fence: %v %v", pids, err)
	}
	if n := second.OOMKills(); n != 0 {
		t.Errorf("the reused fence starts with %d OOM kills", n)
	}
	out, err := run(t, second, "readlink /proc/self/ns/net; ls -A; exec 3<>/dev/tcp/127.0.0.1/7111 && echo connected")
	if strings.Contains(out, strings.TrimSpace(netns)) {
		t.Errorf("the reused fence kept the first one's network namespace %s: %q", netns, out)
	}
	if strings.Contains(out, "secret") || strings.Contains(out, "connected") || err == nil {
		t.Errorf("the reused fence sees the first one's files or listener: %q %v", out, err)
	}
	if h.CgroupVersion() == "v1" {
		b, err := os.ReadFile("/sys/fs/cgroup/memory/opslab-test/" + secondID + "/memory.limit_in_bytes")
		if err != nil || strings.TrimSpace(string(b)) != strconv.FormatInt(testLimits.MemoryBytes, 10) {
			t.Errorf("the reused group's memory limit: %q %v", b, err)
		}
	}
}
