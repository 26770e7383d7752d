package workstation_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/opslab/opslab/internal/sandbox/workstation"
	"github.com/opslab/opslab/internal/testkit"
)

// nobody is the shell's user in these tests: not root.
const nobody = 65534

// runInit runs opslab-workstation as root with umask 077, as process 1
// of fresh namespaces (as the process driver starts it, without the
// sandbox's fence), with a plan whose shell runs script as nobody and whose binds
// are binds. It returns the shell's output, what init printed on stderr,
// and the exit status.
func runInit(t *testing.T, binds []workstation.Bind, script string) (string, string, int) {
	t.Helper()
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	if os.Geteuid() != 0 {
		t.Skip("the workstation's init needs root")
	}
	home := t.TempDir()
	if err := os.Chown(home, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	plan := workstation.Plan{
		Stage: filepath.Join(t.TempDir(), "stage"), UID: nobody, GID: nobody,
		Home: home, TmpBytes: 1 << 20, Dir: "/home/learner", Hostname: "workstation",
		ReadOnly: []string{"/usr", "/bin", "/lib", "/lib64", "/etc"},
		Shell:    []string{"/bin/sh", "-c", script},
		Env:      []string{"PATH=/usr/bin:/bin"},
		Binds:    binds,
	}
	enc, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Getenv("OPSLAB_WORKSTATION_BINARY"))
	cmd.Env = []string{workstation.PlanEnv + "=" + enc}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
		Pdeathsig:  syscall.SIGKILL,
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A platform with a strict umask, which init inherits: the new root's
	// folders must still let the learner through. The tests of this
	// package run one at a time.
	old := syscall.Umask(0o077)
	err = cmd.Run()
	syscall.Umask(old)
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), stderr.String(), 0
	case errors.As(err, &exit):
		return stdout.String(), stderr.String(), exit.ExitCode()
	}
	t.Fatalf("run opslab-workstation: %v", err)
	return "", "", 0
}

// TestInitBinds: a bind shows its source at its target, read-only and
// without execution; the shell's user reads what the files' modes let it
// read, and no write of any kind reaches the source, not even into files
// and folders whose modes let anyone write.
func TestInitBinds(t *testing.T) {
	src := t.TempDir()
	if err := os.Chmod(src, 0o755); err != nil {
		t.Fatal(err)
	}
	// orders-0 as a broker writes it; open and open.log writable by
	// anyone, so that only the read-only mount stops the shell's writes.
	for name, mode := range map[string]os.FileMode{"orders-0": 0o755, "open": 0o777} {
		if err := os.Mkdir(filepath.Join(src, name), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(src, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]os.FileMode{"orders-0/00000000000000000000.log": 0o644, "meta.properties": 0o600, "tool": 0o755, "open.log": 0o666}
	for name, mode := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte("#!/bin/sh\necho ran\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(src, name), mode); err != nil {
			t.Fatal(err)
		}
	}
	const at = "/var/lib/kafka/data"
	out, errOut, code := runInit(t, []workstation.Bind{{Source: src, Target: at}}, `
head -c 9 `+at+`/orders-0/00000000000000000000.log; echo
cat `+at+`/meta.properties >/dev/null 2>&1 && echo read-meta || echo no-meta
`+at+`/tool >/dev/null 2>&1 && echo exec || echo no-exec
for w in "touch `+at+`/x" "mkdir `+at+`/d" "rm -f `+at+`/orders-0/00000000000000000000.log" \
  "mv `+at+`/tool `+at+`/t2" "chmod 777 `+at+`/orders-0" \
  "echo x >> `+at+`/open.log" "touch `+at+`/open/x" "rm -f `+at+`/open.log"; do
  sh -c "$w" 2>/dev/null && echo "wrote: $w"
done
echo "id=$(id -u)"
awk '$5 == "`+at+`" { print "opts=" $6 }' /proc/self/mountinfo
`)
	if code != 0 {
		t.Fatalf("the shell ended with %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"#!/bin/sh\n", "no-meta\n", "no-exec\n", "id=65534\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("the shell printed:\n%s\nwant %q in it", out, want)
		}
	}
	if strings.Contains(out, "wrote:") {
		t.Errorf("a write in the bind succeeded:\n%s", out)
	}
	var opts []string
	for _, l := range strings.Split(out, "\n") {
		if o, ok := strings.CutPrefix(l, "opts="); ok {
			opts = strings.Split(o, ",")
		}
	}
	for _, want := range []string{"ro", "nosuid", "nodev", "noexec"} {
		found := false
		for _, o := range opts {
			found = found || o == want
		}
		if !found {
			t.Errorf("%s is mounted with %v, want %s among them", at, opts, want)
		}
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 5 {
		t.Errorf("the source holds %d entries after the shell's writes, want its 5", len(entries))
	}
	if b, err := os.ReadFile(filepath.Join(src, "open.log")); err != nil || string(b) != "#!/bin/sh\necho ran\n" {
		t.Errorf("open.log after the shell's writes: %q, %v", b, err)
	}
	if leftover, _ := os.ReadDir(filepath.Join(src, "open")); len(leftover) != 0 {
		t.Errorf("the shell wrote into open/: %v", leftover)
	}
	if fi, err := os.Stat(filepath.Join(src, "orders-0")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("orders-0 after the shell's chmod: %v, %v", fi, err)
	}
}

// TestInitBindMissingSource: a bind whose source is gone stops the
// workstation before any shell runs, with an error naming it.
func TestInitBindMissingSource(t *testing.T) {
	gone := filepath.Join(t.TempDir(), "gone")
	out, errOut, code := runInit(t, []workstation.Bind{{Source: gone, Target: "/var/lib/kafka/data"}}, `echo shell-ran`)
	if code != 125 || strings.Contains(out, "shell-ran") {
		t.Fatalf("a missing bind source: status %d, stdout %q; want 125 and no shell", code, out)
	}
	want := "opslab-workstation: workstation: bind " + gone + " at /var/lib/kafka/data: stat " + gone + ": no such file or directory"
	if strings.TrimSpace(errOut) != want {
		t.Fatalf("a missing bind source: %q, want %q", strings.TrimSpace(errOut), want)
	}
}
