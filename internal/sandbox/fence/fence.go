// Package fence puts each sandbox behind the kernel's walls, so that a
// hostile learner can exhaust or break only their own sandbox:
//
//   - a network namespace of its own, holding nothing but a loopback
//     interface: its processes reach each other there and nothing else (not
//     the host's loopback, not the network, not another sandbox); the
//     platform reaches them through unix sockets in the sandbox's folder or
//     by dialling into the namespace (Fence.Dial);
//   - a control group (cgroup v1 or v2) limiting memory (tmpfs pages
//     included, no swap), CPU time (at most one core) and processes;
//   - a size-capped tmpfs as the sandbox's folder, so its files never touch
//     the platform's disk;
//   - a user id of its own, with no supplementary groups, so that no sandbox
//     can read, signal or connect to another's files and processes, nor the
//     platform's.
//
// A Host says whether this machine can give all of that (Detect) and what
// is missing when it cannot. With Options.Off the same calls run sandboxes
// unfenced, for a single trusted user.
package fence

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// Limits bound one sandbox.
type Limits struct {
	// MemoryBytes bounds the memory of all its processes together, tmpfs
	// pages and kernel memory included; past it the kernel kills one.
	MemoryBytes int64
	// MilliCPU bounds its CPU time, in thousandths of a core: 1000 is one
	// core at most, however many it has.
	MilliCPU int
	// Pids bounds its processes and threads together.
	Pids int
	// DiskBytes is the size of its tmpfs folder.
	DiskBytes int64
}

// Validate returns an error naming the first limit out of range.
func (l Limits) Validate() error {
	switch {
	case l.MemoryBytes < 16<<20:
		return fmt.Errorf("fence: memory limit %d is under 16 MiB", l.MemoryBytes)
	case l.MilliCPU < 10 || l.MilliCPU > 1000:
		return fmt.Errorf("fence: CPU limit %d is outside 10 to 1000 thousandths of a core", l.MilliCPU)
	case l.Pids < 4:
		return fmt.Errorf("fence: process limit %d is under 4", l.Pids)
	case l.DiskBytes < 1<<20:
		return fmt.Errorf("fence: disk limit %d is under 1 MiB", l.DiskBytes)
	}
	return nil
}

// Defaults of Options.
const (
	DefaultCgroupParent = "opslab"
	// DefaultFirstUID is the first user id sandboxes run as: far above the
	// ids of people and of the usual subordinate ranges.
	DefaultFirstUID = 2_000_000_000
	DefaultUIDs     = 65536
)

// Options configure a Host. A zero field takes the default named beside it.
type Options struct {
	// Off runs sandboxes unfenced: no namespace, no cgroup, no tmpfs, and
	// processes under the platform's own user. Only for a single trusted
	// user; the operator must ask for it.
	Off bool
	// CgroupParent is the folder of the sandboxes' groups (cgroup v1: in
	// each controller's hierarchy; v2: beside the platform's own group).
	// Default DefaultCgroupParent.
	CgroupParent string
	// FirstUID and UIDs are the range of user ids sandboxes run as, one
	// each. Default DefaultFirstUID and DefaultUIDs.
	FirstUID, UIDs int
	// CgroupRoot is where the cgroup file systems are mounted. Default
	// /sys/fs/cgroup.
	CgroupRoot string
	// Seats is how many fences are kept made ahead (user id, network
	// namespace, cgroup v1 group with a thread inside: see seat), so that
	// starting a sandbox pays for none of it; a closed fence's seat is
	// kept for the next (up to max(Seats, 64)). 0 is DefaultSeats; a
	// negative number keeps none: each fence is made on demand and
	// removed whole when closed.
	Seats int
}

// Problem is one thing this machine lacks for fencing, and how to get it.
type Problem struct {
	What string // what is missing, and the kernel's answer
	Fix  string // what the operator can do
}

// String returns "what: fix".
func (p Problem) String() string { return p.What + " (" + p.Fix + ")" }

// ErrUnfenced is returned by New on a Host that cannot fence sandboxes and
// was not told to run them unfenced.
var ErrUnfenced = errors.New("sandboxes cannot be fenced on this machine")

