package process

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/pgnode"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// Names and files of a Postgres sandbox. Its folder holds the server's
// socket (pgSocketName), its data directory (pgDataDir, a copy of the
// driver's template) and the server's output (pgOutputFile).
const (
	// PostgresPort is the port every Postgres sandbox's server has; it
	// listens on no TCP address, so the number only names its socket.
	PostgresPort = pgnode.Port
	// PostgresAdmin is the platform's superuser role in every Postgres
	// sandbox.
	PostgresAdmin = pgnode.Admin
	// PostgresLearner is the learner's role, owner of sandbox.PostgresDatabase.
	PostgresLearner = pgnode.Learner
	// PostgresStatementTimeout is the learner role's default
	// statement_timeout.
	PostgresStatementTimeout = pgnode.StatementTimeout
	// PostgresMaxConnections is the server's max_connections; the learner
	// role may hold all but the three reserved for the platform.
	PostgresMaxConnections = pgnode.MaxConnections

	pgSocketName = pgnode.SocketName
	pgDataDir    = "pgdata"
	pgOutputFile = "postgres.output"
	pgTemplate   = "pgtemplate" // in the driver's scratch directory
)

// PostgresExtensions lists the extensions the learner role can create
// (pgnode.Extensions).
var PostgresExtensions = pgnode.Extensions

// What the fence of a Postgres sandbox allows (see Limits), M being its
// memory cap.
const (
	// pgMemory is the server's memory beyond its tmpfs: 16 MiB of shared
	// buffers, 20 backends with 4 MiB of work_mem each and their
	// catalogs' caches, the background workers.
	pgMemory = 256 << 20
	// pgBaseDisk is the tmpfs room for the copied data directory (about
	// 32 MiB) and its WAL (max_wal_size 32 MiB); the learner's tables
	// and temporary files get 2M more.
	pgBaseDisk = 96 << 20
	// pgPids is the postmaster, its 20 backends and background workers.
	pgPids = 64
)

// postgresLimits returns the fence of a Postgres sandbox of memory cap m:
// 256 MiB plus its tmpfs (96 MiB + 2m) of memory, 64 processes, one core.
func postgresLimits(m int64) fence.Limits {
	disk := pgBaseDisk + 2*m
	return fence.Limits{MemoryBytes: pgMemory + disk, MilliCPU: 1000, Pids: pgPids, DiskBytes: disk}
}

// postgres is what the Driver knows of PostgreSQL: where its programs are,
// the template data directory every sandbox copies, and the running servers.
type postgres struct {
	bin string // folder of postgres and initdb
	err error  // why Postgres sandboxes cannot run, if they cannot

	build    sync.Mutex         // held while the template is made
	template []pgnode.TreeEntry // the template's data directory, once made
	secret   string             // the template's admin password

	mu      sync.Mutex
	servers map[string]*child // by sandbox id
}

// newPostgres finds PostgreSQL's programs in bin, or when bin is "" in
// the newest /usr/lib/postgresql/<version>/bin. Missing programs are no
// error here: Start then fails with sandbox.ErrUnsupported.
func newPostgres(bin string) *postgres {
	p := &postgres{servers: map[string]*child{}}
	if bin == "" {
		bin = newestPostgresBin("/usr/lib/postgresql")
	}
	for _, prog := range []string{"postgres", "initdb"} {
		if bin == "" {
			p.err = fmt.Errorf("%w: PostgreSQL not found in /usr/lib/postgresql; install it, e.g. apt-get install postgresql", sandbox.ErrUnsupported)
			break
		}
		if st, err := os.Stat(filepath.Join(bin, prog)); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			p.err = fmt.Errorf("%w: no %s program in %s; install PostgreSQL, e.g. apt-get install postgresql", sandbox.ErrUnsupported, prog, bin)
			break
		}
	}
	p.bin = bin
	return p
}

// newestPostgresBin returns root/<version>/bin for the highest numeric
// version that has a postgres program, or "" if none has.
func newestPostgresBin(root string) string {
	entries, err := os.ReadDir(root)
	if err != nil {
		return ""
	}
	best, bestBin := -1, ""
	for _, e := range entries {
		v, err := strconv.Atoi(e.Name())
		if err != nil || v <= best {
			continue
		}
		bin := filepath.Join(root, e.Name(), "bin")
		if _, err := os.Stat(filepath.Join(bin, "postgres")); err == nil {
			best, bestBin = v, bin
		}
	}
	return bestBin
}

