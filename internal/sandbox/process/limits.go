package process

import (
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
)

// What the fence of each kind allows beyond the sandbox's memory cap (Spec
// MemoryCap, call it M: Redis's maxmemory, a Kafka partition's retention).
const (
	// redisOverhead is a Redis node's memory beyond M: the server itself,
	// Lua, client buffers and a fork's copied pages.
	redisOverhead = 64 << 20
	// redisDiskFactor sizes a Redis node's share of the tmpfs: room for an
	// RDB and an AOF of a full dataset, which AOF rewrites need side by side.
	redisDiskFactor = 2
	// redisPids is a Redis node's processes and threads: the server, its
	// background threads and a BGSAVE child.
	redisPids = 32
	// kfakeOverhead is a kfake process's memory beyond twice M (the
	// retention trims each partition to M only every few seconds).
	kfakeOverhead = 96 << 20
	// kfakePids bounds a kfake process's threads (it runs GOMAXPROCS=1).
	kfakePids = 64
	// apacheMemory is a real broker's JVM: its heap (-Xmx256m), metaspace,
	// code cache, thread stacks and direct buffers.
	apacheMemory = 768 << 20
	// apachePids bounds a JVM's threads.
	apachePids = 512
	// apacheLogDisk is the broker's own files beside its partitions: the
	// KRaft metadata log, its output and its temporary files.
	apacheLogDisk = 64 << 20
)

// Limits returns the fence of a sandbox for spec (see package fence): at
// most one core, and for each of its n nodes
//
//   - Redis: M+64 MiB of memory, 2M of tmpfs (counted in memory too, since
//     tmpfs pages are memory), 32 processes;
//   - kfake (one process for all its brokers): 2M+96 MiB, 64 threads, 1 MiB
//     of tmpfs (it keeps everything in memory);
//   - a real Apache Kafka broker (apacheKafka): 768 MiB of memory plus 4M+64
//     MiB of tmpfs for its partitions and metadata log, 512 threads;
//   - PostgreSQL (postgresLimits): 256 MiB plus its tmpfs of 96 MiB+2M,
//     64 processes;
//   - a stack: the sum of its PostgreSQL server's, its Redis node's and
//     its broker's, still one core (stackLimits).
func Limits(spec sandbox.Spec, apacheKafka bool) fence.Limits {
	m := spec.MemoryCap()
	switch {
	case spec.Kind == sandbox.KindStack:
		return stackLimits(m, apacheKafka)
	case spec.Kind == sandbox.KindPostgres:
		return postgresLimits(m)
	case spec.Kind.Family() == sandbox.KindKafka:
		return kafkaLimits(m, apacheKafka && spec.Kind == sandbox.KindKafka)
	}
	return redisLimits(m, int64(len(spec.Kind.Nodes())))
}

// kafkaLimits returns the fence of a kfake process (for all its brokers),
// or of one Apache Kafka broker, of memory cap m.
func kafkaLimits(m int64, apacheKafka bool) fence.Limits {
	if apacheKafka {
		disk := 4*m + apacheLogDisk
		return fence.Limits{MemoryBytes: apacheMemory + disk, MilliCPU: 1000, Pids: apachePids, DiskBytes: disk}
	}
	return fence.Limits{MemoryBytes: 2*m + kfakeOverhead, MilliCPU: 1000, Pids: kfakePids, DiskBytes: 1 << 20}
}

// redisLimits returns the fence of n Redis nodes of memory cap m.
func redisLimits(m, n int64) fence.Limits {
	disk := n * redisDiskFactor * m
	return fence.Limits{MemoryBytes: n*(m+redisOverhead) + disk, MilliCPU: 1000, Pids: int(n) * redisPids, DiskBytes: disk}
}
