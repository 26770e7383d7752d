package kafkacli_test

import (
	"testing"
	"time"
)

func TestTmpRejoin(t *testing.T) {
	b := newBroker(t)
	mustRun(t, b, "kafka-topics --create --topic orders --partitions 3")
	mustRun(t, b, "kafka-console-producer --topic orders --property parse.key=true --property key.separator=: --message a:1 --message b:2 --message c:3 --message d:4 --message e:5")
	for i := 0; i < 40; i++ {
		start := time.Now()
		out := mustRun(t, b, "kafka-console-consumer --topic orders --group g --from-beginning --max-messages 1 --timeout-ms 20000")
		t.Logf("run %d took %v: %q", i, time.Since(start), out)
	}
}
