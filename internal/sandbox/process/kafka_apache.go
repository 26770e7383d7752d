package process

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/kafkaready"
)

// KafkaImpl names what runs a Kafka sandbox.
type KafkaImpl string

// The Kafka implementations of Options.Kafka.
const (
	// KafkaKfake runs each Kafka sandbox as an in-process kfake cluster
	// (the default: nothing to install, starts in a millisecond).
	KafkaKfake KafkaImpl = "kfake"
	// KafkaApache runs each Kafka sandbox as a real Apache Kafka node in
	// KRaft mode (broker and controller in one JVM), a child process like
	// redis-server. It needs Java 17+ and the jars of scripts/fetch-kafka.sh.
	KafkaApache KafkaImpl = "apache"
)

// ParseKafkaImpl parses a --kafka flag value: "kfake" (or "") or "apache".
func ParseKafkaImpl(s string) (KafkaImpl, error) {
	switch KafkaImpl(s) {
	case "", KafkaKfake:
		return KafkaKfake, nil
	case KafkaApache:
		return KafkaApache, nil
	}
	return "", fmt.Errorf("%w: unknown Kafka implementation %q (want kfake or apache)", sandbox.ErrInvalid, s)
}

// DefaultKafkaStartTimeout is the default of Options.KafkaStartTimeout: a
// JVM broker takes seconds to start, more on a busy machine.
const DefaultKafkaStartTimeout = 90 * time.Second

// KafkaVersion is the Apache Kafka version scripts/fetch-kafka.sh fetches
// first, the one the console emulates.
const KafkaVersion = "4.1.0"

// Files in an Apache Kafka sandbox's directory.
const (
	kafkaOutputFile  = "kafka.output"      // the JVM's stdout and stderr: the broker's log
	kafkaConfigFile  = "server.properties" // the broker's configuration
	kafkaLog4jFile   = "log4j2.xml"        // its logging configuration
	kafkaDataDir     = "data"              // log.dirs, with the KRaft metadata log
	kafkaTmpDir      = "tmp"               // java.io.tmpdir
	kafkaMainClass   = "kafka.Kafka"
	kafkaStorageTool = "kafka.tools.StorageTool"
)

// FindKafkaHome returns where Apache Kafka's jars are: $KAFKA_HOME if set,
// else the nearest .cache/kafka-<version> (as scripts/fetch-kafka.sh lays it
// out) in the working directory or one of its parents, preferring
// KafkaVersion. It returns "" if there is none.
func FindKafkaHome() string {
	if h := os.Getenv("KAFKA_HOME"); h != "" {
		return h
	}
	return findUp(func(dir string) string {
		if _, err := os.Stat(filepath.Join(dir, ".cache", "kafka-"+KafkaVersion, "VERSION")); err == nil {
			return filepath.Join(dir, ".cache", "kafka-"+KafkaVersion)
		}
		if found, _ := filepath.Glob(filepath.Join(dir, ".cache", "kafka-*", "VERSION")); len(found) > 0 {
			return filepath.Dir(found[len(found)-1])
		}
		return ""
	})
}

