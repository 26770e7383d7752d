// Package sandboxtest helps tests of sandboxes find the processes a driver
// started, so that a test can prove none is left behind, and gives them
// scratch directories that check it.
package sandboxtest

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/testkit"
)

// RedisPIDs lists the live redis processes (servers and their BGSAVE
// children) of sandboxes under dir: those whose command line or working
// directory mentions dir. Zombies (dead, not yet reaped) are left out.
func RedisPIDs(dir string) []int {
	return pidsUnder(dir, func(program string, _ []byte) bool {
		return strings.HasPrefix(program, "redis-")
	})
}

// KafkaPIDs lists the live Java processes of Apache Kafka (brokers,
// kafka-storage) of sandboxes under dir, as RedisPIDs does for Redis.
func KafkaPIDs(dir string) []int {
	return pidsUnder(dir, func(program string, cmdline []byte) bool {
		return program == "java" && bytes.Contains(cmdline, []byte("kafka"))
	})
}

// pidsUnder lists the live processes for which match holds, given the
// base name of the program (the command line's first word) and the whole
// command line, and whose working directory is under dir or whose command
// line mentions dir. Zombies are left out.
func pidsUnder(dir string, match func(program string, cmdline []byte) bool) []int {
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
		if !match(filepath.Base(string(first)), cmdline) {
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

// ScratchDir returns a new directory with a short path (unix socket paths
// must fit in about 100 bytes) for a driver's sandboxes. When tb ends it
// fails tb if a redis process still serves a sandbox under it, then
// removes it; register it before the driver, so that the driver's own
// cleanup (which stops its sandboxes) runs first.
func ScratchDir(tb testing.TB) string {
	tb.Helper()
	dir := testkit.ShortDir(tb, "osl-")
	tb.Cleanup(func() {
		if n := len(RedisPIDs(dir)); n != 0 {
			tb.Errorf("%d redis processes still serve sandboxes under %s", n, dir)
		}
	})
	return dir
}
