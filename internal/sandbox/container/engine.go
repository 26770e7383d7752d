package container

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
)

// uidGid is the user a sandbox container runs as.
type uidGid struct {
	uid, gid int
	chown    bool // the shared directory must be handed to uid
}

// String returns "uid:gid".
func (u uidGid) String() string { return strconv.Itoa(u.uid) + ":" + strconv.Itoa(u.gid) }

// prepareMount creates a sandbox's shared directory and returns the user
// its container runs as. A platform running as root (with a rootful
// engine) runs the server as the image's unprivileged user, uid, and hands
// it the directory; otherwise (rootless Podman) the container's root is
// the platform's own user and the directory is already its own.
func (d *Driver) prepareMount(mnt string, uid int) uidGid {
	_ = os.Mkdir(mnt, 0o700)
	if os.Geteuid() != 0 {
		return uidGid{uid: 0, gid: 0}
	}
	u := uidGid{uid: uid, gid: uid, chown: true}
	_ = os.Chown(mnt, uid, uid)
	return u
}

// labels returns the labels of spec's container.
func (d *Driver) labels(spec sandbox.Spec) map[string]string {
	return map[string]string{
		LabelApp:     "opslab",
		LabelScope:   d.opts.Scope,
		LabelSandbox: spec.ID,
		LabelLearner: strconv.FormatInt(spec.Owner, 10),
		LabelLesson:  spec.Lesson.String(),
		LabelKind:    string(spec.Kind),
	}
}

// hostConfig returns the fence every sandbox container runs in: no
// network, no capabilities, no new privileges, a read-only root, the
// limits, and the shared directory mounted at mountPoint.
func (d *Driver) hostConfig(memory, pids int64, mnt string) *container.HostConfig {
	return &container.HostConfig{
		NetworkMode:    network.NetworkNone,
		CapDrop:        []string{"ALL"},
		SecurityOpt:    []string{"no-new-privileges"},
		ReadonlyRootfs: true,
		Mounts: []mount.Mount{{
			Type:   mount.TypeBind,
			Source: mnt,
			Target: mountPoint,
		}},
		Resources: container.Resources{
			Memory:     memory,
			MemorySwap: memory, // no swap beyond the limit
			NanoCPUs:   d.opts.NanoCPUs,
			PidsLimit:  &pids,
		},
		LogConfig: container.LogConfig{Type: "k8s-file"},
	}
}

// nodeLabels returns the labels of the container of spec's node called name.
func (d *Driver) nodeLabels(spec sandbox.Spec, name string) map[string]string {
	l := d.labels(spec)
	l[LabelNode] = name
	return l
}

// create creates the container of sandbox id and returns its container id.
func (d *Driver) create(ctx context.Context, id string, cfg *container.Config, host *container.HostConfig) (string, error) {
	return d.createNamed(ctx, containerName(id), cfg, host)
}

// createNamed creates a container called name and returns its id.
func (d *Driver) createNamed(ctx context.Context, name string, cfg *container.Config, host *container.HostConfig) (string, error) {
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host, Name: name})
	if err != nil {
		// Docker has no k8s-file log driver; it is Podman's default anyway.
		host.LogConfig = container.LogConfig{}
		if res, err = d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host, Name: name}); err != nil {
			return "", fmt.Errorf("create container from %s: %w", cfg.Image, err)
		}
	}
	return res.ID, nil
}

// await polls ready, backing off from 2ms to 50ms, until it succeeds, the
// container stops, or the start timeout or ctx ends.
// runSingle creates and starts the one container of sandbox inst, sets
// inst.StartedAt when the container starts, and waits until ready passes.
// It returns the container's id; on error the caller removes what is left.
func (d *Driver) runSingle(ctx context.Context, inst *sandbox.Instance, cfg *container.Config, host *container.HostConfig, ready func(context.Context) error) (string, error) {
	id, err := d.create(ctx, inst.Spec.ID, cfg, host)
	if err != nil {
		return "", err
	}
	inst.StartedAt = time.Now()
	if _, err := d.cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return "", fmt.Errorf("start container: %w", err)
	}
	return id, d.await(ctx, id, ready)
}

func (d *Driver) await(ctx context.Context, id string, ready func(context.Context) error) error {
	return d.awaitAll(ctx, d.opts.StartTimeout, []string{id}, ready)
}

// awaitAll is await for several containers: it fails as soon as one of
// them stops, and waits at most timeout.
func (d *Driver) awaitAll(ctx context.Context, timeout time.Duration, ids []string, ready func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 2 * time.Millisecond
	checkState := time.Now().Add(200 * time.Millisecond)
	for {
		err := ready(ctx)
		if err == nil {
			return nil
		}
		if time.Now().After(checkState) {
			checkState = time.Now().Add(500 * time.Millisecond)
			for _, id := range ids {
				res, ierr := d.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
				info := res.Container
				if ierr == nil && info.State != nil && !info.State.Running && info.State.Status != "created" {
					return fmt.Errorf("the container %s exited (status %s, code %d) before its server answered: %s", strings.TrimPrefix(info.Name, "/"), info.State.Status, info.State.ExitCode, d.logTail(ctx, id))
				}
			}
		}
		select {
		case <-ctx.Done():
			tails := make([]string, len(ids))
			for i, id := range ids {
				tails[i] = d.logTail(context.Background(), id)
			}
			return fmt.Errorf("the server did not answer (last try: %v): %w: %s", err, ctx.Err(), strings.Join(tails, " || "))
		case <-time.After(delay):
		}
		delay = min(delay*3/2, 50*time.Millisecond)
	}
}

// logTail returns the last lines the container wrote, for error messages.
func (d *Driver) logTail(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rc, err := d.cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "80"})
	if err != nil {
		return "no log (" + err.Error() + ")"
	}
	defer rc.Close()
	// What was read before an error is still worth showing.
	out, _ := demux(rc)
	// Java stack frames say little; keep the messages.
	var keep []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "at ") && !strings.HasPrefix(t, "... ") {
			keep = append(keep, t)
		}
	}
	if len(keep) > 8 {
		keep = keep[len(keep)-8:]
	}
	if len(keep) == 0 {
		return "no log"
	}
	return strings.Join(keep, " | ")
}

// scopeOf derives a driver scope from its scratch directory (ScopeOf).
func scopeOf(dir string) string { return ScopeOf(dir) }

// ScopeOf returns the scope label of a driver whose scratch directory is
// dir (an absolute path), as New derives it when Options.Scope is empty.
func ScopeOf(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	return hex.EncodeToString(sum[:6])
}

// labelFilter returns a list filter that matches containers carrying every
// one of labels (each "key=value").
func labelFilter(labels ...string) client.Filters {
	return make(client.Filters).Add("label", labels...)
}

// tmpfs returns a size-capped tmpfs mount at target that any user of the
// container may write (sticky, like /tmp): the image's user differs from
// image to image, and the container holds nobody else.
func tmpfs(target string, size int64) mount.Mount {
	return mount.Mount{
		Type:         mount.TypeTmpfs,
		Target:       target,
		TmpfsOptions: &mount.TmpfsOptions{SizeBytes: size, Mode: os.ModeSticky | 0o777},
	}
}
