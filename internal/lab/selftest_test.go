package lab_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/sandbox"
)

// selfTest parses an exercise (with the console's command checker, as lint
// does), adds it to the fixture's lesson and self-tests it as user 0.
func (f *fixture) selfTest(t *testing.T, src string) lab.Verdict {
	t.Helper()
	e, ps := course.ParseExercise("x.md", 500, []byte(src), console.CheckCommand)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	f.lesson.Exercises = append(f.lesson.Exercises, e)
	return f.svc.SelfTest(context.Background(), lab.Target{UserID: f.users[0], Course: f.course, Lesson: f.lesson, Exercise: e})
}

// sessionDrill is a Redis drill whose checks take an expiry of at most
// 1800 s; %CHECKS% and %WRONG% are filled in by each case.
const sessionDrill = `id: session-ttl
title: A session that never expires
sandbox: redis
drill: true
task: Give session:42 an expiry of at most 30 minutes.
setup:
  - SET session:42 alice
solution:
  - EXPIRE session:42 1800
wrong:
%WRONG%
checks:
  - redis: TTL session:42
    min: 1
%CHECKS%
`

func sessionDrillWith(wrong, checks string) string {
	return strings.NewReplacer("%WRONG%", wrong, "%CHECKS%", checks).Replace(sessionDrill)
}

// TestSelfTestCounterExamplesRejected: each counter-example runs on a
// fresh sandbox after the setup; a line that fails is passed over; the
// verdict counts them.
func TestSelfTestCounterExamplesRejected(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	v := f.selfTest(t, sessionDrillWith(`  - - PERSIST session:42
  - - EXPIRE session:42 86400
  - - EXPIRE session:42 soon
    - "# wait 10ms: a line after a failed one still runs"
    - DEL session:42`, "    max: 1800"))
	if !v.OK || v.Rejected != 3 {
		t.Fatalf("verdict %+v", v)
	}
}

// TestSelfTestCounterExampleAccepted: checks that let a counter-example
// pass fail the exercise, naming it; the lines after a failing one ran
// (the second line is what makes the checks pass).
func TestSelfTestCounterExampleAccepted(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	v := f.selfTest(t, sessionDrillWith(`  - - PERSIST session:42
  - - EXPIRE session:42 soon
    - EXPIRE session:42 86400`, ""))
	want := `counter-example 2 ("EXPIRE session:42 soon") passes every check: the checks accept a fix that does not work`
	if v.OK || !strings.HasPrefix(v.Problem, want) || v.Rejected != 1 {
		t.Fatalf("verdict %+v, want the problem %q", v, want)
	}
}

// TestSelfTestCounterExamplesFresh: every counter-example starts from a
// fresh sandbox. Together, or on top of the solution, they would pass.
func TestSelfTestCounterExamplesFresh(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	v := f.selfTest(t, `id: both
title: Both keys
sandbox: redis
task: Set a and b.
setup:
  - SET other 1
solution:
  - SET a 1
  - SET b 1
wrong:
  - - SET a 1
  - - SET b 1
checks:
  - redis: EXISTS a
    equals: 1
  - redis: EXISTS b
    equals: 1
`)
	if !v.OK || v.Rejected != 2 {
		t.Fatalf("verdict %+v", v)
	}
}

// TestSelfTestCounterExamplesKafka: the same on kfake, where a line the
// broker refuses (creating a topic that exists) is passed over too.
func TestSelfTestCounterExamplesKafka(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	const drill = `id: payments
title: Payments cannot scale out
sandbox: kafka
drill: true
task: Give payments 6 partitions.
setup:
  - kafka-topics --create --topic payments --partitions 1
solution:
  - kafka-topics --alter --topic payments --partitions 6
wrong:
  - - kafka-topics --create --topic payments --partitions 6
  - - kafka-topics --alter --topic payments --partitions 3
checks:
  - kafka: describe topic payments
    field: partitions
`
	if v := f.selfTest(t, drill+"    equals: 6\n"); !v.OK || v.Rejected != 2 {
		t.Fatalf("exact checks: verdict %+v", v)
	}
	v := f.selfTest(t, strings.Replace(drill, "id: payments", "id: payments-loose", 1)+"    min: 2\n")
	want := `counter-example 2 ("kafka-topics --alter --topic payments --partitions 3") passes every check`
	if v.OK || !strings.HasPrefix(v.Problem, want) {
		t.Fatalf("loose checks: verdict %+v, want %q", v, want)
	}
}

// TestSelfTestCounterExamplesMultiNode: on a replica sandbox a
// counter-example's checks are watched for a while, and one that passes
// is caught.
func TestSelfTestCounterExamplesMultiNode(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	src := strings.Replace(replicaExercise, "checks:", `wrong:
  - - "@replica-1 REPLICAOF {{primary}}"
  - - "@primary REPLICAOF NO ONE"
checks:`, 1)
	if v := f.selfTest(t, src); !v.OK || v.Rejected != 2 {
		t.Fatalf("verdict %+v", v)
	}
	src = strings.Replace(src, "id: promote", "id: promote-late", 1)
	src = strings.Replace(src, `  - - "@primary REPLICAOF NO ONE"`, `  - - "# wait 10ms"
    - "@replica-1 REPLICAOF NO ONE"`, 1)
	v := f.selfTest(t, src)
	if v.OK || !strings.HasPrefix(v.Problem, `counter-example 2 ("# wait 10ms") passes every check`) || v.Rejected != 1 {
		t.Fatalf("verdict %+v", v)
	}
}
