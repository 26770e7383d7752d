package main

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// serve says at start how sandboxes are fenced, or, on a machine that
// cannot fence them, every missing piece with how to get it, and that no
// sandbox will start without --unfenced.
func TestReportFence(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts fence.Options
		want []string
	}{
		{"Fenced", fence.Options{}, []string{"level=INFO", "sandbox fence", "network namespace"}},
		{"Missing", fence.Options{CgroupRoot: filepath.Join(t.TempDir(), "none")}, []string{"level=ERROR", "sandboxes cannot be fenced", "no usable cgroup hierarchy", "fix=", "no sandbox will start", "--unfenced"}},
		{"Unfenced", fence.Options{Off: true}, []string{"level=WARN", "NOT fenced"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "Fenced" && os.Geteuid() != 0 {
				t.Skip("fencing needs root")
			}
			scratch, err := os.MkdirTemp("", "rf")
			if err != nil {
				t.Fatal(err)
			}
			defer os.RemoveAll(scratch)
			d, err := process.New(process.Options{Dir: scratch, Fence: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			reportFence(slog.New(slog.NewTextHandler(&buf, nil)), d)
			for _, w := range tc.want {
				if !strings.Contains(buf.String(), w) {
					t.Errorf("the log lacks %q:\n%s", w, buf.String())
				}
			}
		})
	}
}
