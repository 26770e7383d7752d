package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
)

// removeLeftover kills the processes of the sandbox id, which this Driver
// did not start (an earlier run of the platform did), waits for them to
// die, and removes its fence and directory. It returns sandbox.ErrNotFound
// if the sandbox has no directory.
func (d *Driver) removeLeftover(ctx context.Context, id string) error {
	dir := d.dir(id)
	if _, err := os.Stat(dir); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return sandbox.ErrNotFound
		}
		return err
	}
	pids, err := serverPIDs(dir)
	if err != nil {
		return fmt.Errorf("find leftover redis-server: %w", err)
	}
	for _, pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, pid := range pids {
		if err := awaitGone(ctx, pid); err != nil {
			return fmt.Errorf("kill leftover redis-server %d: %w", pid, err)
		}
	}
	return d.fence.Remove(id, dir)
}

// serverPIDs returns the Redis processes of the sandbox in dir: the server
// and any BGSAVE or AOF rewrite child. They are recognised by their working
// directory, which Redis sets to dir (--dir), and a command line naming a
// redis- program; never by the pid file, whose pid may have been reused.
func serverPIDs(dir string) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err != nil || strings.TrimSuffix(cwd, " (deleted)") != dir {
			continue // gone, not ours to read, or elsewhere
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && (isRedisCommand(cmdline) || isKafkaCommand(cmdline)) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// isRedisCommand reports whether a command line from /proc runs a redis-
// program: redis-server, or a child that retitled itself, such as
// "redis-rdb-bgsave unixsocket:/path".
func isRedisCommand(cmdline []byte) bool {
	first, _, _ := strings.Cut(string(cmdline), "\x00")
	first, _, _ = strings.Cut(first, " ")
	return strings.HasPrefix(filepath.Base(first), "redis-")
}

// awaitGone waits until pid no longer runs (it is gone or a zombie).
func awaitGone(ctx context.Context, pid int) error {
	delay := time.Millisecond
	for running(pid) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(delay*2, 50*time.Millisecond)
	}
	return nil
}

// running reports whether pid exists and is not a zombie.
func running(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may
	// itself hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return false
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}
