package container

import (
	"context"
	"errors"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opslab/opslab/internal/sandbox"
)

// TestKafkaClusterContainers starts a kafka-cluster sandbox of three real
// brokers: the metadata lists three brokers at the nodes' addresses, a
// topic of replication factor 3 has an ISR of 3 on every partition, kcat
// sees the same from the host; a second driver adopts the sandbox after
// the first closed; and a broker stopped drops out of the ISR, which only
// a real cluster does.
func TestKafkaClusterContainers(t *testing.T) {
	dir := shortDir(t)
	d := newDriver(t, dir)
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	inst, err := d.Start(ctx, spec(sandbox.KindKafkaCluster))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Stop(context.Background(), inst.Spec.ID) })
	t.Logf("kafka-cluster ready in %v", time.Since(begin).Round(time.Millisecond))
	checkNodes(t, inst)
	if len(inst.Kafka.Seeds) != 3 {
		t.Fatalf("seeds %v, want the three brokers", inst.Kafka.Seeds)
	}

	adm := admin(t, node(t, inst, "broker-2").Kafka.Seeds)
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(meta.Brokers) != 3 {
		t.Fatalf("metadata lists %d brokers, want 3", len(meta.Brokers))
	}
	for _, b := range meta.Brokers {
		want := node(t, inst, "broker-"+strconv.Itoa(int(b.NodeID))).Kafka.Seeds[0]
		if got := b.Host + ":" + strconv.Itoa(int(b.Port)); got != want {
			t.Errorf("broker %d advertises %s, want its node's address %s", b.NodeID, got, want)
		}
	}
	if _, err := adm.CreateTopic(ctx, 3, 3, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	isr := func() []int {
		td, err := adm.ListTopics(ctx, "orders")
		if err != nil {
			t.Fatal(err)
		}
		var n []int
		for _, p := range td["orders"].Partitions.Sorted() {
			n = append(n, len(p.ISR))
			if len(p.Replicas) != 3 {
				t.Errorf("partition %d has replicas %v, want 3", p.Partition, p.Replicas)
			}
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for got := isr(); !allEqual(got, 3); got = isr() {
		if time.Now().After(deadline) {
			t.Fatalf("ISR sizes %v, want 3 on every partition", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if kcat, err := exec.LookPath("kcat"); err == nil {
		// kcat asks broker-0, whose metadata may trail the broker that
		// answered above by a moment: every broker applies the metadata
		// log on its own.
		settled := func(out string) bool {
			return strings.Contains(out, "3 brokers:") && strings.Contains(out, "topic \"orders\" with 3 partitions") &&
				strings.Count(out, "isrs: ") == 3
		}
		var out []byte
		deadline := time.Now().Add(20 * time.Second)
		for {
			out, err = exec.Command(kcat, "-b", inst.Kafka.Seeds[0], "-L", "-t", "orders").CombinedOutput()
			if err == nil && settled(string(out)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kcat -L never showed 3 brokers and orders with 3 partitions and 3 ISRs: %v\n%s", err, out)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	// A record produced through broker-0 is read through broker-1.
	produce(t, node(t, inst, "broker-0").Kafka.Seeds, "orders", "o-1")

	// Inside the sandbox, a broker reaches another on the shared
	// loopback: the nodes' addresses are right there too.
	port1 := portOf(node(t, inst, "broker-1").Kafka.Seeds[0])
	out, _, err := d.ExecNode(ctx, inst.Spec.ID, "broker-2", []string{"sh", "-c", "echo | nc -w 2 127.0.0.1 " + port1 + " && echo CONNECTED"})
	if err != nil || !strings.Contains(out, "CONNECTED") {
		t.Errorf("broker-2 cannot reach broker-1 at 127.0.0.1:%s: %v %s", port1, err, out)
	}

	// Restart: the first driver closes its relays, a second adopts.
	d.Close()
	d2 := newDriver(t, dir)
	adopted, err := d2.Adopt(ctx, sandbox.Record{ID: inst.Spec.ID, Kind: inst.Spec.Kind, Owner: 7, Lesson: lessonKey("test/lesson")})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(adopted.Kafka.Seeds, ",") != strings.Join(inst.Kafka.Seeds, ",") || len(adopted.Nodes) != 3 || adopted.Nodes[1].Kafka.Seeds[0] != inst.Nodes[1].Kafka.Seeds[0] {
		t.Errorf("adopted %+v, started %+v", adopted.Nodes, inst.Nodes)
	}
	if got := consume(t, node(t, adopted, "broker-1").Kafka.Seeds, "orders"); got != "o-1" {
		t.Errorf("consumed %q after Adopt, want o-1", got)
	}

	// A broker stopped as a service manager would (the broker drills):
	// the container stays, the broker leaves every ISR at once (a clean
	// shutdown), writes go on, and started again on its data it rejoins.
	isrVia := func(seeds []string) func() []int {
		adm := admin(t, seeds)
		return func() []int {
			td, err := adm.ListTopics(ctx, "orders")
			if err != nil {
				return nil
			}
			var n []int
			for _, p := range td["orders"].Partitions.Sorted() {
				n = append(n, len(p.ISR))
			}
			return n
		}
	}
	if c, k := d2.Capabilities(sandbox.KindKafkaCluster), d2.Capabilities(sandbox.KindKafka); !c.ControlsNodes || k.ControlsNodes || !c.RealKafka {
		t.Error("the container driver stops and starts exactly the brokers of a kafka-cluster, which are real")
	}
	stopBegin := time.Now()
	if err := d2.StopNode(ctx, inst.Spec.ID, "broker-1"); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker-1 stopped, out of every ISR, in %v", time.Since(stopBegin).Round(time.Millisecond))
	if up, err := d2.NodeRunning(ctx, inst.Spec.ID, "broker-1"); err != nil || up {
		t.Fatalf("NodeRunning(broker-1) after StopNode = %v, %v", up, err)
	}
	if up, err := d2.NodeRunning(ctx, inst.Spec.ID, "broker-0"); err != nil || !up {
		t.Fatalf("NodeRunning(broker-0) = %v, %v", up, err)
	}
	if !d2.Alive(ctx, inst.Spec.ID) {
		t.Error("a sandbox with a broker stopped on purpose is not dead")
	}
	if got := isrVia(node(t, adopted, "broker-0").Kafka.Seeds)(); !allEqual(got, 2) {
		t.Errorf("ISR sizes %v right after StopNode, want 2 on every partition", got)
	}
	if err := d2.StopNode(ctx, inst.Spec.ID, "broker-1"); err != nil {
		t.Errorf("stopping a stopped broker: %v", err)
	}
	produce(t, node(t, adopted, "broker-0").Kafka.Seeds, "orders", "o-2")
	startBegin := time.Now()
	if err := d2.StartNode(ctx, inst.Spec.ID, "broker-1"); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker-1 serving again in %v", time.Since(startBegin).Round(time.Millisecond))
	if up, err := d2.NodeRunning(ctx, inst.Spec.ID, "broker-1"); err != nil || !up {
		t.Fatalf("NodeRunning(broker-1) after StartNode = %v, %v", up, err)
	}
	deadline = time.Now().Add(40 * time.Second)
	isr1 := isrVia(node(t, adopted, "broker-1").Kafka.Seeds)
	for got := isr1(); !allEqual(got, 3); got = isr1() {
		if time.Now().After(deadline) {
			t.Fatalf("ISR sizes %v after broker-1 started again, want 3 on every partition", got)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("broker-1 back in every ISR %v after it was started", time.Since(startBegin).Round(time.Millisecond))
	if _, err := d2.NodeRunning(ctx, inst.Spec.ID, "broker-9"); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("NodeRunning of an unknown node: %v", err)
	}

	// A real ISR: broker-2 stopped, it leaves every ISR.
	stopNode(t, d2, inst.Spec.ID, "broker-2")
	if d2.Alive(ctx, inst.Spec.ID) {
		t.Error("Alive with broker-2 stopped")
	}
	isr = isrVia(node(t, adopted, "broker-0").Kafka.Seeds)
	stopped := time.Now()
	deadline = time.Now().Add(40 * time.Second)
	for got := isr(); !allEqual(got, 2); got = isr() {
		if time.Now().After(deadline) {
			t.Fatalf("ISR sizes %v with broker-2 stopped, want 2 on every partition", got)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("ISR shrank to 2 in %v after broker-2 stopped", time.Since(stopped).Round(time.Millisecond))
	checkGone(t, d2, inst)
}

func admin(t *testing.T, seeds []string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

func produce(t *testing.T, seeds []string, topic, value string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DefaultProduceTopic(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func consume(t *testing.T, seeds []string, topic string) string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consume %s: %v", topic, err)
		}
		var got string
		fs.EachRecord(func(r *kgo.Record) { got = string(r.Value) })
		if got != "" {
			return got
		}
	}
}

func allEqual(ns []int, want int) bool {
	if len(ns) == 0 {
		return false
	}
	for _, n := range ns {
		if n != want {
			return false
		}
	}
	return true
}
