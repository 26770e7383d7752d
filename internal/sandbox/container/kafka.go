package container

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/kafkaready"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// controllerPort is the KRaft controller's port on the container's own
// loopback; nothing outside the container can reach it.
const controllerPort = 9093

// startKafka starts a single-node KRaft Kafka container (broker and
// controller in one) and waits until the broker answers metadata through
// the relay. The caller removes what is left on error.
func (d *Driver) startKafka(ctx context.Context, spec sandbox.Spec) (*box, error) {
	r, cluster, node, err := d.kafkaNode(ctx, spec, d.mnt(spec.ID), d.labels(spec))
	if err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			r.Close()
		}
	}()
	inst := sandbox.Instance{
		Spec:      spec,
		Driver:    Name,
		Dir:       d.dir(spec.ID),
		StartedAt: time.Now(),
		Kafka:     sandbox.KafkaAccess{Seeds: []string{r.Addr()}},
	}
	if err := saveAccessPort(inst, r.Port(), cluster); err != nil {
		return nil, err
	}
	id, err := d.runSingle(ctx, &inst, node.cfg, node.host, func(ctx context.Context) error { return pingKafka(ctx, inst.Kafka.Seeds) })
	if err != nil {
		return nil, err
	}
	ok = true
	return &box{inst: inst, container: id, relay: r}, nil
}

// kafkaNode prepares the one broker of spec's sandbox, whose container
// mounts the folder mnt and carries labels: the host relay to its socket
// (whose port the broker listens on and advertises), its config and
// storage (formatted ahead when it can be), its log directory shared for
// the workstation (shareKafkaData). It returns the relay, which the caller
// closes on error, the cluster id and the container to create.
func (d *Driver) kafkaNode(ctx context.Context, spec sandbox.Spec, mnt string, labels map[string]string) (*relay.Relay, string, nodeContainer, error) {
	if _, err := os.Stat(d.opts.RelayBinary); err != nil {
		return nil, "", nodeContainer{}, fmt.Errorf("%w: the relay binary %s is missing (build it with `make build`): %v", sandbox.ErrUnsupported, d.opts.RelayBinary, err)
	}
	user := d.prepareMount(mnt, 1000)
	r, err := relay.Listen(0, relay.ToUnix(filepath.Join(mnt, "kafka.sock")))
	if err != nil {
		return nil, "", nodeContainer{}, err
	}
	fail := func(err error) (*relay.Relay, string, nodeContainer, error) {
		r.Close()
		return nil, "", nodeContainer{}, err
	}
	cluster := newClusterID()
	if err := writeOwned(filepath.Join(mnt, "server.properties"), d.kafkaConfig(spec, r.Port()), user); err != nil {
		return fail(err)
	}
	if err := d.copyPreformatted(ctx, mnt, user, cluster, 1); err != nil {
		return fail(err)
	}
	cfg, host := d.kafkaContainer(spec, mnt, user, cluster, r.Port(), labels)
	if err := d.shareKafkaData(spec, host); err != nil {
		return fail(err)
	}
	return r, cluster, nodeContainer{cfg: cfg, host: host}, nil
}

// kafkaContainer returns the config of a broker's container: the relay
// starts first, in the background, forwarding the socket in mnt to the
// broker's port; then the container's shell runs the broker and waits for
// it. When the broker exits on its own (a crash, a kill), the shell exits
// with its status and the container stops, so Alive sees it. When StopNode
// stopped it (brokerStopFlag exists), the shell waits until StartNode
// removes the flag and runs the broker again on the same storage: a
// service manager's stop and start (see nodes.go).
func (d *Driver) kafkaContainer(spec sandbox.Spec, mnt string, user uidGid, cluster string, port int, labels map[string]string) (*container.Config, *container.HostConfig) {
	script := strings.Join([]string{
		fmt.Sprintf("%s -listen %s/kafka.sock -to 127.0.0.1:%d &", relayPath, mountPoint, port),
		// A storage formatted ahead (see preformat) is copied in: a JVM run
		// saved. Otherwise the broker's own tool formats it here.
		fmt.Sprintf("if test -f %[1]s/bootstrap.checkpoint; then cat %[1]s/meta.properties > %[2]s/meta.properties && cat %[1]s/bootstrap.checkpoint > %[2]s/bootstrap.checkpoint || exit 1; else", mountPoint, dataDir),
		fmt.Sprintf("/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id=%s --config %s/server.properties >/tmp/format.log 2>&1 || { cat /tmp/format.log; exit 1; }; fi", cluster, mountPoint),
		"while :; do",
		fmt.Sprintf("  /opt/kafka/bin/kafka-server-start.sh %s/server.properties & echo $! > %s", mountPoint, brokerPIDFile),
		"  wait $!; rc=$?",
		fmt.Sprintf("  test -f %s || exit $rc", brokerStopFlag),
		fmt.Sprintf("  while test -f %s; do sleep 0.5; done", brokerStopFlag),
		"done",
	}, "\n")
	cfg := &container.Config{
		Image:      d.opts.KafkaImage,
		Entrypoint: []string{"/bin/sh", "-c"},
		Cmd:        []string{script},
		User:       user.String(),
		Labels:     labels,
		Env: []string{
			"KAFKA_HEAP_OPTS=" + d.opts.KafkaHeap,
			// Serial GC and no JIT tiers beyond C1: a small broker starts
			// faster and holds less memory.
			"KAFKA_JVM_PERFORMANCE_OPTS=-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xss512k",
			"LOG_DIR=/tmp/logs",
		},
	}
	host := d.hostConfig(d.opts.KafkaMemoryBytes, d.opts.KafkaPids, mnt)
	host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeBind, Source: d.opts.RelayBinary, Target: relayPath, ReadOnly: true})
	host.Mounts = append(host.Mounts, tmpfs(dataDir, 4*spec.MemoryCap()), tmpfs("/tmp", 64<<20))
	return cfg, host
}

