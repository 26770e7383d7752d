package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/container"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// driverFlags are the flags of serve and test that choose and configure the
// sandbox driver: --sandbox, the Kafka flags, the container driver's images
// and limits, and the warm pool.
type driverFlags struct {
	name  string
	kafka kafkaFlags

	redisImage       string
	kafkaImage       string
	relay            string
	cpus             float64
	kafkaMemoryMB    int
	redisPids        int
	kafkaPids        int
	warmRedis        int
	workstationImage string
	postgresImage    string
	warmKafka        int
	warmCluster      int
	unfenced         bool
}

// register adds the flags to fs.
func (f *driverFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.name, "sandbox", "process", "sandbox driver: process (child processes, nothing to install) or container (Docker Engine API at $DOCKER_HOST; see make engine)")
	f.kafka.register(fs)
	fs.StringVar(&f.redisImage, "redis-image", envOr("OPSLAB_REDIS_IMAGE", container.DefaultRedisImage), "container driver: the Redis `IMAGE` (default $OPSLAB_REDIS_IMAGE, else the official image)")
	fs.StringVar(&f.kafkaImage, "kafka-image", envOr("OPSLAB_KAFKA_IMAGE", container.DefaultKafkaImage), "container driver: the Apache Kafka `IMAGE` (default $OPSLAB_KAFKA_IMAGE, else the official image)")
	fs.StringVar(&f.postgresImage, "postgres-image", envOr("OPSLAB_POSTGRES_IMAGE", container.DefaultPostgresImage), "container driver: the PostgreSQL `IMAGE` of postgres sandboxes (default $OPSLAB_POSTGRES_IMAGE; make engine builds one)")
	fs.StringVar(&f.workstationImage, "workstation-image", envOr("OPSLAB_WORKSTATION_IMAGE", container.DefaultWorkstationImage), "container driver: the learners' workstation `IMAGE` (default $OPSLAB_WORKSTATION_IMAGE; make engine builds one)")
	fs.StringVar(&f.relay, "container-relay", "", "container driver: the static opslab-relay `BINARY` mounted into Kafka containers (default: beside this executable)")
	fs.Float64Var(&f.cpus, "sandbox-cpus", 1, "container driver: CPUs each sandbox container may use")
	fs.IntVar(&f.kafkaMemoryMB, "sandbox-kafka-memory-mb", 1024, "container driver: memory limit of each Kafka container, in MiB (a Redis container gets its --sandbox-memory-mb cap plus 64)")
	fs.IntVar(&f.redisPids, "sandbox-redis-pids", container.DefaultRedisPids, "container driver: processes and threads a Redis container may hold")
	fs.IntVar(&f.kafkaPids, "sandbox-kafka-pids", container.DefaultKafkaPids, "container driver: processes and threads a Kafka container may hold (the JVM's threads count)")
	fs.BoolVar(&f.unfenced, "unfenced", false, "process driver: run sandboxes WITHOUT the kernel's fence (no network namespace, cgroup, tmpfs or user of their own), for a single trusted user on a machine that cannot fence; without it such a machine starts no sandbox")
	fs.IntVar(&f.warmRedis, "sandbox-warm-redis", 0, "Redis sandboxes kept started and ready to hand out")
	fs.IntVar(&f.warmKafka, "sandbox-warm-kafka", -1, "Kafka sandboxes kept started and ready to hand out (default: 2 for a real Apache Kafka, by --sandbox container or --kafka apache; 0 for kfake)")
	fs.IntVar(&f.warmCluster, "sandbox-warm-kafka-cluster", 0, "kafka-cluster sandboxes (three brokers each) kept started and ready to hand out: worth 1 or 2 with --sandbox container, where one starts in about 10 s")
}

// realKafka reports whether Kafka sandboxes run a real Apache Kafka.
func (f *driverFlags) realKafka() bool {
	return f.name == container.Name || f.kafka.impl == string(process.KafkaApache)
}

