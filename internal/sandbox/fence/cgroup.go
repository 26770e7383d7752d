package fence

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// cgroups makes, fills and removes the control groups of sandboxes, on one
// of the two cgroup versions.
type cgroups interface {
	// version is "v1" or "v2", for messages.
	version() string
	// create makes the group name with lim's memory, CPU and process
	// limits, and returns it.
	create(name string, lim Limits) (group, error)
	// open returns the group name as it exists, for a leftover's removal.
	open(name string) group
	// children lists the names of the groups in the sandboxes' folder.
	children() []string
	// threadsJoin reports whether a process can only join its group by
	// being forked from a thread already inside (v1), rather than straight
	// into it (v2, CLONE_INTO_CGROUP): seats then make their group ahead
	// and keep their thread in it (see seat).
	threadsJoin() bool
}

// group is one sandbox's control group.
type group interface {
	// prepare readies cmd's SysProcAttr so the process starts inside the
	// group (cgroup v2: CLONE_INTO_CGROUP); it returns a cleanup to call
	// once the process has started.
	prepare(attr *syscall.SysProcAttr) (func(), error)
	// joinThread moves the calling thread (a seat's, locked to it) into
	// the group for good, so that every process it forks starts there
	// (cgroup v1, which has no CLONE_INTO_CGROUP; moving a process after
	// it started would let it fork out of reach first).
	joinThread() error
	// adopt renames the group to name and sets lim, plus one process for
	// the seat's thread inside: how a group made ahead becomes a
	// sandbox's, and an emptied one a seat's again (cgroup v1 only).
	adopt(name string, lim Limits) error
	// pids lists the processes in the group.
	pids() ([]int, error)
	// oomKills counts the processes the kernel killed for the memory limit
	// in the group's life (a reused group's included).
	oomKills() int
	// empty kills every process in the group and waits until none is
	// left (a seat's thread, the platform's, stays).
	empty() error
	// remove empties the group and removes it. A group that does not exist
	// is no error.
	remove() error
}

// cgroupRoot is where the cgroup file systems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// v1Controllers are the controllers of cgroup v1 a sandbox is limited by.
var v1Controllers = []string{"memory", "cpu", "pids"}

// cpuPeriodMicros is the CFS period a CPU quota is expressed against.
const cpuPeriodMicros = 100000

// detectCgroups returns the cgroup hierarchy of this machine with parent
// as the folder of the sandboxes' groups, after proving it can be written
// by making and removing a group; or an error that says what is missing.
func detectCgroups(root, parent string) (cgroups, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		return nil, fmt.Errorf("no cgroup file system at %s: %w", root, err)
	}
	var c cgroups
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		v2, err := newCgroupV2(root, parent)
		if err != nil {
			return nil, err
		}
		c = v2
	} else {
		for _, ctl := range v1Controllers {
			if _, err := os.Stat(filepath.Join(root, ctl, "cgroup.procs")); err != nil {
				return nil, fmt.Errorf("cgroup v1: the %s controller is not mounted at %s: %w", ctl, filepath.Join(root, ctl), err)
			}
		}
		c = &cgroupV1{root: root, parent: parent}
	}
	probe := "probe-" + strconv.Itoa(os.Getpid())
	g, err := c.create(probe, Limits{MemoryBytes: 64 << 20, MilliCPU: 1000, Pids: 16})
	if err != nil {
		return nil, err
	}
	if err := g.remove(); err != nil {
		return nil, err
	}
	return c, nil
}

// cgroupV1 is a hybrid or legacy hierarchy: one mount per controller.
type cgroupV1 struct {
	root   string // /sys/fs/cgroup
	parent string // the sandboxes' folder in every controller, e.g. "opslab"
}

func (c *cgroupV1) version() string { return "v1" }

func (c *cgroupV1) threadsJoin() bool { return true }

func (c *cgroupV1) children() []string {
	return childDirs(filepath.Join(c.root, v1Controllers[0], c.parent))
}

