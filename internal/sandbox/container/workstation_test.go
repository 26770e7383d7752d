package container

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/sandbox/workstation"
	"github.com/opslab/opslab/internal/terminal"
	"github.com/opslab/opslab/internal/testkit"
)

// workstationDriver is newDriver with the workstation image and the
// opslab-workstation binary `make build` made.
func workstationDriver(t *testing.T) *Driver {
	t.Helper()
	testkit.RequireEnv(t, "make engine builds the workstation image; make build the binary",
		"OPSLAB_WORKSTATION_IMAGE", "OPSLAB_WORKSTATION_BINARY")
	d := newDriver(t, shortDir(t))
	d.opts.WorkstationImage = os.Getenv("OPSLAB_WORKSTATION_IMAGE")
	d.opts.WorkstationBinary = os.Getenv("OPSLAB_WORKSTATION_BINARY")
	return d
}

// TestContainerWorkstation is a learner's shell beside a Redis container
// sandbox: the real redis-cli reaches the node by name, signed in as the
// learner's client account; the shell runs as a user of its own with no
// way to the sandbox's secrets, the host, the network, or root; the home
// is capped and outlives the shell; checks' scripts run beside it.
func TestContainerWorkstation(t *testing.T) {
	d := workstationDriver(t)
	inst := start(t, d, sandbox.KindRedis)
	if !d.Capabilities(sandbox.KindRedis).Shell {
		t.Fatal("the container driver says it offers no shell")
	}
	sh, s := sandboxtest.OpenShell(t, d, inst)

	if got := s.Run(t, sh, `echo "UID=$(id -u):$(id -g)"`, "UID="); got != "2000:2000" {
		t.Fatalf("the shell runs as %q, want the learner's 2000:2000", got)
	}
	if got := s.Run(t, sh, `echo "P=$(redis-cli -h redis PING)"`, "P="); got != "PONG" {
		t.Fatalf("redis-cli -h redis PING printed %q, want PONG", got)
	}
	if got := s.Run(t, sh, `echo "S=$(redis-cli -h redis SET made-in-the-terminal yes)"`, "S="); got != "OK" {
		t.Fatalf("redis-cli -h redis SET printed %q, want OK", got)
	}
	if got, code := execIn(t, d, inst.Spec.ID, "sh", "-c", "exit 0"); code != 0 {
		t.Fatalf("exec in the sandbox: %d %s", code, got)
	}
	if got := s.Run(t, sh, `echo "W=$(redis-cli -h redis ACL WHOAMI)"`, "W="); got != inst.Redis.Client.User {
		t.Fatalf("the terminal's redis-cli is signed in as %q, want the client account %q", got, inst.Redis.Client.User)
	}
	if got := s.Run(t, sh, `echo "C=$(redis-cli -h redis CONFIG SET dir /tmp 2>&1)"`, "C="); !strings.Contains(got, "NOPERM") {
		t.Fatalf("CONFIG SET dir from the terminal printed %q, want the learner's rules to refuse it", got)
	}
	// The gate's file and the node's socket folder (its config holds the
	// admin password) are not the learner's to read.
	if got := s.Run(t, sh, `cat /run/opslab-gate/gate.json >/dev/null 2>&1 && echo "G=read" || echo "G=denied"`, "G="); got != "denied" {
		t.Fatalf("the gate's file from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `ls /run/opslab/0 >/dev/null 2>&1 && echo "O=listed" || echo "O=denied"`, "O="); got != "denied" {
		t.Fatalf("the node's socket folder from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `cat /proc/1/environ >/dev/null 2>&1 && echo "E=read" || echo "E=denied"`, "E="); got != "denied" {
		t.Fatalf("the gate's environment from the terminal: %q", got)
	}
	// No root, no capabilities, no way to gain them.
	if got := s.Run(t, sh, `echo "CAP=$(grep CapEff /proc/self/status | tr -d '\t')"`, "CAP="); got != "CapEff:0000000000000000" {
		t.Fatalf("the shell's capabilities: %q", got)
	}
	if got := s.Run(t, sh, `echo "NNP=$(grep NoNewPrivs /proc/self/status | tr -d '\t')"`, "NNP="); got != "NoNewPrivs:1" {
		t.Fatalf("the shell's no_new_privs: %q", got)
	}
	// Read-only but for home and /tmp, which are capped.
	for _, p := range []string{"/usr/x", "/etc/x", "/x", "/bin/x", "/etc/hosts"} {
		if got := s.Run(t, sh, `touch `+p+` 2>/dev/null && echo "RO=wrote" || echo "RO=refused"`, "RO="); got != "refused" {
			t.Fatalf("touch %s from the terminal: %s", p, got)
		}
	}
	if got := s.Run(t, sh, `echo kept > ~/notes && echo "K=$(cat ~/notes)"`, "K="); got != "kept" {
		t.Fatalf("a file in the home folder: %q", got)
	}
	if got := s.Run(t, sh, `head -c 64M /dev/zero > ~/big 2>/dev/null && echo "F=fit" || echo "F=full"; rm -f ~/big`, "F="); got != "full" {
		t.Fatalf("64 MiB into the home folder: %s, want it refused by the cap", got)
	}
	if got := s.Run(t, sh, `head -c 64M /dev/zero > /tmp/big 2>/dev/null && echo "T=fit" || echo "T=full"; rm -f /tmp/big`, "T="); got != "full" {
		t.Fatalf("64 MiB into /tmp: %s, want it refused by the cap", got)
	}
	// Nothing outside the sandbox answers: not the host's loopback, not
	// the network; the sandbox's server process is out of sight.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if got := s.Run(t, sh, `(exec 3<>/dev/tcp/127.0.0.1/`+port+`) 2>/dev/null && echo "H=reached" || echo "H=refused"`, "H="); got != "refused" {
		t.Fatalf("the host's loopback port from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `(exec 3<>/dev/tcp/1.1.1.1/53) 2>/dev/null && echo "N=reached" || echo "N=refused"`, "N="); got != "refused" {
		t.Fatalf("the network from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `echo "R=$(cat /proc/[0-9]*/comm 2>/dev/null | grep -c redis-server)"`, "R="); got != "0" {
		t.Fatalf("the terminal sees %s redis-server processes", got)
	}
	// The gate shrugs off the learner's signals.
	s.Run(t, sh, `kill -9 1 2>/dev/null; kill -TERM 1 2>/dev/null; echo "I=done"`, "I=")
	if got := s.Run(t, sh, `echo "A=$(redis-cli -h redis PING)"`, "A="); got != "PONG" {
		t.Fatalf("after the learner signalled the gate, redis-cli printed %q", got)
	}

	// A check's script runs beside the shell, as the learner, in the home.
	res, err := d.RunShell(context.Background(), inst, `cat notes; redis-cli -h redis GET made-in-the-terminal; echo oops >&2; exit 3`)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "kept\nyes\n" || res.Stderr != "oops\n" || res.Exit != 3 {
		t.Fatalf("RunShell: %+v", res)
	}
	// A script past its deadline is ended, with everything it started.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, err = d.RunShell(ctx, inst, `sleep 300 & sleep 300`)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a script past its deadline: %v", err)
	}
	if got := s.Run(t, sh, `echo "SL=$(pgrep -c -x sleep)"`, "SL="); got != "0" {
		t.Fatalf("%s sleeps left by the script past its deadline", got)
	}

	// Exiting the shell ends it with its status; the next shell finds the
	// home as the last one left it.
	if err := sh.Input(s, []byte("exit 4\r")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sh.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the shell did not end")
	}
	if sh.ExitCode() != 4 {
		t.Fatalf("the shell ended with %d, want 4", sh.ExitCode())
	}
	next, s2 := sandboxtest.OpenShell(t, d, inst)
	if got := s2.Run(t, next, `echo "N=$(cat ~/notes)"`, "N="); got != "kept" {
		t.Fatalf("the next shell's home holds %q, want the last shell's kept", got)
	}
	// Closing a shell ends what it started.
	s2.Run(t, next, `sleep 400 & echo "BG=started"`, "BG=")
	_ = next.Close()
	<-next.Done()
	res, err = d.RunShell(context.Background(), inst, `pgrep -c -x sleep || true`)
	if err != nil || strings.TrimSpace(res.Stdout) != "0" {
		t.Fatalf("after the shell was closed: %+v %v, want no sleep left", res, err)
	}
}

// TestContainerWorkstationKafka: beside a Kafka container sandbox, the
// real Kafka scripts and kcat reach the broker by name, and the broker's
// segments are there, read-only, for kafka-dump-log.sh.
func TestContainerWorkstationKafka(t *testing.T) {
	d := workstationDriver(t)
	inst := start(t, d, sandbox.KindKafka)
	sh, s := sandboxtest.OpenShell(t, d, inst)

	if got := s.Run(t, sh, `kafka-topics.sh --bootstrap-server broker:9092 --create --topic orders --partitions 1 >/dev/null 2>&1; echo "TC=$?"`, "TC="); got != "0" {
		t.Fatalf("kafka-topics.sh --create from the terminal exited %s; screen:\n%s", got, s.String())
	}
	if got := s.Run(t, sh, `echo 'id-42:hello' | kcat -b broker:9092 -t orders -K: -P && echo "KP=$?"`, "KP="); got != "0" {
		t.Fatalf("kcat -P from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `echo "KC=$(kcat -b broker:9092 -t orders -C -e -q -f '%k=%s')"`, "KC="); got != "id-42=hello" {
		t.Fatalf("kcat -C from the terminal printed %q", got)
	}
	if os.Geteuid() == 0 {
		line := `kafka-dump-log.sh --files ` + workstation.KafkaLogDir + `/orders-0/00000000000000000000.log --print-data-log 2>&1 | grep -c 'payload: hello'`
		if got := s.Run(t, sh, `echo "DL=$(`+line+`)"`, "DL="); got != "1" {
			t.Fatalf("kafka-dump-log.sh over the broker's segment found %q records; screen:\n%s", got, s.String())
		}
		if got := s.Run(t, sh, `touch `+workstation.KafkaLogDir+`/orders-0/x 2>/dev/null && echo "DW=wrote" || echo "DW=refused"`, "DW="); got != "refused" {
			t.Fatalf("writing into the broker's log directory from the terminal: %s", got)
		}
	}
}

// TestContainerWorkstationEscapes is the escape suite's part for the
// container workstation: a fork bomb is held by its pids limit and leaves
// the sandboxes serving; another learner's sandbox, its files and its
// processes are out of reach.
func TestContainerWorkstationEscapes(t *testing.T) {
	d := workstationDriver(t)
	mine := start(t, d, sandbox.KindRedis)
	other := start(t, d, sandbox.KindRedis)
	sh, s := sandboxtest.OpenShell(t, d, mine)

	// Another learner's sandbox: its folder is not in the workstation, its
	// server's process is not in its process namespace.
	if got := s.Run(t, sh, `ls `+other.Dir+` >/dev/null 2>&1 && echo "OD=seen" || echo "OD=hidden"`, "OD="); got != "hidden" {
		t.Fatalf("another sandbox's folder from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `ls `+mine.Dir+` >/dev/null 2>&1 && echo "MD=seen" || echo "MD=hidden"`, "MD="); got != "hidden" {
		t.Fatalf("the sandbox's own folder from the terminal: %s", got)
	}
	if got := s.Run(t, sh, `echo "PS=$(ls -d /proc/[0-9]* | wc -l)"`, "PS="); got == "" || len(got) > 2 {
		t.Fatalf("the terminal sees %s processes; want only its own few", got)
	}
	// kill -9 -1 reaches only the learner's own processes (the shell
	// survives it, as kill(2) spares its caller): not the gate.
	s.Run(t, sh, `sleep 300 & kill -9 -1 2>/dev/null; echo "K1=$?"`, "K1=")
	if got := s.Run(t, sh, `echo "AK=$(redis-cli -h redis PING) $(pgrep -c -x sleep)"`, "AK="); got != "PONG 0" {
		t.Fatalf("after kill -9 -1: %q, want the gate still forwarding and the sleep gone", got)
	}

	// A fork bomb: held by the pids limit; the sandboxes still serve.
	if err := sh.Input(s, []byte("bomb() { bomb | bomb & }; bomb\r")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // let it hit the limit; nothing is timed
	for _, inst := range []sandbox.Instance{mine, other} {
		if err := pingRedis(context.Background(), inst.Redis); err != nil {
			t.Fatalf("sandbox %s during a fork bomb in a terminal: %v", inst.Spec.ID, err)
		}
	}
	_ = sh.Close()
	waitDone(t, sh)
	// Closing the shell ends the bomb; a check's script runs again.
	res, err := d.RunShell(context.Background(), mine, `redis-cli -h redis PING`)
	if err != nil || strings.TrimSpace(res.Stdout) != "PONG" {
		t.Fatalf("a script after the fork bomb: %+v %v", res, err)
	}
	// The stopped sandbox takes its workstation with it.
	if err := d.Stop(context.Background(), mine.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.cli.ContainerInspect(context.Background(), workstationContainerName(mine.Spec.ID), client.ContainerInspectOptions{}); err == nil {
		t.Fatal("the workstation outlived its sandbox")
	}
	if _, err := os.Stat(mine.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the sandbox's folder after Stop: %v", err)
	}
}

// waitDone waits for sh to end, failing the test after a minute.
func waitDone(t *testing.T, sh *terminal.Shell) {
	t.Helper()
	select {
	case <-sh.Done():
	case <-time.After(time.Minute):
		t.Fatal("the shell did not end")
	}
}

// TestContainerWorkstationNodes: beside a multi-node sandbox every node
// answers at its own name, at the port its tools expect.
func TestContainerWorkstationNodes(t *testing.T) {
	d := workstationDriver(t)
	inst := start(t, d, sandbox.KindRedisSentinel)
	res, err := d.RunShell(context.Background(), inst, `for n in redis primary replica-1; do printf '%s=%s\n' "$n" "$(redis-cli -h $n INFO replication | grep -o 'role:[a-z]*')"; done
printf 'sentinel=%s\n' "$(redis-cli -h sentinel-1 -p 26379 PING)"`)
	if err != nil {
		t.Fatal(err)
	}
	want := "redis=role:master\nprimary=role:master\nreplica-1=role:slave\nsentinel=PONG\n"
	if res.Stdout != want {
		t.Fatalf("the nodes by name printed\n%s(stderr %q), want\n%s", res.Stdout, res.Stderr, want)
	}
}
