package process_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
)

// fencedDriver is a process driver with opts, skipping the test on a
// machine that cannot fence sandboxes (a workstation needs the fence).
func fencedDriver(t *testing.T, opts process.Options) *process.Driver {
	t.Helper()
	d := mustDriver(t, opts)
	if !d.Fence().Fenced() {
		t.Skipf("this machine cannot fence sandboxes: %v", d.Fence().Problems())
	}
	return d
}

// TestWorkstation is a learner's shell beside a real Redis sandbox: the
// real redis-cli reaches the sandbox's node by name, signed in as the
// learner's client account; nothing else is reachable or writable, the
// sandbox's own processes and files are out of sight, and the learner
// cannot hurt the workstation's init.
func TestWorkstation(t *testing.T) {
	testkit.Slow(t, "starts a fenced sandbox and a workstation")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "redis-cli", "apt-get install redis-tools")
	d := fencedDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindRedis))

	if !d.Capabilities(inst.Spec.Kind).Shell {
		t.Fatal("a fenced process driver says it offers no shell")
	}
	sh, s := sandboxtest.OpenShell(t, d, inst)

	// The learner's own user: not root, not the sandbox's servers' user.
	uid := s.Run(t, sh, `echo "UID=$(id -u)"`, "UID=")
	if uid == "0" || uid == "" {
		t.Fatalf("the shell runs as user %q", uid)
	}
	var server syscall.Stat_t
	if err := syscall.Stat("/proc/"+strconv.Itoa(inst.PID), &server); err != nil {
		t.Fatal(err)
	}
	if uid == strconv.Itoa(int(server.Uid)) {
		t.Fatalf("the shell runs as the sandbox's servers' user %s", uid)
	}

	// The real redis-cli, by name, at the usual port, as the learner.
	if got := s.Run(t, sh, `echo "P=$(redis-cli -h redis PING)"`, "P="); got != "PONG" {
		t.Fatalf("redis-cli -h redis PING printed %q, want PONG", got)
	}
	if got := s.Run(t, sh, `echo "S=$(redis-cli -h primary SET made-in-the-terminal yes)"`, "S="); got != "OK" {
		t.Fatalf("redis-cli -h primary SET printed %q, want OK", got)
	}
	admin := dialRedis(t, inst.Redis.Endpoint, inst.Redis.Admin)
	if v := admin.do("GET", "made-in-the-terminal"); v.Str != "yes" {
		t.Fatalf("the sandbox holds %+v for the key set in the terminal, want yes", v)
	}
	if got := s.Run(t, sh, `echo "C=$(redis-cli -h redis CONFIG SET dir /tmp 2>&1)"`, "C="); !strings.Contains(got, "NOPERM") {
		t.Fatalf("CONFIG SET dir from the terminal printed %q, want the learner's rules to refuse it", got)
	}

	// Nothing outside the sandbox answers: not the platform's loopback,
	// not the network.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	reached := make(chan struct{}, 1)
	go func() {
		if c, err := l.Accept(); err == nil {
			reached <- struct{}{}
			c.Close()
		}
	}()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if got := s.Run(t, sh, `(exec 3<>/dev/tcp/127.0.0.1/`+port+`) 2>/dev/null && echo "H=reached" || echo "H=refused"`, "H="); got != "refused" {
		t.Fatalf("the platform's loopback port from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `(exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo "N=reached" || echo "N=refused"`, "N="); got != "refused" {
		t.Fatalf("the network from the terminal: %s", got)
	}
	select {
	case <-reached:
		t.Fatal("the platform's listener got a connection from the terminal")
	default:
	}

	// Read-only but for home and /tmp, which are capped.
	for _, p := range []string{"/usr/x", "/etc/x", "/x", "/bin/x"} {
		if got := s.Run(t, sh, `touch `+p+` 2>/dev/null && echo "W=wrote" || echo "W=refused"`, "W="); got != "refused" {
			t.Fatalf("touch %s from the terminal: %s", p, got)
		}
	}
	if got := s.Run(t, sh, `echo kept > ~/notes && echo "K=$(cat ~/notes)"`, "K="); got != "kept" {
		t.Fatalf("a file in the home folder: %q", got)
	}
	if got := s.Run(t, sh, `head -c 64M /dev/zero > ~/big 2>/dev/null && echo "F=fit" || echo "F=full"; rm -f ~/big`, "F="); got != "full" {
		t.Fatalf("64 MiB into the home folder: %s, want it refused by the cap", got)
	}

	// The sandbox's servers and folder are out of sight, and so are their
	// sockets; init shrugs off the learner's signals.
	if got := s.Run(t, sh, `echo "R=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c redis-server)"`, "R="); got != "0" {
		t.Fatalf("the terminal sees %s redis-server processes", got)
	}
	if got := s.Run(t, sh, `ls `+inst.Dir+` >/dev/null 2>&1 && echo "D=seen" || echo "D=hidden"`, "D="); got != "hidden" {
		t.Fatalf("the sandbox's folder from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `ls /run/opslab >/dev/null 2>&1 && echo "O=listed" || echo "O=denied"`, "O="); got != "denied" {
		t.Fatalf("the forwards' socket folders from the terminal: %s", got)
	}
	if inst.PID > 0 {
		if got := s.Run(t, sh, `kill -9 `+strconv.Itoa(inst.PID)+` 2>/dev/null && echo "K9=killed" || echo "K9=refused"`, "K9="); got != "refused" {
			t.Fatalf("kill -9 of the sandbox's server from the terminal: %s", got)
		}
	}
	s.Run(t, sh, `kill -9 1; kill -TERM 1; echo "I=$(cat /proc/1/comm)"`, "I=")
	if got := s.Run(t, sh, `echo "A=$(redis-cli -h redis PING)"`, "A="); got != "PONG" {
		t.Fatalf("after the learner signalled init, redis-cli printed %q", got)
	}
	if v := admin.do("PING"); v.Str != "PONG" {
		t.Fatalf("the sandbox's server after the terminal's attacks: %+v", v)
	}

	// Exiting the shell ends the workstation.
	if err := sh.Input(s, []byte("exit 4\r")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sh.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the workstation did not end with its shell")
	}
	if sh.ExitCode() != 4 {
		t.Fatalf("the workstation ended with %d, want the shell's 4", sh.ExitCode())
	}

	// The home folder lasts as long as the sandbox: the next shell finds
	// what the last one wrote.
	next, s2 := sandboxtest.OpenShell(t, d, inst)
	if got := s2.Run(t, next, `echo "N=$(cat ~/notes)"`, "N="); got != "kept" {
		t.Fatalf("the next shell's home holds %q in notes, want the last shell's kept", got)
	}
}

// TestWorkstationEndsWithItsSandbox: stopping a sandbox ends its
// workstation at once (its processes are in the sandbox's group), so a
// fence made again for another sandbox never holds a former learner's
// shell.
func TestWorkstationEndsWithItsSandbox(t *testing.T) {
	testkit.Slow(t, "starts a fenced sandbox and a workstation")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	d := fencedDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	sh, s := sandboxtest.OpenShell(t, d, inst)
	s.Run(t, sh, `sleep 600 & echo "B=$!"`, "B=")
	if err := d.Stop(context.Background(), inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sh.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the workstation outlived its sandbox")
	}
	// Its home folder went with the sandbox: no mount is left behind.
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(mounts), inst.Dir) {
		t.Fatalf("mounts under the stopped sandbox's folder are left:\n%s", mounts)
	}
}

