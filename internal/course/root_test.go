package course

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenDirStaysInCourse checks that a course folder opened through
// OpenDir reads only itself: a link into a sibling course, out of the
// content folder, or through another link that leaves is not followed,
// and symlinkProblems reports each one, the chained one included (its own
// target looks inside).
func TestOpenDirStaysInCourse(t *testing.T) {
	root := t.TempDir()
	content := filepath.Join(root, "content")
	for _, d := range []string{"a", "b"} {
		if err := os.MkdirAll(filepath.Join(content, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "secret"), "SECRET")
	write(filepath.Join(content, "b", "file"), "OTHER COURSE")
	write(filepath.Join(content, "a", "own"), "OWN")
	for link, target := range map[string]string{
		"a/sibling": "../b/file",
		"a/out":     "../../secret",
		"a/chain":   "out", // inside, but leads on to a link that leaves
		"a/fine":    "own",
		"a/gone":    "missing",
	} {
		if err := os.Symlink(target, filepath.Join(content, link)); err != nil {
			t.Fatal(err)
		}
	}
	fsys, err := OpenDir(content)
	if err != nil {
		t.Fatal(err)
	}
	a, err := fs.Sub(fsys, "a")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"sibling", "out", "chain"} {
		if b, err := fs.ReadFile(a, name); err == nil {
			t.Errorf("read %s through the course folder: %q", name, b)
		}
	}
	if b, err := fs.ReadFile(a, "fine"); err != nil || string(b) != "OWN" {
		t.Errorf("a link inside the folder: %q, %v", b, err)
	}
	var got []string
	for _, p := range symlinkProblems(fsys, []string{"a", "b"}) {
		got = append(got, p.String())
	}
	want := []string{
		`a/chain: symlink to "out" leaves the course folder`,
		`a/gone: symlink to "missing" leads to nothing in the course folder`,
		`a/out: symlink to "../../secret" leaves the course folder`,
		`a/sibling: symlink to "../b/file" leaves the course folder`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