// kafkaDataDir returns the host folder that holds the broker's log
// directory of the Kafka sandbox id, when shareKafkaData made it.
func (d *Driver) kafkaDataDir(id string) string { return filepath.Join(d.dir(id), "data") }

// shareKafkaData puts the broker's log directory of spec's sandbox in a
// size-capped tmpfs that the driver mounts in the sandbox's folder (the
// same cap as the container's own tmpfs would have), instead of the
// container's own, so that the workstation can show it read-only at
// workstation.KafkaLogDir for kafka-dump-log.sh. A driver that is not root cannot
// mount it, and keeps the container's own tmpfs (the workstation then
// shows no log directory).
func (d *Driver) shareKafkaData(spec sandbox.Spec, host *container.HostConfig) error {
	if os.Geteuid() != 0 {
		return nil
	}
	dir := d.kafkaDataDir(spec.ID)
	if err := mountTmpfs(dir, 4*spec.MemoryCap(), 0o755, 1000); err != nil {
		return fmt.Errorf("the broker's data folder: %w", err)
	}
	for i, m := range host.Mounts {
		if m.Target == dataDir {
			host.Mounts[i] = mount.Mount{Type: mount.TypeBind, Source: dir, Target: dataDir}
		}
	}
	return nil
}

// kafkaConfig returns the broker's server.properties: one KRaft node on
// the container's loopback, advertising the host relay's port (the same
// number inside and out), with the platform's defaults and retention cap.
func (d *Driver) kafkaConfig(spec sandbox.Spec, port int) string {
	props := []string{
		"process.roles=broker,controller",
		"node.id=1",
		fmt.Sprintf("controller.quorum.voters=1@127.0.0.1:%d", controllerPort),
		fmt.Sprintf("listeners=PLAINTEXT://127.0.0.1:%d,CONTROLLER://127.0.0.1:%d", port, controllerPort),
		fmt.Sprintf("advertised.listeners=PLAINTEXT://127.0.0.1:%d", port),
		"offsets.topic.replication.factor=1",
		"transaction.state.log.replication.factor=1",
		"transaction.state.log.min.isr=1",
		"share.coordinator.state.topic.replication.factor=1",
		"share.coordinator.state.topic.min.isr=1",
	}
	return strings.Join(append(props, d.kafkaCommonProps(spec)...), "\n") + "\n"
}

// kafkaCommonProps are the server.properties lines of every broker, in a
// single-node or a cluster sandbox.
func (d *Driver) kafkaCommonProps(spec sandbox.Spec) []string {
	return []string{
		"controller.listener.names=CONTROLLER",
		"inter.broker.listener.name=PLAINTEXT",
		"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
		"log.dirs=" + dataDir,
		"num.partitions=" + strconv.Itoa(d.opts.KafkaPartitions),
		"auto.create.topics.enable=true",
		"offsets.topic.num.partitions=1",
		"transaction.state.log.num.partitions=1",
		"group.initial.rebalance.delay.ms=0",
		// ACLs can be created, listed and deleted (kafka-acls), as a learner
		// practises them; the sandbox's clients are all User:ANONYMOUS on
		// the plaintext listener, a super user, so nothing is refused.
		"authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
		"super.users=User:ANONYMOUS",
		"log.retention.bytes=" + strconv.FormatInt(spec.MemoryCap(), 10),
		"log.segment.bytes=1048576",
		"log.retention.check.interval.ms=10000",
		"num.network.threads=2",
		"num.io.threads=2",
		"background.threads=2",
		"num.recovery.threads.per.data.dir=1",
		"log.cleaner.threads=1",
		"log.cleaner.dedupe.buffer.size=4194304",
	}
}

