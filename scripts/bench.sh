#!/usr/bin/env bash
# Runs the benchmarks recorded in docs/benchmarks.md and prints their
# results with the machine they ran on. Each compares with a baseline
# measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "# Benchmark run $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "## Signed-in lesson page against plain net/http serving the same bytes"
echo
go test -run '^$' -bench 'LessonPage' -benchtime 5s -count 5 ./internal/server | grep -E '^Benchmark'
echo

echo "## Team dashboard, 500 learners x 30 lessons"
echo
go test -run '^$' -bench 'TeamDashboard|TeamLearnerPage' -benchtime 20x -count 5 ./internal/server | grep -E '^Benchmark'
echo

make build >/dev/null
echo "## opslab test over the built-in course"
echo
/usr/bin/time -f 'wall %es, max RSS %MKB' bin/opslab test --runs 1 -j "$(nproc)" 2>&1 | tail -n 20
echo

echo "## Sandboxes through the API, fenced (the default)"
echo
labbench() {
  go run ./bench/labbench -bin bin/opslab \
    -kafka-lesson "caching-messaging-infrastructure/offsets-commits-lag-and-resets/${KAFKA_EXERCISE:-billing-lag-drill}" \
    -starts "${STARTS:-100}" -checks "${CHECKS:-200}" -idle "${IDLE:-100}" \
    -learners "${LEARNERS:-200}" -duration "${DURATION:-60s}" "$@"
}
labbench
echo
echo "## The same, unfenced (--unfenced): the baseline of what the fence costs"
echo
labbench -unfenced

echo
echo "## Terminal (issue 15): ready, keystroke echo, memory, many at once; baseline a bare bash -i on a PTY"
echo
go run ./bench/termbench -bin bin/opslab -runs "${TERM_RUNS:-60}" -keys "${TERM_KEYS:-200}" \
  -idle "${TERM_IDLE:-10}" -many "${TERM_MANY:-100}"

echo
echo "## Terminal on the container driver: ready and keystroke echo"
echo
make engine >/dev/null
# shellcheck disable=SC1091
(. bin/engine.env && go run ./bench/termbench -bin bin/opslab -sandbox container -runs "${TERM_CONTAINER_RUNS:-20}" -keys "${TERM_KEYS:-200}")

echo
echo "## Driver start alone, fenced beside unfenced (Go benchmarks)"
echo
OPSLAB_KFAKE_BINARY=$PWD/bin/opslab-kfake go test -run '^$' -bench 'BenchmarkStartRedis|BenchmarkStartKafka$|BenchmarkStartKafkaUnfenced|BenchmarkKafkaStartAndSetup' -benchtime 200x -count 3 ./internal/sandbox/process | grep -E '^Benchmark'

echo
echo "## PostgreSQL sandbox start, fenced, beside a bare pg_ctl start of the same data directory; idle memory; the stack kind's start"
echo
OPSLAB_KFAKE_BINARY=$PWD/bin/opslab-kfake go test -run '^$' -bench 'BenchmarkStartPostgres|BenchmarkPostgresBarePgCtl|BenchmarkPostgresIdleMemory|BenchmarkStartStack' -benchtime 60x -count 1 ./internal/sandbox/process | grep -E '^Benchmark'

echo
echo "## The fence alone: made ahead (the default) against made on demand"
echo
go test -run '^$' -bench 'BenchmarkSpawn|BenchmarkNewClose|BenchmarkDial' -benchtime 200x -count 3 ./internal/sandbox/fence | grep -E '^Benchmark'

echo
echo "## Starts with light setups (a course the project has never seen)"
echo
go run ./bench/labbench -bin bin/opslab -content cmd/opslab/testdata/unseen \
  -redis-exercise ops-drills/warmup/cache-lfu -kafka-lesson ops-drills/warmup/orders-topic \
  -starts "${STARTS:-100}" -checks 50 -idle 2 -learners 2 -duration 2s | sed -n '/Sandbox start/,/^## Check/p'
echo
echo "The same, unfenced:"
go run ./bench/labbench -bin bin/opslab -content cmd/opslab/testdata/unseen -unfenced \
  -redis-exercise ops-drills/warmup/cache-lfu -kafka-lesson ops-drills/warmup/orders-topic \
  -starts "${STARTS:-100}" -checks 50 -idle 2 -learners 2 -duration 2s | sed -n '/Sandbox start/,/^## Check/p'

echo
echo "## Kafka sandbox start: in-process kfake against a real Apache Kafka broker (cold JVM)"
echo
go test -run '^$' -bench 'BenchmarkStartKafka' -benchtime 5x -count 3 ./internal/sandbox/process | grep -E '^Benchmark'

echo
echo "## Container sandboxes (Podman's Docker API): cold and warm starts beside a bare podman run, memory"
echo
eval "$(scripts/engine.sh 2>/dev/null)"
. bin/engine.env
go test -run '^$' -bench 'RedisStartCold|RedisStartWarm|KafkaStartCold|KafkaStartWarm|KafkaClusterStartCold|KafkaClusterStartWarm|BrokerStopStart|MemoryPerSandbox' \
  -benchtime 1x -timeout 30m ./internal/sandbox/container | grep -E '^Benchmark'
