// Package process is the default sandbox driver, which needs nothing but a
// redis-server binary: each Redis sandbox is a real redis-server child
// process in its own directory, reachable only through a unix socket there
// (and, as an option, a loopback TCP port relayed into it); each Kafka
// sandbox is a kfake cluster in a child process (opslab-kfake), or a real
// Apache Kafka broker, reached through a relay on a loopback port; each
// Postgres sandbox is a PostgreSQL server on a copy of a template data
// directory, reached through a unix socket in its directory (postgres.go,
// docs/postgres.md). Every sandbox is fenced by the kernel (see package
// fence): its own network namespace, cgroup, tmpfs folder and user id. It
// runs on Linux only.
package process

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/relay"
)

// Name is the driver's name, as returned by Driver.Name.
const Name = "process"

// Defaults of Options.
const (
	DefaultStartTimeout    = 5 * time.Second
	DefaultStopGrace       = time.Second
	DefaultKafkaPartitions = 3
	DefaultKafkaRetention  = 10 * time.Second
)

// socketName is the file name of a Redis sandbox's unix socket.
const socketName = "redis.sock"

// maxSocketPath is the longest unix socket path Linux accepts (108 bytes
// with the terminating NUL).
const maxSocketPath = 107

// Options configures a Driver. A zero field takes the default named beside it.
type Options struct {
	// Dir is the scratch directory (required). Sandboxes live in
	// Dir/sandboxes/<id>/. It must be short: a socket path
	// Dir/sandboxes/<id>/redis.sock must fit in 107 bytes, which leaves
	// about 45 bytes for Dir.
	Dir string
	// RedisServer is the redis-server binary. Default: "redis-server"
	// looked up on PATH.
	RedisServer string
	// LoopbackTCP makes each Redis sandbox also listen on 127.0.0.1 at a
	// random port (Instance.Redis.TCP), for tools that cannot use a unix
	// socket. Default off: the unix socket, readable only by this user, is
	// the only way in.
	LoopbackTCP bool
	// StartTimeout bounds how long Start waits for a server to accept
	// connections. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	// Default DefaultStopGrace.
	StopGrace time.Duration
	// KafkaPartitions is the partition count of topics created without
	// one (auto-created or created with -1). Default DefaultKafkaPartitions.
	KafkaPartitions int
	// KafkaRetention is how often a Kafka sandbox trims each partition to
	// its memory cap. Default DefaultKafkaRetention.
	KafkaRetention time.Duration
	// Kafka is what runs Kafka sandboxes. Default KafkaKfake.
	Kafka KafkaImpl
	// KafkaHome is where Apache Kafka's jars are (KafkaHome/libs), for
	// KafkaApache. Default FindKafkaHome().
	KafkaHome string
	// KafkaStartTimeout bounds how long Start waits for an Apache Kafka
	// broker to answer. Default DefaultKafkaStartTimeout.
	KafkaStartTimeout time.Duration
	// KfakeBinary is the opslab-kfake program that runs a kfake sandbox.
	// Default FindKfakeBinary().
	KfakeBinary string
	// PostgresBin is the folder of PostgreSQL's postgres and initdb
	// programs. Default: the newest /usr/lib/postgresql/<version>/bin.
	PostgresBin string
	// Fence configures the kernel's fence around each sandbox (see package
	// fence). Fence.Off runs sandboxes without it: for a single trusted
	// user, on a machine that cannot fence. Without Off, a machine that
	// cannot fence starts no sandbox, and FenceProblems says why.
	Fence fence.Options
}

// Driver runs sandboxes as described in the package comment. It implements
// sandbox.Driver (see Capabilities for what it supports), and is safe for
// concurrent use.
type Driver struct {
	opts      Options
	root      string // Dir/sandboxes
	redisPath string
	redisErr  error // why redis-server cannot run, if it cannot

	mu    sync.Mutex
	redis map[string]*child
	kafka map[string]*child // kfake children, by sandbox id

	apache  *apacheKafka      // nil unless Options.Kafka is KafkaApache
	brokers map[string]*child // Apache Kafka brokers, by sandbox id

	groups map[string]*redisGroup // multi-node Redis sandboxes, by id

	postgres *postgres // PostgreSQL's programs, template and servers

	fence *fence.Host
	boxes map[string]*box // every started sandbox's fence and relays, by id

	kfakePath string
	kfakeErr  error // why opslab-kfake cannot run, if it cannot
}

// box is what every sandbox has, whatever runs in it: its fence and the
// relays that reach into it.
type box struct {
	fence  *fence.Fence
	relays []*relay.Relay

	// The learner's home for the sandbox's workstations, made on first use.
	homeOnce sync.Once
	home     string
	homeErr  error
}

