package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/workstation"
)

// A sandbox's workstation, on this driver, is one more container: made
// from the workstation image (scripts/build-images.sh), joined to the
// network namespace of the sandbox's first node, so that it shares the
// sandbox's private loopback and nothing else; with no capabilities, no
// new privileges, a read-only root, its own process namespace, and memory,
// CPU and pids limits. Its process 1 is the gate (opslab-workstation gate,
// see package workstation), run as gateUser: it makes every node answer
// at its name. The learner's home is a size-capped tmpfs of the container,
// so it lasts as long as the sandbox. Each shell is an exec into the
// container as workstationUser, with a TTY for a terminal (StartShell) or
// without for a check's script (RunShell). The container is made on the
// first shell, and removed with the sandbox (it carries the sandbox's
// labels).

// DefaultWorkstationImage is the workstation image when none is named;
// `make engine` builds a local one and names it in $OPSLAB_WORKSTATION_IMAGE.
const DefaultWorkstationImage = "localhost/opslab-workstation:latest"

// Workstation defaults and fixed places.
const (
	DefaultWorkstationMemoryBytes = 768 << 20 // the Kafka tools' JVMs need room
	DefaultWorkstationPids        = 256

	workstationHomeBytes = 16 << 20
	workstationTmpBytes  = 16 << 20
	workstationHome      = "/home/learner"
	workstationHostname  = "workstation"
	// The learner's user, and the gate's: neither is root, the servers'
	// users (999 for Redis, 1000 for Kafka) or each other. The gate runs
	// as Redis's user, so that it can reach the nodes' sockets, which the
	// learner cannot.
	workstationUser = 2000
	gateUser        = 999
	// Where the gate's program, its file, and the nodes' socket folders
	// are in the container.
	gateBinary  = "/run/opslab-workstation"
	gateDir     = "/run/opslab-gate"
	socketsRoot = "/run/opslab"
	// execStartTimeout bounds starting one shell or script: a workstation
	// whose processes are all taken (a fork bomb) cannot start one.
	execStartTimeout = 20 * time.Second
	// LabelWorkstation marks a sandbox's workstation container.
	LabelWorkstation = "io.opslab.workstation"
)

// learnerUser is the learner's user and group, as the Engine API names them.
var learnerUser = strconv.Itoa(workstationUser) + ":" + strconv.Itoa(workstationUser)

// workstationContainerName is the name of the sandbox id's workstation.
func workstationContainerName(id string) string { return containerName(id) + "-workstation" }

// wsState is the workstation of one box: made once, remade if it died.
type wsState struct {
	mu        sync.Mutex
	container string
}