// TestWorkstationKafka: beside a Kafka sandbox, kcat and Apache Kafka's
// own scripts (under the names lessons use) reach the broker by name.
func TestWorkstationKafka(t *testing.T) {
	testkit.Slow(t, "starts a fenced Kafka sandbox, a workstation and Kafka's JVM tools")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation and bin/opslab-kfake)", "OPSLAB_WORKSTATION_BINARY", "OPSLAB_KFAKE_BINARY")
	testkit.RequireTool(t, "kcat", "apt-get install kcat")
	// The Kafka tree is reached through a path under /tmp, as in a
	// checkout there (CI clones into /tmp): the workstation's own /tmp must
	// not hide it.
	opts := process.Options{}
	if home := process.FindKafkaHome(); home != "" {
		link := filepath.Join(t.TempDir(), "kafka")
		if err := os.Symlink(home, link); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(link, "/tmp/") {
			t.Logf("the temporary folder %s is not under /tmp", link)
		}
		opts.KafkaHome = link
	}
	d := fencedDriver(t, opts)
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	sh, s := sandboxtest.OpenShell(t, d, inst)
	if got := s.Run(t, sh, `echo "T=$(command -v redis-cli kcat jq | wc -l)"`, "T="); got != "3" {
		t.Fatalf("redis-cli, kcat and jq on the path: %s of 3", got)
	}
	if got := s.Run(t, sh, `echo "L=$(kcat -b broker:9092 -L -m 10 2>&1 | grep -c 'brokers:')"`, "L="); got != "1" {
		t.Fatalf("kcat -b broker:9092 -L: %s; the screen:\n%s", got, s.String())
	}
	if process.FindKafkaHome() == "" {
		t.Log("no Apache Kafka tree here (make kafka-jars): the scripts are not checked")
		return
	}
	s.Run(t, sh, `kafka-topics --bootstrap-server broker:9092 --create --topic from-terminal --partitions 2 >/dev/null 2>&1; echo "C=$?"`, "C=")
	if got := s.Run(t, sh, `echo "K=$(kafka-topics.sh --bootstrap-server broker:9092 --list 2>&1 | grep -c '^from-terminal$')"`, "K="); got != "1" {
		t.Fatalf("kafka-topics --list after --create in the terminal: %s; the screen:\n%s", got, s.String())
	}
}

