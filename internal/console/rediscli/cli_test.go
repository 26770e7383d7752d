package rediscli_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/resp/resptest"
)

// runCLI runs the real redis-cli with --no-raw against the unix socket and
// returns what it wrote to stdout. Arguments are passed directly, without
// a shell. A non-empty stdin is fed to it, which makes redis-cli read
// command lines from it as if typed at its prompt.
func runCLI(t *testing.T, socket, stdin string, args ...string) string {
	t.Helper()
	bin := resptest.RequireTool(t, "redis-cli")
	cmd := exec.Command(bin, append([]string{"--no-raw", "-s", socket}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Run(); err != nil {
		t.Fatalf("redis-cli %q: %v\nstderr: %s", args, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("redis-cli %q wrote to stderr: %s", args, stderr.String())
	}
	return stdout.String()
}

// readLines returns the lines of a testdata file, leaving out blank lines
// and '#' comments unless keepBlank is set, in which case only comments
// are left out.
func readLines(t *testing.T, name string, keepBlank bool) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && !keepBlank) {
			continue
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan %s: %v", name, err)
	}
	return lines
}

// showDiff describes how got differs from want: the first line that
// differs, Go-quoted so invisible bytes show, and both line counts.
func showDiff(got, want string) string {
	g := strings.SplitAfter(got, "\n")
	w := strings.SplitAfter(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("first difference on line %d:\n got: %q\nwant: %q\n(%d lines, want %d)", i+1, gl, wl, len(g), len(w))
		}
	}
	return "no difference"
}
