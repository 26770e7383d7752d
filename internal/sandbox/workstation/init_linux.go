package workstation

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Run carries out plan as the init of the workstation's namespaces: it
// must run as root, as process 1 of a fresh process namespace with its own
// mount namespace (opslab-workstation is started that way). It returns the
// shell's exit status once the shell has ended; an error means the
// workstation could not be made and no shell ran.
func Run(plan Plan) (int, error) {
	if err := plan.Validate(); err != nil {
		return 0, err
	}
	if os.Getpid() != 1 {
		return 0, errors.New("workstation: init must be process 1 of its own process namespace")
	}
	// Nothing the learner sends reaches init: as process 1 it ignores
	// whatever it has no handler for, and here it has none.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGQUIT, syscall.SIGTSTP,
		syscall.SIGTTIN, syscall.SIGTTOU, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2)
	// The new root's folders (/home, /var/lib, …) are made for the learner
	// to pass through whatever umask the platform runs with; the shell
	// inherits the usual 022.
	unix.Umask(0o022)
	sockets, err := buildRoot(plan)
	if err != nil {
		return 0, err
	}
	if plan.Hostname != "" {
		if err := unix.Sethostname([]byte(plan.Hostname)); err != nil {
			return 0, fmt.Errorf("workstation: set host name: %w", err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return 0, fmt.Errorf("workstation: no new privileges: %w", err)
	}
	for i, fw := range plan.Forwards {
		if fw.Network == "unix" {
			fw.Address = sockets[i]
		}
		if err := listen(fw); err != nil {
			return 0, err
		}
	}
	return runShell(plan)
}

// socketsDir holds, in the new root, the binds of the nodes' socket
// folders: root's only (mode 0700), so the learner's user cannot enter.
const socketsDir = "/run/opslab"

// buildRoot makes the new root in plan.Stage and switches to it. It
// returns, by forward index, where each unix socket is in the new root.
func buildRoot(plan Plan) (map[int]string, error) {
	fail := func(op string, err error) (map[int]string, error) {
		return nil, fmt.Errorf("workstation: %s: %w", op, err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fail("make mounts private", err)
	}
	root := plan.Stage
	if err := os.MkdirAll(root, 0o700); err != nil {
		return fail("make stage", err)
	}
	if err := unix.Mount("workstation", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=4m,mode=0755"); err != nil {
		return fail("mount the root", err)
	}
	at := func(p string) string { return filepath.Join(root, p) }

	// /tmp (capped, this workstation's own) first: a read-only folder that
	// lives under the host's /tmp (a Kafka tree in a checkout there) is
	// bound on top of it, not hidden by it.
	if err := os.MkdirAll(at("/tmp"), 0o755); err != nil {
		return fail("make /tmp", err)
	}
	if err := unix.Mount("workstation", at("/tmp"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=1777", plan.TmpBytes)); err != nil {
		return fail("mount /tmp", err)
	}
	// The host's system folders, read-only, no set-user-id, no devices.
	for _, ro := range plan.ReadOnly {
		fi, err := os.Stat(ro)
		if err != nil {
			continue // a folder this host lacks (/lib64 on some)
		}
		if err := mountPoint(at(ro), fi.IsDir()); err != nil {
			return fail("make "+ro, err)
		}
		if err := bindReadOnly(ro, at(ro)); err != nil {
			return fail("bind "+ro, err)
		}
	}
	if err := mountBinds(root, plan.Binds); err != nil {
		return nil, err
	}
	// Home (the driver's capped folder, kept for the sandbox's life) and
	// /tmp: the only places the learner may write.
	if err := os.MkdirAll(at(plan.Dir), 0o755); err != nil {
		return fail("make "+plan.Dir, err)
	}
	if err := unix.Mount(plan.Home, at(plan.Dir), "", unix.MS_BIND, ""); err != nil {
		return fail("bind the home folder", err)
	}
	if err := unix.Mount("", at(plan.Dir), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fail("remount the home folder", err)
	}
	if err := makeDev(at("/dev")); err != nil {
		return fail("make /dev", err)
	}
	// The nodes' socket folders, for init's forwards only.
	sockets := map[int]string{}
	if err := os.MkdirAll(at(socketsDir), 0o700); err != nil {
		return fail("make "+socketsDir, err)
	}
	bound := map[string]string{}
	for i, fw := range plan.Forwards {
		if fw.Network != "unix" {
			continue
		}
		dir := filepath.Dir(fw.Address)
		in, ok := bound[dir]
		if !ok {
			in = filepath.Join(socketsDir, strconv.Itoa(len(bound)))
			if err := os.Mkdir(at(in), 0o700); err != nil {
				return fail("make "+in, err)
			}
			if err := unix.Mount(dir, at(in), "", unix.MS_BIND, ""); err != nil {
				return fail("bind "+dir, err)
			}
			bound[dir] = in
		}
		sockets[i] = filepath.Join(in, filepath.Base(fw.Address))
	}
	// Files over the read-only binds: each written inside the root's own
	// tmpfs and bound over its path.
	if err := os.MkdirAll(at("/.files"), 0o755); err != nil {
		return fail("make the files folder", err)
	}
	for i, f := range plan.Files {
		src := at("/.files/" + strconv.Itoa(i))
		mode := os.FileMode(f.Mode)
		if mode == 0 {
			mode = 0o644
		}
		if err := os.WriteFile(src, []byte(f.Content), mode); err != nil {
			return fail("write "+f.Path, err)
		}
		if err := mountPoint(at(f.Path), false); err != nil {
			return fail("make "+f.Path, err)
		}
		if err := bindReadOnly(src, at(f.Path)); err != nil {
			return fail("bind "+f.Path, err)
		}
	}
	if err := os.MkdirAll(at("/proc"), 0o555); err != nil {
		return fail("make /proc", err)
	}
	// The switch: the host's tree is detached and gone from here on.
	old := at("/.old")
	if err := os.Mkdir(old, 0o700); err != nil {
		return fail("make the old root's mount point", err)
	}
	if err := unix.PivotRoot(root, old); err != nil {
		return fail("switch root", err)
	}
	if err := os.Chdir("/"); err != nil {
		return fail("enter the new root", err)
	}
	if err := unix.Unmount("/.old", unix.MNT_DETACH); err != nil {
		return fail("detach the host's tree", err)
	}
	if err := os.Remove("/.old"); err != nil {
		return fail("remove the old root's mount point", err)
	}
	if err := unix.Mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fail("mount /proc", err)
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fail("make the root read-only", err)
	}
	return sockets, nil
}

// mountBinds shows each bind's source at its target under root,
// read-only, without set-user-id programs, devices or execution. A source
// that is missing is an error: unlike a system folder, the driver asked
// for it by name.
func mountBinds(root string, binds []Bind) error {
	for _, bd := range binds {
		fi, err := os.Stat(bd.Source)
		if err != nil {
			return fmt.Errorf("workstation: bind %s at %s: %w", bd.Source, bd.Target, err)
		}
		dst := filepath.Join(root, bd.Target)
		if err := mountPoint(dst, fi.IsDir()); err != nil {
			return fmt.Errorf("workstation: make %s: %w", bd.Target, err)
		}
		if err := unix.Mount(bd.Source, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("workstation: bind %s at %s: %w", bd.Source, bd.Target, err)
		}
		flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC)
		if err := unix.Mount("", dst, "", flags, ""); err != nil {
			return fmt.Errorf("workstation: make %s read-only: %w", bd.Target, err)
		}
	}
	return nil
}

// mountPoint makes an empty directory or file at p (and its parents) to
// mount on.
func mountPoint(p string, dir bool) error {
	if fi, err := os.Stat(p); err == nil && fi.IsDir() == dir {
		return nil // already there (a file of a read-only bind)
	}
	if dir {
		return os.MkdirAll(p, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// bindReadOnly binds src (and what is mounted below it) at dst, read-only,
// without set-user-id programs or devices.
func bindReadOnly(src, dst string) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return err
	}
	return unix.Mount("", dst, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, "")
}

// makeDev makes a minimal /dev: the harmless character devices, the
// terminal ones, and the usual links.
func makeDev(dev string) error {
	if err := os.MkdirAll(dev, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("workstation-dev", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "size=64k,mode=0755"); err != nil {
		return err
	}
	for _, name := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		p := filepath.Join(dev, name)
		if err := mountPoint(p, false); err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+name, p, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	// The pseudo-terminals: the shell's own is there; another's belongs to
	// another user and cannot be opened.
	if err := os.Mkdir(filepath.Join(dev, "pts"), 0o755); err != nil {
		return err
	}
	if err := unix.Mount("/dev/pts", filepath.Join(dev, "pts"), "", unix.MS_BIND, ""); err != nil {
		return err
	}
	for name, target := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1",
		"stderr": "/proc/self/fd/2", "ptmx": "pts/ptmx",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return err
		}
	}
	return nil
}

// listen starts forwarding fw.Listen to the node. Several workstations of
// one sandbox (a terminal, and the scripts of checks beside it) share the
// sandbox's network namespace: their inits all listen on the names'
// addresses with SO_REUSEPORT (all as root), and the kernel hands each
// connection to one of them, any of which forwards it the same way.
func listen(fw Forward) error {
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
		}); err != nil {
			return err
		}
		return serr
	}}
	l, err := lc.Listen(context.Background(), "tcp", fw.Listen)
	if err != nil {
		return fmt.Errorf("workstation: listen for %s on %s: %w", fw.Name, fw.Listen, err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				time.Sleep(10 * time.Millisecond)
				continue
			}
			go forward(c, fw)
		}
	}()
	return nil
}