// workstationOf returns the workstation container of the running sandbox
// inst, making it if there is none yet (or the one there stopped).
func (d *Driver) workstationOf(ctx context.Context, inst sandbox.Instance) (string, error) {
	d.mu.Lock()
	b := d.running[inst.Spec.ID]
	d.mu.Unlock()
	if b == nil {
		return "", sandbox.ErrNotFound
	}
	b.ws.mu.Lock()
	defer b.ws.mu.Unlock()
	name := workstationContainerName(inst.Spec.ID)
	if b.ws.container == "" {
		b.ws.container = name // one made by an earlier run of the platform
	}
	res, err := d.cli.ContainerInspect(ctx, b.ws.container, client.ContainerInspectOptions{})
	switch {
	case err == nil && res.Container.State != nil && res.Container.State.Running:
		return res.Container.ID, nil
	case err == nil:
		if _, err := d.cli.ContainerRemove(ctx, res.Container.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !cerrdefs.IsNotFound(err) {
			return "", fmt.Errorf("remove the stopped workstation: %w", err)
		}
	case !cerrdefs.IsNotFound(err):
		return "", fmt.Errorf("inspect the workstation: %w", err)
	}
	id, err := d.makeWorkstation(ctx, b)
	if err != nil {
		b.ws.container = ""
		return "", err
	}
	b.ws.container = id
	return id, nil
}

// makeWorkstation creates and starts b's workstation container.
func (d *Driver) makeWorkstation(ctx context.Context, b *box) (string, error) {
	if _, err := os.Stat(d.opts.WorkstationBinary); err != nil {
		return "", fmt.Errorf("%w: the workstation binary %s is missing (build it with `make build`): %v", sandbox.ErrUnsupported, d.opts.WorkstationBinary, err)
	}
	inst := b.inst
	dir := filepath.Join(d.dir(inst.Spec.ID), "workstation")
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("clear the workstation's folder: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", fmt.Errorf("make the workstation's folder: %w", err)
	}
	fws, socketDirs := d.workstationForwards(inst)
	mounts := []mount.Mount{
		{Type: mount.TypeBind, Source: d.opts.WorkstationBinary, Target: gateBinary, ReadOnly: true},
	}
	for host, in := range socketDirs {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: host, Target: in, ReadOnly: true})
	}
	// A single broker's log directory (a kafka sandbox's, a stack's).
	if data := d.kafkaDataDir(inst.Spec.ID); inst.Spec.Kind.OneBroker() && mounted(data) {
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: data, Target: workstation.KafkaLogDir, ReadOnly: true})
	}
	// The gate's file holds the learner's Redis account: its user's only.
	gate, err := json.Marshal(workstation.Gate{Forwards: fws})
	if err != nil {
		return "", fmt.Errorf("encode the workstation gate: %w", err)
	}
	gdir := filepath.Join(dir, "gate")
	if err := os.Mkdir(gdir, 0o700); err != nil {
		return "", fmt.Errorf("make the gate's folder: %w", err)
	}
	owner := uidGid{uid: gateUser, gid: gateUser, chown: os.Geteuid() == 0}
	if err := writeOwned(filepath.Join(gdir, "gate.json"), string(gate), owner); err != nil {
		return "", err
	}
	if owner.chown {
		if err := os.Chown(gdir, gateUser, gateUser); err != nil {
			return "", fmt.Errorf("hand the gate's folder to its user: %w", err)
		}
	}
	mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: gdir, Target: gateDir, ReadOnly: true})
	files := map[string]string{
		"/etc/hosts":    workstation.Hosts(workstationHostname, fws),
		"/etc/hostname": workstationHostname + "\n",
		"/etc/passwd": "root:x:0:0:root:/root:/usr/sbin/nologin\n" +
			"gate:x:" + strconv.Itoa(gateUser) + ":" + strconv.Itoa(gateUser) + ":gate:/:/usr/sbin/nologin\n" +
			"learner:x:" + learnerUser + ":learner:" + workstationHome + ":/bin/bash\n",
		"/etc/group":   "root:x:0:\ngate:x:" + strconv.Itoa(gateUser) + ":\nlearner:x:" + strconv.Itoa(workstationUser) + ":\n",
		"/etc/profile": workstation.Profile(workstationHostname),
	}
	for path, content := range files {
		src := filepath.Join(dir, strings.TrimPrefix(strings.ReplaceAll(path, "/", "-"), "-"))
		if err := os.WriteFile(src, []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("write the workstation's %s: %w", path, err)
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: src, Target: path, ReadOnly: true})
	}
	home, err := d.workstationHome(inst.Spec.ID)
	if err != nil {
		return "", err
	}
	mounts = append(mounts, home, tmpfs("/tmp", workstationTmpBytes))
	pids := d.opts.WorkstationPids
	labels := d.labels(inst.Spec)
	labels[LabelWorkstation] = "1"
	cfg := &container.Config{
		Image:      d.opts.WorkstationImage,
		Entrypoint: []string{gateBinary, "gate", gateDir + "/gate.json"},
		User:       strconv.Itoa(gateUser) + ":" + strconv.Itoa(gateUser),
		Labels:     labels,
		WorkingDir: "/",
	}
	host := &container.HostConfig{
		NetworkMode:    container.NetworkMode("container:" + b.container),
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		ReadonlyRootfs: true,
		Mounts:         mounts,
		Resources: container.Resources{
			Memory:     d.opts.WorkstationMemoryBytes,
			MemorySwap: d.opts.WorkstationMemoryBytes,
			NanoCPUs:   d.opts.NanoCPUs,
			PidsLimit:  &pids,
		},
		LogConfig: container.LogConfig{Type: "k8s-file"},
	}
	id, err := d.createNamed(ctx, workstationContainerName(inst.Spec.ID), cfg, host)
	if err != nil {
		return "", fmt.Errorf("workstation: %w", err)
	}
	if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		_, _ = d.cli.ContainerRemove(context.WithoutCancel(ctx), id, client.ContainerRemoveOptions{Force: true})
		return "", fmt.Errorf("workstation: start container: %w", err)
	}
	return id, nil
}

