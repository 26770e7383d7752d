package process

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
)

// kfakeOutputFile holds opslab-kfake's output, for errors.
const kfakeOutputFile = "kfake.output"

// FindKfakeBinary returns the opslab-kfake program to run kfake sandboxes
// with: $OPSLAB_KFAKE_BINARY if set; else opslab-kfake beside the running
// executable, or in bin/ of the working directory or one of its parents
// (where `make build` puts it, for tests), or on $PATH. It returns "" if
// there is none.
func FindKfakeBinary() string {
	if p := os.Getenv("OPSLAB_KFAKE_BINARY"); p != "" {
		return p
	}
	isFile := func(p string) string {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
		return ""
	}
	if exe, err := os.Executable(); err == nil {
		if p := isFile(filepath.Join(filepath.Dir(exe), "opslab-kfake")); p != "" {
			return p
		}
	}
	if p := findUp(func(dir string) string { return isFile(filepath.Join(dir, "bin", "opslab-kfake")) }); p != "" {
		return p
	}
	if p, err := exec.LookPath("opslab-kfake"); err == nil {
		return p
	}
	return ""
}

// findKfake resolves the opslab-kfake program (bin, or FindKfakeBinary when
// empty), or says why Kafka sandboxes cannot run.
func findKfake(bin string) (string, error) {
	if bin == "" {
		bin = FindKfakeBinary()
	}
	if bin == "" {
		return "", fmt.Errorf("%w: opslab-kfake not found: build it with `make build` (it goes beside bin/opslab), or set OPSLAB_KFAKE_BINARY", sandbox.ErrUnsupported)
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		return "", fmt.Errorf("%w: opslab-kfake: %v", sandbox.ErrUnsupported, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return "", fmt.Errorf("%w: opslab-kfake: %v", sandbox.ErrUnsupported, err)
	}
	return abs, nil
}

// startKfake starts a kafka sandbox (one broker, "broker-0") or a
// kafka-cluster one (brokers "broker-0" to "broker-2") as one opslab-kfake
// process in b's fence, and returns once every broker listens (the child
// says "ready"). Topics are created on first use, and every partition is trimmed
// to the sandbox's memory cap every KafkaRetention (a soft cap: memory
// grows with the number of partitions, and between trims; the fence's
// memory limit is the hard one).
//
// In a kafka-cluster, a topic created without a replication factor gets 3,
// and every partition lists its three replicas, a leader and its ISR.
// kfake does not replicate: the ISR is always every replica (no broker can
// fall behind or be taken down), and min.insync.replicas is a config that
// describe shows but that no produce is refused for.
func (d *Driver) startKfake(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	if d.kfakeErr != nil {
		return sandbox.Instance{}, d.kfakeErr
	}
	dir := b.fence.Dir()
	inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: dir, StartedAt: time.Now()}
	var ports []string
	for _, info := range spec.Kind.Nodes() {
		if info.Family != sandbox.KindKafka {
			continue // a stack's other servers
		}
		port, err := d.tcpPort(b, 0)
		if err != nil {
			return sandbox.Instance{}, fmt.Errorf("pick a broker port: %w", err)
		}
		addr := "127.0.0.1:" + strconv.Itoa(port)
		ports = append(ports, strconv.Itoa(port))
		inst.Kafka.Seeds = append(inst.Kafka.Seeds, addr)
		if spec.Kind.Weight(sandbox.KindKafka) > 1 {
			inst.Nodes = append(inst.Nodes, sandbox.Node{Name: info.Name, Role: info.Role, Kafka: sandbox.KafkaAccess{Seeds: []string{addr}}})
		}
	}
	output, err := os.OpenFile(filepath.Join(dir, kfakeOutputFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return sandbox.Instance{}, err
	}
	defer output.Close()
	lim := b.fence.Limits()
	cmd := exec.Command(d.kfakePath,
		"-ports", strings.Join(ports, ","),
		"-cluster-id", spec.ID,
		"-partitions", strconv.Itoa(d.opts.KafkaPartitions),
		"-retention-bytes", strconv.FormatInt(spec.MemoryCap(), 10),
		"-retention-every", d.opts.KafkaRetention.String(),
	)
	cmd.Dir = dir
	// One thread for Go code, and a garbage collector that works harder
	// as the process nears its fence's memory limit.
	cmd.Env = []string{"GOMAXPROCS=1", "GOMEMLIMIT=" + strconv.FormatInt(lim.MemoryBytes*3/4, 10)}
	ready, readyW, err := os.Pipe()
	if err != nil {
		return sandbox.Instance{}, err
	}
	cmd.Stdout, cmd.Stderr = readyW, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = b.fence.Start(cmd)
	readyW.Close()
	if err != nil {
		ready.Close()
		return sandbox.Instance{}, fmt.Errorf("run %s: %w", d.kfakePath, err)
	}
	srv := watch(cmd, dir)
	inst.PID = srv.pid
	for i := range inst.Nodes {
		inst.Nodes[i].PID = srv.pid
	}
	if err := d.awaitKfake(ctx, srv, ready); err != nil {
		srv.kill()
		<-srv.done
		return sandbox.Instance{}, err
	}
	d.mu.Lock()
	d.kafka[spec.ID] = srv
	d.mu.Unlock()
	return inst, nil
}

// awaitKfake waits until opslab-kfake prints "ready" on ready (every
// broker listens), the process exits, or the start timeout or ctx ends.
func (d *Driver) awaitKfake(ctx context.Context, srv *child, ready *os.File) error {
	defer ready.Close()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(ready).ReadString('\n')
		line <- s
	}()
	timer := time.NewTimer(d.opts.StartTimeout)
	defer timer.Stop()
	select {
	case s := <-line:
		if strings.TrimSpace(s) == "ready" {
			return nil
		}
		<-srv.done
		return fmt.Errorf("opslab-kfake exited before answering (%v): %s", srv.waitErr, tailFiles(filepath.Join(srv.dir, kfakeOutputFile)))
	case <-timer.C:
		return fmt.Errorf("opslab-kfake did not start within %s", d.opts.StartTimeout)
	case <-ctx.Done():
		return fmt.Errorf("opslab-kfake did not start: %w", ctx.Err())
	}
}
