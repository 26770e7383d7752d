package process_test

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/fence"
	"github.com/opslab/opslab/internal/sandbox/process"
)

// BenchmarkKafkaStartAndSetup measures a Kafka sandbox's start and a
// two-line setup through the console (kafka-topics --create, then
// --delete), fenced and unfenced in the same run, and reports each part:
// start-us (Start until kfake listens), cmd1-us (the first command, which
// opens the first connections through the relay) and cmds-us (both).
func BenchmarkKafkaStartAndSetup(b *testing.B) {
	for _, off := range []bool{false, true} {
		name := "fenced"
		if off {
			name = "unfenced"
		}
		b.Run(name, func(b *testing.B) {
			d := mustDriver(b, process.Options{Fence: fence.Options{Off: off}})
			ctx := context.Background()
			var tStart, tCmd1, tCmd2 time.Duration
			n := 0
			for b.Loop() {
				s := spec(sandbox.KindKafka)
				t0 := time.Now()
				inst, err := d.Start(ctx, s)
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				br := kafkacli.Broker{Seeds: inst.Kafka.Seeds}
				for i, line := range []string{"kafka-topics --create --topic audit --partitions 1 --if-not-exists", "kafka-topics --delete --topic orders --if-exists"} {
					c, err := kafkacli.Parse(line)
					if err != nil {
						b.Fatal(err)
					}
					if err := kafkacli.Run(ctx, br, c, io.Discard); err != nil {
						b.Fatal(err)
					}
					if i == 0 {
						tCmd1 += time.Since(t1)
					}
				}
				tCmd2 += time.Since(t1)
				tStart += t1.Sub(t0)
				n++
				b.StopTimer()
				if err := d.Stop(ctx, s.ID); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(tStart.Microseconds())/float64(n), "start-us")
			b.ReportMetric(float64(tCmd1.Microseconds())/float64(n), "cmd1-us")
			b.ReportMetric(float64(tCmd2.Microseconds())/float64(n), "cmds-us")
		})
	}
}
