package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// Files in a Redis sandbox's directory besides what Redis itself writes.
const (
	pidFile    = "pid"          // the server's process id, for people
	logFile    = "redis.log"    // the server's log
	outputFile = "redis.output" // stdout and stderr, for errors before the log opens
)

// The Redis accounts of every sandbox (see redisnode.UserLines).
const (
	adminUser   = redisnode.AdminUser
	learnerUser = redisnode.LearnerUser
	clientUser  = redisnode.ClientUser
)

// startRedis starts a redis-server in the already created directory of
// spec.ID and waits until it answers. On error nothing is left running.
func (d *Driver) startRedis(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	if d.redisErr != nil {
		return sandbox.Instance{}, d.redisErr
	}
	dir := d.dir(spec.ID)
	inst := sandbox.Instance{
		Spec:   spec,
		Driver: Name,
		Dir:    dir,
		Redis: sandbox.RedisAccess{
			Endpoint: sandbox.Endpoint{Network: "unix", Address: filepath.Join(dir, socketName)},
			Admin:    sandbox.Credentials{User: adminUser, Password: redisnode.NewSecret()},
			Learner:  sandbox.Credentials{User: learnerUser, Password: redisnode.NewSecret()},
			Client:   sandbox.Credentials{User: clientUser, Password: redisnode.NewSecret()},
		},
	}
	// Unfenced, a random free port may be taken by someone else before
	// redis-server binds it; a fresh one is tried then.
	tries := 1
	if d.opts.LoopbackTCP && !b.fence.Fenced() {
		tries = 3
	}
	var err error
	for range tries {
		var srv *child
		srv, err = d.launchRedis(ctx, &inst, b)
		if err == nil {
			d.mu.Lock()
			d.redis[spec.ID] = srv
			d.mu.Unlock()
			return inst, nil
		}
		if !errors.Is(err, errPortInUse) {
			break
		}
	}
	return sandbox.Instance{}, err
}

// errPortInUse means redis-server could not bind its TCP port.
var errPortInUse = errors.New("port already in use")

