package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/sandbox"
)

// producerExercise's solution gives kafka-console-producer its records as
// a here-document in a YAML block scalar, as the lessons do.
const producerExercise = `id: keyed
title: Keyed
sandbox: kafka
task: Write three keyed records to payments.
setup:
  - kafka-topics --create --topic payments --partitions 1
solution:
  - |-
    kafka-console-producer --bootstrap-server localhost:9092 --topic payments --property parse.key=true --property key.separator=: <<'EOF'
    acct-1:pay-1
    acct-2:pay-2
    acct-1:{"amount":"$5"}
    EOF
checks:
  - kafka: describe topic payments
    field: messages
    min: 3
`

// TestKafkaProducerInput runs the producer's real forms through the
// console (lines typed after the command, a pipe, a here-document) and a
// here-document solution through the loader's check and the solution
// runner.
func TestKafkaProducerInput(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	e, ps := course.ParseExercise("x.md", 0, []byte(producerExercise), console.CheckCommand)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	if len(e.Solution) != 1 || strings.Count(e.Solution[0], "\n") != 4 {
		t.Fatalf("solution lines: %q", e.Solution)
	}
	f.lesson.Exercises = append(f.lesson.Exercises, e)
	tg := f.target(0, "keyed")
	ctx := context.Background()
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.RunSolution(ctx, tg)
	if err != nil || !rep.Passed {
		t.Fatalf("run solution: %+v %v", rep, err)
	}

	const producer = "kafka-console-producer --topic payments --property parse.key=true --property key.separator=:"
	for _, entry := range []string{
		producer + "\nacct-3:typed\nacct-4:typed too\n.",
		"echo acct-5:piped | " + producer,
		"printf 'acct-6:a\\nacct-7:b\\n' | " + producer,
		producer + " <<EOF\nacct-8:here\nEOF",
	} {
		if out := f.exec(t, tg, entry).Output; out != "" {
			t.Errorf("%q printed %q", entry, out)
		}
	}
	out := f.exec(t, tg, "kafka-console-consumer --topic payments --from-beginning --max-messages 9 --property print.key=true").Output
	want := "acct-1\tpay-1\nacct-2\tpay-2\nacct-1\t{\"amount\":\"$5\"}\nacct-3\ttyped\nacct-4\ttyped too\nacct-5\tpiped\nacct-6\ta\nacct-7\tb\nacct-8\there\nProcessed a total of 9 messages\n"
	if out != want {
		t.Errorf("consumer printed %q, want %q", out, want)
	}
	// A producer without input says how to give it.
	if out := f.exec(t, tg, producer).Output; !strings.Contains(out, "type the records on the lines after the command") {
		t.Errorf("producer without input printed %q", out)
	}
}
