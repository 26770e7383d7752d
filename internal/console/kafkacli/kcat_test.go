package kafkacli_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// kcat runs the real kcat client against the broker with the given
// arguments and standard input and returns its standard output.
func kcat(t *testing.T, seeds []string, stdin string, args ...string) string {
	t.Helper()
	bin := requireKcat(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"-b", strings.Join(seeds, ",")}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %q: %v\nstderr: %s", args, err, stderr.String())
	}
	return stdout.String()
}

// TestKcatProducesConsoleConsumes has an independent client (kcat, on
// librdkafka) write keyed records that the console consumer reads back.
func TestKcatProducesConsoleConsumes(t *testing.T) {
	b := newBroker(t)
	requireKcat(t)
	mustRun(t, b, "kafka-topics --create --topic events --partitions 1")
	kcat(t, b.Seeds, "k1:hello\nk2:world\n", "-P", "-t", "events", "-K", ":")
	line := "kafka-console-consumer --topic events --from-beginning --max-messages 2 --property print.key=true"
	wantOutput(t, line, mustRun(t, b, line), "k1\thello\nk2\tworld\nProcessed a total of 2 messages\n")
	if got := describeTopic(t, b, "events")["messages"]; got != 2 {
		t.Errorf("messages = %v", got)
	}
}

// TestConsoleProducesKcatConsumes has kcat read what the console producer
// wrote, keys included.
func TestConsoleProducesKcatConsumes(t *testing.T) {
	b := newBroker(t)
	requireKcat(t)
	mustRun(t, b, "kafka-topics --create --topic events --partitions 1")
	mustRun(t, b, `kafka-console-producer --topic events --property parse.key=true --property key.separator=: --message "k1:a b" --message k2:c`)
	got := kcat(t, b.Seeds, "", "-C", "-t", "events", "-o", "beginning", "-e", "-q", "-f", "%k=%s\n")
	wantOutput(t, "kcat -C", got, "k1=a b\nk2=c\n")
}

// TestKcatGroupInDescribe consumes with kcat's balanced consumer (-G) and
// checks that kafka-consumer-groups shows the group, its committed
// offsets, and the kcat member while it runs.
func TestKcatGroupInDescribe(t *testing.T) {
	b := newBroker(t)
	bin := requireKcat(t)
	mustRun(t, b, "kafka-topics --create --topic events --partitions 1")
	mustRun(t, b, "kafka-console-producer --topic events --message 1 --message 2 --message 3 --message 4 --message 5")

	got := kcat(t, b.Seeds, "", "-G", "kgroup", "-X", "auto.offset.reset=earliest", "-c", "3", "-q", "-f", "%s\n", "events")
	wantOutput(t, "kcat -G -c 3", got, "1\n2\n3\n")
	line := "kafka-consumer-groups --describe --group kgroup"
	wantOutput(t, line, mustRun(t, b, line), "\nConsumer group 'kgroup' has no active members.\n\n"+
		"GROUP           TOPIC           PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG             CONSUMER-ID     HOST            CLIENT-ID\n"+
		"kgroup          events          0          3               5               2               -               -               -\n")
	if g := describeGroup(t, b, "kgroup"); g["lag"] != 2 || g["state"] != "Empty" {
		t.Errorf("probe after kcat -G: %v", g)
	}
	line = "kafka-consumer-groups --list"
	wantOutput(t, line, mustRun(t, b, line), "kgroup\n")

	// The console consumer goes on where kcat's group stopped.
	line = "kafka-console-consumer --topic events --group kgroup --max-messages 5 --timeout-ms 1000"
	wantOutput(t, line, mustRun(t, b, line), "4\n5\nProcessed a total of 2 messages\n")

	// While kcat runs it is the group's member.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-b", strings.Join(b.Seeds, ","), "-G", "live", "-q", "events")
	cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		cmd.Wait()
	}()
	waitStable(t, b, "live")
	out := mustRun(t, b, "kafka-consumer-groups --describe --group live --members")
	rows := lines(out)
	if len(rows) != 3 || !strings.HasPrefix(rows[1], "GROUP") {
		t.Fatalf("--members of a kcat group:\n%s", out)
	}
	f := strings.Fields(rows[2])
	if f[0] != "live" || !strings.HasPrefix(f[1], "rdkafka-") || f[2] != "/127.0.0.1" || f[3] != "rdkafka" || f[4] != "1" {
		t.Errorf("kcat member row %q", rows[2])
	}
	if g := describeGroup(t, b, "live"); g["state"] != "Stable" || g["members"] != 1 {
		t.Errorf("probe of the kcat group: %v", g)
	}
}

// TestKcatReadCommittedAfterAbort has librdkafka confirm what the
// console's transaction tools did: with isolation.level=read_committed it
// sees only the committed records before the abort, and after
// kafka-transactions abort it skips the aborted ones and reads on.
func TestKcatReadCommittedAfterAbort(t *testing.T) {
	b := newBroker(t)
	requireKcat(t)
	mustRun(t, b, "kafka-topics --create --topic payments --partitions 1")
	mustRun(t, b, "kafka-console-producer --topic payments --message p1")
	mustRun(t, b, "opslab-drill abandon-transaction --topic payments --transactional-id payments-writer --message t1 --message t2")
	mustRun(t, b, "kafka-console-producer --topic payments --message p2")
	got := kcat(t, b.Seeds, "", "-C", "-t", "payments", "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed")
	if got != "p1\n" {
		t.Fatalf("read_committed before abort: %q, want only p1", got)
	}
	mustRun(t, b, "kafka-transactions abort --topic payments --partition 0 --start-offset 1")
	got = kcat(t, b.Seeds, "", "-C", "-t", "payments", "-o", "beginning", "-e", "-q", "-X", "isolation.level=read_committed")
	if got != "p1\np2\n" {
		t.Fatalf("read_committed after abort: %q, want p1 and p2", got)
	}
}
