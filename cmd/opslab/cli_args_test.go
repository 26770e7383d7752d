package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// builtInSlug is the folder of the built-in course: a report naming it
// came from the built-in course, not from the folders given.
const builtInSlug = "caching-messaging-infrastructure"

// TestLintDirArguments checks that lint checks the folders it is given as
// arguments, in every form, and never the built-in course instead.
func TestLintDirArguments(t *testing.T) {
	broken := filepath.Join(lintCorpus, "unknown-key")
	problem := `demo/01-basics.md:10: unknown key "hint" in exercise (did you mean "hints"?)`
	t.Run("Broken", func(t *testing.T) {
		out, errOut, st := runCLI(t, "lint", broken)
		if st != 1 || out != problem+"\n" || strings.Contains(out+errOut, builtInSlug) {
			t.Fatalf("lint %s: status %d\n%s%s", broken, st, out, errOut)
		}
	})
	t.Run("SameAsContentFlag", func(t *testing.T) {
		out, _, st := runCLI(t, "lint", "--content", broken)
		arg, _, st2 := runCLI(t, "lint", broken)
		if out != arg || st != st2 {
			t.Fatalf("lint --content DIR (status %d):\n%s\nlint DIR (status %d):\n%s", st, out, st2, arg)
		}
	})
	t.Run("Clean", func(t *testing.T) {
		out, errOut, st := runCLI(t, "lint", filepath.Join(lintCorpus, "valid"))
		if st != 0 || out != "" || !strings.Contains(errOut, "ok: 1 courses, 2 lessons") {
			t.Fatalf("status %d\n%s%s", st, out, errOut)
		}
	})
	t.Run("CourseFolder", func(t *testing.T) {
		// A course folder itself, with its course.yaml, is a content
		// folder too (as for --content).
		out, errOut, st := runCLI(t, "lint", filepath.Join(broken, "demo"))
		if st != 1 || out != strings.TrimPrefix(problem, "demo/")+"\n" {
			t.Fatalf("status %d\n%s%s", st, out, errOut)
		}
	})
	t.Run("Several", func(t *testing.T) {
		// With several folders, each path starts with its folder; a clean
		// folder does not hide a broken one, whatever the order, and
		// --content counts as one more.
		dupSlug := filepath.Join(lintCorpus, "duplicate-lesson-slug")
		for _, args := range [][]string{
			{"lint", filepath.Join(lintCorpus, "valid"), broken, dupSlug},
			{"lint", broken, "--content", filepath.Join(lintCorpus, "valid"), dupSlug},
		} {
			out, errOut, st := runCLI(t, args...)
			want := filepath.ToSlash(dupSlug) + `/demo/02-basics.md: duplicate lesson slug "basics" (also demo/01-intro.md)` + "\n" +
				filepath.ToSlash(broken) + "/" + problem + "\n"
			if st != 1 || out != want {
				t.Errorf("%v: status %d\n%s%s\nwant:\n%s", args, st, out, errOut, want)
			}
		}
	})
	t.Run("NoCourse", func(t *testing.T) {
		out, errOut, st := runCLI(t, "lint", t.TempDir())
		if st != 1 || out != "" || !strings.Contains(errOut, "no course found") {
			t.Fatalf("status %d\n%s%s", st, out, errOut)
		}
	})
}

// TestCommandLineMistakes checks that lint and test refuse what they do
// not understand, with the usage and status 2, before doing anything.
func TestCommandLineMistakes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "course.yaml")
	must(t, os.WriteFile(file, []byte("title: T\n"), 0o644))
	valid := filepath.Join(lintCorpus, "valid")
	for _, cmd := range []string{"lint", "test"} {
		for _, tc := range []struct {
			name string
			args []string
			want []string
		}{
			{"UnknownFlag", []string{"--frobnicate"}, []string{"flag provided but not defined: -frobnicate", "usage: opslab " + cmd, "-content DIR"}},
			{"UnknownFlagAfterDir", []string{valid, "--frobnicate"}, []string{"flag provided but not defined: -frobnicate", "usage: opslab " + cmd}},
			{"MissingDir", []string{"no-such-folder"}, []string{"opslab " + cmd + ": no-such-folder: no such directory", "usage: opslab " + cmd}},
			{"MissingDirAfterGood", []string{valid, "no/such/folder"}, []string{"no/such/folder: no such directory"}},
			{"FileNotDir", []string{file}, []string{"not a directory", "usage: opslab " + cmd}},
			{"MissingContent", []string{"--content", "no-such-folder"}, []string{"no-such-folder: no such directory"}},
			{"FlagWithoutValue", []string{"--content"}, []string{"flag needs an argument: -content"}},
		} {
			t.Run(cmd+"/"+tc.name, func(t *testing.T) {
				out, errOut, st := runCLI(t, append([]string{cmd}, tc.args...)...)
				if st != 2 || out != "" {
					t.Fatalf("%s %v: status %d, want 2\nstdout:\n%s\nstderr:\n%s", cmd, tc.args, st, out, errOut)
				}
				for _, w := range tc.want {
					if !strings.Contains(errOut, w) {
						t.Errorf("%s %v: stderr lacks %q:\n%s", cmd, tc.args, w, errOut)
					}
				}
			})
		}
		t.Run(cmd+"/Help", func(t *testing.T) {
			out, errOut, st := runCLI(t, cmd, "--help")
			if st != 0 || out != "" || !strings.Contains(errOut, "usage: opslab "+cmd) {
				t.Fatalf("status %d\n%s%s", st, out, errOut)
			}
		})
	}
	t.Run("serve", func(t *testing.T) {
		// serve takes flags only: a folder given as an argument (as lint
		// and test take it) is refused with the usage, before anything
		// is opened or listened on.
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{valid}, `serve: unexpected argument "` + valid + `": serve takes flags only (a course folder is --content DIR)`},
			{[]string{"--addr", "127.0.0.1:0", "extra"}, `unexpected argument "extra"`},
			{[]string{"--frobnicate"}, "flag provided but not defined: -frobnicate"},
		} {
			out, errOut, st := runCLI(t, append([]string{"serve"}, tc.args...)...)
			if st != 2 || out != "" || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "usage: opslab serve") || !strings.Contains(errOut, "-content DIR") {
				t.Errorf("serve %v: status %d, want 2 with the usage\nstdout:\n%s\nstderr:\n%s", tc.args, st, out, errOut)
			}
		}
		out, errOut, st := runCLI(t, "serve", "-h")
		if st != 0 || out != "" || !strings.Contains(errOut, "usage: opslab serve") {
			t.Errorf("serve -h: status %d\n%s%s", st, out, errOut)
		}
	})
	t.Run("lint/FlagAfterDir", func(t *testing.T) {
		// Flags may follow the folders; after "--" everything is a folder.
		_, errOut, st := runCLI(t, "lint", filepath.Join(lintCorpus, "h1-headings"), "--strict")
		if st != 1 || !strings.Contains(errOut, "--strict: warnings fail") {
			t.Fatalf("status %d\n%s", st, errOut)
		}
		_, errOut, st = runCLI(t, "lint", "--", "--strict")
		if st != 2 || !strings.Contains(errOut, "--strict: no such directory") {
			t.Fatalf("status %d\n%s", st, errOut)
		}
	})
}