// Host is this machine's fencing, detected once. It is safe for concurrent
// use.
type Host struct {
	opts     Options
	cg       cgroups
	problems []Problem

	mu   sync.Mutex
	uids map[int]bool // user ids in use
	next int          // where the search for a free one starts

	seats seats // fences made ahead
}

// Detect finds what this machine offers for fencing: root, network
// namespaces, a writable cgroup hierarchy (v1 or v2) and tmpfs mounts,
// each proven by trying it. It never fails: what is missing is listed by
// Problems. With opts.Off nothing is probed.
func Detect(opts Options) *Host {
	if opts.CgroupParent == "" {
		opts.CgroupParent = DefaultCgroupParent
	}
	if opts.CgroupRoot == "" {
		opts.CgroupRoot = cgroupRoot
	}
	if opts.FirstUID <= 0 {
		opts.FirstUID = DefaultFirstUID
	}
	if opts.UIDs <= 0 {
		opts.UIDs = DefaultUIDs
	}
	if opts.Seats == 0 {
		opts.Seats = DefaultSeats
	}
	h := &Host{opts: opts, uids: map[int]bool{}}
	if opts.Off {
		return h
	}
	asRoot := "run opslab as root (make run does), or in the image of the Dockerfile with what it lists; or pass --unfenced to run sandboxes without a fence, for a single trusted user"
	if os.Geteuid() != 0 {
		h.problems = append(h.problems, Problem{
			What: fmt.Sprintf("the platform runs as user %d, not root: a fence needs CAP_SYS_ADMIN for namespaces, cgroups and tmpfs mounts, and CAP_SETUID to run each sandbox as its own user", os.Geteuid()),
			Fix:  asRoot,
		})
	}
	if ns, err := newNetNS(); err != nil {
		h.problems = append(h.problems, Problem{What: "no network namespaces: " + err.Error(), Fix: asRoot + "; a container needs CAP_SYS_ADMIN (podman run --cap-add SYS_ADMIN) or --privileged"})
	} else {
		ns.Close()
	}
	cg, err := detectCgroups(opts.CgroupRoot, opts.CgroupParent)
	if err != nil {
		h.problems = append(h.problems, Problem{What: "no usable cgroup hierarchy: " + err.Error(), Fix: asRoot + "; mount cgroup v2 at /sys/fs/cgroup (or the v1 memory, cpu and pids controllers) writable, or delegate a cgroup v2 subtree to the platform (systemd: Delegate=yes)"})
	}
	h.cg = cg
	if err := probeTmpfs(); err != nil {
		h.problems = append(h.problems, Problem{What: "cannot mount a tmpfs: " + err.Error(), Fix: asRoot})
	}
	return h
}

// Problems lists what this machine lacks for fencing; empty when every
// sandbox can be fenced, or when the Host is Off.
func (h *Host) Problems() []Problem { return append([]Problem(nil), h.problems...) }

// Off reports whether the Host runs sandboxes unfenced by request.
func (h *Host) Off() bool { return h.opts.Off }

// Fenced reports whether New fences sandboxes: not Off, and nothing missing.
func (h *Host) Fenced() bool { return !h.opts.Off && len(h.problems) == 0 }

// Describe says in one line what a sandbox gets, for logs and /readyz.
func (h *Host) Describe() string {
	switch {
	case h.opts.Off:
		return "unfenced (--unfenced): sandboxes share the platform's network, user and disk"
	case !h.Fenced():
		return "unavailable: " + h.problems[0].What
	}
	return fmt.Sprintf("network namespace, cgroup %s (memory, cpu, pids), size-capped tmpfs, own user id", h.cg.version())
}

// CgroupVersion is "v1" or "v2", or "" when the Host has no cgroups.
func (h *Host) CgroupVersion() string {
	if h.cg == nil {
		return ""
	}
	return h.cg.version()
}

// Fence is one sandbox's fence: its folder, and the seat that holds its
// user, namespace and group (see seat).
type Fence struct {
	host *Host
	id   string
	dir  string
	lim  Limits

	mu      sync.Mutex // guards seat against Close during Start
	seat    *seat      // nil unfenced, and once closed
	cg      group      // the seat's group, adopted or made for the sandbox
	oomBase int        // cg's OOM kills before the sandbox had it
	mounted bool
}

