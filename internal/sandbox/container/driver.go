// Package container is the sandbox driver for a team's server: each
// sandbox is a container started through the Docker Engine API, with the
// official Go client, so it works against Docker Engine and against
// Podman's Docker-compatible service alike (the engine is found through
// DOCKER_HOST, like every Docker client).
//
// Every sandbox container runs with no network at all (network mode
// "none"), all capabilities dropped, no-new-privileges, a read-only root
// file system, tmpfs for its data, and memory, CPU and pids limits. The
// platform reaches it only through a unix socket in a directory of the
// sandbox that is bind-mounted into the container: Redis listens on that
// socket itself; the Kafka broker listens on the container's loopback and a
// small static relay (cmd/opslab-relay) forwards the socket to it. For
// Kafka clients, which need TCP, the driver relays 127.0.0.1:port on the
// host to that socket, and the broker advertises the same port.
//
// A postgres sandbox is one container of the postgres image, its server
// listening on a socket in the mounted directory only (see postgres.go).
//
// A multi-node sandbox (redis-replica, redis-sentinel, redis-cluster,
// kafka-cluster) is one container per node: the first node's has no
// network, the others join its network namespace, so the nodes share a
// private loopback on which they reach each other at 127.0.0.1:<port>, and
// nothing else is on it (see multi.go). A stack sandbox is the same with
// three containers of different images: a postgres server ("db", the
// first), a redis-server ("redis") and a Kafka broker ("broker"), each
// fenced and capped as its single-server kind's (see stack.go).
//
// Containers carry labels (app, scope, sandbox id, learner, lesson, kind,
// and node for a multi-node kind), so a restarted platform can find and
// re-adopt them (see Adopt) or remove them (see List and Stop).
package container