// findUp returns the first non-empty answer of look for the working
// directory and then each of its parents, or "".
func findUp(look func(dir string) string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if found := look(dir); found != "" {
			return found
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// apacheKafka is the state of a Driver whose Kafka sandboxes are real
// Apache Kafka brokers.
type apacheKafka struct {
	home string // Kafka's home: home/libs holds the jars
	java string // the java binary
	err  error  // why no broker can run, if none can

	mu        sync.Mutex // held while formatting the bootstrap template
	bootstrap []byte     // bootstrap.checkpoint written by kafka-storage format, once
}

// newApacheKafka checks that opts allow running Apache Kafka brokers. Like
// a missing redis-server, missing jars or Java are no error here: starting a
// Kafka sandbox then fails with sandbox.ErrUnsupported and says why.
func newApacheKafka(opts Options) *apacheKafka {
	a := &apacheKafka{home: opts.KafkaHome}
	if a.home == "" {
		a.home = FindKafkaHome()
	}
	if a.home == "" {
		a.err = fmt.Errorf("%w: Apache Kafka's jars not found: run scripts/fetch-kafka.sh (make kafka-jars), then pass --kafka-home DIR or set KAFKA_HOME", sandbox.ErrUnsupported)
		return a
	}
	if abs, err := filepath.Abs(a.home); err == nil {
		a.home = abs
	}
	if jars, _ := filepath.Glob(filepath.Join(a.home, "libs", "kafka_*.jar")); len(jars) == 0 {
		a.err = fmt.Errorf("%w: no Apache Kafka jars in %s/libs: run scripts/fetch-kafka.sh %s", sandbox.ErrUnsupported, a.home, a.home)
		return a
	}
	java := "java"
	if jh := os.Getenv("JAVA_HOME"); jh != "" {
		java = filepath.Join(jh, "bin", "java")
	}
	var err error
	if a.java, err = exec.LookPath(java); err != nil {
		a.err = fmt.Errorf("%w: Java 17 or newer is needed to run Apache Kafka (%v); install it, e.g. apt-get install openjdk-17-jre-headless", sandbox.ErrUnsupported, err)
	}
	return a
}

// Home returns the Kafka home directory the Driver runs brokers from, or ""
// if its Kafka sandboxes are kfake clusters.
func (d *Driver) KafkaHome() string {
	if d.apache == nil {
		return ""
	}
	return d.apache.home
}

// KafkaErr returns why this Driver cannot start Kafka sandboxes, or nil.
func (d *Driver) KafkaErr() error {
	if d.apache == nil {
		return nil
	}
	return d.apache.err
}

// startApacheKafka starts a one-node KRaft cluster (broker and controller
// in one JVM) in the already created directory of spec.ID and waits until
// it answers a metadata request. On error nothing is left running.
func (d *Driver) startApacheKafka(ctx context.Context, spec sandbox.Spec, b *box) (sandbox.Instance, error) {
	a := d.apache
	if a.err != nil {
		return sandbox.Instance{}, a.err
	}
	dir := d.dir(spec.ID)
	boot, err := a.bootstrapCheckpoint(ctx, d.opts.Dir)
	if err != nil {
		return sandbox.Instance{}, err
	}
	// Unfenced, random free ports may be taken by someone else before the
	// broker binds them; fresh ones are tried then.
	for try := 0; ; try++ {
		inst := sandbox.Instance{Spec: spec, Driver: Name, Dir: dir}
		srv, err := d.launchKafka(ctx, &inst, b, boot)
		if err == nil {
			d.mu.Lock()
			d.brokers[spec.ID] = srv
			d.mu.Unlock()
			return inst, nil
		}
		if !errors.Is(err, errPortInUse) || try == 2 {
			return sandbox.Instance{}, err
		}
	}
}

// kafkaControllerPort is a fenced broker's KRaft controller port, on the
// sandbox's own loopback where nothing else listens.
const kafkaControllerPort = 9093

// launchKafka writes the broker's files in inst.Dir, runs it in b's fence,
// fills in inst's PID, seeds and start time, and waits until it answers.
func (d *Driver) launchKafka(ctx context.Context, inst *sandbox.Instance, b *box, boot []byte) (*child, error) {
	a, dir := d.apache, inst.Dir
	port, err := d.tcpPort(b, 0)
	if err != nil {
		return nil, fmt.Errorf("pick a kafka port: %w", err)
	}
	controllerPort := kafkaControllerPort // never relayed: only the broker talks to it
	if !b.fence.Fenced() {
		controllerPort, err = freePort()
	}
	if err != nil {
		return nil, fmt.Errorf("pick a kafka controller port: %w", err)
	}
	data := filepath.Join(dir, kafkaDataDir)
	_ = os.RemoveAll(data) // from a try that lost its port
	for _, sub := range []string{data, filepath.Join(dir, kafkaTmpDir)} {
		if err := os.MkdirAll(sub, 0o700); err != nil {
			return nil, err
		}
	}
	files := map[string][]byte{
		filepath.Join(dir, kafkaConfigFile):         []byte(kafkaServerConfig(dir, port, controllerPort, d.opts.KafkaPartitions, inst.Spec.MemoryCap(), d.opts.KafkaRetention)),
		filepath.Join(dir, kafkaLog4jFile):          []byte(kafkaLog4jConfig),
		filepath.Join(data, "meta.properties"):      []byte(kafkaMetaProperties(inst.Spec.ID)),
		filepath.Join(data, "bootstrap.checkpoint"): boot,
	}
	for name, content := range files {
		if err := os.WriteFile(name, content, 0o600); err != nil {
			return nil, err
		}
		if err := b.fence.Own(name); err != nil {
			return nil, err
		}
	}
	if err := b.fence.Own(data, filepath.Join(dir, kafkaTmpDir)); err != nil {
		return nil, err
	}
	// The log directory is open to other users, as a packaged broker's
	// is: the sandbox's folder keeps them out, and a workstation shows it,
	// read-only, at KafkaLogDir.
	if err := os.Chmod(data, 0o755); err != nil {
		return nil, err
	}
	output, err := os.OpenFile(filepath.Join(dir, kafkaOutputFile), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer output.Close()
	// The broker runs with umask 022, whatever the platform's, so that the
	// workstation's learner can read the segments it writes (see
	// kafkaLogBinds); sh hands its process over to java with exec.
	cmd := exec.Command("/bin/sh", append([]string{"-c", `umask 022 && exec "$0" "$@"`, a.java},
		a.jvmArgs(dir, kafkaMainClass, filepath.Join(dir, kafkaConfigFile))...)...)
	cmd.Dir = dir                                           // how a leftover broker is recognised (see serverPIDs)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"} // the platform's secrets stay out of the sandbox
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // Stop signals the whole group
	begin := time.Now()
	if err := b.fence.Start(cmd); err != nil {
		return nil, fmt.Errorf("run %s: %w", a.java, err)
	}
	srv := watch(cmd, dir)
	inst.PID, inst.StartedAt = srv.pid, begin
	inst.Kafka = sandbox.KafkaAccess{Seeds: []string{"127.0.0.1:" + strconv.Itoa(port)}}
	_ = os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(srv.pid)+"\n"), 0o600)

	if err := d.awaitKafka(ctx, srv, inst.Kafka.Seeds); err != nil {
		srv.kill()
		<-srv.done
		if out := kafkaTail(dir, 400); strings.Contains(out, "Address already in use") || strings.Contains(out, "BindException") {
			err = fmt.Errorf("%w: %w", errPortInUse, err)
		}
		return nil, err
	}
	return srv, nil
}

// jvmArgs returns java's arguments to run main with args, for a sandbox in
// dir: a small heap, fast start-up, no file outside dir.
func (a *apacheKafka) jvmArgs(dir, main string, args ...string) []string {
	return append([]string{
		"-Xms64m", "-Xmx256m",
		"-XX:+UseSerialGC",
		"-XX:TieredStopAtLevel=1", // C1 only: quicker start, less CPU; sandboxes carry little traffic
		"-XX:-UsePerfData",        // no /tmp/hsperfdata_<user>/<pid> left behind by a SIGKILL
		"-XX:+ExitOnOutOfMemoryError",
		"-XX:ErrorFile=" + filepath.Join(dir, "hs_err_pid%p.log"),
		"-Xshare:auto",
		"-Djava.awt.headless=true",
		"-Djava.io.tmpdir=" + filepath.Join(dir, kafkaTmpDir),
		"-Dkafka.logs.dir=" + dir,
		"-Dlog4j2.configurationFile=" + filepath.Join(dir, kafkaLog4jFile),
		"-cp", filepath.Join(a.home, "libs", "*"),
		main,
	}, args...)
}

// awaitKafka polls the broker with a metadata request, backing off from
// 20ms, until it answers naming itself, exits, or the start timeout or ctx
// ends.
func (d *Driver) awaitKafka(ctx context.Context, srv *child, seeds []string) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.KafkaStartTimeout)
	defer cancel()
	delay := 20 * time.Millisecond
	for {
		err := kafkaready.Ready(ctx, seeds)
		if err == nil {
			return nil
		}
		timer := time.NewTimer(delay)
		select {
		case <-srv.done:
			timer.Stop()
			return fmt.Errorf("kafka broker exited before answering (%v): %s", srv.waitErr, kafkaTail(srv.dir, 5))
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("kafka broker did not answer (last try: %v): %w", err, ctx.Err())
		case <-timer.C:
		}
		delay = min(delay*5/4, 100*time.Millisecond)
	}
}

