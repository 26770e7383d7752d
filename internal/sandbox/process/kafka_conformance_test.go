package process_test

// The Kafka conformance test: the console commands and exercise probes the
// built-in course relies on, run against a kfake sandbox and a real Apache
// Kafka sandbox side by side. Outputs must match once the values that
// differ by nature (ids, ports) are masked; the behaviours known to differ
// are asserted per implementation, so that a change on either side shows.
// docs/kafka-conformance.md is the table this test backs.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/console/kafkacli"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/testkit"
)

// conformanceStep is one console command or probe, run on both brokers.
type conformanceStep struct {
	line string
	// differs, when set, names a documented difference: the outputs are not
	// compared, want checks each implementation's own.
	differs string
	want    func(impl, out string) error
}

var conformanceMasks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`TopicId: \S+`), "TopicId: <id>"},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:<port>"},
	{regexp.MustCompile(`(Leader|Replicas|Isr): [01]\b`), "$1: <node>"},
	{regexp.MustCompile(`\(\d\)`), "(<node>)"},
	{regexp.MustCompile(`member-[0-9a-f-]+`), "<member>"},
	{regexp.MustCompile(`[ \t]+`), " "}, // column widths follow the member ids
}

func maskConformance(s string) string {
	for _, m := range conformanceMasks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

func wantContains(sub map[string]string) func(impl, out string) error {
	return func(impl, out string) error {
		if !strings.Contains(out, sub[impl]) {
			return fmt.Errorf("want %q in it", sub[impl])
		}
		return nil
	}
}

// brokerSettings: the console shows each broker's own settings. The
// sandbox's Kafka broker has static log.retention.bytes (the memory cap),
// log.segment.bytes (a quarter of it) and log.segment.delete.delay.ms;
// kfake has log.retention.bytes as a dynamic broker config.
const brokerSettings = "each broker's own settings (TestKafkaConformanceScripts compares Kafka's with the real scripts)"

// memCap is the sandbox's memory cap, its brokers' log.retention.bytes.
var memCap = strconv.FormatInt(spec(sandbox.KindKafka).MemoryCap(), 10)

// wantConfigs checks kafka-topics --describe's Configs column: first, as
// their brokers order them, the given values, then each broker's settings.
func wantConfigs(first string) func(impl, out string) error {
	seg := strconv.FormatInt(spec(sandbox.KindKafka).MemoryCap()/4, 10)
	return wantContains(map[string]string{
		"kfake":  "Configs: " + first + ",retention.bytes=" + memCap + "\n",
		"apache": "Configs: " + first + ",segment.bytes=" + seg + ",file.delete.delay.ms=1000,retention.bytes=" + memCap + "\n",
	})
}

// conformanceKafkaHome is requireKafkaHome, except that under CI
// (CI set, where `make test` fetches the jars and Java) a missing tree or
// java fails the test instead of skipping it.
func conformanceKafkaHome(t *testing.T) string {
	t.Helper()
	testkit.Slow(t, "Apache Kafka (real brokers in a JVM)")
	if os.Getenv("CI") != "" {
		if process.FindKafkaHome() == "" {
			t.Fatal("Apache Kafka jars not found under CI: `make test` runs `make kafka-jars` first")
		}
		if _, err := exec.LookPath("java"); err != nil {
			t.Fatalf("java not on PATH under CI: %v", err)
		}
	}
	return requireKafkaHome(t)
}

// wantProbeSettings checks the describe topic probe's view of each
// broker's own settings: the capped retention.bytes on both, from a
// dynamic broker config on kfake and server.properties on Kafka, which
// also sets segment.bytes and file.delete.delay.ms.
func wantProbeSettings(impl, out string) error {
	seg := strconv.FormatInt(spec(sandbox.KindKafka).MemoryCap()/4, 10)
	want := map[string][]string{
		"kfake": {"config.retention.bytes:" + memCap + " ", "config_source.retention.bytes:DYNAMIC_BROKER_CONFIG ",
			"config.segment.bytes:1073741824 ", "config_source.segment.bytes:DEFAULT_CONFIG "},
		"apache": {"config.retention.bytes:" + memCap + " ", "config_source.retention.bytes:STATIC_BROKER_CONFIG ",
			"config.segment.bytes:" + seg + " ", "config_source.segment.bytes:STATIC_BROKER_CONFIG ",
			"config.file.delete.delay.ms:1000 "},
	}
	for _, w := range want[impl] {
		if !strings.Contains(out, w) {
			return fmt.Errorf("want %q in it", w)
		}
	}
	return nil
}

func TestKafkaConformance(t *testing.T) {
	home := conformanceKafkaHome(t)
	impls := []process.KafkaImpl{process.KafkaKfake, process.KafkaApache}
	brokers := map[process.KafkaImpl]kafkacli.Broker{}
	for _, impl := range impls {
		d := mustDriver(t, process.Options{Kafka: impl, KafkaHome: home})
		inst := mustStart(t, d, spec(sandbox.KindKafka))
		brokers[impl] = kafkacli.Broker{Seeds: inst.Kafka.Seeds}
	}

	steps := []conformanceStep{
		// The first group command right after Start: a real broker creates
		// __consumer_offsets on first use, and Start waits for it.
		{line: "kafka-consumer-groups --reset-offsets --group early --topic early --to-earliest --execute"},
		// Topics: creation, defaults, validation messages.
		{line: "kafka-topics --create --topic orders --partitions 3 --replication-factor 1"},
		{line: "kafka-topics --create --topic orders --partitions 3"},
		{line: "kafka-topics --create --topic wide --partitions 1 --replication-factor 3"},
		{line: "kafka-topics --create --topic defaults"},
		{line: "kafka-topics --create --topic strict --partitions 1 --config min.insync.replicas=2"},
		{line: "kafka-topics --describe --topic orders", differs: brokerSettings, want: wantConfigs("min.insync.replicas=1")},
		{line: "kafka-topics --describe --topic strict", differs: brokerSettings, want: wantConfigs("min.insync.replicas=2")},
		{line: "kafka-topics --alter --topic orders --partitions 2"},
		{line: "kafka-topics --alter --topic orders --partitions 4"},
		// Configs: validation wording, synonyms, describe --all.
		{line: "kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=abc"},
		{line: "kafka-configs --entity-type topics --entity-name orders --alter --add-config segment.bytes=100"},
		{line: "kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=60000,cleanup.policy=compact"},
		{line: "kafka-configs --entity-type topics --entity-name orders --describe"},
		{line: "kafka-configs --entity-type topics --entity-name orders --alter --delete-config retention.ms,cleanup.policy"},
		{line: "kafka-configs --entity-type topics --entity-name orders --alter --delete-config retention.bytes"},
		{line: "kafka-configs --entity-type topics --entity-name orders --describe --all", differs: brokerSettings,
			want: wantContains(map[string]string{
				"kfake":  "retention.bytes=" + memCap + " sensitive=false synonyms={DYNAMIC_BROKER_CONFIG:log.retention.bytes=" + memCap + ", DEFAULT_CONFIG:log.retention.bytes=-1}",
				"apache": "retention.bytes=" + memCap + " sensitive=false synonyms={STATIC_BROKER_CONFIG:log.retention.bytes=" + memCap + ", DEFAULT_CONFIG:log.retention.bytes=-1}",
			})},
		{line: "kafka-configs --entity-type topics --entity-name missing --describe"},
		{line: "kafka-configs --entity-type topics --entity-name missing --alter --add-config retention.ms=1000"},
		// min.insync.replicas above the replication factor: acks=all
		// writes still succeed (Kafka caps the effective minimum at the
		// replica count; kfake does not check it at all).
		{line: "kafka-console-producer --topic strict --message a"},
		{line: "probe topic strict", differs: brokerSettings, want: wantProbeSettings},
		// Records, groups, offsets, lag.
		// Keys k1 and k2 both hash to partition 1: the consumer below reads
		// one partition, so which 3 records it takes does not depend on
		// which partition's fetch answers first (it did, under load).
		{line: "kafka-console-producer --topic orders --property parse.key=true --property key.separator=: --message k1:v1 --message k2:v2 --message k2:v3 --message k1:v4"},
		{line: "kafka-console-consumer --topic orders --from-beginning --max-messages 3 --group g1 --property print.key=true --property print.partition=true"},
		{line: "kafka-consumer-groups --describe --group g1"},
		{line: "kafka-consumer-groups --describe --group g1 --members"},
		{line: "kafka-consumer-groups --describe --group g1 --state",
			differs: "node id: kfake's broker is 0, Kafka's node.id is 1",
			want:    wantContains(map[string]string{"kfake": "(0)", "apache": "(1)"})},
		{line: "kafka-consumer-groups --reset-offsets --group g1 --topic orders --to-earliest --dry-run"},
		{line: "kafka-consumer-groups --reset-offsets --group g1 --topic orders --to-offset 100 --execute"},
		{line: "kafka-consumer-groups --reset-offsets --group g1 --topic orders --shift-by -1 --execute"},
		{line: "probe group g1"},
		{line: "probe topic orders", differs: brokerSettings, want: wantProbeSettings},
		{line: "kafka-consumer-groups --describe --group nosuch"},
		{line: "kafka-consumer-groups --delete --group nosuch"},
		// Live members: a classic group and a KIP-848 consumer group.
		{line: "member classic live-classic orders"},
		{line: "member consumer live-848 orders"},
		{line: "kafka-consumer-groups --describe --group live-classic --members"},
		{line: "probe group live-classic"},
		{line: "kafka-consumer-groups --reset-offsets --group live-classic --topic orders --to-earliest --execute"},
		{line: "kafka-consumer-groups --describe --group live-848 --state",
			differs: "KIP-848 groups: kfake's ConsumerGroupDescribe names topics by id only, so the console falls back on the classic view (no members)",
			want: wantContains(map[string]string{
				"kfake":  "- Stable 0",
				"apache": "range Stable 1",
			})},
		{line: "probe group live-848",
			differs: "KIP-848 groups: members counted on Kafka only",
			want: wantContains(map[string]string{
				"kfake":  "members:0 state:Stable",
				"apache": "members:1 state:Stable",
			})},
		{line: "kafka-consumer-groups --reset-offsets --group live-848 --topic orders --to-earliest --execute"},
		{line: "kafka-consumer-groups --delete --group live-848"},
		{line: "kafka-consumer-groups --delete --group g1"},
		{line: "kafka-consumer-groups --list"},
		{line: "probe groups"},
		// Auto-creation: the console makes a 1-partition topic; a client
		// that relies on the broker gets num.partitions.
		{line: "kafka-console-producer --topic auto1 --message x"},
		{line: "kafka-topics --describe --topic auto1", differs: brokerSettings, want: wantConfigs("min.insync.replicas=1")},
		{line: "kafka-console-consumer --topic auto2 --max-messages 1 --timeout-ms 1500"},
		{line: "client-autocreate auto3"},
		{line: "probe topic auto3", differs: brokerSettings, want: wantProbeSettings},
		// Internal topics stay out of the lists, though Kafka now has
		// __consumer_offsets.
		{line: "kafka-topics --list"},
		{line: "probe topics"},
		// Retention: lowering retention.ms deletes records within a
		// retention check (10 s on both).
		{line: "kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=1000"},
		{line: "await-empty orders"},
		{line: "kafka-console-consumer --topic orders --from-beginning --timeout-ms 1500"},
		// Deletion.
		{line: "kafka-topics --delete --topic orders"},
		{line: "kafka-topics --describe --topic orders"},
		{line: "kafka-topics --delete --topic orders"},
	}

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	for _, st := range steps {
		outs := map[string]string{}
		for _, impl := range impls {
			out, err := conformanceRun(ctx, t, brokers[impl], st.line)
			if err != nil {
				out += "ERR: " + err.Error() + "\n"
			}
			outs[string(impl)] = out
		}
		if st.differs != "" {
			for impl, out := range outs {
				if err := st.want(impl, maskSpaces(out)); err != nil {
					t.Errorf("%s on %s (%s):\n%s\n%v", st.line, impl, st.differs, out, err)
				}
			}
			continue
		}
		if a, b := maskConformance(outs["kfake"]), maskConformance(outs["apache"]); a != b {
			t.Errorf("%s differs:\n--- kfake:\n%s\n--- apache:\n%s", st.line, outs["kfake"], outs["apache"])
		}
	}
}

func maskSpaces(s string) string {
	return conformanceMasks[len(conformanceMasks)-1].re.ReplaceAllString(s, " ")
}

// conformanceRun runs one step's line against b: a console command, a
// probe, or one of the test's own actions.
func conformanceRun(ctx context.Context, t *testing.T, b kafkacli.Broker, line string) (string, error) {
	f := strings.Fields(line)
	var out strings.Builder
	switch {
	case f[0] == "probe" && f[1] == "topic":
		m, err := kafkacli.DescribeTopic(ctx, b, f[2])
		return fmt.Sprint(m), err
	case f[0] == "probe" && f[1] == "group":
		m, err := kafkacli.DescribeGroup(ctx, b, f[2])
		return fmt.Sprint(m), err
	case line == "probe topics":
		l, err := kafkacli.ListTopics(ctx, b)
		return fmt.Sprint(l), err
	case line == "probe groups":
		l, err := kafkacli.ListGroups(ctx, b)
		return fmt.Sprint(l), err
	case f[0] == "member":
		// A member that stays in group f[2], consuming f[3], until the
		// test ends: classic protocol, or KIP-848 ("consumer").
		opts := []kgo.Opt{kgo.SeedBrokers(b.Seeds...), kgo.ConsumerGroup(f[2]), kgo.ConsumeTopics(f[3]), kgo.ClientID("member")}
		if f[1] == "consumer" {
			opts = append(opts, kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
		}
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return "", err
		}
		t.Cleanup(cl.Close)
		go func() {
			for !cl.PollFetches(context.Background()).IsClientClosed() {
			}
		}()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if m, err := kafkacli.DescribeGroup(ctx, b, f[2]); err == nil && m["state"] == "Stable" {
				return "", nil
			}
			time.Sleep(200 * time.Millisecond)
		}
		return "", fmt.Errorf("group %s never became Stable", f[2])
	case f[0] == "client-autocreate":
		cl, err := kgo.NewClient(kgo.SeedBrokers(b.Seeds...), kgo.AllowAutoTopicCreation())
		if err != nil {
			return "", err
		}
		defer cl.Close()
		return "", cl.ProduceSync(ctx, &kgo.Record{Topic: f[1], Key: []byte("k"), Value: []byte("x")}).FirstErr()
	case f[0] == "await-empty":
		deadline := time.Now().Add(45 * time.Second)
		for time.Now().Before(deadline) {
			m, err := kafkacli.DescribeTopic(ctx, b, f[1])
			if err == nil && m["messages"] == 0 {
				return "emptied\n", nil
			}
			time.Sleep(500 * time.Millisecond)
		}
		return "", fmt.Errorf("topic %s still holds records", f[1])
	}
	cmd, err := kafkacli.Parse(line)
	if err != nil {
		return "", err
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = kafkacli.Run(cctx, b, cmd, &out)
	return out.String(), err
}

// TestKafkaConformanceScripts runs the real Apache Kafka scripts and the
// console against the same real broker and compares what they print byte
// for byte: standard output against the console's output, the exit status
// against the console's error, and the console's error text against the
// script's standard error (without the stack trace the console leaves
// out). Only topic ids are masked. Lines starting with "console:" set the
// scene through the console alone.
func TestKafkaConformanceScripts(t *testing.T) {
	home := conformanceKafkaHome(t)
	d := mustDriver(t, process.Options{Kafka: process.KafkaApache, KafkaHome: home})
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	b := kafkacli.Broker{Seeds: inst.Kafka.Seeds}
	logs := t.TempDir()

	lines := []string{
		"console: kafka-topics --create --topic conf --partitions 2 --replication-factor 1",
		"kafka-configs --describe --all --entity-type topics --entity-name conf",
		"kafka-configs --describe --entity-type topics --entity-name conf",
		"kafka-topics --describe --topic conf",
		"kafka-configs --describe --all --entity-type brokers --entity-name 1",
		"kafka-configs --describe --entity-type brokers --entity-name 1",
		"kafka-configs --describe --entity-type brokers --entity-default",
		"kafka-configs --alter --entity-type topics --entity-name conf --add-config retention.ms=60000,cleanup.policy=compact",
		"kafka-configs --describe --entity-type topics --entity-name conf",
		"kafka-configs --describe --all --entity-type topics --entity-name conf",
		"kafka-topics --describe --topic conf",
		"kafka-configs --describe --entity-type topics --entity-name missing",
		"kafka-configs --describe --entity-type brokers --entity-name one",
		// Replication reports, several in one run: a partition any of
		// them selects, once (strict's ISR, 1, is under its minimum 2;
		// conf's is at its minimum 1). Several topics come in the Java
		// tool's HashMap order; the console never shows internal topics,
		// so the script is given --exclude-internal where one would show.
		"console: kafka-topics --create --topic strict --partitions 2 --replication-factor 1 --config min.insync.replicas=2",
		"console: kafka-topics --create --topic zz --partitions 1",
		"kafka-topics --describe --exclude-internal",
		"kafka-topics --describe --exclude-internal --under-replicated-partitions --under-min-isr-partitions",
		"kafka-topics --describe --exclude-internal --under-min-isr-partitions --at-min-isr-partitions --unavailable-partitions",
		"kafka-topics --describe --topic strict --at-min-isr-partitions --under-replicated-partitions",
		"kafka-topics --list --under-replicated-partitions --unavailable-partitions",
		// The describe topic probe against the real script's view of the
		// same topic: values and sources from the broker, not the table.
		"probe-configs conf",
		"console: kafka-configs --alter --entity-type topics --entity-name conf --delete-config retention.ms,cleanup.policy",
		"probe-configs conf",
		"probe-configs strict",
	}
	// The broker's own settings (server.properties of the sandbox) must
	// show, so that the comparison is not between two empty answers.
	mustShow := map[string]string{
		"kafka-configs --describe --all --entity-type topics --entity-name conf":                                                 "  retention.bytes=" + memCap + " sensitive=false synonyms={STATIC_BROKER_CONFIG:log.retention.bytes=",
		"kafka-topics --describe --topic conf":                                                                                   "file.delete.delay.ms=1000",
		"kafka-configs --describe --all --entity-type brokers --entity-name 1":                                                   "  node.id=1 sensitive=false",
		"kafka-topics --describe --exclude-internal --under-min-isr-partitions --at-min-isr-partitions --unavailable-partitions": "\tTopic: strict\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n\tTopic: conf\tPartition: 0\t",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 7*time.Minute)
	defer cancel()
	topicID := regexp.MustCompile(`TopicId: \S+`)
	mask := func(s string) string { return topicID.ReplaceAllString(s, "TopicId: <id>") }
	for _, line := range lines {
		if rest, ok := strings.CutPrefix(line, "console: "); ok {
			if out, err := conformanceRun(ctx, t, b, rest); err != nil {
				t.Fatalf("%s: %v\n%s", rest, err, out)
			}
			continue
		}
		if topic, ok := strings.CutPrefix(line, "probe-configs "); ok {
			stdout, _, runErr := runKafkaScript(ctx, t, home, logs, b, "kafka-configs --describe --all --entity-type topics --entity-name "+topic)
			if runErr != nil {
				t.Fatalf("%s: kafka-configs.sh: %v", line, runErr)
			}
			m, err := kafkacli.DescribeTopic(ctx, b, topic)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if err := probeMatchesConfigs(m, stdout); err != nil {
				t.Errorf("%s: %v\nkafka-configs.sh printed\n%s", line, err, stdout)
			}
			continue
		}
		stdout, stderr, runErr := runKafkaScript(ctx, t, home, logs, b, line)

		out, err := conformanceRun(ctx, t, b, line)
		if want := mustShow[line]; !strings.Contains(out, want) {
			t.Errorf("%s: want %q in\n%s", line, want, out)
		}
		if got, want := mask(out), mask(stdout); got != want {
			t.Errorf("%s: the console printed\n%s\nthe script printed\n%s", line, got, want)
		}
		switch {
		case (err != nil) != (runErr != nil):
			t.Errorf("%s: console error %v, script exit %v; stderr:\n%s", line, err, runErr, stderr)
		case err != nil && !strings.HasPrefix(withoutStackTrace(stderr), err.Error()):
			t.Errorf("%s: console error\n%s\nscript stderr\n%s", line, err, stderr)
		}
	}
	checkProducerInput(ctx, t, home, logs, b)
}

// producerInputCases are the ways a shell user feeds kafka-console-producer
// its records: as the console takes them (T is the topic) and, for lines
// typed after the command, what the real script reads on its standard
// input (the console's closing "." is the card's Ctrl-D).
var producerInputCases = []struct {
	name, entry, typed string
	records            int
}{
	{"typed", "kafka-console-producer --topic T\norder-1\norder 2\n\n.", "order-1\norder 2\n\n", 3},
	{"typed-keys", "kafka-console-producer --topic T --property parse.key=true --property key.separator=:\nk1:v1\nk2:v:2\n.", "k1:v1\nk2:v:2\n", 2},
	{"echo", `echo "a b" | kafka-console-producer --topic T`, "", 1},
	{"echo-e", `echo -e 'x\ty\nz' | kafka-console-producer --topic T`, "", 2},
	{"printf-keys", `printf 'k%d|v%d\n' 1 1 2 2 | kafka-console-producer --topic T --property parse.key=true --property key.separator='|'`, "", 2},
	{"heredoc", "kafka-console-producer --topic T <<EOF\nalice login\n  bob logout\nEOF", "", 2},
	{"heredoc-keys", "kafka-console-producer --topic T --property parse.key=true --property key.separator=: <<'EOF'\nalice:{\"price\": \"$5\"}\nbob:`x`\nEOF", "", 2},
}

// checkProducerInput feeds each case's records through the real
// kafka-console-producer.sh (run by bash, or with the typed lines on its
// standard input) and through the console, each into its own
// one-partition topic, then reads both topics with the real
// kafka-console-consumer.sh: keys and values must be the same.
func checkProducerInput(ctx context.Context, t *testing.T, home, logs string, b kafkacli.Broker) {
	producer := filepath.Join(home, "bin", "kafka-console-producer.sh") + " --bootstrap-server " + b.Seeds[0]
	for _, c := range producerInputCases {
		script, console := "in-script-"+c.name, "in-console-"+c.name
		for _, topic := range []string{script, console} {
			if out, err := conformanceRun(ctx, t, b, "kafka-topics --create --topic "+topic+" --partitions 1"); err != nil {
				t.Fatalf("%s: create %s: %v\n%s", c.name, topic, err, out)
			}
		}
		if out, err := conformanceRun(ctx, t, b, strings.ReplaceAll(c.entry, "--topic T", "--topic "+console)); err != nil {
			t.Fatalf("%s: console: %v\n%s", c.name, err, out)
		}
		entry := strings.ReplaceAll(c.entry, "--topic T", "--topic "+script)
		var sh *exec.Cmd
		if c.typed != "" {
			first, _, _ := strings.Cut(entry, "\n")
			sh = exec.CommandContext(ctx, "bash", "-c", strings.Replace(first, "kafka-console-producer", producer, 1))
			sh.Stdin = strings.NewReader(c.typed)
		} else {
			sh = exec.CommandContext(ctx, "bash", "-c", strings.Replace(entry, "kafka-console-producer", producer, 1))
		}
		sh.Env = append(os.Environ(), "LOG_DIR="+logs, "KAFKA_HEAP_OPTS=-Xmx256m")
		if out, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("%s: kafka-console-producer.sh: %v\n%s", c.name, err, out)
		}
		read := func(topic string) string {
			out, _, err := runKafkaScript(ctx, t, home, logs, b, "kafka-console-consumer --topic "+topic+
				" --from-beginning --timeout-ms 10000 --property print.key=true --max-messages "+strconv.Itoa(c.records))
			if err != nil {
				t.Fatalf("%s: kafka-console-consumer.sh on %s: %v", c.name, topic, err)
			}
			return out
		}
		got, want := read(console), read(script)
		if got != want || strings.Count(want, "\n") != c.records {
			t.Errorf("%s: the console wrote\n%q\nthe script wrote\n%q\n(want %d records)", c.name, got, want, c.records)
		}
	}
}

