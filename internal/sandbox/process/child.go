package process

import (
	"errors"
	"os/exec"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// child is a running server process of a sandbox (redis-server, a Kafka
// broker or opslab-kfake), leader of its own
// process group.
type child struct {
	cmd  *exec.Cmd
	pid  int
	dir  string
	done chan struct{} // closed once the process has exited and was reaped

	mu      sync.Mutex // held while signalling, and while reaping
	reaped  bool
	waitErr error // set before done is closed
}

// watch starts the goroutine that waits for cmd's process to exit. When it
// does, the rest of its process group (a BGSAVE child, say) is killed while
// the dead leader still holds the group id, and only then is the leader
// reaped: so a signal to the group can never reach a stranger that reused
// the pid.
func watch(cmd *exec.Cmd, dir string) *child {
	s := &child{cmd: cmd, pid: cmd.Process.Pid, dir: dir, done: make(chan struct{})}
	go func() {
		var info unix.Siginfo
		for {
			err := unix.Waitid(unix.P_PID, s.pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if !errors.Is(err, unix.EINTR) {
				break
			}
		}
		s.mu.Lock()
		_ = syscall.Kill(-s.pid, syscall.SIGKILL)
		s.waitErr = cmd.Wait()
		s.reaped = true
		s.mu.Unlock()
		close(s.done)
	}()
	return s
}

// exited reports whether the process has exited.
func (s *child) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// signal sends sig to the process group, unless the leader was reaped.
func (s *child) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.reaped {
		_ = syscall.Kill(-s.pid, sig)
	}
}

// kill sends SIGKILL to the process group.
func (s *child) kill() { s.signal(syscall.SIGKILL) }