// launchRedis runs one redis-server for inst in b's fence, filling in its
// PID, TCP endpoint and start time, and waits until the server answers.
func (d *Driver) launchRedis(ctx context.Context, inst *sandbox.Instance, b *box) (*child, error) {
	port := 0
	inst.Redis.TCP = sandbox.Endpoint{}
	if d.opts.LoopbackTCP {
		var err error
		if port, err = d.tcpPort(b, 0); err != nil {
			return nil, fmt.Errorf("pick a redis port: %w", err)
		}
		inst.Redis.TCP = sandbox.Endpoint{Network: "tcp", Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	}

	output, err := os.OpenFile(filepath.Join(inst.Dir, outputFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer output.Close()
	cmd := exec.Command(d.redisPath, redisArgs(inst.Dir, port, inst.Spec.MemoryCap())...)
	cmd.Dir = inst.Dir
	cmd.Env = []string{} // the platform's secrets stay out of the sandbox
	cmd.Stdin = strings.NewReader(redisnode.UserLines(inst.Redis))
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Stop signals the whole group, BGSAVE children too
	begin := time.Now()
	if err := b.fence.Start(cmd); err != nil {
		return nil, fmt.Errorf("run %s: %w", d.redisPath, err)
	}
	srv := watch(cmd, inst.Dir)
	inst.PID, inst.StartedAt = srv.pid, begin
	// The pid file is for people; leftovers are found through /proc.
	_ = os.WriteFile(filepath.Join(inst.Dir, pidFile), []byte(strconv.Itoa(srv.pid)+"\n"), 0o600)

	if err := d.awaitRedis(ctx, srv, inst.Redis); err != nil {
		srv.kill()
		<-srv.done
		if port != 0 && strings.Contains(tail(inst.Dir), "Address already in use") {
			err = fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return nil, err
	}
	return srv, nil
}

// awaitRedis polls the server with AUTH and PING, backing off from 1ms,
// until it answers, exits, or the start timeout or ctx ends.
func (d *Driver) awaitRedis(ctx context.Context, srv *child, access sandbox.RedisAccess) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StartTimeout)
	defer cancel()
	delay := time.Millisecond
	for {
		err := ping(ctx, access.Endpoint, access.Admin)
		if err == nil {
			return nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-srv.done:
			timer.Stop()
			return fmt.Errorf("redis-server exited before answering (%v): %s", srv.waitErr, tail(srv.dir))
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("redis-server did not answer (last try: %v): %w", err, ctx.Err())
		case <-timer.C:
		}
		delay = min(delay*5/4, 5*time.Millisecond)
	}
}

// ping connects to a Redis server, authenticates and sends PING.
func ping(ctx context.Context, ep sandbox.Endpoint, user sandbox.Credentials) error {
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	c, err := resp.Dial(ctx, ep.Network, ep.Address)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Auth(ctx, user.User, user.Password); err != nil {
		return err
	}
	v, err := c.Do(ctx, "PING")
	if err != nil {
		return err
	}
	if v.Kind == resp.Error {
		return errors.New(v.Str) // e.g. LOADING
	}
	return nil
}

// stopChild asks a server's process group (redis-server or a Kafka
// broker, named by what) to stop, and kills it after the grace period.
func (d *Driver) stopChild(ctx context.Context, srv *child, what string) error {
	return d.stopChildWith(ctx, srv, what, syscall.SIGTERM)
}

// stopChildWith is stopChild asking with sig (each server has its own
// signal for the shutdown it should do).
func (d *Driver) stopChildWith(ctx context.Context, srv *child, what string, sig syscall.Signal) error {
	srv.signal(sig)
	grace := time.NewTimer(d.opts.StopGrace)
	defer grace.Stop()
	select {
	case <-srv.done:
	case <-grace.C:
	case <-ctx.Done():
	}
	srv.kill()
	select {
	case <-srv.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s %d: %w", what, srv.pid, ctx.Err())
	}
}

// redisServer describes the redis-server of a sandbox in dir for
// redisnode's renderer: a loopback TCP port unless port is 0, the socket,
// log and data in dir, maxmemory capped at maxMemory, a host process.
func redisServer(dir string, port int, maxMemory int64) redisnode.Server {
	return redisnode.Server{
		Port:        port,
		Bind:        "127.0.0.1",
		Socket:      filepath.Join(dir, socketName),
		Dir:         dir,
		LogFile:     filepath.Join(dir, logFile),
		MaxMemory:   maxMemory,
		HostProcess: true,
	}
}

// redisArgs returns redis-server's arguments for a sandbox in dir, with a
// loopback TCP port unless port is 0, and maxmemory capped at maxMemory.
// The users come on stdin ("-"), so no password shows in the process list.
func redisArgs(dir string, port int, maxMemory int64) []string {
	return append([]string{"-"}, redisnode.ServerConfig(redisServer(dir, port, maxMemory)).Args()...)
}

// tcpPort returns the port a server of b listens on. Fenced: fixed (when
// not 0) if the host needs no way in (Options.LoopbackTCP off), the same
// number in every sandbox's own namespace; else the port of a new relay
// from the host's loopback into the fence. Unfenced: a free port of the
// host's loopback.
func (d *Driver) tcpPort(b *box, fixed int) (int, error) {
	switch {
	case !b.fence.Fenced():
		return freePort()
	case fixed != 0 && !d.opts.LoopbackTCP:
		return fixed, nil
	}
	r, err := d.listen(b, 0)
	if err != nil {
		return 0, err
	}
	return r.Port(), nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the last lines redis-server wrote in dir, for error messages.
func tail(dir string) string {
	return tailFiles(filepath.Join(dir, outputFile), filepath.Join(dir, logFile))
}

// tailFiles returns the last five lines of each file, joined with " | ",
// or "no output".
func tailFiles(paths ...string) string {
	var lines []string
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		all := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(all) > 5 {
			all = all[len(all)-5:]
		}
		for _, l := range all {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		return "no output"
	}
	return strings.Join(lines, " | ")
}
