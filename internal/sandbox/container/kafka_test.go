package container

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/testkit"
)

// TestKafkaRealTools starts a real Apache Kafka container and drives it
// with real clients: kcat from the host through the relay, and Apache
// Kafka's own kafka-consumer-groups, both inside the container and from
// the host.
func TestKafkaRealTools(t *testing.T) {
	d := newDriver(t, shortDir(t))
	inst := start(t, d, sandbox.KindKafka)
	seed := inst.Kafka.Seeds[0]
	kcat := requireTool(t, "kcat")

	run := func(stdin string, name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// kcat produces three keyed records and reads them back.
	run("a:1\nb:2\nc:3\n", kcat, "-b", seed, "-t", "orders", "-K:", "-P")
	got := run("", kcat, "-b", seed, "-t", "orders", "-C", "-e", "-q", "-f", "%k=%s\n", "-X", "auto.offset.reset=earliest", "-G", "billing", "orders")
	for _, want := range []string{"a=1", "b=2", "c=3"} {
		if !strings.Contains(got, want) {
			t.Errorf("kcat consumed %q, want it to hold %q", got, want)
		}
	}
	meta := run("", kcat, "-b", seed, "-L")
	if !strings.Contains(meta, "topic \"orders\" with 3 partitions") {
		t.Errorf("kcat -L = %q, want orders with the sandbox's 3 default partitions", meta)
	}

	// The real kafka-consumer-groups, inside the container.
	out, code := execIn(t, d, inst.Spec.ID, "/opt/kafka/bin/kafka-consumer-groups.sh", "--bootstrap-server", seed, "--list")
	if code != 0 || !strings.Contains(out, "billing") {
		t.Errorf("kafka-consumer-groups --list in the container: code %d, %q; want the billing group", code, out)
	}
	// And from the host, with the jars `make test` fetched.
	if home := kafkaHome(t); home != "" {
		out := run("", filepath.Join(home, "bin", "kafka-consumer-groups.sh"), "--bootstrap-server", seed, "--describe", "--group", "billing")
		if !strings.Contains(out, "orders") || !strings.Contains(out, "LAG") {
			t.Errorf("kafka-consumer-groups --describe from the host = %q, want the group's offsets on orders", out)
		}
	}
}

// requireTool returns the path of a command the test needs, failing under
// CI (where `make test` installs it) and skipping elsewhere.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	return testkit.RequireTool(t, name, "install it (make deps-test)")
}

// kafkaHome returns the Kafka tree scripts/fetch-kafka.sh laid out (or
// KAFKA_HOME), or "" when there is none and the test is not under CI.
func kafkaHome(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("KAFKA_HOME"); h != "" {
		return h
	}
	matches, _ := filepath.Glob("../../../.cache/kafka-*/VERSION")
	if len(matches) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no Kafka tree in .cache: `make test` runs scripts/fetch-kafka.sh first")
		}
		return ""
	}
	home, _ := filepath.Abs(filepath.Dir(matches[0]))
	return home
}
