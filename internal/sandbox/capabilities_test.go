package sandbox_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
)

// capsDriver is a fakeDriver whose Capabilities are set by the test and
// whose adoptions and node controls are counted: the Manager must ask
// Capabilities, not the driver's type, what works.
type capsDriver struct {
	*fakeDriver
	caps map[sandbox.Kind]sandbox.Capabilities

	mu      sync.Mutex
	adopted []string // ids Adopt was called with
	stops   []string // nodes StopNode was called with
}

func (d *capsDriver) Capabilities(kind sandbox.Kind) sandbox.Capabilities { return d.caps[kind] }

func (d *capsDriver) Adopt(_ context.Context, rec sandbox.Record) (sandbox.Instance, error) {
	d.mu.Lock()
	d.adopted = append(d.adopted, rec.ID)
	d.mu.Unlock()
	d.fakeDriver.mu.Lock()
	d.running[rec.ID] = true
	d.fakeDriver.mu.Unlock()
	return sandbox.Instance{Spec: sandbox.Spec{ID: rec.ID, Kind: rec.Kind, Owner: rec.Owner, Lesson: rec.Lesson}, Driver: d.Name(), StartedAt: rec.StartedAt}, nil
}

func (d *capsDriver) StopNode(_ context.Context, id, node string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stops = append(d.stops, node)
	return nil
}

// TestManagerAsksCapabilities: node control reaches the driver only for a
// kind whose Capabilities say ControlsNodes (ErrUnsupported otherwise, and
// ErrInvalid for a node the kind lacks); only a Kafka kind is RealKafka
// whatever the driver says; Recover adopts the recorded sandboxes of the
// kinds that Capabilities say Adopts and stops the others; Detach leaves
// sandboxes running only with a driver that adopts.
func TestManagerAsksCapabilities(t *testing.T) {
	ctx := context.Background()
	d := &capsDriver{fakeDriver: newFakeDriver(), caps: map[sandbox.Kind]sandbox.Capabilities{
		sandbox.KindRedis:        {Runs: true, Adopts: true, RealKafka: true},
		sandbox.KindKafka:        {Runs: true},
		sandbox.KindKafkaCluster: {Runs: true, RealKafka: true, ControlsNodes: true},
	}}
	m := newManager(t, d, nil, sandbox.Config{})
	if m.Capabilities(sandbox.KindRedis).RealKafka || !m.Capabilities(sandbox.KindKafkaCluster).RealKafka {
		t.Errorf("RealKafka: redis %v, kafka-cluster %v", m.Capabilities(sandbox.KindRedis).RealKafka, m.Capabilities(sandbox.KindKafkaCluster).RealKafka)
	}
	cluster, _, err := m.Acquire(ctx, 1, lk("c/l"), sandbox.KindKafkaCluster)
	if err != nil {
		t.Fatal(err)
	}
	single, _, err := m.Acquire(ctx, 1, lk("c/l"), sandbox.KindKafka)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.StopNode(ctx, cluster, "broker-1"); err != nil {
		t.Errorf("StopNode on a kafka-cluster: %v", err)
	}
	if err := m.StopNode(ctx, single, "broker-0"); !errors.Is(err, sandbox.ErrUnsupported) {
		t.Errorf("StopNode on a kafka sandbox: %v, want ErrUnsupported", err)
	}
	if err := m.StopNode(ctx, cluster, "broker-7"); !errors.Is(err, sandbox.ErrInvalid) {
		t.Errorf("StopNode on broker-7: %v, want ErrInvalid", err)
	}
	if !slices.Equal(d.stops, []string{"broker-1"}) {
		t.Errorf("the driver stopped nodes %v, want [broker-1]", d.stops)
	}

	// A restart: the redis sandbox is adopted, the kafka one stopped.
	recs := newMemRecords()
	now := time.Now()
	redisID, kafkaID := sandbox.NewID(sandbox.KindRedis, 2), sandbox.NewID(sandbox.KindKafka, 2)
	for _, r := range []sandbox.Record{
		{ID: redisID, Kind: sandbox.KindRedis, Owner: 2, Lesson: lk("c/l"), Driver: "fake", StartedAt: now},
		{ID: kafkaID, Kind: sandbox.KindKafka, Owner: 2, Lesson: lk("c/l"), Driver: "fake", StartedAt: now},
	} {
		_ = recs.Put(ctx, r)
	}
	d2 := &capsDriver{fakeDriver: newFakeDriver(), caps: d.caps}
	d2.running[kafkaID] = true
	m2, err := sandbox.NewManager(d2, recs, sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := m2.Recover(ctx); err != nil || n != 1 {
		t.Errorf("Recover = %d, %v; want 1 stopped", n, err)
	}
	if !slices.Equal(d2.adopted, []string{redisID}) || d2.runningCount() != 1 {
		t.Errorf("adopted %v, %d running; want [%s], 1", d2.adopted, d2.runningCount(), redisID)
	}
	if err := m2.Detach(ctx); err != nil || d2.runningCount() != 1 {
		t.Errorf("Detach = %v with %d running; want the adopted sandbox left running", err, d2.runningCount())
	}

	// A driver that adopts nothing: Detach stops everything.
	d3 := &capsDriver{fakeDriver: newFakeDriver(), caps: map[sandbox.Kind]sandbox.Capabilities{sandbox.KindRedis: {Runs: true}}}
	m3, err := sandbox.NewManager(d3, nil, sandbox.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := m3.Acquire(ctx, 1, lk("c/l"), sandbox.KindRedis); err != nil {
		t.Fatal(err)
	}
	if err := m3.Detach(ctx); err != nil || d3.runningCount() != 0 {
		t.Errorf("Detach = %v with %d running; want none", err, d3.runningCount())
	}
}

// shellDriver is a capsDriver that counts the shells it is asked for.
type shellDriver struct {
	*capsDriver
	shells int
}

func (d *shellDriver) StartShell(context.Context, sandbox.Instance, uint16, uint16) (sandbox.Terminal, error) {
	d.shells++
	return nil, errors.New("no terminal in this fake")
}

// TestManagerStartShellAsksCapabilities: a shell is asked of the driver
// only for a kind whose Capabilities say Shell; other kinds get
// ErrUnsupported without the driver being called.
func TestManagerStartShellAsksCapabilities(t *testing.T) {
	ctx := context.Background()
	d := &shellDriver{capsDriver: &capsDriver{fakeDriver: newFakeDriver(), caps: map[sandbox.Kind]sandbox.Capabilities{
		sandbox.KindRedis: {Runs: true, Shell: true},
		sandbox.KindKafka: {Runs: true},
	}}}
	m := newManager(t, d, nil, sandbox.Config{})
	redis, _, err := m.Acquire(ctx, 1, lk("c/l"), sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	kafka, _, err := m.Acquire(ctx, 1, lk("c/l"), sandbox.KindKafka)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.StartShell(ctx, kafka, 80, 24); !errors.Is(err, sandbox.ErrUnsupported) {
		t.Errorf("StartShell beside a kind without Shell: %v, want ErrUnsupported", err)
	}
	if d.shells != 0 {
		t.Errorf("the driver was asked for %d shells for a kind without Shell", d.shells)
	}
	if _, err := m.StartShell(ctx, redis, 80, 24); err == nil || d.shells != 1 {
		t.Errorf("StartShell beside a kind with Shell: err %v, driver asked %d times; want the driver's error, asked once", err, d.shells)
	}
}
