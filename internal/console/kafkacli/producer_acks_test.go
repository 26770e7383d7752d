package kafkacli_test

import (
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

// --request-required-acks takes what the producer's acks config takes,
// "all" included, as Kafka's ConsoleProducer does.
func TestProducerRequestRequiredAcks(t *testing.T) {
	for _, acks := range []string{"all", "-1", "0", "1"} {
		if _, err := kafkacli.Parse("kafka-console-producer --topic t --request-required-acks " + acks + " --message m"); err != nil {
			t.Errorf("acks %s: %v", acks, err)
		}
	}
	line := "kafka-console-producer --topic t --request-required-acks 2 --message m"
	want := "org.apache.kafka.common.config.ConfigException: Invalid value 2 for configuration acks: String must be one of: all, -1, 0, 1"
	if _, err := kafkacli.Parse(line); err == nil || err.Error() != want {
		t.Fatalf("%s: got %v, want %q", line, err, want)
	}

	b := newBroker(t)
	line = "kafka-console-producer --topic acked --request-required-acks all --message a --message b"
	wantOutput(t, line, mustRun(t, b, line), "")
}
