#!/usr/bin/env bash
# Fetches Apache Kafka (broker and operator tools, with their runtime
# dependencies) from Maven Central with the machine's Maven, and lays it out
# like a Kafka distribution:
#
#   DEST/libs/*.jar        every jar, no duplicates
#   DEST/bin/kafka-*.sh    the distribution's script names, each running its
#                          main class with `java -cp "$(dirname $0)/../libs/*"`
#   DEST/config/           log4j2 configuration: tools print only their
#                          output, the broker logs at INFO to stdout
#   DEST/VERSION           the Kafka version, written last
#
# The scripts find everything relative to their own directory, so DEST can be
# copied anywhere (a container image's /opt/kafka, say).
#
# Usage: scripts/fetch-kafka.sh [DEST]
#   DEST defaults to $(pwd)/.cache/kafka-<version>.
#   KAFKA_VERSIONS (env) lists the versions to try, in order; the first that
#   resolves wins. Default: 4.1.0 (the version the console emulates), then
#   newer 4.x releases.
#
# Idempotent: if DEST/VERSION exists the run is a no-op. Nothing is left
# half-written: the tree is built in a temporary directory beside DEST and
# renamed into place at the end.
set -euo pipefail

VERSIONS=${KAFKA_VERSIONS:-"4.1.0 4.1.1 4.1.2 4.2.0 4.3.1 4.4.0"}
SCALA=2.13

say() { echo "fetch-kafka: $*"; }
die() { echo "fetch-kafka: error: $*" >&2; exit 1; }

