package kafkacli_test

import (
	"testing"

	"github.com/opslab/opslab/internal/console/kafkacli"
)

func TestQuotasAlterDescribe(t *testing.T) {
	b := newBroker(t)
	line := "kafka-configs --bootstrap-server localhost:9092 --entity-type clients --entity-name acme-ingest --alter --add-config producer_byte_rate=1048576,consumer_byte_rate=20971520"
	wantOutput(t, line, mustRun(t, b, line), "Completed updating config for client acme-ingest.\n")
	line = "kafka-configs --entity-type users --entity-default --alter --add-config request_percentage=25"
	wantOutput(t, line, mustRun(t, b, line), "Completed updating default config for users in the cluster.\n")
	mustRun(t, b, "kafka-configs --entity-type users --entity-name acme --entity-type clients --entity-name acme-ingest --alter --add-config controller_mutation_rate=10")

	line = "kafka-configs --entity-type clients --entity-name acme-ingest --describe"
	wantOutput(t, line, mustRun(t, b, line), "Quota configs for client-id 'acme-ingest' are consumer_byte_rate=2.097152E7, producer_byte_rate=1048576.0\n")
	line = "kafka-configs --entity-type users --entity-default --describe"
	wantOutput(t, line, mustRun(t, b, line), "Quota configs for the default user-principal are request_percentage=25.0\n")
	line = "kafka-configs --user acme --client acme-ingest --describe"
	wantOutput(t, line, mustRun(t, b, line), "Quota configs for user-principal 'acme', client-id 'acme-ingest' are controller_mutation_rate=10.0\n")

	line = "kafka-configs --entity-type clients --entity-name acme-ingest --alter --delete-config consumer_byte_rate"
	mustRun(t, b, line)
	line = "kafka-configs --entity-type clients --entity-name acme-ingest --describe"
	wantOutput(t, line, mustRun(t, b, line), "Quota configs for client-id 'acme-ingest' are producer_byte_rate=1048576.0\n")
	wantError(t, b, "kafka-configs --entity-type clients --entity-name acme-ingest --alter --delete-config consumer_byte_rate", "Invalid config(s): consumer_byte_rate")
}

func TestQuotasParseErrors(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"kafka-configs --entity-type clients --entity-name c --alter --add-config retention.ms=1",
			"Error while executing config command with args '--entity-type clients --entity-name c --alter --add-config retention.ms=1'\njava.lang.IllegalArgumentException: Only quota configs can be added for 'clients' using --bootstrap-server. Unexpected config names: Set(retention.ms)"},
		{"kafka-configs --entity-type clients --entity-name c --alter --add-config producer_byte_rate=fast",
			"Error while executing config command with args '--entity-type clients --entity-name c --alter --add-config producer_byte_rate=fast'\njava.lang.IllegalArgumentException: Cannot parse quota configuration value for producer_byte_rate: fast"},
		{"kafka-configs --entity-type clients --entity-name c --entity-name d --describe", "More entity names specified than entity types"},
	} {
		_, err := kafkacli.Parse(c.line)
		if err == nil || err.Error() != c.want {
			t.Errorf("%s:\n got %v\nwant %s", c.line, err, c.want)
		}
	}
}