// workstationHome returns the mount of the learner's home: a tmpfs of
// workstationHomeBytes owned by the learner's user, mounted by the driver
// in the sandbox's folder and bound into the container, so that it keeps
// the learner's files for the sandbox's life, even if the workstation
// container is made again. A driver that is not root cannot mount it: the
// home is then the container's own tmpfs, open to its users (the learner
// and the gate), and lasts as long as the container.
func (d *Driver) workstationHome(id string) (mount.Mount, error) {
	if os.Geteuid() != 0 {
		return mount.Mount{Type: mount.TypeTmpfs, Target: workstationHome, TmpfsOptions: &mount.TmpfsOptions{
			SizeBytes: workstationHomeBytes, Mode: os.ModeSticky | 0o777,
		}}, nil
	}
	dir := filepath.Join(d.dir(id), "home")
	if !mounted(dir) {
		if err := mountTmpfs(dir, workstationHomeBytes, 0o700, workstationUser); err != nil {
			return mount.Mount{}, fmt.Errorf("the home folder: %w", err)
		}
	}
	return mount.Mount{Type: mount.TypeBind, Source: dir, Target: workstationHome}, nil
}

// workstationForwards names every node of inst as the process driver's
// workstation does (workstation.Forwards), at addresses the gate reaches
// from inside the sandbox's network namespace: a Redis node's socket
// folder is bound into the container (socketDirs maps each host folder to
// where it is inside), a broker listens on the shared loopback at the
// same port as its relay on the host.
func (d *Driver) workstationForwards(inst sandbox.Instance) (fws []workstation.Forward, socketDirs map[string]string) {
	socketDirs = map[string]string{}
	for _, fw := range workstation.Forwards(inst) {
		if fw.Network == "unix" {
			host := filepath.Dir(fw.Address)
			in, ok := socketDirs[host]
			if !ok {
				in = socketsRoot + "/" + strconv.Itoa(len(socketDirs))
				socketDirs[host] = in
			}
			fw.Address = in + "/" + filepath.Base(fw.Address)
		}
		fws = append(fws, fw)
	}
	return fws, socketDirs
}

// shellEnv is the environment of a shell of the workstation beside inst,
// marked with token: beside a PostgreSQL server, libpq's defaults too
// (workstation.PostgresEnv).
func shellEnv(token string, inst sandbox.Instance) []string {
	env := []string{
		"HOME=" + workstationHome, "USER=learner", "LOGNAME=learner", "SHELL=/bin/bash",
		"TERM=xterm-256color", "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin:/opt/kafka/bin",
		workstation.ShellEnv + "=" + token,
	}
	return append(env, workstation.PostgresEnv(inst)...)
}

