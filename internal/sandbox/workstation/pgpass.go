package workstation

import (
	"os"
	"path/filepath"

	"github.com/opslab/opslab/internal/sandbox"
)

// WritePgpass gives the learner's home, home on the host, a ~/.pgpass
// (mode 0600, owned by uid) of Pgpass: the learner's tools sign in
// without asking. Drivers write it again at each workstation's (or
// shell's) start, so it follows the sandbox's current password. The home
// is the learner's to change: the file is made under a fresh name
// (O_EXCL, so no link is followed) and renamed over the old one (a rename
// replaces a link, it never writes through it). When that fails (a folder
// in its place, a full home) the shell starts without it, and the tools
// ask for the password. Nothing is written beside a sandbox without a
// PostgreSQL server.
func WritePgpass(home string, uid int, inst sandbox.Instance) {
	line := Pgpass(inst)
	if line == "" {
		return
	}
	f, err := os.CreateTemp(home, ".pgpass-")
	if err != nil {
		return
	}
	tmp := f.Name()
	ok := f.Chmod(0o600) == nil && f.Chown(uid, uid) == nil
	if ok {
		_, err = f.WriteString(line)
		ok = err == nil
	}
	if f.Close() != nil {
		ok = false
	}
	if !ok || os.Rename(tmp, filepath.Join(home, ".pgpass")) != nil {
		_ = os.Remove(tmp)
	}
}