// check validates the flags without touching the machine.
func (f *driverFlags) check(cmd string) error {
	switch f.name {
	case process.Name, container.Name:
	default:
		return fmt.Errorf("%s: --sandbox must be process or container, not %q", cmd, f.name)
	}
	if f.name == container.Name && (f.kafka.impl != string(process.KafkaKfake) || f.kafka.home != "") {
		return fmt.Errorf("%s: --kafka and --kafka-home are for --sandbox process; the container driver always runs Apache Kafka (--kafka-image)", cmd)
	}
	if f.name == container.Name && f.unfenced {
		return fmt.Errorf("%s: --unfenced is for --sandbox process; containers are always fenced", cmd)
	}
	if f.cpus <= 0 || f.kafkaMemoryMB < 256 {
		return fmt.Errorf("%s: --sandbox-cpus must be above 0 and --sandbox-kafka-memory-mb at least 256", cmd)
	}
	if f.redisPids < 8 || f.kafkaPids < 64 {
		return fmt.Errorf("%s: --sandbox-redis-pids must be at least 8 and --sandbox-kafka-pids at least 64", cmd)
	}
	if f.warmRedis < 0 || f.warmRedis > sandbox.MaxWarm || f.warmKafka < -1 || f.warmKafka > sandbox.MaxWarm ||
		f.warmCluster < 0 || f.warmCluster > sandbox.MaxWarm {
		return fmt.Errorf("%s: --sandbox-warm-redis, --sandbox-warm-kafka and --sandbox-warm-kafka-cluster must be 0 to %d", cmd, sandbox.MaxWarm)
	}
	return nil
}

// warm returns the warm pool sizes.
func (f *driverFlags) warm() map[sandbox.Kind]int {
	kafka := f.warmKafka
	if kafka < 0 {
		kafka = 0
		if f.realKafka() {
			kafka = 2
		}
	}
	return map[sandbox.Kind]int{sandbox.KindRedis: f.warmRedis, sandbox.KindKafka: kafka, sandbox.KindKafkaCluster: f.warmCluster}
}

// newDriver builds the chosen driver over scratch. loopbackTCP asks the
// process driver for TCP ports learners' own clients can use.
func (f *driverFlags) newDriver(ctx context.Context, cmd, scratch string, loopbackTCP bool) (sandbox.Driver, error) {
	if err := f.check(cmd); err != nil {
		return nil, err
	}
	if f.name == container.Name {
		d, err := container.New(ctx, container.Options{
			Dir:              scratch,
			RedisImage:       f.redisImage,
			KafkaImage:       f.kafkaImage,
			RelayBinary:      f.relay,
			WorkstationImage: f.workstationImage,
			PostgresImage:    f.postgresImage,
			NanoCPUs:         int64(f.cpus * 1e9),
			KafkaMemoryBytes: int64(f.kafkaMemoryMB) << 20,
			LoopbackTCP:      loopbackTCP,
			RedisPids:        int64(f.redisPids),
			KafkaPids:        int64(f.kafkaPids),
		})
		if err != nil {
			return nil, fmt.Errorf("%s: sandbox driver: %w", cmd, err)
		}
		return d, nil
	}
	opts, err := f.kafka.options(cmd, process.Options{Dir: scratch, LoopbackTCP: loopbackTCP, Fence: fence.Options{Off: f.unfenced}})
	if err != nil {
		return nil, err
	}
	d, err := process.New(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: sandbox driver: %w", cmd, err)
	}
	return d, nil
}

// fenceProblems returns what this machine lacks to fence drv's sandboxes:
// empty for a fenced or --unfenced process driver, and for containers.
func fenceProblems(drv sandbox.Driver) []fence.Problem {
	if d, ok := drv.(*process.Driver); ok {
		return d.Fence().Problems()
	}
	return nil
}

// reportFence logs how sandboxes are fenced, or, when they cannot be,
// every missing piece with how to get it: no sandbox starts then.
func reportFence(log *slog.Logger, drv sandbox.Driver) {
	d, ok := drv.(*process.Driver)
	switch {
	case !ok:
		log.Info("sandbox fence", "fence", "a container per sandbox (see docs/containers.md)")
		return
	case d.Fence().Off():
		log.Warn("sandboxes are NOT fenced: any learner can reach this machine's network and exhaust its memory, CPU and disk", "fence", d.Fence().Describe())
		return
	case d.Fence().Fenced():
		log.Info("sandbox fence", "fence", d.Fence().Describe())
		return
	}
	for _, p := range d.Fence().Problems() {
		log.Error("sandboxes cannot be fenced", "missing", p.What, "fix", p.Fix)
	}
	log.Error("no sandbox will start until the fence is available, or serve runs with --unfenced (a single trusted user only); lessons are served")
}

// envOr returns the environment variable name, or def when it is unset.
func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
