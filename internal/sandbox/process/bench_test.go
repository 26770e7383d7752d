package process_test

import (
	"context"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// BenchmarkStartRedis measures Start alone: from making the sandbox's fence
// and spawning redis-server in it to its first answer to AUTH and PING.
// Stops are not timed. The Unfenced variant is the same without the fence,
// measured in the same run: the difference is what the fence costs.
func BenchmarkStartRedis(b *testing.B) {
	benchmarkStart(b, sandbox.KindRedis, fence.Options{})
}

// BenchmarkStartRedisUnfenced is BenchmarkStartRedis with --unfenced.
func BenchmarkStartRedisUnfenced(b *testing.B) {
	benchmarkStart(b, sandbox.KindRedis, fence.Options{Off: true})
}

// BenchmarkStartKafka measures Start of a kfake cluster in its opslab-kfake
// child process, fenced, until it listens.
func BenchmarkStartKafka(b *testing.B) {
	benchmarkStart(b, sandbox.KindKafka, fence.Options{})
}

// BenchmarkStartKafkaUnfenced is BenchmarkStartKafka with --unfenced.
func BenchmarkStartKafkaUnfenced(b *testing.B) {
	benchmarkStart(b, sandbox.KindKafka, fence.Options{Off: true})
}

func benchmarkStart(b *testing.B, kind sandbox.Kind, fo fence.Options) {
	d := mustDriver(b, process.Options{Fence: fo})
	ctx := context.Background()
	for b.Loop() {
		s := spec(kind)
		if _, err := d.Start(ctx, s); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := d.Stop(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
