package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lintCorpus holds one small course per kind of authoring mistake, each
// with the exact lines `opslab lint` must print in want.txt.
const lintCorpus = "../../internal/course/testdata/lint"

// TestLintCorpus runs `opslab lint` on every case of the corpus and
// compares its report line for line. A case whose want.txt is empty, or
// holds only warnings (path:line: warning: …), has no problem: lint must
// pass it.
func TestLintCorpus(t *testing.T) {
	entries, err := os.ReadDir(lintCorpus)
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		cases++
		dir := filepath.Join(lintCorpus, e.Name())
		t.Run(e.Name(), func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			want := reportLines(string(b))
			out, errOut, st := runCLI(t, "lint", "--content", dir)
			got := reportLines(out)
			wantStatus := 0
			for _, w := range want {
				if !strings.Contains(w, ": warning: ") {
					wantStatus = 1
				}
			}
			if st != wantStatus {
				t.Errorf("exit status %d, want %d\n%s", st, wantStatus, errOut)
			}
			for i := 0; i < max(len(got), len(want)); i++ {
				var g, w string
				if i < len(got) {
					g = got[i]
				}
				if i < len(want) {
					w = want[i]
				}
				if g != w {
					t.Errorf("line %d:\n got: %s\nwant: %s", i+1, g, w)
				}
			}
		})
	}
	if cases < 20 {
		t.Errorf("the corpus has %d cases; expected one per kind of mistake (at least 20)", cases)
	}
}

// reportLines splits text into its lines, without the last newline.
func reportLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}
