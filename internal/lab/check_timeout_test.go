package lab

import (
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
)

// TestCheckTimeoutCountsShellProbes: each distinct shell probe adds
// ShellProbeTime to a check run's bound; the same script named twice,
// and other probes, add nothing.
func TestCheckTimeoutCountsShellProbes(t *testing.T) {
	shell := func(cmd string) course.Check {
		return course.Check{Probe: course.Probe{Kind: course.ProbeShell, Command: cmd}}
	}
	redis := course.Check{Probe: course.Probe{Kind: course.SandboxRedis, Command: "DBSIZE"}}
	checks := []course.Check{shell("kafka-configs --describe"), shell("kafka-configs --describe"), redis, shell("wc -l x")}
	if got, want := checkTimeout(10*time.Second, checks), 10*time.Second+2*ShellProbeTime; got != want {
		t.Fatalf("checkTimeout = %s, want %s", got, want)
	}
	if got := checkTimeout(10*time.Second, []course.Check{redis}); got != 10*time.Second {
		t.Fatalf("without shell probes: %s", got)
	}
}