// server returns the running server of sandbox id, or nil.
func (p *postgres) server(id string) *child {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.servers[id]
}

// take removes and returns the server of sandbox id, or nil.
func (p *postgres) take(id string) *child {
	p.mu.Lock()
	defer p.mu.Unlock()
	srv := p.servers[id]
	delete(p.servers, id)
	return srv
}

// startPostgres starts a PostgreSQL server in the already fenced folder of
// spec.ID, on a copy of the template, and returns once it accepts
// connections and both roles have the sandbox's own fresh passwords. On
// error nothing is left running.
func (d *Driver) startPostgres(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	p := d.postgres
	if p.err != nil {
		return sandbox.Instance{}, p.err
	}
	if err := postgresRunnable(b.fence); err != nil {
		return sandbox.Instance{}, err
	}
	template, secret, err := d.postgresTemplate(ctx)
	if err != nil {
		return sandbox.Instance{}, err
	}
	dir := d.dir(spec.ID)
	data := filepath.Join(dir, pgDataDir)
	if err := pgnode.WriteTree(template, data, b.fence.UID()); err != nil {
		return sandbox.Instance{}, fmt.Errorf("copy the template data directory: %w", err)
	}
	if err := writeOwned(b.fence, filepath.Join(data, "postgresql.conf"), pgnode.Conf(dir, spec.MemoryCap())); err != nil {
		return sandbox.Instance{}, err
	}
	inst := sandbox.Instance{
		Spec:   spec,
		Driver: Name,
		Dir:    dir,
		Postgres: sandbox.PostgresAccess{
			Endpoint: sandbox.Endpoint{Network: "unix", Address: filepath.Join(dir, pgSocketName)},
			Dir:      dir,
			Port:     PostgresPort,
			Database: sandbox.PostgresDatabase,
			Admin:    sandbox.Credentials{User: PostgresAdmin, Password: redisnode.NewSecret()},
			Learner:  sandbox.Credentials{User: PostgresLearner, Password: redisnode.NewSecret()},
		},
	}
	begin := time.Now()
	srv, err := d.launchPostgres(b, dir)
	if err != nil {
		return sandbox.Instance{}, err
	}
	inst.PID, inst.StartedAt = srv.pid, begin
	// The template's admin password opens the server until the sandbox's
	// own passwords replace it; only the platform can reach the socket
	// meanwhile (the folder is the sandbox user's, mode 0700).
	bootstrap := sandbox.Credentials{User: PostgresAdmin, Password: secret}
	if err := d.awaitPostgres(ctx, srv, inst.Postgres.Dir, bootstrap, func(c *pgx.Conn) error {
		return pgnode.SetPasswords(ctx, c, inst.Postgres)
	}); err != nil {
		srv.kill()
		<-srv.done
		return sandbox.Instance{}, err
	}
	p.mu.Lock()
	p.servers[spec.ID] = srv
	p.mu.Unlock()
	return inst, nil
}

// postgresRunnable returns an error wrapping sandbox.ErrUnsupported when
// PostgreSQL cannot run in f: unfenced as root, since postgres refuses to
// run as root and an unfenced sandbox runs as the platform's user.
func postgresRunnable(f *fence.Fence) error {
	if !f.Fenced() && os.Geteuid() == 0 {
		return fmt.Errorf("%w: PostgreSQL refuses to run as root, and unfenced sandboxes run as the platform's user; run the platform fenced, or unfenced as another user", sandbox.ErrUnsupported)
	}
	return nil
}

// launchPostgres runs postgres on the data directory in dir inside b's
// fence (in an IPC namespace of its own when fenced, so its System V
// shared memory is the sandbox's alone), its output in dir/pgOutputFile.
func (d *Driver) launchPostgres(b *box, dir string) (*child, error) {
	output, err := os.OpenFile(filepath.Join(dir, pgOutputFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer output.Close()
	prog := filepath.Join(d.postgres.bin, "postgres")
	cmd := exec.Command(prog, "-D", filepath.Join(dir, pgDataDir))
	cmd.Dir = dir
	cmd.Env = []string{"LC_ALL=C"} // the platform's secrets stay out of the sandbox
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if b.fence.Fenced() {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWIPC
	}
	if err := b.fence.Start(cmd); err != nil {
		return nil, fmt.Errorf("run %s: %w", prog, err)
	}
	srv := watch(cmd, dir)
	_ = os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(srv.pid)+"\n"), 0o600)
	return srv, nil
}

