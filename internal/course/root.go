package course

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
)

// OpenDir opens the content folder dir as a file system that never leaves
// it: it is an os.Root, so a symbolic link (or "..") that leads out of the
// folder fails to open instead of being followed. Its Sub is another
// os.Root opened at the subfolder, so each course folder Load finds is
// closed in the same way: a link from one course into another, or into the
// content folder around it, fails too. Links that stay inside are followed.
func OpenDir(dir string) (fs.FS, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open content folder: %w", err)
	}
	return rootDir{r}, nil
}

// rootDir is an os.Root as an fs.FS whose subfolders are roots of their own.
type rootDir struct{ r *os.Root }

func (d rootDir) fs() fs.FS { return d.r.FS() }

func (d rootDir) Open(name string) (fs.File, error) { return d.fs().Open(name) }

func (d rootDir) ReadFile(name string) ([]byte, error) { return fs.ReadFile(d.fs(), name) }

func (d rootDir) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(d.fs(), name) }

func (d rootDir) Stat(name string) (fs.FileInfo, error) { return fs.Stat(d.fs(), name) }

func (d rootDir) Lstat(name string) (fs.FileInfo, error) { return fs.Lstat(d.fs(), name) }

func (d rootDir) ReadLink(name string) (string, error) { return fs.ReadLink(d.fs(), name) }

// Sub opens the subfolder as a root of its own.
func (d rootDir) Sub(dir string) (fs.FS, error) {
	if !fs.ValidPath(dir) {
		return nil, &fs.PathError{Op: "sub", Path: dir, Err: fs.ErrInvalid}
	}
	if dir == "." {
		return d, nil
	}
	r, err := d.r.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return rootDir{r}, nil
}

// symlinkProblems reports the symbolic links of fsys that lead out of the
// folder they belong to: the course folder (one of courseDirs, "." when
// fsys itself is a course) for a link inside a course, the content folder
// for any other. Such a link is never followed (see OpenDir); it is an
// error, since its course would be missing a file. A link that stays in
// its folder is fine, unless it leads to nothing.
//
// A link leaves when its target is absolute, when joined to the link's
// folder it climbs above the course folder, or when opening it fails with
// anything but "does not exist" (a chain of links that leaves).
func symlinkProblems(fsys fs.FS, courseDirs []string) Problems {
	var ps Problems
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			if name != "." {
				ps.Add(name, 0, "cannot read: %v", err)
			}
			return nil
		}
		if d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		base, what := ".", "content folder"
		for _, c := range courseDirs {
			if c == "." || strings.HasPrefix(name, c+"/") {
				base, what = c, "course folder"
				break
			}
		}
		if msg := checkSymlink(fsys, base, name); msg != "" {
			ps.Add(name, 0, msg, what)
		}
		return nil
	})
	return ps
}

// checkSymlink returns what is wrong with the link at name, a path of fsys
// below base, with "%s" where the folder's kind goes; "" if nothing is.
func checkSymlink(fsys fs.FS, base, name string) string {
	folder := fsys
	rel := name
	if base != "." {
		sub, err := fs.Sub(fsys, base)
		if err != nil {
			return fmt.Sprintf("cannot open the %%s: %v", err)
		}
		folder, rel = sub, strings.TrimPrefix(name, base+"/")
	}
	target, err := fs.ReadLink(folder, rel)
	if err != nil {
		return fmt.Sprintf("cannot read this symlink: %v", err)
	}
	quoted := strings.ReplaceAll(fmt.Sprintf("%q", target), "%", "%%")
	joined := path.Join(path.Dir(rel), target)
	if path.IsAbs(target) || joined == ".." || strings.HasPrefix(joined, "../") {
		return "symlink to " + quoted + " leaves the %s"
	}
	if _, err := fs.Stat(folder, rel); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "symlink to " + quoted + " leads to nothing in the %s"
		}
		return "symlink to " + quoted + " leaves the %s"
	}
	return ""
}
