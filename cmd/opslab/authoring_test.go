package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/testkit"
)

// runCLI runs a command line and returns its output and exit status.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, strings.NewReader(""), &out, &errb)
	var ex exitError
	switch {
	case err == nil:
	case errors.As(err, &ex):
		status = int(ex)
	default:
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), status
}

func TestLintBuiltInCourse(t *testing.T) {
	out, errOut, st := runCLI(t, "lint")
	if st != 0 || out != "" {
		t.Fatalf("lint of the built-in course: status %d\n%s%s", st, out, errOut)
	}
}

func TestLintReportsEveryProblem(t *testing.T) {
	out, _, st := runCLI(t, "lint", "--content", "../../internal/markdown/testdata/broken")
	if st != 1 {
		t.Fatalf("status %d", st)
	}
	for _, want := range []string{
		`bad/02-typo.md:3: unknown front matter key "durration" (did you mean "duration"?)`,
		`bad/02-typo.md:24: unknown key "equalz" in check (did you mean "equals"?)`,
		`bad/course.yaml:4: module "M" names lesson "missing-one", which does not exist`,
	} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("lint output lacks %q:\n%s", want, out)
		}
	}
}

func TestLintUnparsableCommand(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "c"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "c", "course.yaml"), []byte("title: C\n"), 0o644))
	lesson := "---\ntitle: L\n---\n\n```exercise\nid: e\ntitle: E\nsandbox: redis\ntask: t\nsetup:\n  - SET a \"b\nsolution:\n  - SET a b\nchecks:\n  - redis: GET a\n    equals: b\n```\n" +
		"\n```exercise\nid: k\ntitle: K\nsandbox: kafka\ntask: t\nsolution:\n  - kafka-topics --frobnicate\nchecks:\n  - kafka: list topics\n    contains: x\n```\n"
	must(t, os.WriteFile(filepath.Join(dir, "c", "01-l.md"), []byte(lesson), 0o644))
	out, _, st := runCLI(t, "lint", "--content", dir)
	if st != 1 || !strings.Contains(out, "c/01-l.md:11: setup:") || !strings.Contains(out, "c/01-l.md:25: solution:") {
		t.Fatalf("status %d:\n%s", st, out)
	}
}

func TestTestVerdicts(t *testing.T) {
	requireTool(t, "redis-server")
	t.Run("Good", func(t *testing.T) {
		out, _, st := runCLI(t, "test", "--content", "testdata/authoring/good", "--runs", "2")
		if st != 0 || !strings.Contains(out, "✓ demo/counter/counter") || !strings.Contains(out, "✓ demo/counter/topic") ||
			!strings.Contains(out, "2 exercises, 2 passed, 0 failed") {
			t.Fatalf("status %d:\n%s", st, out)
		}
	})
	t.Run("WrongSolution", func(t *testing.T) {
		out, _, st := runCLI(t, "test", "--content", "testdata/authoring/wrong")
		if st != 1 || !strings.Contains(out, "✗ demo/counter/counter") || !strings.Contains(out, `check 1 fails after the solution: GET hits: expected 3, got "2"`) {
			t.Fatalf("status %d:\n%s", st, out)
		}
	})
	t.Run("TeachesNothing", func(t *testing.T) {
		out, _, st := runCLI(t, "test", "--content", "testdata/authoring/teachesnothing")
		if st != 1 || !strings.Contains(out, "already pass after the setup") {
			t.Fatalf("status %d:\n%s", st, out)
		}
	})
	t.Run("Flaky", func(t *testing.T) {
		// Each run passes with probability 1/2: 20 runs all pass once in
		// a million.
		out, _, st := runCLI(t, "test", "--content", "testdata/authoring/flaky", "--runs", "20")
		if st != 1 || !strings.Contains(out, "✗ demo/coin/coin") || !strings.Contains(out, "flaky: ") || !strings.Contains(out, "1 failed") {
			t.Fatalf("status %d:\n%s", st, out)
		}
	})
	t.Run("JUnit", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "junit.xml")
		_, _, st := runCLI(t, "test", "--content", "testdata/authoring/wrong", "--junit", path)
		b, err := os.ReadFile(path)
		if st != 1 || err != nil || !bytes.Contains(b, []byte(`<testsuite name="opslab exercises" tests="1" failures="1"`)) {
			t.Fatalf("status %d, %v:\n%s", st, err, b)
		}
	})
	t.Run("BuiltInCourse", func(t *testing.T) {
		testkit.Slow(t, "every exercise of the built-in course in real sandboxes")
		out, _, st := runCLI(t, "test", "--runs", "1")
		if st != 0 || strings.Contains(out, "✗") {
			t.Fatalf("status %d:\n%s", st, out)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// requireTool skips without the tool, but fails in CI (CI=true), where a
// missing tool is a broken install step, not a reason to skip.
func requireTool(t *testing.T, name string) {
	t.Helper()
	testkit.RequireTool(t, name, "install it (make deps-test)")
}