// preparePgpass writes the learner's ~/.pgpass beside a sandbox inst with
// a PostgreSQL server (postgres, stack), in the home the driver mounted
// (workstation.WritePgpass), before each shell or script, so it follows
// the sandbox's current password.
func (d *Driver) preparePgpass(inst sandbox.Instance) {
	if inst.Postgres.Learner.User == "" {
		return
	}
	home := filepath.Join(d.dir(inst.Spec.ID), "home")
	if mounted(home) {
		workstation.WritePgpass(home, workstationUser, inst)
	}
}

// newToken returns a fresh mark for one shell.
func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// endShell kills every process of the shell token in the workstation ctr,
// as the learner's user (who owns them all), by the gate's program.
func (d *Driver) endShell(ctr, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, code, err := d.execAs(ctx, ctr, ctr, learnerUser, []string{gateBinary, "end", token})
	switch {
	case err != nil && (cerrdefs.IsNotFound(err) || cerrdefs.IsConflict(err)):
		return nil // the workstation is gone, and the shell with it
	case err == nil && code == 0:
		return nil
	}
	// The workstation cannot start the program (a fork bomb holds every
	// process it may have): end the whole workstation, which ends every
	// shell in it; the next shell makes it again, on the same home.
	if rerr := d.dropWorkstation(ctr); rerr != nil {
		if err == nil {
			err = fmt.Errorf("opslab-workstation end exited %d: %s", code, strings.TrimSpace(out))
		}
		return fmt.Errorf("end shell: %w; then remove the workstation: %w", err, rerr)
	}
	return nil
}

// dropWorkstation removes the workstation container ctr at once.
func (d *Driver) dropWorkstation(ctr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := d.cli.ContainerRemove(ctx, ctr, client.ContainerRemoveOptions{Force: true})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return err
	}
	return nil
}

// StartShell starts a learner's shell (bash, as a login shell) in the
// workstation of the running sandbox inst, on a terminal of cols×rows
// cells, making the workstation on first use.
func (d *Driver) StartShell(ctx context.Context, inst sandbox.Instance, cols, rows uint16) (sandbox.Terminal, error) {
	fail := func(err error) (sandbox.Terminal, error) {
		return nil, fmt.Errorf("shell beside sandbox %s: %w", inst.Spec.ID, err)
	}
	ctr, err := d.workstationOf(ctx, inst)
	if err != nil {
		return fail(err)
	}
	d.preparePgpass(inst)
	token := newToken()
	size := client.ConsoleSize{Height: uint(rows), Width: uint(cols)}
	ctx, cancel := context.WithTimeout(ctx, execStartTimeout)
	defer cancel()
	ex, err := d.cli.ExecCreate(ctx, ctr, client.ExecCreateOptions{
		User: learnerUser,
		TTY:  true, ConsoleSize: size,
		AttachStdin: true, AttachStdout: true, AttachStderr: true,
		Env: shellEnv(token, inst), WorkingDir: workstationHome,
		Cmd: []string{"/bin/bash", "--login", "-i"},
	})
	if err != nil {
		return fail(fmt.Errorf("create the shell: %w", err))
	}
	att, err := d.cli.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{TTY: true, ConsoleSize: size})
	if err != nil {
		_ = d.endShell(ctr, token)
		return fail(fmt.Errorf("attach to the shell: %w", err))
	}
	t := &execTerminal{d: d, ctr: ctr, exec: ex.ID, token: token, att: att.HijackedResponse, done: make(chan struct{})}
	// Podman sizes the terminal only once the shell runs: say it again.
	_ = t.Resize(cols, rows)
	return t, nil
}

// execTerminal is a shell exec'd with a TTY into a workstation container.
type execTerminal struct {
	d     *Driver
	ctr   string
	exec  string
	token string
	att   client.HijackedResponse

	doneOnce  sync.Once
	done      chan struct{} // closed when the output ended
	closeOnce sync.Once
	closeErr  error
}

func (t *execTerminal) Read(p []byte) (int, error) {
	n, err := t.att.Reader.Read(p)
	if err != nil {
		t.doneOnce.Do(func() { close(t.done) })
	}
	return n, err
}