// TestRunShell: a script runs in a workstation beside the sandbox, as the
// learner, with the real tools, the learner's home kept between runs; its
// streams and status come back apart; a script past its context is killed.
func TestRunShell(t *testing.T) {
	testkit.Slow(t, "starts a fenced sandbox and workstations")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "redis-cli", "apt-get install redis-tools")
	d := fencedDriver(t, process.Options{})
	inst := mustStart(t, d, spec(sandbox.KindRedis))
	ctx := context.Background()
	res, err := d.RunShell(ctx, inst, `echo out; echo err >&2; redis-cli -h redis PING; echo saved > ~/f; exit 7`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "out\nPONG\n" || res.Stderr != "err\n" || res.Exit != 7 {
		t.Fatalf("RunShell = %+v, want stdout out/PONG, stderr err, exit 7", res)
	}
	if res, err := d.RunShell(ctx, inst, `cat ~/f; id -u`); err != nil || !strings.HasPrefix(res.Stdout, "saved\n") || strings.HasSuffix(res.Stdout, "\n0\n") {
		t.Fatalf("the next run: %+v, %v; want the home's file, as a user other than root", res, err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if _, err := d.RunShell(short, inst, `sleep 600`); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a script past its context: %v, want DeadlineExceeded", err)
	}
}

// TestRunShellLocalRedis: the sandbox's Redis answers a redis-cli with no
// -h, on the workstation's own 127.0.0.1:6379, signed in as on a Redis
// host; beside a redis-replica, whose primary holds that address of the
// network namespace the workstation shares, the workstation still starts
// and the nodes answer by name.
func TestRunShellLocalRedis(t *testing.T) {
	testkit.Slow(t, "starts fenced sandboxes and workstations")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "redis-cli", "apt-get install redis-tools")
	d := fencedDriver(t, process.Options{})
	ctx := context.Background()
	single := mustStart(t, d, spec(sandbox.KindRedis))
	res, err := d.RunShell(ctx, single, `redis-cli SET local yes && redis-cli -h redis GET local`)
	if err != nil || res.Stdout != "OK\nyes\n" || res.Exit != 0 {
		t.Fatalf("redis-cli without -h: %+v, %v", res, err)
	}
	replica := mustStart(t, d, spec(sandbox.KindRedisReplica))
	res, err = d.RunShell(ctx, replica, `redis-cli -h primary PING && redis-cli -h replica-1 PING`)
	if err != nil || res.Stdout != "PONG\nPONG\n" || res.Exit != 0 {
		t.Fatalf("beside a redis-replica: %+v, %v", res, err)
	}
}

// TestWorkstationEscapes: the attacks of the escape suite from a learner's
// shell. A fork bomb is held by the sandbox's process limit and dies with
// the shell, leaving the sandbox serving and a new shell working; another
// learner's sandbox (its folder, its server's address, its processes) is
// out of reach.
func TestWorkstationEscapes(t *testing.T) {
	testkit.Slow(t, "starts fenced sandboxes and workstations, and a fork bomb")
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "redis-cli", "apt-get install redis-tools")
	d := fencedDriver(t, process.Options{})
	mine := mustStart(t, d, spec(sandbox.KindRedis))
	other := mustStart(t, d, spec(sandbox.KindRedis))
	sh, s := sandboxtest.OpenShell(t, d, mine)

	// Another learner's sandbox.
	if got := s.Run(t, sh, `ls `+other.Dir+` >/dev/null 2>&1 && echo "OD=seen" || echo "OD=hidden"`, "OD="); got != "hidden" {
		t.Fatalf("another sandbox's folder from the terminal: %s", got)
	}
	if other.Redis.TCP.Address != "" {
		if got := s.Run(t, sh, `(exec 3<>/dev/tcp/`+strings.Replace(other.Redis.TCP.Address, ":", "/", 1)+`) 2>/dev/null && echo "OT=reached" || echo "OT=refused"`, "OT="); got != "refused" {
			t.Fatalf("another sandbox's server address from the terminal: %s", got)
		}
	}
	if got := s.Run(t, sh, `kill -0 `+strconv.Itoa(other.PID)+` 2>/dev/null && echo "OP=seen" || echo "OP=none"`, "OP="); got != "none" {
		t.Fatalf("another sandbox's server process from the terminal: %s", got)
	}

	// A fork bomb: held by the process limit; the sandbox still serves.
	if err := sh.Input(s, []byte("bomb() { bomb | bomb & }; bomb\r")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // let it hit the limit; nothing is timed
	admin := dialRedis(t, mine.Redis.Endpoint, mine.Redis.Admin)
	if v := admin.do("PING"); v.Str != "PONG" {
		t.Fatalf("the sandbox's server during a fork bomb in its terminal: %+v", v)
	}
	otherAdmin := dialRedis(t, other.Redis.Endpoint, other.Redis.Admin)
	if v := otherAdmin.do("PING"); v.Str != "PONG" {
		t.Fatalf("another sandbox's server during the fork bomb: %+v", v)
	}
	// Ending the shell ends the bomb with it (the namespace's init dies),
	// and a new shell starts.
	_ = sh.Close()
	<-sh.Done()
	sh2, s2 := sandboxtest.OpenShell(t, d, mine)
	if got := s2.Run(t, sh2, `echo "AFTER=$(redis-cli -h redis PING)"`, "AFTER="); got != "PONG" {
		t.Fatalf("a new shell after the fork bomb: %q", got)
	}
}