// awaitPostgres connects to the server in socketDir as user (to database
// postgres), backing off from 1ms, until it accepts, exits, or the start
// timeout or ctx ends; then runs then on the connection.
func (d *Driver) awaitPostgres(ctx context.Context, srv *child, socketDir string, user sandbox.Credentials, then func(*pgx.Conn) error) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StartTimeout)
	defer cancel()
	delay := time.Millisecond
	for {
		c, err := pgnode.Connect(ctx, socketDir, user, "postgres")
		if err == nil {
			err = then(c)
			_ = c.Close(context.WithoutCancel(ctx))
			return err
		}
		timer := time.NewTimer(delay)
		select {
		case <-srv.done:
			timer.Stop()
			return fmt.Errorf("postgres exited before accepting connections (%v): %s", srv.waitErr, tailFiles(filepath.Join(srv.dir, pgOutputFile)))
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("postgres did not accept connections (last try: %v): %w", err, ctx.Err())
		case <-timer.C:
		}
		delay = min(delay*5/4, 5*time.Millisecond)
	}
}

// stopPostgres stops a Postgres sandbox's server: SIGQUIT (PostgreSQL's
// immediate shutdown: it ends its backends and frees its shared memory,
// with no checkpoint, since the data is thrown away), then SIGKILL after
// the grace period.
func (d *Driver) stopPostgres(ctx context.Context, srv *child) error {
	return d.stopChildWith(ctx, srv, "postgres", syscall.SIGQUIT)
}

// postgresTemplate returns the template data directory, read into memory
// (each sandbox's copy is written from there: about 1,000 files and 30
// MiB), and its admin password, making them on first use: concurrent
// first starts wait for one build. A failed build is tried again at the
// next start.
func (d *Driver) postgresTemplate(ctx context.Context) ([]pgnode.TreeEntry, string, error) {
	p := d.postgres
	p.build.Lock()
	defer p.build.Unlock()
	if p.template != nil {
		return p.template, p.secret, nil
	}
	dest := filepath.Join(filepath.Dir(d.root), pgTemplate)
	secret := redisnode.NewSecret()
	if err := d.buildPostgresTemplate(ctx, dest, secret); err != nil {
		return nil, "", fmt.Errorf("make the postgres template: %w", err)
	}
	tree, err := pgnode.ReadTree(dest)
	if err != nil {
		return nil, "", fmt.Errorf("make the postgres template: %w", err)
	}
	p.template, p.secret = tree, secret
	return tree, secret, nil
}

