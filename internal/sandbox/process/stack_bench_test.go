package process_test

import (
	"context"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// BenchmarkStartStack measures Start of a fenced stack sandbox (kfake
// broker): one fence, then PostgreSQL, redis-server and kfake started at
// once, returning when all three answer. Its baseline in the same run is
// BenchmarkStartPostgres, the slowest of the three alone. The postgres
// template is made before the timing; stops are not timed. It reports
// the median and 95th percentile (p50-ms, p95-ms).
func BenchmarkStartStack(b *testing.B) {
	d := mustDriver(b, process.Options{})
	ctx := context.Background()
	warm := spec(sandbox.KindStack)
	if _, err := d.Start(ctx, warm); err != nil {
		b.Fatal(err)
	}
	if err := d.Stop(ctx, warm.ID); err != nil {
		b.Fatal(err)
	}
	var times []time.Duration
	for b.Loop() {
		s := spec(sandbox.KindStack)
		t0 := time.Now()
		if _, err := d.Start(ctx, s); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t0))
		b.StopTimer()
		if err := d.Stop(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportQuantiles(b, times)
}
