#!/bin/sh
# Captures the --help output of the real tools into testdata/help, which
# TestCourseFlagsAreReal reads. Run from this folder, with Apache Kafka
# 4.1.0 unpacked in KAFKA (the scripts need Java) and redis-cli 7 on the
# PATH:
#
#   KAFKA=/work/main/.cache/kafka-4.1.0 sh capture.sh
#
# Every file is the tool's output (stdout and stderr) as printed; a
# subcommand's help goes to TOOL.SUBCOMMAND.txt.
set -u
out=help
k="${KAFKA:?set KAFKA to an Apache Kafka 4.1.0 folder}/bin"
for t in kafka-acls kafka-broker-api-versions kafka-configs kafka-console-consumer \
	kafka-console-producer kafka-consumer-groups kafka-consumer-perf-test \
	kafka-delete-records kafka-dump-log kafka-get-offsets kafka-leader-election \
	kafka-log-dirs kafka-producer-perf-test kafka-reassign-partitions kafka-topics; do
	"$k/$t.sh" --help >"$out/$t.txt" 2>&1
done
# Tools with subcommands (argparse4j): the top level and each subcommand.
sub() {
	t=$1; shift
	"$k/$t.sh" --help >"$out/$t.txt" 2>&1
	for s in "$@"; do "$k/$t.sh" "$s" --help >"$out/$t.$s.txt" 2>&1; done
}
sub kafka-cluster cluster-id unregister list-endpoints
sub kafka-features describe upgrade downgrade disable version-mapping feature-dependencies
sub kafka-metadata-quorum describe add-controller remove-controller
sub kafka-storage info format random-uuid version-mapping feature-dependencies
sub kafka-transactions list describe describe-producers abort find-hanging force-terminate
redis-cli --help >"$out/redis-cli.txt" 2>&1
redis-cli --version >"$out/redis-cli.version.txt" 2>&1
redis-benchmark --help >"$out/redis-benchmark.txt" 2>&1
redis-cli --cluster help >"$out/redis-cli.cluster.txt" 2>&1
# redis-check-aof has no --help: run without arguments, it prints its usage.
redis-check-aof >"$out/redis-check-aof.txt" 2>&1
