package fence

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// unifiedRoot is where a hybrid machine mounts its cgroup v2 hierarchy,
// whose controllers are all bound to v1: the v2 plumbing (start inside a
// group, kill the group, remove it) can be tested there, the limits not.
const unifiedRoot = "/sys/fs/cgroup/unified"

func requireUnified(t *testing.T) {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(unifiedRoot, &st); err != nil || st.Type != 0x63677270 || os.Geteuid() != 0 {
		t.Skip("no writable cgroup v2 hierarchy at " + unifiedRoot)
	}
}

// On a hybrid machine, detection of the v2 hierarchy says which
// controllers are missing from it.
func TestCgroupV2DetectionNamesMissingControllers(t *testing.T) {
	requireUnified(t)
	b, _ := os.ReadFile("/proc/self/cgroup")
	if !strings.Contains(string(b), "0::/\n") {
		t.Skip("the platform is not in the v2 root group here")
	}
	_, err := detectCgroups(unifiedRoot, "opslab-test-v2")
	if err == nil {
		t.Skip("this machine's v2 hierarchy has the controllers: the fence tests cover it")
	}
	if !strings.Contains(err.Error(), "cgroup v2") || !strings.Contains(err.Error(), "memory") {
		t.Fatalf("detection error = %v", err)
	}
}

// A process started through a v2 group's prepare (CLONE_INTO_CGROUP) is in
// the group from its first instruction, and remove kills and removes it all.
func TestCgroupV2StartsInsideAndRemoves(t *testing.T) {
	requireUnified(t)
	parent := filepath.Join(unifiedRoot, "opslab-test-v2")
	if err := os.MkdirAll(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(parent)
	name := "g-" + strconv.Itoa(os.Getpid())
	g := &groupV2{dir: filepath.Join(parent, name)}
	if err := os.Mkdir(g.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/bin/sh", "-c", "sleep 600 & sleep 600")
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	cleanup, err := g.prepare(cmd.SysProcAttr)
	if err != nil {
		t.Fatal(err)
	}
	err = spawn(cmd)
	cleanup()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cgroup")
	if err != nil || !strings.Contains(string(b), "0::/opslab-test-v2/"+name+"\n") {
		t.Fatalf("the process's groups: %q %v", b, err)
	}
	if err := g.remove(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("the process survived its group's removal")
	}
	if _, err := os.Stat(g.dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the group is still there: %v", err)
	}
}