func (c *cgroupV1) open(name string) group {
	g := &groupV1{root: c.root}
	for _, ctl := range v1Controllers {
		g.dirs = append(g.dirs, filepath.Join(c.root, ctl, c.parent, name))
	}
	return g
}

func (c *cgroupV1) create(name string, lim Limits) (group, error) {
	g := c.open(name).(*groupV1)
	for _, dir := range g.dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			_ = g.remove()
			return nil, fmt.Errorf("cgroup v1: make %s: %w", dir, err)
		}
	}
	if err := g.limit(lim, 0); err != nil {
		_ = g.remove()
		return nil, err
	}
	return g, nil
}

// groupV1 is a sandbox's group in each of v1Controllers, in that order.
type groupV1 struct {
	root string   // where the controllers are mounted
	dirs []string // the group in each controller
}

// limit writes lim into the group's files, with extraPids processes more.
func (g *groupV1) limit(lim Limits, extraPids int) error {
	mem, cpu, pids := g.dirs[0], g.dirs[1], g.dirs[2]
	writes := []cgroupWrite{
		// memory.limit_in_bytes may never exceed memsw's: lift memsw first
		// (nothing runs in the group yet, bar a seat's idle thread).
		{filepath.Join(mem, "memory.memsw.limit_in_bytes"), "-1", true},
		{filepath.Join(mem, "memory.limit_in_bytes"), strconv.FormatInt(lim.MemoryBytes, 10), false},
		// No swap either; these two exist only with swap accounting on.
		{filepath.Join(mem, "memory.memsw.limit_in_bytes"), strconv.FormatInt(lim.MemoryBytes, 10), true},
		{filepath.Join(mem, "memory.swappiness"), "0", true},
		{filepath.Join(cpu, "cpu.cfs_period_us"), strconv.Itoa(cpuPeriodMicros), false},
		{filepath.Join(cpu, "cpu.cfs_quota_us"), strconv.Itoa(lim.MilliCPU * cpuPeriodMicros / 1000), false},
		{filepath.Join(pids, "pids.max"), strconv.Itoa(lim.Pids + extraPids), false},
		// A group handed from one sandbox to the next starts its peaks anew.
		{filepath.Join(mem, "memory.max_usage_in_bytes"), "0", true},
		{filepath.Join(mem, "memory.failcnt"), "0", true},
	}
	if err := applyWrites(writes); err != nil {
		return fmt.Errorf("cgroup v1: %w", err)
	}
	return nil
}

func (g *groupV1) adopt(name string, lim Limits) error {
	renamed := make([]string, len(g.dirs))
	for i, dir := range g.dirs {
		renamed[i] = filepath.Join(filepath.Dir(dir), name)
		if err := os.Rename(dir, renamed[i]); err != nil {
			// Put back what moved, so the seat's group stays whole.
			for j := range i {
				_ = os.Rename(renamed[j], g.dirs[j])
			}
			return fmt.Errorf("cgroup v1: name the group %s: %w", name, err)
		}
	}
	g.dirs = renamed
	return g.limit(lim, 1)
}

func (g *groupV1) prepare(*syscall.SysProcAttr) (func(), error) { return func() {}, nil }

// joinThread writes the thread's id into each controller's "tasks" file,
// which in cgroup v1 moves that one thread.
func (g *groupV1) joinThread() error {
	tid := strconv.Itoa(unix.Gettid())
	for _, dir := range g.dirs {
		if err := os.WriteFile(filepath.Join(dir, "tasks"), []byte(tid), 0); err != nil {
			return fmt.Errorf("cgroup v1: move thread %s into %s: %w", tid, dir, err)
		}
	}
	return nil
}

func (g *groupV1) pids() ([]int, error) {
	// Every process starts in all three groups (see joinThread), and a
	// fork stays in its parent's groups. The seat's thread puts the
	// platform's own pid in the list: it is not the sandbox's.
	pids, err := readPids(filepath.Join(g.dirs[2], "cgroup.procs"))
	return slices.DeleteFunc(pids, func(pid int) bool { return pid == os.Getpid() }), err
}