// New makes the fence of the sandbox id around the folder dir, which must
// not exist yet (an existing one is an error wrapping os.ErrExist): the
// folder as a tmpfs of lim.DiskBytes owned by the sandbox's user, a
// network namespace and a cgroup with lim, most of it taken from the
// fences made ahead (Options.Seats). On error nothing is left. Unfenced
// (Off), New only makes the folder. On a Host that can neither fence nor
// is Off, New returns ErrUnfenced.
func (h *Host) New(id, dir string, lim Limits) (*Fence, error) {
	if !h.opts.Off && !h.Fenced() {
		return nil, fmt.Errorf("fence sandbox %s: %w: %s", id, ErrUnfenced, h.problems[0].What)
	}
	if err := lim.Validate(); err != nil {
		return nil, fmt.Errorf("fence sandbox %s: %w", id, err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("fence sandbox %s: %w", id, err)
	}
	f := &Fence{host: h, id: id, dir: dir, lim: lim}
	if h.opts.Off {
		return f, nil
	}
	fail := func(err error) (*Fence, error) {
		_ = f.Close()
		return nil, fmt.Errorf("fence sandbox %s: %w", id, err)
	}
	var err error
	if f.seat, err = h.takeSeat(); err != nil {
		return fail(err)
	}
	opts := fmt.Sprintf("size=%d,mode=0700,uid=%d,gid=%d", lim.DiskBytes, f.seat.uid, f.seat.uid)
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fail(fmt.Errorf("mount its tmpfs: %w", err))
	}
	f.mounted = true
	if f.seat.cg != nil {
		// From here the seat's group is the sandbox's, whatever happens.
		f.cg, f.seat.cg = f.seat.cg, nil
		if err := f.cg.adopt(id, lim); err != nil {
			return fail(err)
		}
	} else if f.cg, err = h.cg.create(id, lim); err != nil {
		return fail(err)
	}
	f.oomBase = f.cg.oomKills()
	openFences.Store(dir, f)
	return f, nil
}

// openFences holds every fence of this process not yet closed, by folder, for
// Host.Remove.
var openFences sync.Map

// Dir returns the sandbox's folder.
func (f *Fence) Dir() string { return f.dir }

// Limits returns the limits the fence was made with.
func (f *Fence) Limits() Limits { return f.lim }

// Fenced reports whether the fence is real (not Off).
func (f *Fence) Fenced() bool { return !f.host.opts.Off }

// UID returns the user id the sandbox's processes run as, or -1 unfenced
// or closed.
func (f *Fence) UID() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seat == nil {
		return -1
	}
	return f.seat.uid
}

// Start starts cmd inside the fence: in its network namespace and group,
// as its user with no supplementary groups, killed if the platform dies or
// the fence is closed (SIGKILL as parent-death signal). cmd's own
// SysProcAttr settings, such as Setpgid, are kept. When Start returns nil
// the process is inside.
func (f *Fence) Start(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if f.host.opts.Off {
		return spawn(cmd)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seat == nil {
		return fmt.Errorf("start %s in sandbox %s: its fence is closed", cmd.Path, f.id)
	}
	uid := uint32(f.seat.uid)
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}
	cleanup, err := f.cg.prepare(cmd.SysProcAttr)
	if err != nil {
		return err
	}
	defer cleanup()
	return f.seat.do(cmd.Start)
}

// WorkstationUID returns the user id a learner's shell beside this
// sandbox runs as: one of a second range as long as the sandboxes', so it
// is never a sandbox's servers' user nor another sandbox's; -1 unfenced or
// closed.
func (f *Fence) WorkstationUID() int {
	uid := f.UID()
	if uid < 0 {
		return -1
	}
	return uid + f.host.opts.UIDs
}

// ErrNoWorkstation is returned by StartInit on a fence that is not real:
// a shell outside the kernel's fence would be a shell on the platform.
var ErrNoWorkstation = errors.New("a terminal needs the sandbox fence; this server runs sandboxes unfenced")

