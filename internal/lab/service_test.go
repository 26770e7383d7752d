package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
)

const brokerDrill = `id: broker-down
title: A broker is down
sandbox: kafka-cluster
requires: [real-kafka]
task: Start broker-2 again.
setup:
  - kafka-topics --create --topic payments --partitions 3 --replication-factor 3
  - "@broker-2 systemctl stop kafka"
solution:
  - "@broker-2 systemctl start kafka"
checks:
  - kafka: describe topic payments
    field: min_isr
    min: 3
`

const clusterExercise = `id: cluster
title: Cluster
sandbox: kafka-cluster
task: Create payments.
solution:
  - kafka-topics --create --topic payments --partitions 3 --replication-factor 3
checks:
  - kafka: list topics
    contains: payments
`

// TestRealKafkaExerciseOnKfake: on a server whose kafka-cluster sandboxes
// are kfake, an exercise that requires real Kafka does not start, and
// says why in a sentence; systemctl in another exercise's console says
// why it cannot stop a kfake broker, and parses like systemctl.
func TestRealKafkaExerciseOnKfake(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	for i, src := range []string{brokerDrill, clusterExercise} {
		e, ps := course.ParseExercise("x.md", 400+i*100, []byte(src), nil)
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		f.lesson.Exercises = append(f.lesson.Exercises, e)
	}
	ctx := context.Background()
	drill := f.target(0, "broker-down")
	if why := f.svc.Unmet(drill.Exercise); !strings.Contains(why, "needs real Apache Kafka brokers") || !strings.Contains(why, "--sandbox container") {
		t.Errorf("Unmet = %q", why)
	}
	if _, err := f.svc.Start(ctx, drill); opslab.ErrorCode(err) != opslab.EUNAVAILABLE || !strings.Contains(opslab.ErrorMessage(err), "kfake") {
		t.Fatalf("start of a real-Kafka exercise on kfake: %v", err)
	}
	if _, err := f.svc.Exec(ctx, drill, "kafka-topics --list"); opslab.ErrorCode(err) != opslab.EUNAVAILABLE {
		t.Fatalf("exec in a real-Kafka exercise on kfake: %v", err)
	}
	if f.mgr.Running(sandbox.KindKafkaCluster) != 0 {
		t.Error("a sandbox was started for an exercise this server cannot run")
	}

	cl := f.target(0, "cluster")
	if why := f.svc.Unmet(cl.Exercise); why != "" {
		t.Errorf("Unmet of a plain exercise = %q", why)
	}
	for line, want := range map[string]string{
		"@broker-2 systemctl stop kafka": "these brokers are kfake",
		"systemctl status kafka":         "these brokers are kfake",
		"systemctl enable kafka":         "Unknown command verb 'enable'",
		"systemctl stop redis":           "Unit redis.service not found",
	} {
		if out := f.exec(t, cl, line).Output; !strings.Contains(out, want) {
			t.Errorf("%q printed %q, want %q", line, out, want)
		}
	}
	// Nothing was stopped: the cluster still answers on broker-2.
	if out := f.exec(t, cl, "@broker-2 kafka-topics --create --topic payments --partitions 3 --replication-factor 3"); !strings.Contains(out.Output, "Created topic payments") {
		t.Errorf("create on broker-2: %q", out.Output)
	}
	// A single-broker sandbox has no service to stop at all.
	k := f.target(0, "orders")
	if out := f.exec(t, k, "systemctl stop kafka").Output; !strings.Contains(out, "a kafka sandbox runs no service you can stop") {
		t.Errorf("systemctl in a kafka sandbox: %q", out)
	}
}
