// Package sandboxtest helps tests of sandboxes find the processes a driver
// started, so that a test can prove none is left behind.
package sandboxtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RedisPIDs lists the live redis processes (servers and their BGSAVE
// children) of sandboxes under dir: those whose command line or working
// directory mentions dir. Zombies (dead, not yet reaped) are left out.
func RedisPIDs(dir string) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		proc := filepath.Join("/proc", e.Name())
		cmdline, err := os.ReadFile(filepath.Join(proc, "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue
		}
		first, _, _ := bytes.Cut(cmdline, []byte{0})
		first, _, _ = bytes.Cut(first, []byte(" "))
		if !strings.HasPrefix(filepath.Base(string(first)), "redis-") {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join(proc, "cwd"))
		if !strings.HasPrefix(cwd, dir) && !bytes.Contains(cmdline, []byte(dir)) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(proc, "stat")); err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				continue // dead, waiting to be reaped
			}
		}
		out = append(out, pid)
	}
	return out
}
