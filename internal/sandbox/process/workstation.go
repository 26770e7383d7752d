package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/workstation"
)

// Workstation sizes: the home folder and /tmp are tmpfs, charged to the
// sandbox's memory.
const (
	workstationHomeBytes = 16 << 20
	workstationTmpBytes  = 16 << 20
	workstationHome      = "/home/learner"
	workstationHostname  = "workstation"
)

// FindWorkstationBinary returns the opslab-workstation program:
// $OPSLAB_WORKSTATION_BINARY if set; else opslab-workstation beside the
// running executable; else the one on PATH.
func FindWorkstationBinary() string {
	if p := os.Getenv("OPSLAB_WORKSTATION_BINARY"); p != "" {
		return p
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "opslab-workstation")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("opslab-workstation"); err == nil {
		return p
	}
	return "opslab-workstation"
}

// WorkstationCommand returns the command that starts a learner's shell
// beside the running sandbox inst, and the function that must start it
// (inside the sandbox's fence): the caller gives the command its terminal
// (stdin, stdout, stderr, Setsid, Setctty) and calls start. Each call
// makes a fresh workstation; its home lives as long as the shell.
// Unfenced, it fails with an error wrapping sandbox.ErrUnsupported.
func (d *Driver) WorkstationCommand(inst sandbox.Instance) (*exec.Cmd, func(*exec.Cmd) error, error) {
	return d.workstationCommand(inst, []string{"/bin/bash", "--login", "-i"})
}

// workstationCommand is WorkstationCommand for the shell argv.
func (d *Driver) workstationCommand(inst sandbox.Instance, shell []string) (*exec.Cmd, func(*exec.Cmd) error, error) {
	d.mu.Lock()
	b := d.boxes[inst.Spec.ID]
	d.mu.Unlock()
	if b == nil {
		return nil, nil, fmt.Errorf("workstation of sandbox %s: %w", inst.Spec.ID, sandbox.ErrNotFound)
	}
	if !b.fence.Fenced() {
		return nil, nil, fmt.Errorf("workstation of sandbox %s: %w: a terminal needs the sandbox fence", inst.Spec.ID, sandbox.ErrUnsupported)
	}
	bin, err := exec.LookPath(FindWorkstationBinary())
	if err != nil {
		return nil, nil, fmt.Errorf("workstation of sandbox %s: %w: opslab-workstation not found (make build puts it in bin/)", inst.Spec.ID, sandbox.ErrUnsupported)
	}
	stage, err := os.MkdirTemp(b.fence.Dir(), "workstation-")
	if err != nil {
		return nil, nil, fmt.Errorf("workstation of sandbox %s: %w", inst.Spec.ID, err)
	}
	uid := b.fence.WorkstationUID()
	home, err := d.workstationHome(b, uid)
	if err != nil {
		return nil, nil, fmt.Errorf("workstation of sandbox %s: %w", inst.Spec.ID, err)
	}
	plan := workstation.Plan{
		Stage:    stage,
		UID:      uid,
		GID:      uid,
		Home:     home,
		TmpBytes: workstationTmpBytes,
		Hostname: workstationHostname,
		ReadOnly: []string{"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"},
		Forwards: workstation.Forwards(inst),
		Shell:    shell,
		Dir:      workstationHome,
	}
	plan.Binds = d.kafkaLogBinds(inst, b)
	path := "/usr/local/bin:/usr/bin:/bin"
	if home := d.kafkaHomeForTools(); home != "" {
		plan.ReadOnly = append(plan.ReadOnly, home)
		plan.Files = append(plan.Files, kafkaToolWrappers(home)...)
		path = "/opt/opslab/bin:" + path
	}
	plan.Files = append(plan.Files,
		workstation.File{Path: "/etc/hosts", Content: workstation.Hosts(workstationHostname, plan.Forwards)},
		workstation.File{Path: "/etc/hostname", Content: workstationHostname + "\n"},
		workstation.File{Path: "/etc/passwd", Content: "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
			"learner:x:" + strconv.Itoa(uid) + ":" + strconv.Itoa(uid) + ":learner:" + workstationHome + ":/bin/bash\n"},
		workstation.File{Path: "/etc/group", Content: "root:x:0:\nlearner:x:" + strconv.Itoa(uid) + ":\n"},
		workstation.File{Path: "/etc/profile", Content: workstation.Profile(workstationHostname)},
	)
	plan.Env = []string{
		"HOME=" + workstationHome, "USER=learner", "LOGNAME=learner", "SHELL=/bin/bash",
		"TERM=xterm-256color", "LANG=C.UTF-8", "PATH=" + path,
	}
	if inst.Postgres.Learner.User != "" {
		plan.Env = append(plan.Env, workstation.PostgresEnv(inst)...)
		workstation.WritePgpass(home, uid, inst)
	}
	enc, err := plan.Encode()
	if err != nil {
		return nil, nil, fmt.Errorf("workstation of sandbox %s: %w", inst.Spec.ID, err)
	}
	cmd := exec.Command(bin)
	cmd.Env = []string{workstation.PlanEnv + "=" + enc}
	return cmd, b.fence.StartInit, nil
}