func (g *groupV1) oomKills() int {
	b, err := os.ReadFile(filepath.Join(g.dirs[0], "memory.oom_control"))
	if err != nil {
		return 0
	}
	return fieldInt(b, "oom_kill")
}

func (g *groupV1) empty() error {
	// Every process is in all three; emptying each costs little and holds
	// even if one was moved out of some of them.
	for _, dir := range g.dirs {
		if err := emptyGroup(dir, ""); err != nil {
			return err
		}
	}
	return nil
}

func (g *groupV1) remove() error {
	if err := g.empty(); err != nil {
		return err
	}
	for _, dir := range g.dirs {
		if err := rmdirGroup(dir); err != nil {
			return err
		}
	}
	return nil
}

// cgroupV2 is a unified hierarchy.
type cgroupV2 struct {
	base string // the sandboxes' parent group, with the controllers enabled
}

// newCgroupV2 finds the platform's own group and makes parent beside it as
// the sandboxes' parent, with the memory, cpu and pids controllers on. A
// group with controllers on for its children may hold no process of its
// own, so when the platform is not in the root group it moves itself into
// a leaf "platform" first (as a systemd unit with Delegate=yes expects).
func newCgroupV2(root, parent string) (*cgroupV2, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: read /proc/self/cgroup: %w", err)
	}
	own := ""
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "0::"); ok {
			own = rest
		}
	}
	if own == "" {
		return nil, errors.New("cgroup v2: /proc/self/cgroup names no unified group")
	}
	ownDir := filepath.Join(root, own)
	if own != "/" {
		leaf := filepath.Join(ownDir, "platform")
		if err := os.MkdirAll(leaf, 0o755); err != nil {
			return nil, fmt.Errorf("cgroup v2: make %s (is the platform's group %s delegated to it?): %w", leaf, own, err)
		}
		procs, err := readPids(filepath.Join(ownDir, "cgroup.procs"))
		if err != nil {
			return nil, fmt.Errorf("cgroup v2: %w", err)
		}
		for _, pid := range procs {
			if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil && !errors.Is(err, syscall.ESRCH) {
				return nil, fmt.Errorf("cgroup v2: move process %d into %s: %w", pid, leaf, err)
			}
		}
	}
	base := filepath.Join(ownDir, parent)
	if err := enableControllers(ownDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("cgroup v2: make %s: %w", base, err)
	}
	if err := enableControllers(base); err != nil {
		return nil, err
	}
	return &cgroupV2{base: base}, nil
}

// enableControllers turns on memory, cpu and pids for dir's children.
func enableControllers(dir string) error {
	avail, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("cgroup v2: %w", err)
	}
	have := strings.Fields(string(avail))
	var missing []string
	for _, ctl := range v1Controllers {
		if !slices.Contains(have, ctl) {
			missing = append(missing, ctl)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cgroup v2: the %s controller(s) are not available in %s (it offers %q): on a hybrid machine they are bound to cgroup v1", strings.Join(missing, ", "), dir, strings.TrimSpace(string(avail)))
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte("+memory +cpu +pids"), 0); err != nil {
		return fmt.Errorf("cgroup v2: enable memory, cpu and pids in %s: %w", dir, err)
	}
	return nil
}

func (c *cgroupV2) version() string { return "v2" }

func (c *cgroupV2) threadsJoin() bool { return false }

func (c *cgroupV2) children() []string { return childDirs(c.base) }

func (c *cgroupV2) open(name string) group { return &groupV2{dir: filepath.Join(c.base, name)} }