// StartInit starts cmd inside the fence's network namespace and group as
// root, in new mount, process, UTS and IPC namespaces: the init of a
// learner's workstation (package workstation), which builds its own root
// and drops to WorkstationUID itself before running anything a learner
// types. cmd's other SysProcAttr settings (Setsid, Setctty) are kept.
func (f *Fence) StartInit(cmd *exec.Cmd) error {
	if f.host.opts.Off {
		return ErrNoWorkstation
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Cloneflags |= syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC
	cmd.SysProcAttr.Credential = nil
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seat == nil {
		return fmt.Errorf("start %s in sandbox %s: its fence is closed", cmd.Path, f.id)
	}
	cleanup, err := f.cg.prepare(cmd.SysProcAttr)
	if err != nil {
		return err
	}
	defer cleanup()
	return f.seat.do(cmd.Start)
}

// Dial connects to the TCP address addr ("127.0.0.1:port") inside the
// sandbox's network namespace; unfenced, on the host's loopback.
func (f *Fence) Dial(ctx context.Context, addr string) (net.Conn, error) {
	if f.host.opts.Off {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	// A copy of the namespace's descriptor, taken while the fence is
	// still this sandbox's: once closed, its seat may serve another
	// sandbox in a fresh namespace, which this dial must never reach.
	f.mu.Lock()
	var fd int = -1
	var err error
	if f.seat != nil {
		fd, err = unix.Dup(int(f.seat.ns.Fd()))
	}
	f.mu.Unlock()
	if fd < 0 {
		if err == nil {
			err = errors.New("its fence is closed")
		}
		return nil, fmt.Errorf("dial %s in sandbox %s: %w", addr, f.id, err)
	}
	ns := os.NewFile(uintptr(fd), "netns")
	defer ns.Close()
	return dialIn(ctx, ns, addr)
}

// Own gives each path to the sandbox's user, so its processes can use the
// files the platform wrote for them. Unfenced it does nothing.
func (f *Fence) Own(paths ...string) error {
	uid := f.UID()
	if uid < 0 {
		return nil
	}
	for _, p := range paths {
		if err := os.Lchown(p, uid, uid); err != nil {
			return fmt.Errorf("give %s to the sandbox's user: %w", p, err)
		}
	}
	return nil
}

// OOMKills counts the processes the kernel killed for the memory limit.
func (f *Fence) OOMKills() int {
	if f.cg == nil {
		return 0
	}
	return f.cg.oomKills() - f.oomBase
}

// Pids lists the processes inside the fence (nil unfenced).
func (f *Fence) Pids() ([]int, error) {
	if f.cg == nil {
		return nil, nil
	}
	return f.cg.pids()
}

// Close kills every process left inside, unmounts the tmpfs and removes
// the folder. The rest (user id, group, a thread inside it) is emptied and
// given back to the Host's seats in a fresh network namespace, for the
// next sandbox to start without the kernel's slow steps; when that cannot
// be, it is removed. It is safe to call on a half-made fence, and more
// than once.
func (f *Fence) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	openFences.CompareAndDelete(f.dir, f)
	var errs []error
	emptied := true
	if f.cg != nil {
		if err := f.cg.empty(); err != nil {
			errs = append(errs, err)
			emptied = false
		}
	}
	if f.mounted {
		// EINVAL: no longer a mount point; ENOENT: gone (Host.Remove of a
		// leftover by another Host got there first).
		if err := unix.Unmount(f.dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", f.dir, err))
		} else {
			f.mounted = false
		}
	}
	if err := os.RemoveAll(f.dir); err != nil {
		errs = append(errs, err)
	}
	if f.seat != nil && emptied {
		// A seat that cannot be made ready again is removed below.
		if err := f.recycle(); err == nil {
			f.seat = nil
		}
	}
	if f.seat != nil {
		// Ending the seat's thread takes it out of the group, which can
		// then go.
		f.seat.end()
		if f.cg != nil {
			if err := f.cg.remove(); err != nil {
				errs = append(errs, err)
			}
			f.cg = nil
		}
		if err := f.seat.close(f.host); err != nil {
			errs = append(errs, err)
		}
		f.seat = nil
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove the fence of sandbox %s: %w", f.id, err)
	}
	return nil
}

// recycle makes the emptied fence's seat ready for another sandbox and
// gives it to the Host (which may close it, having enough). On error the
// seat is still f's, its group in f.cg or in the seat, for Close to
// remove.
func (f *Fence) recycle() error {
	s := f.seat
	if f.host.cg.threadsJoin() {
		name := newSeatName()
		if err := f.cg.adopt(name, seatLimits); err != nil {
			return err
		}
		s.name, s.cg, f.cg = name, f.cg, nil
	} else {
		if err := f.cg.remove(); err != nil { // v2: a group per sandbox
			return err
		}
		f.cg = nil
	}
	if err := s.do(s.freshNetNS); err != nil {
		return err
	}
	// Closing it, when the Host has enough, can only fail to remove an
	// empty group: a leftover the next platform's sweep removes.
	_ = f.host.giveBack(s)
	return nil
}

// Remove removes what the fence of sandbox id left around dir after the
// platform that made it died: every process in its group, the group, the
// tmpfs and the folder. Nothing of it existing is no error. A fence this
// process still holds there (another Host's) is closed.
func (h *Host) Remove(id, dir string) error {
	if f, ok := openFences.Load(dir); ok {
		return f.(*Fence).Close()
	}
	var errs []error
	if h.cg != nil {
		if err := h.cg.open(id).remove(); err != nil {
			errs = append(errs, err)
		}
	}
	if !h.opts.Off {
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", dir, err))
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove the leftover fence of sandbox %s: %w", id, err)
	}
	return nil
}

// PrepareRoot makes root, the folder that holds sandbox folders, usable by
// the sandboxes' users: searchable but not listable by them (0711), and
// every folder above it searchable. It returns an error naming the first
// folder above root that is not, with how to fix it. Unfenced (Off, or on a
// machine that cannot fence) it only makes root (0700).
func (h *Host) PrepareRoot(root string) error {
	if !h.Fenced() {
		return os.MkdirAll(root, 0o700)
	}
	if err := os.MkdirAll(root, 0o711); err != nil {
		return err
	}
	if err := os.Chmod(root, 0o711); err != nil {
		return err
	}
	for dir := filepath.Dir(root); ; dir = filepath.Dir(dir) {
		st, err := os.Stat(dir)
		if err != nil {
			return err
		}
		if st.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("sandboxes run as their own users and cannot reach %s: the folder %s is not searchable by other users (mode %v); chmod o+x %s, or choose a data folder elsewhere",
				root, dir, st.Mode().Perm(), dir)
		}
		if dir == "/" || dir == "." {
			return nil
		}
	}
}

