package process_test

import (
	"context"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// BenchmarkStartRedis measures Start alone: from spawning redis-server to
// its first answer to AUTH and PING. Stops are not timed.
func BenchmarkStartRedis(b *testing.B) {
	benchmarkStart(b, sandbox.KindRedis)
}

// BenchmarkStartKafka measures Start of an in-process kfake cluster.
func BenchmarkStartKafka(b *testing.B) {
	benchmarkStart(b, sandbox.KindKafka)
}

func benchmarkStart(b *testing.B, kind sandbox.Kind) {
	d := mustDriver(b, process.Options{})
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