import (
	"context"
	"errors"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/moby/moby/client"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// Name is the driver's name, as returned by Driver.Name.
const Name = "container"

// Default images: the official ones. Where no registry is reachable,
// `make engine` builds local images and prints their names.
const (
	DefaultRedisImage = "docker.io/library/redis:7.0"
	DefaultKafkaImage = "docker.io/apache/kafka:4.1.0"
)

// Defaults of Options.
const (
	DefaultStartTimeout       = 60 * time.Second
	DefaultAliveEvery         = 2 * time.Second
	DefaultRedisOverheadBytes = 64 << 20
	DefaultKafkaMemoryBytes   = 1 << 30
	DefaultNanoCPUs           = 1_000_000_000 // one CPU
	DefaultRedisPids          = 64
	DefaultKafkaPids          = 512
	DefaultKafkaHeap          = "-Xmx256m -Xms64m"
	DefaultKafkaPartitions    = 3
)

// Labels on every sandbox container.
const (
	LabelApp     = "io.opslab.app"     // always "opslab"
	LabelScope   = "io.opslab.scope"   // which platform (data directory) owns it
	LabelSandbox = "io.opslab.sandbox" // the sandbox id
	LabelLearner = "io.opslab.learner" // the learner's user id, 0 for a warm-pool sandbox
	LabelLesson  = "io.opslab.lesson"  // the lesson, "" for a warm-pool sandbox
	LabelKind    = "io.opslab.kind"    // redis, kafka, redis-replica, ...
	LabelNode    = "io.opslab.node"    // the node's name (sandbox.Kind.Nodes)
)

// mountPoint is where a sandbox's shared directory appears inside its
// container; relayPath is where the relay binary is mounted.
// dataDir is the container's writable data: a size-capped tmpfs at a path
// no image has, so that its mode applies (Podman copies the mode of a
// directory the image already has).
const (
	mountPoint = "/run/opslab"
	relayPath  = "/run/opslab-relay"
	dataDir    = "/sandbox/data"
)

// Options configures a Driver. A zero field takes the default named beside it.
type Options struct {
	// Dir is the scratch directory (required). Sandboxes keep their files
	// in Dir/sandboxes/<id>/; it must be short, as for the process driver,
	// since a unix socket path lives below it.
	Dir string
	// Scope tells apart platforms sharing one engine: only containers
	// labelled with it are listed and removed. Default: derived from Dir.
	Scope string
	// RedisImage and KafkaImage name the images. Defaults DefaultRedisImage
	// and DefaultKafkaImage.
	RedisImage string
	KafkaImage string
	// RelayBinary is the static opslab-relay binary mounted into Kafka
	// containers. Default: opslab-relay beside the running executable.
	RelayBinary string
	// WorkstationImage names the learners' workstation image. Default
	// DefaultWorkstationImage.
	WorkstationImage string
	// PostgresImage names the postgres sandboxes' image. Default
	// DefaultPostgresImage.
	PostgresImage string
	// WorkstationBinary is the static opslab-workstation binary mounted
	// into workstation containers as their gate. Default:
	// $OPSLAB_WORKSTATION_BINARY, else opslab-workstation beside the
	// running executable.
	WorkstationBinary string
	// WorkstationMemoryBytes and WorkstationPids cap a workstation
	// container. Defaults DefaultWorkstationMemoryBytes and
	// DefaultWorkstationPids.
	WorkstationMemoryBytes int64
	WorkstationPids        int64
	// RedisOverheadBytes is added to a Redis sandbox's memory cap to give
	// its container's memory limit (the server, its buffers and a fork for
	// BGSAVE need room beyond maxmemory). Default DefaultRedisOverheadBytes.
	RedisOverheadBytes int64
	// KafkaMemoryBytes is a Kafka container's memory limit. Default
	// DefaultKafkaMemoryBytes.
	KafkaMemoryBytes int64
	// NanoCPUs caps each container's CPU, in billionths of a CPU. Default
	// DefaultNanoCPUs.
	NanoCPUs int64
	// RedisPids and KafkaPids cap the processes and threads of a container.
	RedisPids int64
	KafkaPids int64
	// KafkaHeap is the broker's JVM heap options. Default DefaultKafkaHeap.
	KafkaHeap string
	// KafkaPartitions is the partition count of topics created without
	// one. Default DefaultKafkaPartitions, as in the process driver.
	KafkaPartitions int
	// LoopbackTCP makes each Redis sandbox also reachable on a 127.0.0.1
	// port of the host (Instance.Redis.TCP), relayed to its socket, for
	// learners' own clients (serve --sandbox-public-host).
	LoopbackTCP bool
	// AliveEvery is how often, at most, Alive asks the engine about one
	// sandbox: the Manager calls Alive before every console command, and a
	// multi-node sandbox has up to six containers to inspect. Between two
	// inspections a sandbox seen running counts as alive (the lab starts a
	// fresh one if a command then finds it dead). Zero means
	// DefaultAliveEvery; negative means every call.
	AliveEvery time.Duration
	// StartTimeout bounds how long Start waits for a server to answer.
	StartTimeout time.Duration
	// Client talks to the engine. Default: client.FromEnv with API version
	// negotiation.
	Client *client.Client
}

// Driver runs sandboxes as containers, as the package comment describes.
// It implements sandbox.Driver (its Capabilities say what works), and is
// safe for concurrent use.
type Driver struct {
	opts Options
	root string
	cli  *client.Client

	mu      sync.Mutex
	running map[string]*box

	pg pgTemplate // see postgresTemplate

	format struct { // see preformat
		mu   sync.Mutex
		boot []byte
		err  error
	}
}

// box is a sandbox this Driver started or adopted.
type box struct {
	seenAlive atomic.Int64 // when Alive last found every container running, Unix ns
	inst      sandbox.Instance
	container string       // container id (the first node's, for a multi-node kind)
	relay     *relay.Relay // host side of a Kafka sandbox's relay, or of a Redis one's TCP port, or nil
	nodes     []nodeBox
	ws        wsState // the learner's workstation (see workstation.go)
}

// nodeBox is one node of a multi-node sandbox: its container and the host
// side of its relay (every broker's; a Redis node's with LoopbackTCP), or nil.
type nodeBox struct {
	name      string
	container string
	relay     *relay.Relay
}

// closeRelays closes the host side of every relay of b.
func (b *box) closeRelays() {
	if b.relay != nil {
		b.relay.Close()
	}
	for _, n := range b.nodes {
		if n.relay != nil {
			n.relay.Close()
		}
	}
}

// containers returns the id of each of b's containers.
func (b *box) containers() []string {
	if len(b.nodes) == 0 {
		return []string{b.container}
	}
	ids := make([]string, len(b.nodes))
	for i, n := range b.nodes {
		ids[i] = n.container
	}
	return ids
}

// New returns a Driver keeping its files under opts.Dir. It checks that
// the engine answers and returns an error naming DOCKER_HOST otherwise.
func New(ctx context.Context, opts Options) (*Driver, error) {
	if runtime.GOOS != "linux" {
		return nil, fmt.Errorf("new container driver: %w: bind-mounted unix sockets need Linux", sandbox.ErrUnsupported)
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("new container driver: %w: no scratch directory", sandbox.ErrInvalid)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("new container driver: %w", err)
	}
	root := filepath.Join(dir, "sandboxes")
	if n := len(filepath.Join(root, strings.Repeat("x", sandbox.MaxIDLen), "mnt", "kafka.sock")); n > 107 {
		return nil, fmt.Errorf("new container driver: %w: scratch directory %q is too long for a unix socket path (%d bytes)", sandbox.ErrInvalid, dir, n)
	}
	if err := opts.fill(dir); err != nil {
		return nil, fmt.Errorf("new container driver: %w", err)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("new container driver: %w", err)
	}
	cli := opts.Client
	if cli == nil {
		if cli, err = client.New(client.FromEnv); err != nil {
			return nil, fmt.Errorf("new container driver: engine client: %w", err)
		}
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(pingCtx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, fmt.Errorf("new container driver: %w: no container engine answers at %s (%v); run `make engine` and export the DOCKER_HOST it prints",
			sandbox.ErrUnsupported, engineHost(), err)
	}
	return &Driver{opts: opts, root: root, cli: cli, running: make(map[string]*box)}, nil
}

// fill sets defaults and rejects bad options.
func (o *Options) fill(dir string) error {
	if o.Scope == "" {
		o.Scope = scopeOf(dir)
	}
	if o.RedisImage == "" {
		o.RedisImage = DefaultRedisImage
	}
	if o.KafkaImage == "" {
		o.KafkaImage = DefaultKafkaImage
	}
	if o.RelayBinary == "" {
		if exe, err := os.Executable(); err == nil {
			o.RelayBinary = filepath.Join(filepath.Dir(exe), "opslab-relay")
		}
	}
	if o.WorkstationImage == "" {
		o.WorkstationImage = DefaultWorkstationImage
	}
	if o.PostgresImage == "" {
		o.PostgresImage = DefaultPostgresImage
	}
	if o.WorkstationBinary == "" {
		o.WorkstationBinary = os.Getenv("OPSLAB_WORKSTATION_BINARY")
	}
	if o.WorkstationBinary == "" {
		if exe, err := os.Executable(); err == nil {
			o.WorkstationBinary = filepath.Join(filepath.Dir(exe), "opslab-workstation")
		}
	}
	for _, v := range []int64{o.RedisOverheadBytes, o.KafkaMemoryBytes, o.NanoCPUs, o.RedisPids, o.KafkaPids, int64(o.StartTimeout), int64(o.KafkaPartitions), o.WorkstationMemoryBytes, o.WorkstationPids} {
		if v < 0 {
			return fmt.Errorf("%w: negative option", sandbox.ErrInvalid)
		}
	}
	setDefault(&o.RedisOverheadBytes, DefaultRedisOverheadBytes)
	setDefault(&o.KafkaMemoryBytes, DefaultKafkaMemoryBytes)
	setDefault(&o.NanoCPUs, DefaultNanoCPUs)
	setDefault(&o.RedisPids, DefaultRedisPids)
	setDefault(&o.KafkaPids, DefaultKafkaPids)
	setDefault(&o.StartTimeout, DefaultStartTimeout)
	setDefault(&o.AliveEvery, DefaultAliveEvery)
	setDefault(&o.KafkaPartitions, DefaultKafkaPartitions)
	setDefault(&o.WorkstationMemoryBytes, DefaultWorkstationMemoryBytes)
	setDefault(&o.WorkstationPids, DefaultWorkstationPids)
	if o.KafkaHeap == "" {
		o.KafkaHeap = DefaultKafkaHeap
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// engineHost names the engine for error messages.
func engineHost() string {
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		return "DOCKER_HOST=" + h
	}
	return "the default socket (DOCKER_HOST is not set)"
}

// Name returns "container".
func (d *Driver) Name() string { return Name }

// Close closes the host side of every relay and the engine client. It
// leaves the containers running, for a later run to adopt or remove.
func (d *Driver) Close() error {
	d.mu.Lock()
	for _, b := range d.running {
		b.closeRelays()
	}
	d.mu.Unlock()
	return d.cli.Close()
}

// Start starts the sandbox spec describes and returns once its server
// answers. See sandbox.Driver for the error contract.
func (d *Driver) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	if err := spec.Validate(); err != nil {
		return sandbox.Instance{}, fmt.Errorf("start sandbox: %w", err)
	}
	if err := os.Mkdir(d.dir(spec.ID), 0o700); err != nil {
		if errors.Is(err, os.ErrExist) {
			err = sandbox.ErrExists
		}
		return sandbox.Instance{}, fmt.Errorf("start %s sandbox %s: %w", spec.Kind, spec.ID, err)
	}
	var (
		b   *box
		err error
	)
	switch spec.Kind {
	case sandbox.KindRedis:
		b, err = d.startRedis(ctx, spec)
	case sandbox.KindKafka:
		b, err = d.startKafka(ctx, spec)
	case sandbox.KindRedisReplica, sandbox.KindRedisSentinel, sandbox.KindRedisCluster:
		b, err = d.startRedisGroup(ctx, spec)
	case sandbox.KindKafkaCluster:
		b, err = d.startKafkaCluster(ctx, spec)
	case sandbox.KindPostgres:
		b, err = d.startPostgres(ctx, spec)
	case sandbox.KindStack:
		b, err = d.startStack(ctx, spec)
	default:
		err = fmt.Errorf("%w: the container driver does not run %s sandboxes", sandbox.ErrUnsupported, spec.Kind)
	}
	if err != nil {
		d.remove(context.WithoutCancel(ctx), spec.ID)
		return sandbox.Instance{}, fmt.Errorf("start %s sandbox %s: %w", spec.Kind, spec.ID, err)
	}
	d.mu.Lock()
	d.running[spec.ID] = b
	d.mu.Unlock()
	return b.inst, nil
}

// Stop removes the sandbox id's containers and files, whether this Driver
// started it or an earlier run did. See sandbox.Driver.
func (d *Driver) Stop(ctx context.Context, id string) error {
	if err := sandbox.ValidateID(id); err != nil {
		return fmt.Errorf("stop sandbox: %w", err)
	}
	d.mu.Lock()
	b := d.running[id]
	delete(d.running, id)
	d.mu.Unlock()
	if b != nil {
		b.closeRelays()
	}
	found, err := d.remove(ctx, id)
	if err != nil {
		return fmt.Errorf("stop sandbox %s: %w", id, err)
	}
	if !found && b == nil {
		return fmt.Errorf("stop sandbox %s: %w", id, sandbox.ErrNotFound)
	}
	return nil
}

// remove force-removes id's containers (with their anonymous volumes) and
// directory, and reports whether any existed. The nodes of a multi-node
// sandbox that join the first node's network namespace go first, all at
// once; the first node's container, named containerName(id), last.
func (d *Driver) remove(ctx context.Context, id string) (bool, error) {
	found := false
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All: true,
		Filters: labelFilter(LabelApp+"=opslab", LabelScope+"="+d.opts.Scope,
			LabelSandbox+"="+id),
	})
	if err != nil {
		return false, fmt.Errorf("list the sandbox's containers: %w", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, c := range list.Items {
		if slices.Contains(c.Names, "/"+containerName(id)) || slices.Contains(c.Names, containerName(id)) {
			continue
		}
		found = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := d.cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !cerrdefs.IsNotFound(err) {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return found, fmt.Errorf("remove container: %w", errors.Join(errs...))
	}
	_, err = d.cli.ContainerRemove(ctx, containerName(id), client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil:
		found = true
	case cerrdefs.IsNotFound(err):
	default:
		return false, fmt.Errorf("remove container: %w", err)
	}
	if _, err := os.Stat(d.dir(id)); err == nil {
		found = true
	}
	if err := d.unmountAll(id); err != nil {
		return found, err
	}
	if err := os.RemoveAll(d.dir(id)); err != nil {
		return found, fmt.Errorf("remove sandbox directory: %w", err)
	}
	return found, nil
}

// Alive reports whether the sandbox id's containers are all running: a
// multi-node sandbox one of whose nodes stopped is dead.
func (d *Driver) Alive(ctx context.Context, id string) bool {
	d.mu.Lock()
	b := d.running[id]
	d.mu.Unlock()
	if b == nil {
		return false
	}
	if seen := b.seenAlive.Load(); seen != 0 && time.Since(time.Unix(0, seen)) < d.opts.AliveEvery {
		return true
	}
	for _, c := range b.containers() {
		res, err := d.cli.ContainerInspect(ctx, c, client.ContainerInspectOptions{})
		if err != nil || res.Container.State == nil || !res.Container.State.Running {
			b.seenAlive.Store(0)
			return false
		}
	}
	b.seenAlive.Store(time.Now().UnixNano())
	return true
}

// List returns the id of every sandbox of this scope: each container
// labelled with it and each directory, running or left over, sorted.
func (d *Driver) List(ctx context.Context) ([]string, error) {
	list, err := d.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: labelFilter(LabelApp+"=opslab", LabelScope+"="+d.opts.Scope),
	})
	if err != nil {
		return nil, fmt.Errorf("list sandbox containers: %w", err)
	}
	seen := map[string]bool{}
	for _, c := range list.Items {
		if id := c.Labels[LabelSandbox]; sandbox.ValidateID(id) == nil {
			seen[id] = true
		}
	}
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && sandbox.ValidateID(e.Name()) == nil {
			seen[e.Name()] = true
		}
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// dir returns the sandbox id's directory on the host; mnt is the part of
// it mounted into the container.
func (d *Driver) dir(id string) string { return filepath.Join(d.root, id) }
func (d *Driver) mnt(id string) string { return filepath.Join(d.root, id, "mnt") }

// nodeMnt returns the part of the sandbox id's directory mounted into the
// container of its node i (of a multi-node kind): n0, n1, ... short, so
// that a socket path is no longer than a single-node sandbox's.
func (d *Driver) nodeMnt(id string, i int) string {
	return filepath.Join(d.root, id, "n"+strconv.Itoa(i))
}

// containerName returns the name of the sandbox id's container, or of the
// first node's container for a multi-node kind.
func containerName(id string) string { return "opslab-" + id }

// nodeContainerName returns the name of the container of node i, called
// name, of the multi-node sandbox id: the first node's is containerName(id).
func nodeContainerName(id string, i int, name string) string {
	if i == 0 {
		return containerName(id)
	}
	return containerName(id) + "-" + name
}