// workstationHome returns the learner's home folder beside b's sandbox,
// making it on first use: a tmpfs of workstationHomeBytes owned by uid
// (mode 0700), mounted inside the sandbox's folder, so it lasts as long as
// the sandbox and goes with it. Every shell of the sandbox binds it; the
// platform reads it for file probes (HomeDir).
func (d *Driver) workstationHome(b *box, uid int) (string, error) {
	b.homeOnce.Do(func() {
		dir := filepath.Join(b.fence.Dir(), "home")
		if err := os.Mkdir(dir, 0o700); err != nil {
			b.homeErr = fmt.Errorf("make the home folder: %w", err)
			return
		}
		opts := fmt.Sprintf("size=%d,mode=0700,uid=%d,gid=%d", workstationHomeBytes, uid, uid)
		if err := unix.Mount("workstation-home", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, opts); err != nil {
			b.homeErr = fmt.Errorf("mount the home folder: %w", err)
			return
		}
		b.home = dir
	})
	return b.home, b.homeErr
}

// KafkaLogDir is where a workstation beside an Apache Kafka sandbox shows
// the broker's log directory (its log.dirs: one folder per partition, of
// segment files), read-only, as a packaged broker keeps it. A kfake
// sandbox (the default, and every kafka-cluster sandbox of this driver)
// keeps its records in memory: there is nothing to show, and nothing is
// there. It is the path every driver uses (workstation.KafkaLogDir).
const KafkaLogDir = workstation.KafkaLogDir

// kafkaLogBinds returns the binds that show the log directory of b's
// broker at KafkaLogDir, if inst is an Apache Kafka sandbox or a stack
// whose broker is one; else none.
// The broker writes its files readable by other users (see launchKafka)
// and its log directory is open to them, so the learner's user reads the
// segments; the bind is read-only, so it cannot change them.
func (d *Driver) kafkaLogBinds(inst sandbox.Instance, b *box) []workstation.Bind {
	if d.apache == nil || !inst.Spec.Kind.OneBroker() {
		return nil
	}
	d.mu.Lock()
	_, running := d.brokers[inst.Spec.ID]
	d.mu.Unlock()
	if !running {
		return nil
	}
	return []workstation.Bind{{Source: filepath.Join(b.fence.Dir(), kafkaDataDir), Target: KafkaLogDir}}
}

// kafkaHomeForTools is the Apache Kafka tree whose scripts the workstation
// offers, if this machine has one.
func (d *Driver) kafkaHomeForTools() string {
	home := d.opts.KafkaHome
	if home == "" {
		home = FindKafkaHome()
	}
	if home == "" {
		return ""
	}
	if _, err := os.Stat(filepath.Join(home, "bin", "kafka-topics.sh")); err != nil {
		return ""
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		return ""
	}
	return abs
}

// kafkaToolWrappers makes each of Kafka's scripts callable under its own
// name and without ".sh", as lessons and packaged distributions name them.
func kafkaToolWrappers(home string) []workstation.File {
	scripts, _ := filepath.Glob(filepath.Join(home, "bin", "*.sh"))
	var out []workstation.File
	for _, s := range scripts {
		name := filepath.Base(s)
		body := "#!/bin/sh\nexec " + shellQuote(s) + " \"$@\"\n"
		out = append(out,
			workstation.File{Path: "/opt/opslab/bin/" + name, Content: body, Mode: 0o755},
			workstation.File{Path: "/opt/opslab/bin/" + strings.TrimSuffix(name, ".sh"), Content: body, Mode: 0o755})
	}
	return out
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
