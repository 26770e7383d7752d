package container

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/resp"
	"github.com/opslab/opslab/internal/sandbox"
)

// The benchmarks below report p50 and p95 in milliseconds (b.N is one
// batch of starts; each start is timed on its own). scripts/bench.sh runs
// them and docs/benchmarks.md records the results.

// BenchmarkRedisStartCold times Driver.Start of a Redis container until it
// answers AUTH and PING, beside a bare `podman run` of the same image with
// the same socket, timed until PING answers, interleaved in the same run.
func BenchmarkRedisStartCold(b *testing.B) {
	d := newDriver(b, shortDir(b))
	var ours, bare []time.Duration
	for b.Loop() {
		for range 10 {
			ours = append(ours, timeStart(b, d, sandbox.KindRedis))
			bare = append(bare, bareRedisRun(b, d.opts.RedisImage))
		}
	}
	report(b, "opslab", ours)
	report(b, "bare", bare)
}

// BenchmarkKafkaStartCold times Driver.Start of a real Apache Kafka
// container until the broker answers metadata, beside a bare `podman run`
// of the same image (until its JVM has started and exited: java -version).
func BenchmarkKafkaStartCold(b *testing.B) {
	d := newDriver(b, shortDir(b))
	var ours, bare []time.Duration
	for b.Loop() {
		for range 5 {
			ours = append(ours, timeStart(b, d, sandbox.KindKafka))
			bare = append(bare, timeCmd(b, "podman", "run", "--rm", "--network", "none", d.opts.KafkaImage, "java", "-version"))
		}
	}
	report(b, "opslab", ours)
	report(b, "bare-jvm", bare)
}

// BenchmarkKafkaClusterStartCold times Driver.Start of a kafka-cluster
// (three real brokers) until every broker is registered and a group
// coordinator answers, with the storage preformatted once per driver and
// copied to each broker, beside the baseline of a driver whose brokers
// each run kafka-storage format first, interleaved in the same run.
func BenchmarkKafkaClusterStartCold(b *testing.B) {
	ours := newDriver(b, shortDir(b))
	self := newDriver(b, shortDir(b))
	self.format.err = errors.New("benchmark baseline: every broker formats its own storage")
	var preformatted, formatting []time.Duration
	for b.Loop() {
		for range 3 {
			preformatted = append(preformatted, timeStart(b, ours, sandbox.KindKafkaCluster))
			formatting = append(formatting, timeStart(b, self, sandbox.KindKafkaCluster))
		}
	}
	report(b, "preformatted", preformatted)
	report(b, "self-format", formatting)
}

// BenchmarkBrokerStopStart times, on one kafka-cluster, StopNode of a
// broker (until no ISR lists it), StartNode (until it is registered
// again) and the time from the start until it is back in every ISR of a
// replication-factor-3 topic: what the broker drills cost a learner.
func BenchmarkBrokerStopStart(b *testing.B) {
	d := newDriver(b, shortDir(b))
	ctx := context.Background()
	s := spec(sandbox.KindKafkaCluster)
	inst, err := d.Start(ctx, s)
	if err != nil {
		b.Fatal(err)
	}
	defer d.Stop(ctx, s.ID)
	cl, err := kgo.NewClient(kgo.SeedBrokers(inst.Kafka.Seeds...))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	if _, err := adm.CreateTopic(ctx, 3, 3, nil, "bench"); err != nil {
		b.Fatal(err)
	}
	fullISR := func() bool {
		td, err := adm.ListTopics(ctx, "bench")
		if err != nil || len(td["bench"].Partitions) != 3 {
			return false
		}
		for _, p := range td["bench"].Partitions {
			if len(p.ISR) != 3 {
				return false
			}
		}
		return true
	}
	var stops, starts, rejoins []time.Duration
	for b.Loop() {
		for range 3 {
			for !fullISR() {
				time.Sleep(100 * time.Millisecond)
			}
			begin := time.Now()
			if err := d.StopNode(ctx, s.ID, "broker-2"); err != nil {
				b.Fatal(err)
			}
			stops = append(stops, time.Since(begin))
			begin = time.Now()
			if err := d.StartNode(ctx, s.ID, "broker-2"); err != nil {
				b.Fatal(err)
			}
			starts = append(starts, time.Since(begin))
			for !fullISR() {
				time.Sleep(100 * time.Millisecond)
			}
			rejoins = append(rejoins, time.Since(begin))
		}
	}
	report(b, "stop", stops)
	report(b, "start", starts)
	report(b, "start-to-full-isr", rejoins)
}

// BenchmarkKafkaStartWarm times Manager.Acquire of a Kafka sandbox while
// the warm pool holds two: the cost of claiming one. The pool is let refill
// between acquires, untimed.
func BenchmarkKafkaStartWarm(b *testing.B) {
	benchmarkWarm(b, sandbox.KindKafka, 5)
}

// BenchmarkKafkaClusterStartWarm is BenchmarkKafkaStartWarm for a
// kafka-cluster (--sandbox-warm-kafka-cluster): three brokers claimed.
func BenchmarkKafkaClusterStartWarm(b *testing.B) {
	benchmarkWarm(b, sandbox.KindKafkaCluster, 3)
}

// BenchmarkRedisStartWarm is BenchmarkKafkaStartWarm for Redis.
func BenchmarkRedisStartWarm(b *testing.B) {
	benchmarkWarm(b, sandbox.KindRedis, 10)
}

