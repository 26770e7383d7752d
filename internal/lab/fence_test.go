package lab_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sqlite"
)

// On a machine that cannot fence sandboxes, a learner's start is a 503
// with a sentence, never a 500, and nothing of the reason's internals.
func TestUnfenceableMachineIsUnavailable(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	scratch, err := os.MkdirTemp("", "labnf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(scratch) })
	drv, err := process.New(process.Options{Dir: scratch, Fence: fence.Options{CgroupRoot: filepath.Join(scratch, "no-cgroups")}})
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := sandbox.NewManager(drv, nil, sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lab.New(lab.Config{Sandboxes: mgr, Attempts: sqlite.NewAttemptService(f.db)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Start(context.Background(), f.target(0, "board"))
	var unavailable *lab.UnavailableError
	if !errors.As(err, &unavailable) || opslab.ErrorCode(err) != opslab.EUNAVAILABLE {
		t.Fatalf("start on an unfenceable machine: %v", err)
	}
	if msg := opslab.ErrorMessage(err); !strings.Contains(msg, "cannot start Redis sandboxes") || strings.Contains(msg, scratch) {
		t.Fatalf("message = %q", msg)
	}
}