// bootstrapCheckpoint returns the bootstrap.checkpoint file that
// "kafka-storage format" writes for a node with a static controller quorum.
// It does not depend on ports, ids or directories, so it is made once per
// Driver (a JVM run of seconds) and copied into each sandbox, along with a
// meta.properties of the sandbox's own.
func (a *apacheKafka) bootstrapCheckpoint(ctx context.Context, scratch string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.bootstrap != nil {
		return a.bootstrap, nil
	}
	tmp, err := os.MkdirTemp(scratch, ".kafka-format-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	data := filepath.Join(tmp, kafkaDataDir)
	props := filepath.Join(tmp, kafkaConfigFile)
	if err := os.WriteFile(props, []byte(kafkaServerConfig(tmp, 1, 2, DefaultKafkaPartitions, sandbox.DefaultMaxMemoryBytes, DefaultKafkaRetention)), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, kafkaLog4jFile), []byte(kafkaLog4jConfig), 0o600); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(tmp, kafkaTmpDir), 0o700); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.java, a.jvmArgs(tmp, kafkaStorageTool, "format", "--cluster-id", newKafkaUUID(), "--config", props)...)
	cmd.Dir = tmp
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := fence.StartPlatform(cmd); err != nil {
		return nil, fmt.Errorf("run kafka-storage format: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("kafka-storage format: %w: %s", err, strings.TrimSpace(out.String()))
	}
	b, err := os.ReadFile(filepath.Join(data, "bootstrap.checkpoint"))
	if err != nil {
		return nil, fmt.Errorf("kafka-storage format wrote no bootstrap.checkpoint (%w): %s", err, strings.TrimSpace(out.String()))
	}
	a.bootstrap = b
	return b, nil
}

