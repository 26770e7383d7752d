package container

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/pgnode"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// A postgres sandbox is one container of the postgres image
// (scripts/build-images.sh: Debian's PostgreSQL server), run as user 999
// with the fence of every sandbox container (no network, no capabilities,
// a read-only root, memory, CPU and pids limits). Its data directory is a
// copy of the driver's template, written into a size-capped tmpfs the
// driver mounts in the sandbox's folder and binds at dataDir; the server
// listens on no TCP address, only on its socket in the mounted folder
// (mode 0700, the container user's). The roles, pg_hba.conf and
// postgresql.conf are pgnode's, as on the process driver.

// DefaultPostgresImage is the postgres image when none is named; `make
// engine` builds a local one and names it in $OPSLAB_POSTGRES_IMAGE.
const DefaultPostgresImage = "localhost/opslab-postgres:latest"

// Sizes of a postgres container, M being the sandbox's memory cap: the
// server's memory beyond its data (shared buffers, 20 backends with their
// work_mem, the background workers), the data directory's tmpfs (the
// copied template and its WAL, plus 2M for the learner's tables and
// temporary files), and its processes.
const (
	pgMemory   = 256 << 20
	pgBaseDisk = 96 << 20
	pgPids     = 64
	pgUser     = 999
)

// pgTemplate is the driver's template data directory, built once.
type pgTemplate struct {
	mu     sync.Mutex
	tree   []pgnode.TreeEntry
	secret string // the template's admin password
}

// postgresTemplate returns the template data directory (in memory) and
// its admin password, building it on first use: a container of the
// postgres image runs initdb and then the setup statements in PostgreSQL's
// single-user mode on a folder of the driver's, which is then read into
// memory and removed. Concurrent first starts wait for one build; a
// failed build is tried again at the next start.
func (d *Driver) postgresTemplate(ctx context.Context) ([]pgnode.TreeEntry, string, error) {
	t := &d.pg
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tree != nil {
		return t.tree, t.secret, nil
	}
	dir, err := os.MkdirTemp(d.root, ".pg-template-")
	if err != nil {
		return nil, "", fmt.Errorf("build the postgres template: %w", err)
	}
	defer os.RemoveAll(dir)
	user := d.prepareMount(dir, pgUser)
	secret := redisnode.NewSecret()
	if err := writeOwned(filepath.Join(dir, "pwfile"), secret+"\n", user); err != nil {
		return nil, "", err
	}
	if err := writeOwned(filepath.Join(dir, "setup.sql"), strings.Join(pgnode.Setup, "\n")+"\n", user); err != nil {
		return nil, "", err
	}
	data := mountPoint + "/data"
	script := strings.Join([]string{
		"set -e",
		fmt.Sprintf("initdb -D %s -U %s --pwfile %s/pwfile --auth scram-sha-256 --encoding UTF8 --locale C --no-sync --wal-segsize 1 --no-instructions >%s/initdb.log 2>&1 || { cat %[4]s/initdb.log; exit 1; }",
			data, pgnode.Admin, mountPoint, mountPoint),
		fmt.Sprintf("postgres --single -D %s -c fsync=off postgres <%s/setup.sql >%s/setup.log 2>&1 || { cat %[3]s/setup.log; exit 1; }", data, mountPoint, mountPoint),
		fmt.Sprintf("if grep -q ERROR %s/setup.log; then cat %[1]s/setup.log; exit 1; fi", mountPoint),
	}, "\n")
	cfg := &container.Config{
		Image:      d.opts.PostgresImage,
		Entrypoint: []string{"/bin/sh", "-c"},
		Cmd:        []string{script},
		User:       user.String(),
		Labels:     map[string]string{LabelApp: "opslab", LabelScope: d.opts.Scope},
	}
	host := d.hostConfig(pgMemory, pgPids, dir)
	host.Mounts = append(host.Mounts, tmpfs("/tmp", 16<<20))
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host})
	if err != nil {
		return nil, "", fmt.Errorf("build the postgres template: create container from %s: %w", cfg.Image, err)
	}
	defer func() {
		_, _ = d.cli.ContainerRemove(context.WithoutCancel(ctx), res.ID, client.ContainerRemoveOptions{Force: true})
	}()
	if _, err := d.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return nil, "", fmt.Errorf("build the postgres template: start: %w", err)
	}
	wait := d.cli.ContainerWait(ctx, res.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-wait.Result:
		if r.StatusCode != 0 {
			return nil, "", fmt.Errorf("build the postgres template: exit %d: %s", r.StatusCode, d.logTail(ctx, res.ID))
		}
	case err := <-wait.Error:
		return nil, "", fmt.Errorf("build the postgres template: wait: %w", err)
	}
	hostData := filepath.Join(dir, "data")
	if err := writeOwned(filepath.Join(hostData, "pg_hba.conf"), pgnode.HBA, user); err != nil {
		return nil, "", err
	}
	for _, name := range []string{"postmaster.pid", "postmaster.opts", "postgresql.conf"} {
		if err := os.Remove(filepath.Join(hostData, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("build the postgres template: %w", err)
		}
	}
	tree, err := pgnode.ReadTree(hostData)
	if err != nil {
		return nil, "", fmt.Errorf("build the postgres template: %w", err)
	}
	t.tree, t.secret = tree, secret
	return tree, secret, nil
}