// New returns a Driver keeping its sandboxes under opts.Dir, which it
// creates. It returns an error wrapping sandbox.ErrInvalid for bad options.
// A missing redis-server binary is no error here: starting a Redis sandbox
// then fails with sandbox.ErrUnsupported, and Kafka sandboxes still work.
func New(opts Options) (*Driver, error) {
	if opts.Dir == "" {
		return nil, fmt.Errorf("new process driver: %w: no scratch directory", sandbox.ErrInvalid)
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	root := filepath.Join(dir, "sandboxes")
	// PostgreSQL's socket name is the longest of any kind's.
	if n := len(filepath.Join(root, strings.Repeat("x", sandbox.MaxIDLen), pgSocketName)); n > maxSocketPath {
		return nil, fmt.Errorf("new process driver: %w: scratch directory %q is too long: a sandbox socket path would take %d bytes, over the %d allowed; use a shorter one",
			sandbox.ErrInvalid, dir, n, maxSocketPath)
	}
	if opts.StartTimeout < 0 || opts.StopGrace < 0 || opts.KafkaPartitions < 0 || opts.KafkaRetention < 0 {
		return nil, fmt.Errorf("new process driver: %w: negative option", sandbox.ErrInvalid)
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.StopGrace == 0 {
		opts.StopGrace = DefaultStopGrace
	}
	if opts.KafkaPartitions == 0 {
		opts.KafkaPartitions = DefaultKafkaPartitions
	}
	if opts.KafkaRetention == 0 {
		opts.KafkaRetention = DefaultKafkaRetention
	}
	if opts.KafkaStartTimeout <= 0 {
		opts.KafkaStartTimeout = DefaultKafkaStartTimeout
	}
	if opts.Kafka, err = ParseKafkaImpl(string(opts.Kafka)); err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	host := fence.Detect(opts.Fence)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	if host.Fenced() {
		// Sandboxes run as their own users: they must be able to reach
		// their folders (the scratch directory is the driver's own).
		if err := os.Chmod(dir, 0o711); err != nil {
			return nil, fmt.Errorf("new process driver: %w", err)
		}
	}
	if err := host.PrepareRoot(root); err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	d := &Driver{
		opts:  opts,
		root:  root,
		redis: make(map[string]*child),
		kafka: make(map[string]*child),

		brokers: make(map[string]*child),

		groups: make(map[string]*redisGroup),

		postgres: newPostgres(opts.PostgresBin),

		fence: host,
		boxes: make(map[string]*box),
	}
	d.kfakePath, d.kfakeErr = findKfake(opts.KfakeBinary)
	if opts.Kafka == KafkaApache {
		d.apache = newApacheKafka(opts)
	}
	bin := opts.RedisServer
	if bin == "" {
		bin = "redis-server"
	}
	if d.redisPath, err = exec.LookPath(bin); err != nil {
		d.redisErr = fmt.Errorf("%w: redis-server not found (%v); install it, e.g. apt-get install redis-server", sandbox.ErrUnsupported, err)
	}
	return d, nil
}

// Fence returns what fences this Driver's sandboxes. While its Problems
// are not empty (a machine that cannot fence, without Options.Fence.Off),
// Start fails with sandbox.ErrUnsupported.
func (d *Driver) Fence() *fence.Host { return d.fence }

// Close removes the fences made ahead for sandboxes not yet started (see
// fence.Options.Seats). Sandboxes still running are the caller's to stop.
func (d *Driver) Close() error { return d.fence.Close() }

// Name returns "process".
func (d *Driver) Name() string { return Name }

// Start starts the sandbox spec describes and returns once its server
// accepts connections. See sandbox.Driver for the error contract.
func (d *Driver) Start(ctx context.Context, spec sandbox.Spec) (sandbox.Instance, error) {
	if err := spec.Validate(); err != nil {
		return sandbox.Instance{}, fmt.Errorf("start sandbox: %w", err)
	}
	b, err := d.claim(spec)
	if err != nil {
		return sandbox.Instance{}, fmt.Errorf("start %s sandbox %s: %w", spec.Kind, spec.ID, err)
	}
	var inst sandbox.Instance
	switch spec.Kind {
	case sandbox.KindRedis:
		inst, err = d.startRedis(ctx, spec, b)
	case sandbox.KindKafka:
		if d.apache != nil {
			inst, err = d.startApacheKafka(ctx, spec, b)
		} else {
			inst, err = d.startKfake(ctx, spec, b)
		}
	case sandbox.KindRedisReplica, sandbox.KindRedisSentinel:
		inst, err = d.startReplicated(ctx, spec, b)
	case sandbox.KindRedisCluster:
		inst, err = d.startRedisCluster(ctx, spec, b)
	case sandbox.KindKafkaCluster:
		inst, err = d.startKfake(ctx, spec, b)
	case sandbox.KindPostgres:
		inst, err = d.startPostgres(ctx, spec, b)
	case sandbox.KindStack:
		inst, err = d.startStack(ctx, spec, b)
	default:
		err = fmt.Errorf("%w: kind %s", sandbox.ErrUnsupported, spec.Kind)
	}
	if err != nil {
		d.unclaim(spec.ID)
		return sandbox.Instance{}, fmt.Errorf("start %s sandbox %s: %w", spec.Kind, spec.ID, err)
	}
	return inst, nil
}

// claim reserves spec.ID by making its fence, whose folder must not exist
// yet: this also guards against ids in use by a sandbox left over from an
// earlier run.
func (d *Driver) claim(spec sandbox.Spec) (*box, error) {
	f, err := d.fence.New(spec.ID, d.dir(spec.ID), Limits(spec, d.apache != nil))
	switch {
	case errors.Is(err, os.ErrExist):
		return nil, sandbox.ErrExists
	case errors.Is(err, fence.ErrUnfenced):
		return nil, fmt.Errorf("%w: %w; %s", sandbox.ErrUnsupported, err, fence.Summary(d.fence.Problems()))
	case err != nil:
		return nil, err
	}
	b := &box{fence: f}
	d.mu.Lock()
	d.boxes[spec.ID] = b
	d.mu.Unlock()
	return b, nil
}

// unclaim removes what claim made for id, and its relays.
func (d *Driver) unclaim(id string) error {
	d.mu.Lock()
	b := d.boxes[id]
	delete(d.boxes, id)
	d.mu.Unlock()
	if b == nil {
		return nil
	}
	for _, r := range b.relays {
		r.Close()
	}
	return b.fence.Close()
}

// listen opens a relay on the host's loopback (port 0: a free one) to the
// same port number inside b's fence, and keeps it with b.
func (d *Driver) listen(b *box, port int) (*relay.Relay, error) {
	// The relay may accept a connection before Listen returns: its dial
	// waits until r is set.
	var r *relay.Relay
	set := make(chan struct{})
	r, err := relay.Listen(port, func(ctx context.Context) (net.Conn, error) {
		<-set
		return b.fence.Dial(ctx, r.Addr())
	})
	close(set)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	b.relays = append(b.relays, r)
	d.mu.Unlock()
	return r, nil
}

// Stop stops the sandbox id and removes its directory. An id unknown to
// this Driver but with a directory left by an earlier run has its leftover
// redis-server processes killed and its directory removed. See
// sandbox.Driver for the error contract.
func (d *Driver) Stop(ctx context.Context, id string) error {
	if err := sandbox.ValidateID(id); err != nil {
		return fmt.Errorf("stop sandbox: %w", err)
	}
	d.mu.Lock()
	srv, k := d.redis[id], d.kafka[id]
	delete(d.redis, id)
	delete(d.kafka, id)
	broker := d.brokers[id]
	delete(d.brokers, id)
	group := d.groups[id]
	delete(d.groups, id)
	d.mu.Unlock()
	pg := d.postgres.take(id)

	// A stack sandbox has a server of several kinds: they stop at once.
	var stops []func() error
	if pg != nil {
		stops = append(stops, func() error { return d.stopPostgres(ctx, pg) })
	}
	if srv != nil {
		stops = append(stops, func() error { return d.stopChild(ctx, srv, "redis-server") })
	}
	if k != nil {
		stops = append(stops, func() error { return d.stopChild(ctx, k, "kfake") })
	}
	if broker != nil {
		stops = append(stops, func() error { return d.stopChild(ctx, broker, "kafka broker") })
	}
	if group != nil {
		stops = append(stops, func() error { return d.stopGroup(ctx, group) })
	}
	errs := make([]error, len(stops), len(stops)+1)
	var wg sync.WaitGroup
	for i, stop := range stops {
		wg.Go(func() { errs[i] = stop() })
	}
	wg.Wait()
	if len(stops) == 0 {
		d.mu.Lock()
		_, claimed := d.boxes[id]
		d.mu.Unlock()
		if !claimed {
			errs = append(errs, d.removeLeftover(ctx, id))
		}
	}
	err := errors.Join(errs...)
	err = errors.Join(err, d.unclaim(id))
	if err != nil {
		return fmt.Errorf("stop sandbox %s: %w", id, err)
	}
	return nil
}

// Alive reports whether the sandbox id was started by this Driver and its
// server still runs.
func (d *Driver) Alive(_ context.Context, id string) bool {
	d.mu.Lock()
	srv, k := d.redis[id], d.kafka[id]
	broker := d.brokers[id]
	group := d.groups[id]
	d.mu.Unlock()
	pg := d.postgres.server(id)
	// Every server the sandbox has must run: one dead breaks it (a stack's
	// database, cache or broker; any node of a multi-node sandbox).
	found := false
	for _, c := range []*child{pg, srv, broker, k} {
		if c != nil {
			found = true
			if c.exited() {
				return false
			}
		}
	}
	if group != nil {
		return !group.exited()
	}
	return found
}

// List returns the id of every sandbox with a directory: those running and
// those left over by an earlier run, sorted.
func (d *Driver) List(_ context.Context) ([]string, error) {
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return nil, fmt.Errorf("list sandboxes: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && sandbox.ValidateID(e.Name()) == nil {
			ids = append(ids, e.Name())
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// dir returns the directory of the sandbox id.
func (d *Driver) dir(id string) string { return filepath.Join(d.root, id) }