// TestLintWarnings checks that a level-1 heading is a warning: printed as
// such, with what the table of contents needs, and failing lint only with
// --strict.
func TestLintWarnings(t *testing.T) {
	dir := filepath.Join(lintCorpus, "h1-headings")
	out, errOut, st := runCLI(t, "lint", dir)
	if st != 0 || !strings.Contains(errOut, "no problems, 3 warnings") {
		t.Fatalf("status %d\n%s%s", st, out, errOut)
	}
	for _, l := range reportLines(out) {
		if !strings.Contains(l, ": warning: ") || !strings.Contains(l, "table of contents lists only ## and ### headings") ||
			!strings.Contains(l, "start sections at ##") {
			t.Errorf("not a warning that says what the table of contents needs: %s", l)
		}
	}
	if !strings.Contains(out, "demo/01-intro.md:5: warning: ") || !strings.Contains(out, "so this lesson's is empty") {
		t.Errorf("no warning for the lesson whose table of contents is empty:\n%s", out)
	}
	if strings.Contains(out, "01-intro.md:10:") {
		t.Errorf("a shell comment in a code block is not a heading:\n%s", out)
	}
	if _, _, st := runCLI(t, "lint", "--strict", dir); st != 1 {
		t.Errorf("lint --strict with warnings: status %d, want 1", st)
	}
	// A warning does not hide a problem: both are printed, in file order.
	two := []string{"lint", dir, filepath.Join(lintCorpus, "unknown-key")}
	out, _, st = runCLI(t, two...)
	if st != 1 || len(reportLines(out)) != 4 {
		t.Errorf("%v: status %d\n%s", two, st, out)
	}
}

// TestLintEveryProblemOnce checks that a duplicate exercise id or lesson
// slug is reported together with the other mistakes of the same exercise
// or lesson, in one pass.
func TestLintEveryProblemOnce(t *testing.T) {
	out, _, st := runCLI(t, "lint", filepath.Join(lintCorpus, "duplicate-exercise-id-with-other-mistakes"))
	for _, want := range []string{
		`demo/01-basics.md:21: duplicate exercise id "counter" (first at line 5)`,
		`demo/01-basics.md:26: unknown key "hint" in exercise`,
		`demo/01-basics.md:36: duplicate exercise id "counter" (first at line 5)`,
		`demo/01-basics.md:49: exercise "gauge" has no solution`,
		`demo/01-basics.md:55: unknown key "equalz" in check`,
	} {
		if st != 1 || !strings.Contains(out, want) {
			t.Errorf("status %d; output lacks %q:\n%s", st, want, out)
		}
	}
	out, _, st = runCLI(t, "lint", filepath.Join(lintCorpus, "duplicate-lesson-slug-with-other-mistakes"))
	for _, want := range []string{
		`demo/02-basics.md: duplicate lesson slug "basics" (also demo/01-intro.md)`,
		`demo/02-basics.md:3: unknown front matter key "durration"`,
	} {
		if st != 1 || !strings.Contains(out, want) {
			t.Errorf("status %d; output lacks %q:\n%s", st, want, out)
		}
	}
}

// TestTestDirArgument checks that test runs the exercises of the folder it
// is given, and none of the built-in course.
func TestTestDirArgument(t *testing.T) {
	requireTool(t, "redis-server")
	out, errOut, st := runCLI(t, "test", "--runs", "1", "testdata/cli/redis-course")
	if st != 0 || !strings.Contains(out, "✓ course/counter/visits") || !strings.Contains(out, "1 exercises, 1 passed, 0 failed") ||
		strings.Contains(out, builtInSlug) {
		t.Fatalf("status %d:\n%s%s", st, out, errOut)
	}
}
