package workstation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A container workstation (the container driver's) is a container of its
// own, joined to the sandbox's network namespace, whose file system the
// engine builds from the workstation image. Its process 1 is the gate:
// opslab-workstation run as a user that is neither root nor the learner,
// which forwards the nodes' names (ServeGate) and reaps orphans. Each
// shell is an exec into the container as the learner's user, carrying
// ShellEnv=<token> in its environment, so that EndShell can end it and
// everything it started.

// ShellEnv names the environment variable that marks the processes of one
// shell of a container workstation.
const ShellEnv = "OPSLAB_SHELL"

// Gate is what a container workstation's gate does.
type Gate struct {
	// Forwards are the nodes' addresses in the workstation, as in Plan.
	Forwards []Forward `json:"forwards"`
}

// Validate returns an error naming the first forward the gate cannot make.
func (g Gate) Validate() error {
	if err := validateForwards(g.Forwards); err != nil {
		return fmt.Errorf("workstation gate: %w", err)
	}
	return nil
}

// ReadGate reads a gate written as JSON at path (a file only the gate's
// user can read: it holds the learner's Redis account).
func ReadGate(path string) (Gate, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Gate{}, fmt.Errorf("read workstation gate: %w", err)
	}
	var g Gate
	if err := json.Unmarshal(b, &g); err != nil {
		return Gate{}, fmt.Errorf("decode workstation gate %s: %w", path, err)
	}
	return g, g.Validate()
}

// ServeGate carries out g as process 1 of a container workstation: it
// listens on every forward, then reaps whatever ends in the container for
// as long as the container lives. It returns only on an error, before
// anything was forwarded or when it cannot wait any more.
func ServeGate(g Gate) error {
	if err := g.Validate(); err != nil {
		return err
	}
	if os.Getpid() != 1 {
		return errors.New("workstation gate: must be process 1 of the container")
	}
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2)
	for _, fw := range g.Forwards {
		if err := listen(fw); err != nil {
			return err
		}
	}
	// The engine stops the container with SIGTERM, then SIGKILL: go at once.
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		os.Exit(0)
	}()
	// Orphans of the shells come to process 1: reap each as it ends.
	child := make(chan os.Signal, 1)
	signal.Notify(child, syscall.SIGCHLD)
	for {
		for {
			var ws unix.WaitStatus
			pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
			if err == unix.EINTR {
				continue
			}
			if err == unix.ECHILD || pid == 0 {
				break
			}
			if err != nil {
				return fmt.Errorf("workstation gate: wait: %w", err)
			}
		}
		<-child
	}
}

// EndShell kills, as the caller's user, every process under /proc whose
// environment marks it as one of the shell token's (ShellEnv=token), and
// every process of the sessions they lead, and returns how many it killed.
// A process it may not signal (another user's) is skipped.
func EndShell(token string) (int, error) {
	if token == "" || strings.ContainsAny(token, "=\x00") {
		return 0, fmt.Errorf("end shell: bad token %q", token)
	}
	mark := []byte(ShellEnv + "=" + token)
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("end shell: %w", err)
	}
	self := os.Getpid()
	leaders := map[int]bool{}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		pids = append(pids, pid)
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(kv, mark) {
				leaders[pid] = true
				break
			}
		}
	}
	killed := 0
	for _, pid := range pids {
		sid, err := unix.Getsid(pid)
		if !leaders[pid] && (err != nil || !leaders[sid]) {
			continue
		}
		if unix.Kill(pid, unix.SIGKILL) == nil {
			killed++
		}
	}
	return killed, nil
}