// kafkaServerConfig returns server.properties for a one-node KRaft cluster
// in dir: broker on 127.0.0.1:port, controller on 127.0.0.1:controllerPort,
// behaving like the kfake sandbox (partitions topics get by default,
// auto-creation, retention capped at retentionBytes per partition, applied
// every retentionEvery) and tuned to start fast and stay small.
func kafkaServerConfig(dir string, port, controllerPort, partitions int, retentionBytes int64, retentionEvery time.Duration) string {
	// Retention deletes whole segments: segments a quarter of the cap (at
	// least Kafka's minimum of 1 MiB) keep a partition near its cap.
	segment := max(min(retentionBytes/4, 1<<30), 1<<20)
	lines := []string{
		"process.roles=broker,controller",
		"node.id=1",
		"controller.quorum.voters=1@127.0.0.1:" + strconv.Itoa(controllerPort),
		"listeners=PLAINTEXT://127.0.0.1:" + strconv.Itoa(port) + ",CONTROLLER://127.0.0.1:" + strconv.Itoa(controllerPort),
		"advertised.listeners=PLAINTEXT://127.0.0.1:" + strconv.Itoa(port),
		"controller.listener.names=CONTROLLER",
		"inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"log.dirs=" + filepath.Join(dir, kafkaDataDir),
		// As the kfake sandbox.
		"num.partitions=" + strconv.Itoa(partitions),
		"auto.create.topics.enable=true",
		"default.replication.factor=1",
		"min.insync.replicas=1",
		"log.retention.bytes=" + strconv.FormatInt(retentionBytes, 10),
		"log.retention.check.interval.ms=" + strconv.FormatInt(retentionEvery.Milliseconds(), 10),
		"log.segment.bytes=" + strconv.FormatInt(segment, 10),
		"log.segment.delete.delay.ms=1000",
		// One node: every internal topic has one replica.
		"offsets.topic.replication.factor=1",
		"offsets.topic.num.partitions=1",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"transaction.state.log.num.partitions=1",
		"share.coordinator.state.topic.replication.factor=1",
		"share.coordinator.state.topic.min.isr=1",
		"share.coordinator.state.topic.num.partitions=1",
		"group.initial.rebalance.delay.ms=0",
		// ACLs can be created, listed and deleted (kafka-acls), as a learner
		// practises them; the sandbox's clients are all User:ANONYMOUS on
		// the plaintext listener, a super user, so nothing is refused.
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users=User:ANONYMOUS",
		// Small and quick.
		"num.network.threads=2",
		"num.io.threads=2",
		"background.threads=2",
		"num.replica.fetchers=1",
		"num.recovery.threads.per.data.dir=1",
		"log.cleaner.threads=1",
		"log.cleaner.dedupe.buffer.size=8388608",
		"log.cleaner.backoff.ms=1000",
		"auto.leader.rebalance.enable=false",
		"max.connections=128",
		"socket.request.max.bytes=16777216",
		"queued.max.requests=100",
	}
	return strings.Join(lines, "\n") + "\n"
}

