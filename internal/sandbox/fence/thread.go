package fence

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"

	"golang.org/x/sys/unix"
)

// The network namespace a thread is in decides where the sockets it makes
// live and which namespace the processes it forks start in. Three kinds of
// thread are used here:
//
//   - the spawner, one goroutine locked to its OS thread for the life of the
//     program, starts the platform's helpers and unfenced sandboxes, and
//     makes the namespace Detect probes with. Linux sends a child's
//     parent-death signal when the thread that forked it ends, so that
//     thread must never end;
//   - a seat's thread (seat.go) lives inside one sandbox's namespace and
//     group, starts its processes, and ends with the sandbox;
//   - a dialler, a goroutine locked to a thread only for one connection to a
//     sandbox, enters the sandbox's namespace, connects, and comes back.
//
// The spawner and the diallers return to the platform's own namespace
// (hostNS) before any other code can run on their thread; a seat's thread
// never runs other code.

var spawner struct {
	once   sync.Once
	jobs   chan func()
	hostNS *os.File // the platform's network namespace
	err    error    // why hostNS could not be opened
}

// onSpawner runs f on the spawner thread and returns when f has.
func onSpawner(f func()) {
	spawner.once.Do(func() {
		spawner.jobs = make(chan func())
		ready := make(chan struct{})
		go func() {
			runtime.LockOSThread() // never unlocked: see the comment above
			spawner.hostNS, spawner.err = os.Open(threadNSPath())
			close(ready)
			for job := range spawner.jobs {
				job()
			}
		}()
		<-ready
	})
	done := make(chan struct{})
	spawner.jobs <- func() { defer close(done); f() }
	<-done
}

// threadNSPath is the network namespace file of the calling thread.
func threadNSPath() string {
	return fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
}

// backHome returns the calling thread to the platform's namespace. A thread
// that cannot go back would run platform code inside a sandbox: that is
// never allowed to happen, so the program stops.
func backHome() {
	if err := unix.Setns(int(spawner.hostNS.Fd()), unix.CLONE_NEWNET); err != nil {
		panic(fmt.Sprintf("fence: cannot return a thread to the platform's network namespace: %v", err))
	}
}

// spawn starts cmd from the spawner thread, in the platform's own
// namespace and groups (unfenced sandboxes and the platform's helpers; a
// fenced sandbox's processes start from its seat's thread, see seat).
func spawn(cmd *exec.Cmd) error {
	var err error
	onSpawner(func() { err = cmd.Start() })
	return err
}

// newNetNS makes a network namespace with nothing in it but a loopback
// interface that is up, and returns a file that holds it open: the
// namespace lives until the file and every process in it are gone.
func newNetNS() (*os.File, error) {
	var (
		ns  *os.File
		err error
	)
	onSpawner(func() {
		if spawner.err != nil {
			err = fmt.Errorf("open the platform's network namespace: %w", spawner.err)
			return
		}
		if err = unix.Unshare(unix.CLONE_NEWNET); err != nil {
			err = fmt.Errorf("unshare the network namespace: %w", err)
			return
		}
		defer backHome()
		if err = loopbackUp(); err != nil {
			return
		}
		ns, err = os.Open(threadNSPath())
	})
	return ns, err
}

// loopbackUp sets the "lo" interface of the calling thread's namespace up.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("bring loopback up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("bring loopback up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring loopback up: read flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring loopback up: %w", err)
	}
	return nil
}

// dialIn connects to the TCP address addr as seen from inside the network
// namespace ns: the socket is made in ns, so 127.0.0.1 is the sandbox's
// own loopback, and nothing outside ns can be reached through it.
func dialIn(ctx context.Context, ns *os.File, addr string) (net.Conn, error) {
	onSpawner(func() {}) // make sure hostNS is open
	if spawner.err != nil {
		return nil, fmt.Errorf("open the platform's network namespace: %w", spawner.err)
	}
	type result struct {
		conn net.Conn
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{err: fmt.Errorf("enter the sandbox's network namespace: %w", err)}
			return
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		backHome()
		runtime.UnlockOSThread()
		ch <- result{c, err}
	}()
	r := <-ch
	return r.conn, r.err
}
