package process_test

import (
	"context"
	"testing"

	"github.com/opslab/opslab/internal/sandbox"
)

// BenchmarkStartKafkaApache measures a cold Start of a real Apache Kafka
// sandbox: a new JVM, from spawning it to the broker answering metadata
// with a group coordinator ready. The once-per-Driver storage format is
// done before the timer starts; stops are not timed.
func BenchmarkStartKafkaApache(b *testing.B) {
	d := apacheDriver(b, "")
	ctx := context.Background()
	warm := spec(sandbox.KindKafka) // formats the bootstrap template
	if _, err := d.Start(ctx, warm); err != nil {
		b.Fatal(err)
	}
	if err := d.Stop(ctx, warm.ID); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s := spec(sandbox.KindKafka)
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

// BenchmarkStartKafkaApacheFirst measures the first Start of a Driver,
// which also runs kafka-storage format once (a second JVM).
func BenchmarkStartKafkaApacheFirst(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		d := apacheDriver(b, "")
		s := spec(sandbox.KindKafka)
		b.StartTimer()
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