// kafkaMetaProperties returns data/meta.properties, as kafka-storage format
// writes it, with a fresh cluster and directory id.
func kafkaMetaProperties(id string) string {
	return fmt.Sprintf("# Written by opslab for sandbox %s, as kafka-storage format would.\nversion=1\nnode.id=1\ncluster.id=%s\ndirectory.id=%s\n",
		id, newKafkaUUID(), newKafkaUUID())
}

// newKafkaUUID returns a random Kafka Uuid in its text form: 16 bytes in
// unpadded URL-safe base64. The top bit is left set so that the Uuid is
// none of the few that Kafka reserves (all have high bits zero).
func newKafkaUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[0] |= 0x40
	b[0] &^= 0x80 // a leading '-' would read as a command-line option
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// kafkaLog4jConfig logs the broker's start, warnings and errors, and drops
// the rest of its INFO chatter.
const kafkaLog4jConfig = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="off">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="warn"><AppenderRef ref="stdout"/></Root>
    <Logger name="kafka.server.KafkaRaftServer" level="info"/>
    <Logger name="kafka.Kafka$" level="info"/>
  </Loggers>
</Configuration>
`

// isKafkaCommand reports whether a command line from /proc runs a Kafka
// broker or tool of a sandbox: java with a Kafka main class.
func isKafkaCommand(cmdline []byte) bool {
	args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
	if len(args) == 0 || filepath.Base(args[0]) != "java" {
		return false
	}
	for _, a := range args[1:] {
		if a == kafkaMainClass || a == kafkaStorageTool {
			return true
		}
	}
	return false
}

// kafkaTail returns the last n lines the broker wrote in dir, for errors.
func kafkaTail(dir string, n int) string {
	b, err := os.ReadFile(filepath.Join(dir, kafkaOutputFile))
	if err != nil {
		return "no output"
	}
	all := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(all) > n {
		all = all[len(all)-n:]
	}
	var lines []string
	for _, l := range all {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "no output"
	}
	return strings.Join(lines, " | ")
}
