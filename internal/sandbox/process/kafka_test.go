package process_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
)

func TestKafkaStartStop(t *testing.T) {
	d := mustDriver(t, process.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := spec(sandbox.KindKafka)
	inst, err := d.Start(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(inst.Kafka.Seeds) != 1 || !strings.HasPrefix(inst.Kafka.Seeds[0], "127.0.0.1:") || inst.PID <= 0 {
		t.Fatalf("instance = %+v", inst)
	}
	if !d.Alive(ctx, s.ID) {
		t.Fatal("not alive after start")
	}

	// A topic is created on first use, and a consumer group reads it back.
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(inst.Kafka.Seeds...),
		kgo.AllowAutoTopicCreation(),
		kgo.ConsumeTopics("orders"),
		kgo.ConsumerGroup("billing"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Key: []byte("o1"), Value: []byte("coffee")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) == 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		fetches.EachRecord(func(r *kgo.Record) { got = append(got, string(r.Value)) })
	}
	if got[0] != "coffee" {
		t.Errorf("consumed %q", got)
	}
	cl.Close()

	if err := d.Stop(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if d.Alive(ctx, s.ID) {
		t.Error("alive after stop")
	}
	if c, err := net.DialTimeout("tcp", inst.Kafka.Seeds[0], time.Second); err == nil {
		c.Close()
		t.Error("broker still accepts connections after stop")
	}
	if err := d.Stop(ctx, s.ID); !errors.Is(err, sandbox.ErrNotFound) {
		t.Errorf("second stop = %v, want ErrNotFound", err)
	}
}

func TestKafkaIsolation(t *testing.T) {
	d := mustDriver(t, process.Options{})
	a := mustStart(t, d, spec(sandbox.KindKafka))
	b := mustStart(t, d, spec(sandbox.KindKafka))
	if a.Kafka.Seeds[0] == b.Kafka.Seeds[0] {
		t.Fatal("two Kafka sandboxes share a broker")
	}
}

// TestKfakeGroupsThroughKafkaTools: Apache Kafka's own
// kafka-consumer-groups lists and describes a kfake sandbox's groups (its
// ListGroups types filter, "Classic" and "Consumer", is matched ignoring
// case, as a real broker does: kfake alone answered no group).
func TestKfakeGroupsThroughKafkaTools(t *testing.T) {
	home := requireKafkaHome(t)
	d := mustDriver(t, process.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	inst := mustStart(t, d, spec(sandbox.KindKafka))
	cl, err := kgo.NewClient(kgo.SeedBrokers(inst.Kafka.Seeds...), kgo.AllowAutoTopicCreation(),
		kgo.ConsumeTopics("orders"), kgo.ConsumerGroup("billing"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableAutoCommit())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("coffee")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	for {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
		if fetches.NumRecords() > 0 {
			if err := cl.CommitUncommittedOffsets(ctx); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	cl.Close()
	tool := filepath.Join(home, "bin", "kafka-consumer-groups.sh")
	if out := runTool(t, "", tool, "--bootstrap-server", inst.Kafka.Seeds[0], "--list"); out != "billing\n" {
		t.Errorf("--list printed %q", out)
	}
	out := runTool(t, "", tool, "--bootstrap-server", inst.Kafka.Seeds[0], "--describe", "--all-groups")
	if !strings.Contains(out, "LOG-END-OFFSET") || !regexp.MustCompile(`(?m)^billing\s+orders\s+\d+\s+1\s+1\s+0\s`).MatchString(out) {
		t.Errorf("--describe --all-groups printed:\n%s", out)
	}
}