// buildPostgresTemplate makes dest, a data directory with the admin role
// (password secret), the learner role and its database: initdb makes a
// cluster (see runInitdb), the server runs on a copy of it in a fence of
// its own to create the roles, and the stopped server's data directory is
// copied out. dest is the platform's (mode 0700); a template left by an
// earlier run is replaced, its password being lost.
func (d *Driver) buildPostgresTemplate(ctx context.Context, dest, secret string) error {
	if err := d.removeTemplateLeftovers(dest); err != nil {
		return err
	}
	suffix := redisnode.NewSecret()[:12]
	staging := filepath.Join(filepath.Dir(d.root), "pginit-"+suffix)
	defer os.RemoveAll(staging)
	if err := d.runInitdb(ctx, staging, secret); err != nil {
		return err
	}
	dir := filepath.Join(filepath.Dir(d.root), "pgbuild-"+suffix)
	f, err := d.fence.New("pgbuild-"+suffix, dir, postgresLimits(sandbox.DefaultMaxMemoryBytes))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := postgresRunnable(f); err != nil {
		return err
	}
	data := filepath.Join(dir, pgDataDir)
	if err := pgnode.CopyTree(filepath.Join(staging, pgDataDir), data, f.UID()); err != nil {
		return err
	}
	if err := writeOwned(f, filepath.Join(data, "pg_hba.conf"), pgnode.HBA); err != nil {
		return err
	}
	if err := writeOwned(f, filepath.Join(data, "postgresql.conf"), pgnode.Conf(dir, sandbox.DefaultMaxMemoryBytes)); err != nil {
		return err
	}
	b := &box{fence: f}
	srv, err := d.launchPostgres(b, dir)
	if err != nil {
		return err
	}
	admin := sandbox.Credentials{User: PostgresAdmin, Password: secret}
	err = d.awaitPostgres(ctx, srv, dir, admin, func(c *pgx.Conn) error {
		for _, stmt := range pgnode.Setup {
			if _, err := c.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", stmt, err)
			}
		}
		return nil
	})
	// A clean (fast) shutdown writes a checkpoint, so each copy starts
	// without recovery.
	srv.signal(syscall.SIGINT)
	select {
	case <-srv.done:
	case <-time.After(d.opts.StartTimeout):
		srv.kill()
		<-srv.done
		err = errors.Join(err, errors.New("postgres did not shut down in time"))
	}
	if err != nil {
		return err
	}
	if !srv.cmd.ProcessState.Success() {
		return fmt.Errorf("postgres shut down with %v: %s", srv.waitErr, tailFiles(filepath.Join(dir, pgOutputFile)))
	}
	for _, name := range []string{"postmaster.pid", "postmaster.opts", "postgresql.conf"} {
		if err := os.Remove(filepath.Join(data, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	tmp := dest + ".tmp-" + suffix
	if err := pgnode.CopyTree(data, tmp, -1); err != nil {
		_ = os.RemoveAll(tmp)
		return err
	}
	return os.Rename(tmp, dest)
}

// removeTemplateLeftovers removes what an earlier run of the platform left
// of its template (dest) and of builds it did not finish: staging
// folders, half-written copies, and build fences (their tmpfs and cgroup
// too).
func (d *Driver) removeTemplateLeftovers(dest string) error {
	scratch := filepath.Dir(d.root)
	var errs []error
	builds, _ := filepath.Glob(filepath.Join(scratch, "pgbuild-*"))
	for _, dir := range builds {
		errs = append(errs, d.fence.Remove(filepath.Base(dir), dir))
	}
	stale, _ := filepath.Glob(filepath.Join(scratch, "pginit-*"))
	tmps, _ := filepath.Glob(dest + ".tmp-*")
	for _, dir := range append(append(stale, tmps...), dest) {
		errs = append(errs, os.RemoveAll(dir))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove an earlier template: %w", err)
	}
	return nil
}

// runInitdb makes a fresh cluster in staging/data with initdb, the admin
// role its superuser with password secret. initdb runs outside any fence,
// on nothing a learner wrote: it needs its user to have a name, which
// sandbox users have not. As root it runs as "nobody" (PostgreSQL refuses
// root), otherwise as the platform's user.
func (d *Driver) runInitdb(ctx context.Context, staging, secret string) error {
	if err := os.Mkdir(staging, 0o700); err != nil {
		return err
	}
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			return fmt.Errorf("initdb cannot run as root, and there is no user nobody to run it as: %w", err)
		}
		uid, err1 := strconv.Atoi(nobody.Uid)
		gid, err2 := strconv.Atoi(nobody.Gid)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("user nobody: %w", err)
		}
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
		if err := os.Chown(staging, uid, gid); err != nil {
			return err
		}
	}
	pwfile := filepath.Join(staging, "pwfile")
	if err := os.WriteFile(pwfile, []byte(secret+"\n"), 0o600); err != nil {
		return err
	}
	if cred != nil {
		if err := os.Chown(pwfile, int(cred.Uid), int(cred.Gid)); err != nil {
			return err
		}
	}
	var out strings.Builder
	cmd := exec.CommandContext(ctx, filepath.Join(d.postgres.bin, "initdb"),
		"-D", filepath.Join(staging, pgDataDir), "-U", PostgresAdmin, "--pwfile", pwfile, "--auth", "scram-sha-256",
		"--encoding", "UTF8", "--locale", "C", "--no-sync", "--wal-segsize", "1", "--no-instructions")
	cmd.Dir = staging
	cmd.Env = []string{"LC_ALL=C"}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initdb: %w: %s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// writeOwned writes a file of the sandbox (mode 0600) and gives it to the
// sandbox's user.
func writeOwned(f *fence.Fence, path, content string) error {
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		return err
	}
	return f.Own(path)
}