// runKafkaScript runs line's real script (kafka-topics for
// kafka-topics.sh) from home against b, with stdin as its standard input
// when given; an exit status other than 0 is runErr, any other failure
// fails the test.
func runKafkaScript(ctx context.Context, t *testing.T, home, logs string, b kafkacli.Broker, line string, stdin ...string) (stdout, stderr string, runErr error) {
	t.Helper()
	f := strings.Fields(line)
	script := exec.CommandContext(ctx, filepath.Join(home, "bin", f[0]+".sh"), append(f[1:], "--bootstrap-server", b.Seeds[0])...)
	script.Env = append(os.Environ(), "LOG_DIR="+logs, "KAFKA_HEAP_OPTS=-Xmx256m")
	if len(stdin) > 0 {
		script.Stdin = strings.NewReader(strings.Join(stdin, ""))
	}
	var out, errOut strings.Builder
	script.Stdout, script.Stderr = &out, &errOut
	runErr = script.Run()
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		t.Fatalf("%s: %v", line, runErr)
	}
	return out.String(), errOut.String(), runErr
}

// configLineRE is one config line of kafka-configs --describe --all:
// name, value, and the first synonym's source, the value's own.
var configLineRE = regexp.MustCompile(`^  ([^=]+)=(.*) sensitive=(?:true|false) synonyms=\{(?:([A-Z_]+):)?`)