# --- prerequisites ----------------------------------------------------------
command -v java >/dev/null || die "Java 17 or newer is required and 'java' is not on PATH (Debian: apt-get install openjdk-17-jre-headless)"
java_major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)
java_major=${java_major#1.}
[ -n "$java_major" ] || die "cannot tell the Java version of $(command -v java)"
[ "$java_major" -ge 17 ] 2>/dev/null || die "Java 17 or newer is required; $(command -v java) is Java $java_major"
command -v mvn >/dev/null || die "Maven is required and 'mvn' is not on PATH (Debian: apt-get install maven)"

# --- destination ------------------------------------------------------------
first=${VERSIONS%% *}
if [ $# -ge 1 ]; then
  DEST=$1
  explicit=1
else
  explicit=0
  # Any version already fetched into the default place is good enough.
  for v in $VERSIONS; do
    if [ -f "$(pwd)/.cache/kafka-$v/VERSION" ]; then
      say "Kafka $v already in $(pwd)/.cache/kafka-$v; nothing to do"
      exit 0
    fi
  done
  DEST="$(pwd)/.cache/kafka-$first"
fi
case $DEST in /*) ;; *) DEST="$(pwd)/$DEST" ;; esac
if [ -f "$DEST/VERSION" ]; then
  say "Kafka $(cat "$DEST/VERSION") already in $DEST; nothing to do"
  exit 0
fi
[ -e "$DEST" ] && die "$DEST exists but holds no complete Kafka (no VERSION file); remove it first"
parent=$(dirname "$DEST")
mkdir -p "$parent"

TMP=$(mktemp -d "$parent/.fetch-kafka.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# --- download ---------------------------------------------------------------
pom() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>opslab.local</groupId>
  <artifactId>fetch-kafka</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_$SCALA</artifactId><version>$1</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$1</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-storage</artifactId><version>$1</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
}

VERSION=""
for v in $VERSIONS; do
  say "resolving org.apache.kafka:kafka_$SCALA:$v and org.apache.kafka:kafka-tools:$v with Maven"
  rm -rf "$TMP/build" "$TMP/libs"
  mkdir -p "$TMP/build"
  pom "$v" >"$TMP/build/pom.xml"
  if mvn -q -B -f "$TMP/build/pom.xml" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$TMP/libs" >"$TMP/mvn.log" 2>&1; then
    VERSION=$v
    break
  fi
  say "Kafka $v did not resolve: $(grep -m1 -E 'ERROR' "$TMP/mvn.log" | cut -c1-200)"
done
[ -n "$VERSION" ] || die "no Kafka version of [$VERSIONS] resolved from Maven; see the errors above"
say "resolved Kafka $VERSION: $(ls "$TMP/libs" | wc -l) jars"
if [ "$explicit" = 0 ] && [ "$VERSION" != "$first" ]; then
  DEST="$parent/kafka-$VERSION"
  if [ -f "$DEST/VERSION" ]; then
    say "Kafka $VERSION already in $DEST; nothing to do"
    exit 0
  fi
fi

# --- layout -----------------------------------------------------------------
OUT="$TMP/kafka"
mkdir -p "$OUT/bin" "$OUT/config"
mv "$TMP/libs" "$OUT/libs"
rm -rf "$TMP/build"

# Which class of the candidates exists in the jars (main classes moved from
# core to tools between releases).
classes="$TMP/classes.txt"
for j in "$OUT"/libs/*.jar; do unzip -Z1 "$j" 2>/dev/null; done | grep '\.class$' | sed 's/\.class$//; s#/#.#g' | sort -u >"$classes"
pick() {
  local c
  for c in "$@"; do
    if grep -qxF "$c" "$classes"; then echo "$c"; return 0; fi
  done
  return 1
}

# script  log-config  candidate main classes...
tools=(
  "kafka-server-start.sh|server|kafka.Kafka"
  "kafka-storage.sh|tools|kafka.tools.StorageTool org.apache.kafka.tools.StorageTool"
  "kafka-topics.sh|tools|org.apache.kafka.tools.TopicCommand kafka.admin.TopicCommand"
  "kafka-configs.sh|tools|org.apache.kafka.tools.ConfigCommand kafka.admin.ConfigCommand"
  "kafka-consumer-groups.sh|tools|org.apache.kafka.tools.consumer.group.ConsumerGroupCommand kafka.admin.ConsumerGroupCommand"
  "kafka-console-producer.sh|tools|org.apache.kafka.tools.ConsoleProducer kafka.tools.ConsoleProducer"
  "kafka-console-consumer.sh|tools|org.apache.kafka.tools.consumer.ConsoleConsumer kafka.tools.ConsoleConsumer"
  "kafka-metadata-quorum.sh|tools|org.apache.kafka.tools.MetadataQuorumCommand"
  "kafka-get-offsets.sh|tools|org.apache.kafka.tools.GetOffsetShell"
  "kafka-log-dirs.sh|tools|org.apache.kafka.tools.LogDirsCommand"
  "kafka-reassign-partitions.sh|tools|org.apache.kafka.tools.reassign.ReassignPartitionsCommand"
  "kafka-leader-election.sh|tools|org.apache.kafka.tools.LeaderElectionCommand"
  "kafka-delete-records.sh|tools|org.apache.kafka.tools.DeleteRecordsCommand"
  "kafka-dump-log.sh|tools|org.apache.kafka.tools.DumpLogSegments kafka.tools.DumpLogSegments"
  "kafka-broker-api-versions.sh|tools|org.apache.kafka.tools.BrokerApiVersionsCommand"
  "kafka-features.sh|tools|org.apache.kafka.tools.FeatureCommand"
  "kafka-acls.sh|tools|org.apache.kafka.tools.AclCommand kafka.admin.AclCommand"
  "kafka-transactions.sh|tools|org.apache.kafka.tools.TransactionsCommand"
  "kafka-producer-perf-test.sh|tools|org.apache.kafka.tools.ProducerPerformance"
  "kafka-consumer-perf-test.sh|tools|org.apache.kafka.tools.ConsumerPerformance"
  "kafka-cluster.sh|tools|org.apache.kafka.tools.ClusterTool"
)
for t in "${tools[@]}"; do
  IFS='|' read -r name logcfg candidates <<<"$t"
  # shellcheck disable=SC2086
  main=$(pick $candidates) || die "no main class for $name among: $candidates"
  heap='${KAFKA_HEAP_OPTS:--Xmx256m}'
  extra='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto'
  if [ "$logcfg" = server ]; then
    heap='${KAFKA_HEAP_OPTS:--Xmx1g -Xms1g}'
    extra='-XX:+UseG1GC -XX:MaxGCPauseMillis=20'
  fi
  cat >"$OUT/bin/$name" <<EOF
#!/bin/sh
# Runs $main, as Apache Kafka $VERSION's bin/$name does.
# Written by opslab's scripts/fetch-kafka.sh; paths are relative to this file.
base=\$(CDPATH= cd -- "\$(dirname -- "\$0")/.." && pwd)
exec "\${JAVA:-java}" $heap \${KAFKA_JVM_PERFORMANCE_OPTS:-$extra} \\
  \${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile="\$base/config/$logcfg-log4j2.xml"} \\
  -Djava.awt.headless=true \${KAFKA_OPTS:-} \\
  -cp "\$base/libs/*" $main "\$@"
EOF
  chmod 755 "$OUT/bin/$name"
  say "bin/$name -> $main"
done

cat >"$OUT/config/tools-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- The operator tools print their output only: warnings and errors of the
     client libraries go to stderr, nothing else is logged. -->
<Configuration status="off">
  <Appenders>
    <Console name="stderr" target="SYSTEM_ERR">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="error"><AppenderRef ref="stderr"/></Root>
  </Loggers>
</Configuration>
EOF
cat >"$OUT/config/server-log4j2.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<!-- The broker logs to stdout at INFO, and its noisiest loggers at WARN. -->
<Configuration status="off">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="info"><AppenderRef ref="stdout"/></Root>
    <Logger name="kafka.request.logger" level="warn"/>
    <Logger name="org.apache.kafka.clients" level="warn"/>
    <Logger name="org.apache.kafka.common.utils.AppInfoParser" level="warn"/>
    <Logger name="state.change.logger" level="warn"/>
    <Logger name="kafka.log.LogCleaner" level="info"/>
  </Loggers>
</Configuration>
EOF
echo "$VERSION" >"$OUT/VERSION"

# --- smoke test, then publish -------------------------------------------------
say "checking the tools run"
"$OUT/bin/kafka-topics.sh" --version >"$TMP/version.txt" 2>&1 || die "bin/kafka-topics.sh --version failed: $(cat "$TMP/version.txt")"
grep -q "$VERSION" "$TMP/version.txt" || die "bin/kafka-topics.sh --version printed: $(cat "$TMP/version.txt")"
"$OUT/bin/kafka-storage.sh" random-uuid >/dev/null 2>"$TMP/uuid.txt" || die "bin/kafka-storage.sh random-uuid failed: $(cat "$TMP/uuid.txt")"

if ! mv -T "$OUT" "$DEST" 2>/dev/null; then
  [ -f "$DEST/VERSION" ] && { say "another run installed Kafka in $DEST first; nothing to do"; exit 0; }
  die "cannot move the new tree to $DEST"
fi
say "Kafka $VERSION ready in $DEST ($(du -sh "$DEST" | cut -f1)); use --kafka-home $DEST or KAFKA_HOME=$DEST"