// pingKafka waits for the broker at seeds to answer metadata and to have
// a group coordinator (see kafkaready.Ready).
func pingKafka(ctx context.Context, seeds []string) error { return kafkaready.Ready(ctx, seeds) }

// newClusterID returns a random KRaft cluster id: 16 bytes in URL-safe
// base64 without padding, as kafka-storage random-uuid prints.
func newClusterID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// preformat returns the bootstrap.checkpoint that "kafka-storage format"
// writes for a KRaft node of the Kafka image with static controller
// voters. It depends on the image's Kafka version only (not on ports, ids,
// voters or directories), so it is
// made once per Driver, by the image's own tool in a throwaway container
// with the sandbox fence, and copied into each single-node Kafka sandbox
// (and each broker of a kafka-cluster) with a meta.properties of its own:
// a JVM run of about two seconds saved per broker started. On error each sandbox formats its own storage, as before.
func (d *Driver) preformat(ctx context.Context) ([]byte, error) {
	d.format.mu.Lock()
	defer d.format.mu.Unlock()
	if d.format.boot != nil || d.format.err != nil {
		return d.format.boot, d.format.err
	}
	d.format.boot, d.format.err = d.runFormat(ctx)
	return d.format.boot, d.format.err
}

// copyPreformatted writes into mnt the storage that "kafka-storage format"
// would write for broker nodeID of cluster: the Driver's preformatted
// bootstrap.checkpoint and a meta.properties of the node's own (a fresh
// directory id), which the container's script copies into its data
// directory. When preformatting failed it writes nothing, and the
// container formats its own storage.
func (d *Driver) copyPreformatted(ctx context.Context, mnt string, user uidGid, cluster string, nodeID int) error {
	boot, err := d.preformat(ctx)
	if err != nil {
		return nil
	}
	meta := fmt.Sprintf("# Written by opslab, as kafka-storage format would.\nversion=1\nnode.id=%d\ncluster.id=%s\ndirectory.id=%s\n", nodeID, cluster, newClusterID())
	if err := writeOwned(filepath.Join(mnt, "meta.properties"), meta, user); err != nil {
		return err
	}
	return writeOwned(filepath.Join(mnt, "bootstrap.checkpoint"), string(boot), user)
}

func (d *Driver) runFormat(ctx context.Context) ([]byte, error) {
	dir, err := os.MkdirTemp(d.root, ".kafka-format-")
	if err != nil {
		return nil, fmt.Errorf("preformat kafka storage: %w", err)
	}
	defer os.RemoveAll(dir)
	user := d.prepareMount(dir, 1000)
	props := strings.Replace(d.kafkaConfig(sandbox.Spec{}, 9092), "log.dirs="+dataDir, "log.dirs="+mountPoint+"/data", 1)
	if err := writeOwned(filepath.Join(dir, "server.properties"), props, user); err != nil {
		return nil, fmt.Errorf("preformat kafka storage: %w", err)
	}
	host := d.hostConfig(d.opts.KafkaMemoryBytes, d.opts.KafkaPids, dir)
	host.Mounts = append(host.Mounts, tmpfs("/tmp", 64<<20))
	cfg := &container.Config{
		Image:      d.opts.KafkaImage,
		Entrypoint: []string{"/opt/kafka/bin/kafka-storage.sh"},
		Cmd:        []string{"format", "--cluster-id=" + newClusterID(), "--config", mountPoint + "/server.properties"},
		User:       user.String(),
		Labels:     map[string]string{LabelApp: "opslab", LabelScope: d.opts.Scope},
		Env:        []string{"KAFKA_HEAP_OPTS=" + d.opts.KafkaHeap},
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	res, err := d.cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host})
	if err != nil {
		return nil, fmt.Errorf("preformat kafka storage: create container: %w", err)
	}
	defer d.cli.ContainerRemove(context.WithoutCancel(ctx), res.ID, client.ContainerRemoveOptions{Force: true})
	if _, err := d.cli.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
		return nil, fmt.Errorf("preformat kafka storage: start container: %w", err)
	}
	wait := d.cli.ContainerWait(ctx, res.ID, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case w := <-wait.Result:
		if w.StatusCode != 0 {
			return nil, fmt.Errorf("preformat kafka storage: kafka-storage format exited with %d: %s", w.StatusCode, d.logTail(ctx, res.ID))
		}
	case err := <-wait.Error:
		return nil, fmt.Errorf("preformat kafka storage: wait: %w", err)
	}
	boot, err := os.ReadFile(filepath.Join(dir, "data", "bootstrap.checkpoint"))
	if err != nil {
		return nil, fmt.Errorf("preformat kafka storage: %w", err)
	}
	return boot, nil
}