// probeMatchesConfigs reports whether the describe topic probe's
// config.<name> and config_source.<name> agree with every config line
// kafka-configs.sh printed, and name nothing it did not print.
func probeMatchesConfigs(m map[string]any, describeAll string) error {
	seen := 0
	for _, l := range strings.Split(describeAll, "\n") {
		g := configLineRE.FindStringSubmatch(l)
		if g == nil {
			continue
		}
		seen++
		if got := m["config."+g[1]]; got != g[2] {
			return fmt.Errorf("config.%s = %#v, the script shows %q", g[1], got, g[2])
		}
		if g[3] != "" && m["config_source."+g[1]] != g[3] {
			return fmt.Errorf("config_source.%s = %#v, the script's first synonym is %s", g[1], m["config_source."+g[1]], g[3])
		}
	}
	if seen < 30 {
		return fmt.Errorf("only %d config lines in the script's output", seen)
	}
	probed := 0
	for k := range m {
		if strings.HasPrefix(k, "config.") {
			probed++
		}
	}
	if probed != seen {
		return fmt.Errorf("the probe has %d configs, the script shows %d", probed, seen)
	}
	return nil
}

// withoutStackTrace drops a Java stack trace's "\tat ..." lines.
func withoutStackTrace(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "\tat ") && !strings.HasPrefix(l, "\t... ") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
