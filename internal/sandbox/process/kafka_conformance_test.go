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

func TestKafkaConformance(t *testing.T) {
	home := requireKafkaHome(t)
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
		{line: "probe topic strict"},
		// Records, groups, offsets, lag.
		{line: "kafka-console-producer --topic orders --property parse.key=true --property key.separator=: --message k1:v1 --message k2:v2 --message k3:v3 --message k1:v4"},
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
		{line: "probe topic orders"},
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
		{line: "probe topic auto3"},
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
	home := requireKafkaHome(t)
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
	}
	// The broker's own settings (server.properties of the sandbox) must
	// show, so that the comparison is not between two empty answers.
	mustShow := map[string]string{
		"kafka-configs --describe --all --entity-type topics --entity-name conf":                                                 "  retention.bytes=" + memCap + " sensitive=false synonyms={STATIC_BROKER_CONFIG:log.retention.bytes=",
		"kafka-topics --describe --topic conf":                                                                                   "file.delete.delay.ms=1000",
		"kafka-configs --describe --all --entity-type brokers --entity-name 1":                                                   "  node.id=1 sensitive=false",
		"kafka-topics --describe --exclude-internal --under-min-isr-partitions --at-min-isr-partitions --unavailable-partitions": "\tTopic: strict\tPartition: 1\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: \tLastKnownElr: \n\tTopic: conf\tPartition: 0\t",
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
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
		f := strings.Fields(line)
		script := exec.CommandContext(ctx, filepath.Join(home, "bin", f[0]+".sh"), append(f[1:], "--bootstrap-server", b.Seeds[0])...)
		script.Env = append(os.Environ(), "LOG_DIR="+logs, "KAFKA_HEAP_OPTS=-Xmx256m")
		var stdout, stderr strings.Builder
		script.Stdout, script.Stderr = &stdout, &stderr
		runErr := script.Run()
		var exitErr *exec.ExitError
		if runErr != nil && !errors.As(runErr, &exitErr) {
			t.Fatalf("%s: %v", line, runErr)
		}

		out, err := conformanceRun(ctx, t, b, line)
		if want := mustShow[line]; !strings.Contains(out, want) {
			t.Errorf("%s: want %q in\n%s", line, want, out)
		}
		if got, want := mask(out), mask(stdout.String()); got != want {
			t.Errorf("%s: the console printed\n%s\nthe script printed\n%s", line, got, want)
		}
		switch {
		case (err != nil) != (runErr != nil):
			t.Errorf("%s: console error %v, script exit %v; stderr:\n%s", line, err, runErr, stderr.String())
		case err != nil && !strings.HasPrefix(withoutStackTrace(stderr.String()), err.Error()):
			t.Errorf("%s: console error\n%s\nscript stderr\n%s", line, err, stderr.String())
		}
	}
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
