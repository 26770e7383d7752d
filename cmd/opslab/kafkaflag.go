package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opslab/opslab/internal/sandbox/process"
)

// kafkaFlags are the --kafka and --kafka-home flags of serve and test: what
// runs a Kafka sandbox of the process driver, and where Apache Kafka is.
type kafkaFlags struct {
	impl string
	home string
}

// register adds the flags to fs.
func (k *kafkaFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&k.impl, "kafka", string(process.KafkaKfake),
		"what runs Kafka sandboxes: kfake (in-process, nothing to install) or apache (a real Apache Kafka broker per sandbox; needs Java 17+ and scripts/fetch-kafka.sh)")
	fs.StringVar(&k.home, "kafka-home", "",
		"Apache Kafka's `DIR` (DIR/libs/*.jar) for --kafka apache (default: $KAFKA_HOME, else the .cache/kafka-<version> of scripts/fetch-kafka.sh)")
}

// options checks the flags and fills in the Kafka fields of opts. With
// --kafka apache it fails unless the jars and Java are there, saying how to
// get them, so that a misconfigured server does not start.
func (k *kafkaFlags) options(cmd string, opts process.Options) (process.Options, error) {
	impl, err := process.ParseKafkaImpl(k.impl)
	if err != nil {
		return opts, fmt.Errorf("%s: --kafka must be kfake or apache, not %q", cmd, k.impl)
	}
	if impl == process.KafkaKfake && k.home != "" {
		return opts, fmt.Errorf("%s: --kafka-home is for --kafka apache", cmd)
	}
	opts.Kafka = impl
	if impl != process.KafkaApache {
		return opts, nil
	}
	home := k.home
	if home == "" {
		home = process.FindKafkaHome()
	}
	if home == "" {
		return opts, fmt.Errorf("%s: --kafka apache: Apache Kafka not found: run scripts/fetch-kafka.sh (or make kafka-jars), or pass --kafka-home DIR or set KAFKA_HOME", cmd)
	}
	if jars, _ := filepath.Glob(filepath.Join(home, "libs", "kafka_*.jar")); len(jars) == 0 {
		if _, err := os.Stat(home); err != nil {
			return opts, fmt.Errorf("%s: --kafka apache: %w", cmd, err)
		}
		return opts, fmt.Errorf("%s: --kafka apache: no Apache Kafka jars in %s/libs; run scripts/fetch-kafka.sh %s", cmd, home, home)
	}
	opts.KafkaHome = home
	return opts, nil
}