func (t *execTerminal) Write(p []byte) (int, error) { return t.att.Conn.Write(p) }

func (t *execTerminal) Resize(cols, rows uint16) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := t.d.cli.ExecResize(ctx, t.exec, client.ExecResizeOptions{Height: uint(rows), Width: uint(cols)})
	if err != nil {
		return fmt.Errorf("resize the shell: %w", err)
	}
	return nil
}

// Wait waits until the shell's output has ended and returns its exit
// status as the engine reports it (-1 if the engine cannot say).
func (t *execTerminal) Wait() (int, error) {
	<-t.done
	code, err := t.d.execExit(context.Background(), t.exec)
	if err != nil {
		return -1, fmt.Errorf("shell's exit status: %w", err)
	}
	return code, nil
}

// execExit waits (up to 5 s: the process's output has already ended) for
// the engine to see the exec end, and returns its exit status.
func (d *Driver) execExit(ctx context.Context, exec string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		info, err := d.cli.ExecInspect(ctx, exec, client.ExecInspectOptions{})
		if err != nil {
			return 0, err
		}
		if !info.Running {
			return info.ExitCode, nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Close kills the shell and everything it started, and closes the stream,
// which ends reads.
func (t *execTerminal) Close() error {
	t.closeOnce.Do(func() {
		t.closeErr = t.d.endShell(t.ctr, t.token)
		t.att.Close()
	})
	return t.closeErr
}

// RunShell runs script with bash -c in the workstation of inst, as the
// learner in their home, its standard input empty, and returns its output
// (each stream cut at sandbox.MaxShellOutput) and exit status. Past ctx
// the script and everything it started are killed.
func (d *Driver) RunShell(ctx context.Context, inst sandbox.Instance, script string) (sandbox.ShellResult, error) {
	fail := func(err error) (sandbox.ShellResult, error) {
		return sandbox.ShellResult{}, fmt.Errorf("script beside sandbox %s: %w", inst.Spec.ID, err)
	}
	ctr, err := d.workstationOf(ctx, inst)
	if err != nil {
		return fail(err)
	}
	d.preparePgpass(inst)
	token := newToken()
	actx, cancel := context.WithTimeout(ctx, execStartTimeout)
	defer cancel()
	ex, err := d.cli.ExecCreate(actx, ctr, client.ExecCreateOptions{
		User:         learnerUser,
		AttachStdout: true, AttachStderr: true,
		Env: shellEnv(token, inst), WorkingDir: workstationHome,
		Cmd: []string{"/bin/bash", "--noprofile", "--norc", "-c", script},
	})
	if err != nil {
		return fail(fmt.Errorf("create the script: %w", err))
	}
	att, err := d.cli.ExecAttach(actx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		_ = d.endShell(ctr, token)
		return fail(fmt.Errorf("attach to the script: %w", err))
	}
	defer att.Close()
	var stdout, stderr sandbox.CappedOutput
	copied := make(chan error, 1)
	go func() { copied <- demuxTo(&stdout, &stderr, att.Reader) }()
	select {
	case err = <-copied:
	case <-ctx.Done():
		_ = d.endShell(ctr, token) // the workstation is remade if it cannot
		att.Close()
		<-copied
		return fail(ctx.Err())
	}
	if err != nil {
		return fail(fmt.Errorf("read the script's output: %w", err))
	}
	code, err := d.execExit(context.WithoutCancel(ctx), ex.ID)
	if err != nil {
		return fail(fmt.Errorf("the script's exit status: %w", err))
	}
	return sandbox.ShellResult{Stdout: stdout.String(), Stderr: stderr.String(), Exit: code}, nil
}

// demuxTo splits an exec's multiplexed stream into stdout and stderr.
func demuxTo(stdout, stderr io.Writer, r io.Reader) error {
	_, err := stdcopy.StdCopy(stdout, stderr, r)
	return err
}