func (c *cgroupV2) create(name string, lim Limits) (group, error) {
	g := &groupV2{dir: filepath.Join(c.base, name)}
	if err := os.Mkdir(g.dir, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("cgroup v2: make %s: %w", g.dir, err)
	}
	writes := []cgroupWrite{
		{filepath.Join(g.dir, "memory.max"), strconv.FormatInt(lim.MemoryBytes, 10), false},
		{filepath.Join(g.dir, "memory.swap.max"), "0", true}, // only with swap accounting on
		{filepath.Join(g.dir, "cpu.max"), fmt.Sprintf("%d %d", lim.MilliCPU*cpuPeriodMicros/1000, cpuPeriodMicros), false},
		{filepath.Join(g.dir, "pids.max"), strconv.Itoa(lim.Pids), false},
	}
	if err := applyWrites(writes); err != nil {
		_ = g.remove()
		return nil, fmt.Errorf("cgroup v2: %w", err)
	}
	return g, nil
}

// groupV2 is a sandbox's group in the unified hierarchy.
type groupV2 struct{ dir string }

func (g *groupV2) prepare(attr *syscall.SysProcAttr) (func(), error) {
	f, err := os.Open(g.dir)
	if err != nil {
		return nil, fmt.Errorf("cgroup v2: open %s: %w", g.dir, err)
	}
	attr.UseCgroupFD = true
	attr.CgroupFD = int(f.Fd())
	return func() { f.Close() }, nil
}

func (g *groupV2) joinThread() error { return nil } // prepare forks straight inside

func (g *groupV2) adopt(string, Limits) error {
	return errors.New("cgroup v2: groups are made for their sandbox, never adopted")
}

func (g *groupV2) pids() ([]int, error) { return readPids(filepath.Join(g.dir, "cgroup.procs")) }

func (g *groupV2) oomKills() int {
	b, err := os.ReadFile(filepath.Join(g.dir, "memory.events"))
	if err != nil {
		return 0
	}
	return fieldInt(b, "oom_kill")
}

func (g *groupV2) empty() error { return emptyGroup(g.dir, "cgroup.kill") }

func (g *groupV2) remove() error {
	if err := g.empty(); err != nil {
		return err
	}
	return rmdirGroup(g.dir)
}

// cgroupWrite is one value written to a cgroup file.
type cgroupWrite struct {
	path, value string
	optional    bool // a kernel without this file has nothing to limit there
}

// applyWrites writes each value in order.
func applyWrites(writes []cgroupWrite) error {
	for _, w := range writes {
		if err := os.WriteFile(w.path, []byte(w.value), 0); err != nil {
			if w.optional && errors.Is(err, os.ErrNotExist) {
				continue
			}
			return fmt.Errorf("set %s to %s: %w", w.path, w.value, err)
		}
	}
	return nil
}

// emptyGroup kills every process in the group at dir (through killFile,
// when the kernel has it, else one by one) and waits until none is left.
func emptyGroup(dir, killFile string) error {
	procs := filepath.Join(dir, "cgroup.procs")
	deadline := time.Now().Add(10 * time.Second)
	for {
		pids, err := readPids(procs)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("cgroup: %w", err)
		}
		// On v1 a seat's thread puts the platform's pid in the list: the
		// platform is never a target.
		pids = slices.DeleteFunc(pids, func(pid int) bool { return pid == os.Getpid() })
		if len(pids) == 0 {
			return nil
		}
		killed := false
		if killFile != "" {
			killed = os.WriteFile(filepath.Join(dir, killFile), []byte("1"), 0) == nil
		}
		if !killed {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cgroup: processes %v of %s survive SIGKILL", pids, dir)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rmdirGroup removes an empty group, waiting while the kernel still counts
// a dying process in it. A group that is gone is no error.
func rmdirGroup(dir string) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := unix.Rmdir(dir)
		if err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("cgroup: remove %s: %w", dir, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// childDirs lists the names of the folders in dir (none if it is gone).
func childDirs(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// readPids reads a cgroup.procs file.
func readPids(path string) ([]int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pids []int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if pid, err := strconv.Atoi(strings.TrimSpace(sc.Text())); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// fieldInt returns the number after name in a "name value" per line file.
func fieldInt(b []byte, name string) int {
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == name {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}