// startPostgres starts a postgres container for spec on a copy of the
// template and returns once the server accepts connections and both roles
// have the sandbox's own fresh passwords. The caller removes what is left
// on error.
func (d *Driver) startPostgres(ctx context.Context, spec sandbox.Spec) (*box, error) {
	access, node, ready, err := d.postgresNode(ctx, spec, d.mnt(spec.ID), d.labels(spec))
	if err != nil {
		return nil, err
	}
	inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: d.dir(spec.ID), StartedAt: time.Now(), Postgres: access}
	if err := saveAccess(inst); err != nil {
		return nil, err
	}
	id, err := d.runSingle(ctx, &inst, node.cfg, node.host, ready)
	if err != nil {
		return nil, err
	}
	return &box{inst: inst, container: id}, nil
}

// postgresNode prepares the PostgreSQL server of spec's sandbox, whose
// container mounts the folder mnt (its socket's) and carries labels: a
// copy of the template in a tmpfs the driver mounts at the sandbox's
// pgdata (one per sandbox), the server's config, fresh passwords. It
// returns the server's access, its container to create, and ready, which
// passes once the server accepts connections and both roles have the
// sandbox's own passwords (the first call that reaches the server sets
// them; ready is for one caller at a time). The caller removes what is
// left on error.
func (d *Driver) postgresNode(ctx context.Context, spec sandbox.Spec, mnt string, labels map[string]string) (sandbox.PostgresAccess, nodeContainer, func(context.Context) error, error) {
	var none sandbox.PostgresAccess
	if os.Geteuid() != 0 {
		return none, nodeContainer{}, nil, fmt.Errorf("%w: the container driver runs postgres sandboxes only as root (their data directory is a tmpfs it mounts and hands to the container's user)", sandbox.ErrUnsupported)
	}
	template, secret, err := d.postgresTemplate(ctx)
	if err != nil {
		return none, nodeContainer{}, nil, err
	}
	user := d.prepareMount(mnt, pgUser)
	disk := pgBaseDisk + 2*spec.MemoryCap()
	tmp := filepath.Join(d.dir(spec.ID), "pgdata")
	if err := mountTmpfs(tmp, disk, 0o700, pgUser); err != nil {
		return none, nodeContainer{}, nil, fmt.Errorf("the data folder: %w", err)
	}
	data := filepath.Join(tmp, "data")
	if err := pgnode.WriteTree(template, data, pgUser); err != nil {
		return none, nodeContainer{}, nil, fmt.Errorf("copy the template data directory: %w", err)
	}
	if err := writeOwned(filepath.Join(data, "postgresql.conf"), pgnode.Conf(mountPoint, spec.MemoryCap()), user); err != nil {
		return none, nodeContainer{}, nil, err
	}
	access := sandbox.PostgresAccess{
		Endpoint: sandbox.Endpoint{Network: "unix", Address: filepath.Join(mnt, pgnode.SocketName)},
		Dir:      mnt,
		Port:     pgnode.Port,
		Database: sandbox.PostgresDatabase,
		Admin:    sandbox.Credentials{User: pgnode.Admin, Password: redisnode.NewSecret()},
		Learner:  sandbox.Credentials{User: pgnode.Learner, Password: redisnode.NewSecret()},
	}
	cfg := &container.Config{
		Image:      d.opts.PostgresImage,
		Entrypoint: []string{"postgres", "-D", dataDir},
		User:       user.String(),
		Labels:     labels,
		WorkingDir: "/sandbox",
		Env:        []string{"LC_ALL=C"},
	}
	host := d.hostConfig(pgMemory+disk, pgPids, mnt)
	host.Mounts = append(host.Mounts,
		mount.Mount{Type: mount.TypeBind, Source: data, Target: dataDir},
		tmpfs("/tmp", 16<<20), tmpfs("/var/run/postgresql", 1<<20))
	// The template's admin password opens the server until the sandbox's
	// own passwords replace it; only the platform reaches the socket.
	bootstrap := sandbox.Credentials{User: pgnode.Admin, Password: secret}
	passwordsSet := false
	ready := func(ctx context.Context) error {
		creds := bootstrap
		if passwordsSet {
			creds = access.Admin
		}
		c, err := pgnode.Connect(ctx, mnt, creds, "postgres")
		if err != nil {
			return err
		}
		defer c.Close(context.WithoutCancel(ctx))
		if !passwordsSet {
			if err := pgnode.SetPasswords(ctx, c, access); err != nil {
				return err
			}
			passwordsSet = true
		}
		return nil
	}
	return access, nodeContainer{cfg: cfg, host: host}, ready, nil
}

// pingPostgres signs in to the sandbox's server as its admin.
func pingPostgres(ctx context.Context, access sandbox.PostgresAccess) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := pgnode.Connect(ctx, access.Dir, access.Admin, "postgres")
	if err != nil {
		return err
	}
	return c.Close(ctx)
}
