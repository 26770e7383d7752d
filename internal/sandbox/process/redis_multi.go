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

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/redisnode"
)

// A multi-node Redis sandbox (redis-replica, redis-sentinel, redis-cluster)
// runs one redis-server per node, all in the sandbox's one directory, so
// that each process's working directory names the sandbox and a leftover
// cleanup finds them all (see serverPIDs). Node i's files carry the prefix
// "n<i>": n0.sock, n0.log, n0.rdb, n0-aof/, n0-nodes.conf, n0.conf (a
// Sentinel's config, which it rewrites). Every node listens on its unix
// socket, for the platform, and on a random 127.0.0.1 port, since
// replication, Sentinel and the cluster bus need TCP; every node has the
// admin, learner and client accounts with the default user off, plus the
// replication account replicas sign in with (masteruser/masterauth) and,
// under Sentinel, the sentinel account.

// multiStartFactor is how much longer than Options.StartTimeout a
// multi-node sandbox may take to become ready (replicas in sync, Sentinels
// agreeing, the cluster ok).
const multiStartFactor = 6

// redisGroup is a running multi-node Redis sandbox.
type redisGroup struct {
	servers []*child
}

// exited reports whether any node has exited.
func (g *redisGroup) exited() bool {
	for _, s := range g.servers {
		if s.exited() {
			return true
		}
	}
	return false
}

// nodeFile returns the path of node i's file with suffix in dir.
func nodeFile(dir string, i int, suffix string) string {
	return filepath.Join(dir, "n"+strconv.Itoa(i)+suffix)
}

// nodeAccess returns how the platform reaches node i listening on port.
func nodeAccess(dir string, i, port int, a redisnode.Accounts) sandbox.RedisAccess {
	return sandbox.RedisAccess{
		Endpoint: sandbox.Endpoint{Network: "unix", Address: nodeFile(dir, i, ".sock")},
		TCP:      sandbox.Endpoint{Network: "tcp", Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))},
		Learner:  a.Learner,
		Client:   a.Client,
		Admin:    a.Admin,
	}
}

// dataNodeArgs returns the arguments of data node i: those of a single
// Redis sandbox with the node's own socket, files and port, replicating
// the primary at replicaOf (0 for none) or in cluster mode.
func dataNodeArgs(dir string, i, port int, maxMemory int64, replicaOf int, cluster bool) []string {
	node := redisnode.DataNode{
		Server:    redisServer(dir, port, maxMemory),
		Files:     "n" + strconv.Itoa(i),
		Cluster:   cluster,
		ReplicaOf: replicaOf,
	}
	return append([]string{"-"}, redisnode.DataNodeConfig(node).Args()...)
}

// startGroup launches the nodes one after another (launch(i) starts node
// i, retrying on a taken port), registers the group, then waits for ready.
// On error every node started is stopped and nothing is registered.
func (d *Driver) startGroup(ctx context.Context, spec sandbox.Spec, b *box, n int,
	launch func(ctx context.Context, i int) (*child, sandbox.Node, error),
	ready func(ctx context.Context, nodes []sandbox.Node) error) (sandbox.Instance, error) {
	if d.redisErr != nil {
		return sandbox.Instance{}, d.redisErr
	}
	ctx, cancel := context.WithTimeout(ctx, multiStartFactor*d.opts.StartTimeout)
	defer cancel()
	dir := d.dir(spec.ID)
	g := &redisGroup{}
	inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: dir, StartedAt: time.Now()}
	fail := func(err error) (sandbox.Instance, error) {
		d.killGroup(g)
		return sandbox.Instance{}, err
	}
	for i := range n {
		var (
			srv  *child
			node sandbox.Node
			err  error
		)
		for range 3 {
			srv, node, err = launch(ctx, i)
			if !errors.Is(err, errPortInUse) {
				break
			}
		}
		if err != nil {
			return fail(fmt.Errorf("node %d: %w", i+1, err))
		}
		g.servers = append(g.servers, srv)
		inst.Nodes = append(inst.Nodes, node)
	}
	if err := ready(ctx, inst.Nodes); err != nil {
		return fail(fmt.Errorf("wait for the nodes to be ready: %w", err))
	}
	if g.exited() {
		return fail(errors.New("a node exited while starting"))
	}
	inst.Redis, inst.PID = inst.Nodes[0].Redis, inst.Nodes[0].PID
	d.mu.Lock()
	d.groups[spec.ID] = g
	d.mu.Unlock()
	return inst, nil
}

// launchNode runs one redis-server of a group in b's fence with args and
// config (the config text comes on stdin when args start with "-"), and
// waits until it answers as admin on its socket.
func (d *Driver) launchNode(ctx context.Context, b *box, i int, args []string, stdin string, access sandbox.RedisAccess) (*child, error) {
	dir := b.fence.Dir()
	output, err := os.OpenFile(nodeFile(dir, i, ".output"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer output.Close()
	cmd := exec.Command(d.redisPath, args...)
	cmd.Dir = dir
	cmd.Env = []string{}
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.fence.Start(cmd); err != nil {
		return nil, fmt.Errorf("run %s: %w", d.redisPath, err)
	}
	srv := watch(cmd, dir)
	delay := time.Millisecond
	for {
		err := ping(ctx, access.Endpoint, access.Admin)
		if err == nil {
			return srv, nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-srv.done:
			timer.Stop()
			out := nodeTail(dir, i)
			if strings.Contains(out, "Address already in use") {
				return nil, fmt.Errorf("%w: %s", errPortInUse, out)
			}
			return nil, fmt.Errorf("redis-server exited before answering (%v): %s", srv.waitErr, out)
		case <-ctx.Done():
			timer.Stop()
			srv.kill()
			<-srv.done
			return nil, fmt.Errorf("redis-server did not answer (last try: %v): %w", err, ctx.Err())
		case <-timer.C:
		}
		delay = min(delay*5/4, 5*time.Millisecond)
	}
}

// killGroup kills every node of g at once and removes nothing.
func (d *Driver) killGroup(g *redisGroup) {
	for _, s := range g.servers {
		s.kill()
	}
	for _, s := range g.servers {
		<-s.done
	}
}

// stopGroup asks every node to stop, and kills those still running after
// the grace period.
func (d *Driver) stopGroup(ctx context.Context, g *redisGroup) error {
	for _, s := range g.servers {
		s.signal(syscall.SIGTERM)
	}
	graceCtx, cancel := context.WithTimeout(ctx, d.opts.StopGrace)
	defer cancel()
	for _, s := range g.servers {
		select {
		case <-s.done:
		case <-graceCtx.Done():
		}
	}
	for _, s := range g.servers {
		s.kill()
	}
	for _, s := range g.servers {
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("wait for redis-server %d: %w", s.pid, ctx.Err())
		}
	}
	return nil
}

// nodeTail returns the last lines node i wrote, for error messages.
func nodeTail(dir string, i int) string {
	return tailFiles(nodeFile(dir, i, ".output"), nodeFile(dir, i, ".log"))
}