func benchmarkWarm(b *testing.B, kind sandbox.Kind, n int) {
	d := newDriver(b, shortDir(b))
	m, err := sandbox.NewManager(d, nil, sandbox.Config{Warm: map[sandbox.Kind]int{kind: 2}})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go m.Run(ctx)
	defer m.StopAll(context.Background())
	var times []time.Duration
	owner := int64(1)
	for b.Loop() {
		for range n {
			deadline := time.Now().Add(2 * time.Minute)
			for m.Warm(kind) < 2 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			begin := time.Now()
			if _, _, err := m.Acquire(ctx, owner, lessonKey("bench/lesson"), kind); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(begin))
			if err := m.Release(ctx, owner, lessonKey("bench/lesson"), kind); err != nil {
				b.Fatal(err)
			}
			owner++
		}
	}
	report(b, "warm", times)
}

// BenchmarkMemoryPerSandbox reports the memory each kind of sandbox
// container holds once idle (its cgroup's usage, from the engine's stats),
// and how many fit in 24 GiB beside 2 GiB for the platform.
func BenchmarkMemoryPerSandbox(b *testing.B) {
	d := newDriver(b, shortDir(b))
	for b.Loop() {
		for _, kind := range []sandbox.Kind{sandbox.KindRedis, sandbox.KindKafka} {
			var total int64
			const n = 3
			var ids []string
			for range n {
				inst, err := d.Start(context.Background(), spec(kind))
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, inst.Spec.ID)
			}
			time.Sleep(10 * time.Second) // let the JVM settle
			for _, id := range ids {
				total += memoryUsage(b, d, id)
				_ = d.Stop(context.Background(), id)
			}
			per := float64(total) / n / (1 << 20)
			b.ReportMetric(per, string(kind)+"-MiB")
			b.ReportMetric(float64(22<<10)/per, string(kind)+"-fit-24GiB")
		}
	}
}

// memoryUsage returns the container's memory usage without page cache.
func memoryUsage(b *testing.B, d *Driver, id string) int64 {
	st, err := d.cli.ContainerStats(context.Background(), containerName(id), client.ContainerStatsOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Body.Close()
	var s container.StatsResponse
	if err := json.NewDecoder(st.Body).Decode(&s); err != nil {
		b.Fatal(err)
	}
	usage := int64(s.MemoryStats.Usage)
	for _, k := range []string{"inactive_file", "total_inactive_file", "cache"} {
		if v, ok := s.MemoryStats.Stats[k]; ok && int64(v) < usage {
			usage -= int64(v)
			break
		}
	}
	return usage
}

// timeStart times one Driver.Start, then stops the sandbox untimed.
func timeStart(b *testing.B, d *Driver, kind sandbox.Kind) time.Duration {
	s := spec(kind)
	begin := time.Now()
	if _, err := d.Start(context.Background(), s); err != nil {
		b.Fatal(err)
	}
	took := time.Since(begin)
	if err := d.Stop(context.Background(), s.ID); err != nil {
		b.Fatal(err)
	}
	return took
}

// bareRedisRun times `podman run -d` of image serving a unix socket in a
// fresh directory, until PING answers, then removes the container.
func bareRedisRun(b *testing.B, image string) time.Duration {
	dir := shortDir(b)
	_ = os.Chmod(dir, 0o777)
	name := fmt.Sprintf("opslab-bench-%d", time.Now().UnixNano())
	begin := time.Now()
	out, err := exec.Command("podman", "run", "-d", "--name", name, "--network", "none", "-v", dir+":/run/opslab",
		image, "redis-server", "--port", "0", "--unixsocket", "/run/opslab/redis.sock", "--unixsocketperm", "777", "--save", "").CombinedOutput()
	if err != nil {
		b.Fatalf("podman run: %v: %s", err, out)
	}
	sock := filepath.Join(dir, "redis.sock")
	for {
		if c, err := resp.Dial(context.Background(), "unix", sock); err == nil {
			v, err := c.Do(context.Background(), "PING")
			c.Close()
			if err == nil && v.Str == "PONG" {
				break
			}
		}
		if time.Since(begin) > 30*time.Second {
			b.Fatal("bare redis container did not answer")
		}
		time.Sleep(2 * time.Millisecond)
	}
	took := time.Since(begin)
	_ = exec.Command("podman", "rm", "-f", "-t", "0", name).Run()
	return took
}

// timeCmd times a command to its end.
func timeCmd(b *testing.B, name string, args ...string) time.Duration {
	begin := time.Now()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		b.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return time.Since(begin)
}

// report adds the p50, p95 (nearest rank below) and the maximum of times,
// in milliseconds, as metrics.
func report(b *testing.B, what string, times []time.Duration) {
	if len(times) == 0 {
		return
	}
	s := slices.Clone(times)
	slices.Sort(s)
	pct := func(p float64) float64 {
		i := int(p * float64(len(s)-1))
		return float64(s[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), what+"-p50-ms")
	b.ReportMetric(pct(0.95), what+"-p95-ms")
	// With a handful of samples p95 is the sample below the slowest:
	// the slowest is shown too.
	b.ReportMetric(float64(s[len(s)-1].Microseconds())/1000, what+"-max-ms")
	b.ReportMetric(0, "ns/op")
}
