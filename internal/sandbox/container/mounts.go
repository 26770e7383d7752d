package container

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// The driver, when root, mounts size-capped tmpfs folders inside a
// sandbox's folder and binds them into its containers: the learner's home
// (kept while the workstation is remade), a broker's log directory (shown
// to the workstation), a postgres server's data directory. remove
// unmounts them all before removing the folder.

// mountTmpfs mounts at dir, which it makes if missing, a tmpfs of size
// bytes whose root has mode and belongs to uid (and the group of the same
// number).
func mountTmpfs(dir string, size int64, mode os.FileMode, uid int) error {
	if err := os.Mkdir(dir, mode.Perm()); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("make %s: %w", filepath.Base(dir), err)
	}
	opts := fmt.Sprintf("size=%d,mode=%04o,uid=%d,gid=%d", size, mode.Perm(), uid, uid)
	if err := unix.Mount("opslab-"+filepath.Base(dir), dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
		return fmt.Errorf("mount a tmpfs at %s: %w", filepath.Base(dir), err)
	}
	return nil
}

// mounted reports whether something is mounted at dir.
func mounted(dir string) bool {
	var st, parent unix.Stat_t
	if unix.Stat(dir, &st) != nil || unix.Stat(filepath.Dir(dir), &parent) != nil {
		return false
	}
	return st.Dev != parent.Dev
}

// unmountAll unmounts whatever the driver mounted in the sandbox id's
// folder (the learner's home, the broker's data), deepest first, so that
// the folder can be removed.
func (d *Driver) unmountAll(id string) error {
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return fmt.Errorf("list mounts: %w", err)
	}
	dir := d.dir(id) + "/"
	var points []string
	for _, line := range strings.Split(string(info), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir) {
			points = append(points, f[4])
		}
	}
	slices.SortFunc(points, func(a, b string) int { return len(b) - len(a) })
	for _, p := range points {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("unmount %s: %w", p, err)
		}
	}
	return nil
}