// takeUID reserves a free user id of the range.
func (h *Host) takeUID() (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range h.opts.UIDs {
		uid := h.opts.FirstUID + h.next
		h.next = (h.next + 1) % h.opts.UIDs
		if !h.uids[uid] {
			h.uids[uid] = true
			return uid, nil
		}
	}
	return 0, fmt.Errorf("all %d sandbox user ids are in use", h.opts.UIDs)
}

func (h *Host) releaseUID(uid int) {
	h.mu.Lock()
	delete(h.uids, uid)
	h.mu.Unlock()
}

// probeTmpfs mounts and unmounts a small tmpfs.
func probeTmpfs() error {
	dir, err := os.MkdirTemp("", "opslab-fence-probe-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=1m,mode=0700"); err != nil {
		return err
	}
	return unix.Unmount(dir, unix.MNT_DETACH)
}

// Summary joins problems into one paragraph, one per line.
func Summary(problems []Problem) string {
	var lines []string
	for _, p := range problems {
		lines = append(lines, "- "+p.String())
	}
	return strings.Join(lines, "\n")
}

// StartPlatform starts cmd as one of the platform's own trusted helpers
// (not a learner's): outside any fence, but like a fenced process killed if
// the platform dies, which needs the spawner thread (see thread.go).
func StartPlatform(cmd *exec.Cmd) error {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	return spawn(cmd)
}
