package process_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/escapetest"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
)

// requireKafkaHome returns the Apache Kafka tree of scripts/fetch-kafka.sh,
// or skips the test when it is absent. `make test` fetches it first
// (target kafka-jars), so these tests never skip there.
func requireKafkaHome(tb testing.TB) string {
	tb.Helper()
	testkit.Slow(tb, "Apache Kafka (real brokers in a JVM)")
	home := process.FindKafkaHome()
	if home == "" {
		tb.Skip("Apache Kafka jars not found: run `make kafka-jars` (scripts/fetch-kafka.sh) or set KAFKA_HOME; `make test` fetches them, so this never skips there")
	}
	if _, err := exec.LookPath("java"); err != nil {
		tb.Skip("java not on PATH: Apache Kafka needs Java 17+; `make kafka-jars` installs it")
	}
	return home
}

// apacheDriver returns a Driver whose Kafka sandboxes are real brokers.
func apacheDriver(tb testing.TB, dir string) *process.Driver {
	tb.Helper()
	home := requireKafkaHome(tb)
	return mustDriver(tb, process.Options{Dir: dir, Kafka: process.KafkaApache, KafkaHome: home})
}

// kafkaPIDs lists the live Java processes (brokers, kafka-storage) whose
// working directory or command line is under dir.
func kafkaPIDs(dir string) []int {
	return sandboxtest.KafkaPIDs(dir)
}

// runTool runs a real client and returns what it printed on stdout.
func runTool(t *testing.T, stdin, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// TestApacheKafkaStartStop starts a real broker, drives it with franz-go,
// kcat and the real kafka-consumer-groups.sh, and proves Stop leaves no
// process, port or file behind.
func TestApacheKafkaStartStop(t *testing.T) {
	dir := scratchDir(t)
	d := apacheDriver(t, dir)
	home := d.KafkaHome()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := spec(sandbox.KindKafka)
	inst, err := d.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Kafka.Seeds) != 1 || !strings.HasPrefix(inst.Kafka.Seeds[0], "127.0.0.1:") || inst.PID <= 0 {
		t.Fatalf("instance = %+v", inst)
	}
	if !d.Alive(ctx, s.ID) {
		t.Fatal("not alive after start")
	}
	if pids := kafkaPIDs(dir); len(pids) != 1 || pids[0] != inst.PID {
		t.Fatalf("java processes under %s = %v, want the broker %d", dir, pids, inst.PID)
	}
	seed := inst.Kafka.Seeds[0]

	// A group commits through franz-go; a topic is auto-created with the
	// sandbox's default partition count.
	cl, err := kgo.NewClient(kgo.SeedBrokers(seed), kgo.AllowAutoTopicCreation(),
		kgo.ConsumeTopics("orders"), kgo.ConsumerGroup("billing"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 3 {
		r := &kgo.Record{Topic: "orders", Key: []byte("k" + strconv.Itoa(i)), Value: []byte("v" + strconv.Itoa(i))}
		if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var got int
	for got < 3 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		got += fetches.NumRecords()
	}
	if err := cl.CommitUncommittedOffsets(ctx); err != nil {
		t.Fatal(err)
	}
	cl.Close()

	t.Run("kcat", func(t *testing.T) {
		kcat, err := exec.LookPath("kcat")
		if err != nil {
			t.Skip("kcat not installed (make deps-test installs it)")
		}
		meta := runTool(t, "", kcat, "-b", seed, "-L", "-t", "orders")
		if !strings.Contains(meta, " 1 brokers:") || !strings.Contains(meta, "broker 1 at "+seed) ||
			!strings.Contains(meta, `topic "orders" with `+strconv.Itoa(process.DefaultKafkaPartitions)+" partitions") {
			t.Errorf("kcat -L printed:\n%s", meta)
		}
		runTool(t, "m1\nm2\n", kcat, "-P", "-b", seed, "-t", "kcat-events")
		out := runTool(t, "", kcat, "-C", "-b", seed, "-t", "kcat-events", "-e", "-q", "-f", `%s\n`)
		// The auto-created topic has several partitions, and kcat reads
		// them in no set order.
		lines := strings.Fields(out)
		slices.Sort(lines)
		if strings.Join(lines, ",") != "m1,m2" {
			t.Errorf("kcat -C printed %q, want m1 and m2", out)
		}
	})

	t.Run("kafka-consumer-groups.sh", func(t *testing.T) {
		tool := filepath.Join(home, "bin", "kafka-consumer-groups.sh")
		out := runTool(t, "", tool, "--bootstrap-server", seed, "--describe", "--group", "billing")
		total := 0
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) >= 6 && f[0] == "billing" && f[1] == "orders" {
				n, _ := strconv.Atoi(f[3])
				total += n
				if f[5] != "0" {
					t.Errorf("lag of %s = %s, want 0", sc.Text(), f[5])
				}
			}
		}
		if total != 3 {
			t.Errorf("kafka-consumer-groups.sh --describe printed:\n%s\nwant committed offsets adding up to 3", out)
		}
		if list := runTool(t, "", tool, "--bootstrap-server", seed, "--list"); strings.TrimSpace(list) != "billing" {
			t.Errorf("kafka-consumer-groups.sh --list printed %q", list)
		}
	})

	if err := d.Stop(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if d.Alive(ctx, s.ID) {
		t.Error("alive after stop")
	}
	if pids := kafkaPIDs(dir); len(pids) != 0 {
		t.Errorf("java processes left under %s: %v", dir, pids)
	}
	if c, err := net.DialTimeout("tcp", seed, time.Second); err == nil {
		c.Close()
		t.Error("broker still accepts connections after stop")
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sandbox directory left: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*", "*")); len(left) != 0 {
		t.Errorf("files left in the scratch directory: %v", left)
	}
	if _, err := os.Stat(filepath.Join(os.TempDir(), "hsperfdata_"+currentUser(), strconv.Itoa(inst.PID))); err == nil {
		t.Errorf("the JVM left its perf data file in %s", os.TempDir())
	}
	if err := d.Stop(ctx, s.ID); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("second stop = %v, want ErrNotFound", err)
	}
}