// forward joins one client to the node, signed in first when fw says so;
// a node that cannot be reached or refuses the account closes the client.
func forward(c net.Conn, fw Forward) {
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	var d net.Dialer
	n, err := d.DialContext(ctx, fw.Network, fw.Address)
	cancel()
	if err != nil {
		return
	}
	defer n.Close()
	if fw.RedisUser != "" {
		if err := redisAuth(n, fw.RedisUser, fw.RedisPassword); err != nil {
			_, _ = io.WriteString(c, "-ERR the workstation could not sign in to "+fw.Name+"\r\n")
			return
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	pipe := func(dst, src net.Conn) {
		defer wg.Done()
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		} else {
			_ = dst.Close()
		}
	}
	go pipe(n, c)
	go pipe(c, n)
	wg.Wait()
}

// redisAuth signs the connection in as user and reads the reply, byte by
// byte, so nothing after it is consumed.
func redisAuth(c net.Conn, user, password string) error {
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	defer c.SetDeadline(time.Time{})
	cmd := fmt.Sprintf("*3\r\n$4\r\nAUTH\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(user), user, len(password), password)
	if _, err := io.WriteString(c, cmd); err != nil {
		return err
	}
	r := bufio.NewReaderSize(oneByte{c}, 16)
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+OK\r\n" {
		return fmt.Errorf("AUTH answered %q", line)
	}
	return nil
}

// oneByte reads at most one byte at a time, so a bufio.Reader over it
// never reads past the line it is asked for.
type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}

// runShell starts the shell as the plan's user and reaps every process of
// the namespace until the shell has ended; it returns the shell's status.
func runShell(plan Plan) (int, error) {
	cmd := exec.Command(plan.Shell[0], plan.Shell[1:]...)
	cmd.Env = plan.Env
	cmd.Dir = plan.Dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: uint32(plan.UID), Gid: uint32(plan.GID), Groups: []uint32{}},
	}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("workstation: start %s: %w", plan.Shell[0], err)
	}
	shell := cmd.Process.Pid
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, fmt.Errorf("workstation: wait: %w", err)
		}
		if pid == shell {
			if ws.Signaled() {
				return 128 + int(ws.Signal()), nil
			}
			return ws.ExitStatus(), nil
		}
	}
}