func currentUser() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "root"
}

// TestApacheKafkaKilledFromOutside: a broker that dies is not alive, and
// Stop still cleans up.
func TestApacheKafkaKilledFromOutside(t *testing.T) {
	d := apacheDriver(t, "")
	ctx := context.Background()
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	if err := syscall.Kill(inst.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Alive to turn false", func() bool { return !d.Alive(ctx, inst.Spec.ID) })
	if err := d.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatalf("stop a dead sandbox: %v", err)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory left: %v", err)
	}
}

// TestApacheKafkaLeftover plays a platform restart: a second Driver over
// the same directory finds the first one's broker, and its Stop kills it.
func TestApacheKafkaLeftover(t *testing.T) {
	dir := scratchDir(t)
	ctx := context.Background()
	first := apacheDriver(t, dir)
	inst, err := first.Start(ctx, spec(sandbox.KindKafka))
	if err != nil {
		t.Fatal(err)
	}
	second := apacheDriver(t, dir)
	ids, err := second.List(ctx)
	if err != nil || len(ids) != 1 || ids[0] != inst.Spec.ID {
		t.Fatalf("List = %v, %v; want [%s]", ids, err, inst.Spec.ID)
	}
	if second.Alive(ctx, inst.Spec.ID) {
		t.Error("a Driver says a sandbox it did not start is alive")
	}
	if err := second.Stop(ctx, inst.Spec.ID); err != nil {
		t.Fatal(err)
	}
	if pids := kafkaPIDs(dir); len(pids) != 0 {
		t.Fatalf("java processes left after Stop of a leftover: %v", pids)
	}
	if _, err := os.Stat(inst.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("directory left: %v", err)
	}
	waitFor(t, "the first Driver to see the death", func() bool { return !first.Alive(ctx, inst.Spec.ID) })
}

// TestApacheKafkaPlatformKilled kills a platform (a child running this
// test binary) with SIGKILL: its broker dies with it (parent-death signal),
// and a new Driver over the same directory removes what is left.
func TestApacheKafkaPlatformKilled(t *testing.T) {
	if os.Getenv("OPSLAB_APACHE_PLATFORM") != "" {
		return // the child's part runs in TestMain-less helper below
	}
	requireKafkaHome(t)
	dir := scratchDir(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestApacheKafkaPlatformChild$", "-test.v")
	cmd.Env = append(os.Environ(), "OPSLAB_APACHE_PLATFORM="+dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var pid int
	var id string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "BROKER %d %s", &pid, &id); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatal("the platform child started no broker")
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFor(t, "the broker to die with its platform", func() bool { return len(kafkaPIDs(dir)) == 0 })

	restarted := apacheDriver(t, dir)
	ids, err := restarted.List(context.Background())
	if err != nil || len(ids) != 1 || ids[0] != id {
		t.Fatalf("List after restart = %v, %v; want [%s]", ids, err, id)
	}
	if err := restarted.Stop(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "sandboxes", "*")); len(left) != 0 {
		t.Errorf("left after restart cleanup: %v", left)
	}
}

// TestApacheKafkaPlatformChild is the platform of TestApacheKafkaPlatformKilled:
// it starts one broker, says so, and waits to be killed.
func TestApacheKafkaPlatformChild(t *testing.T) {
	dir := os.Getenv("OPSLAB_APACHE_PLATFORM")
	if dir == "" {
		t.Skip("helper of TestApacheKafkaPlatformKilled")
	}
	d, err := process.New(process.Options{Dir: dir, Kafka: process.KafkaApache})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	inst, err := d.Start(context.Background(), spec(sandbox.KindKafka))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("BROKER %d %s\n", inst.PID, inst.Spec.ID)
	time.Sleep(5 * time.Minute)
}

// TestApacheKafkaUnavailable: without jars, a Kafka sandbox cannot start
// and says why; Redis sandboxes are unaffected.
func TestApacheKafkaUnavailable(t *testing.T) {
	d := mustDriver(t, process.Options{Kafka: process.KafkaApache, KafkaHome: t.TempDir()})
	_, err := d.Start(context.Background(), spec(sandbox.KindKafka))
	if !errors.Is(err, sandbox.ErrUnsupported) || !strings.Contains(err.Error(), "fetch-kafka.sh") {
		t.Fatalf("start without jars = %v, want ErrUnsupported naming scripts/fetch-kafka.sh", err)
	}
	if _, err := process.New(process.Options{Dir: t.TempDir(), Kafka: "confluent"}); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("unknown Kafka implementation = %v, want ErrInvalid", err)
	}
}

// TestEscapeApacheKafka runs the escape suite's Kafka attacks against a
// real Apache Kafka broker in its fence: 9999 partitions, just under what
// a KRaft controller takes in one request (more is a POLICY_VIOLATION).
func TestEscapeApacheKafka(t *testing.T) {
	d := apacheDriver(t, scratchDir(t))
	escapetest.RunKafka(t, escapetest.Config{Driver: d, Spec: spec, KafkaBomb: 9999})
}
