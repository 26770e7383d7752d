package lab_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/internal/testkit/sandboxkit"
)

// stops is a sandbox.Observer that counts stops by kind and reason.
type stops struct {
	mu sync.Mutex
	n  map[string]int
}

func (o *stops) OnStart(sandbox.Kind, string, time.Duration, error) {}
func (o *stops) OnRefuse(sandbox.Kind, sandbox.CapScope)            {}

func (o *stops) OnStop(kind sandbox.Kind, _ string, reason sandbox.StopReason, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[string(kind)+" "+string(reason)]++
}

func (o *stops) count(kind sandbox.Kind, reason sandbox.StopReason) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[string(kind)+" "+string(reason)]
}

// shortService returns a lab over f's sandboxes and attempts whose
// console commands time out after timeout.
func shortService(t *testing.T, f *fixture, timeout time.Duration) *lab.Service {
	t.Helper()
	svc, err := lab.New(lab.Config{Sandboxes: f.mgr, Attempts: f.attempts, ExecTimeout: timeout, ExecRate: 1000, ExecBurst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// run runs line on svc and fails the test on an error.
func run(t *testing.T, svc *lab.Service, tg lab.Target, line string) *lab.Executed {
	t.Helper()
	res, err := svc.Exec(context.Background(), tg, line)
	if err != nil {
		t.Fatalf("exec %q: %v", line, err)
	}
	return res
}

// timeoutOutput is what a command that ran out of d prints.
func timeoutOutput(d time.Duration) string {
	return fmt.Sprintf("(error) the command did not finish within %s and was stopped\n", d)
}

// pingUntil sends PING as tg every few milliseconds until stop is closed,
// and returns on done the replies that were not PONG.
func pingUntil(svc *lab.Service, tg lab.Target, stop <-chan struct{}) <-chan []string {
	done := make(chan []string, 1)
	go func() {
		var bad []string
		pings := 0
		for {
			select {
			case <-stop:
				if pings == 0 {
					bad = append(bad, "no PING ran")
				}
				done <- bad
				return
			case <-time.After(20 * time.Millisecond):
			}
			res, err := svc.Exec(context.Background(), tg, "PING")
			pings++
			switch {
			case err != nil:
				bad = append(bad, err.Error())
			case res.Output != "PONG\n" || res.Notice != "":
				bad = append(bad, fmt.Sprintf("%q (notice %q)", res.Output, res.Notice))
			}
		}
	}()
	return done
}

// A Lua script that wrote a key and then loops forever cannot be killed
// (SCRIPT KILL answers UNKILLABLE): the command times out, the sandbox is
// replaced by a fresh one with the exercise's setup, and the learner is
// told; the live checks judge the fresh sandbox, the learner's earlier
// pass stays recorded, and another learner's sandbox answers throughout.
func TestRunawayScriptReplacesSandbox(t *testing.T) {
	obs := &stops{}
	f := newFixture(t, sandbox.Config{Observer: obs})
	const timeout = 2 * time.Second
	svc := shortService(t, f, timeout)
	ctx := context.Background()
	tg, other := f.target(0, "board"), f.target(1, "board")

	if res := run(t, svc, tg, "ZADD board 1 alice 2 bob"); res.Checks == nil || !res.Checks.Passed {
		t.Fatalf("live checks after the work: %+v", res.Checks)
	}
	run(t, svc, tg, "SET k v")
	if out := run(t, svc, tg, "CONFIG SET busy-reply-threshold 100").Output; out != "OK\n" {
		t.Fatalf("CONFIG SET busy-reply-threshold: %q", out)
	}
	run(t, svc, other, "SET mine yes")

	stop := make(chan struct{})
	done := pingUntil(svc, other, stop)
	res := run(t, svc, tg, `EVAL "redis.call('set','k','v2') while true do end" 0`)
	close(stop)
	if bad := <-done; len(bad) > 0 {
		t.Errorf("the other learner's sandbox did not answer every PING: %v", bad)
	}

	if res.Output != timeoutOutput(timeout) {
		t.Errorf("output %q, want %q", res.Output, timeoutOutput(timeout))
	}
	const notice = "Your sandbox was busy for over 2s (a script or command that never ended), so it was replaced by a fresh one: anything you made before is gone."
	if res.Notice != notice {
		t.Errorf("notice %q, want %q", res.Notice, notice)
	}
	// The checks ran on the fresh sandbox, set up again: board is empty.
	if res.Checks == nil || res.Checks.Passed || res.Checks.Checks[0].Passed || !res.Checks.Checks[2].Passed {
		t.Errorf("live checks after the replacement: %+v", res.Checks)
	}
	if obs.count(sandbox.KindRedis, sandbox.StopStuck) != 1 {
		t.Errorf("stuck stops: %d, want 1", obs.count(sandbox.KindRedis, sandbox.StopStuck))
	}
	if pids := sandboxtest.RedisPIDs(f.scratch); len(pids) != 2 {
		t.Errorf("redis-server processes after the replacement: %v, want one per learner", pids)
	}

	// The next command runs in the fresh sandbox, with no further notice.
	res = run(t, svc, tg, "GET k")
	if res.Output != "(nil)\n" || res.Notice != "" {
		t.Errorf("GET k after the replacement: %q (notice %q)", res.Output, res.Notice)
	}
	if out := run(t, svc, other, "GET mine").Output; out != "\"yes\"\n" {
		t.Errorf("the other learner's key: %q", out)
	}

	// The pass stays; the fresh sandbox's failing verdict is recorded live.
	k := opslab.ExerciseKey{Course: "c", Lesson: "l", Exercise: "board"}
	if _, err := f.attempts.FindPass(ctx, f.users[0], k); err != nil {
		t.Errorf("the pass before the replacement is lost: %v", err)
	}
	all, err := f.attempts.ListAttempts(ctx, f.users[0], k, 0)
	if err != nil || len(all) != 2 || all[0].Passed || all[0].Kind != opslab.AttemptLive || !all[1].Passed {
		t.Errorf("attempts (newest first): %+v %v; want the live pass, then a live fail", all, err)
	}
}

// A command that merely ran out of time on a healthy server (a BLPOP with
// a long timeout) keeps the sandbox, and so does a script that wrote
// nothing: it is killed with SCRIPT KILL, or FUNCTION KILL for a function.
func TestSlowCommandKeepsSandbox(t *testing.T) {
	obs := &stops{}
	f := newFixture(t, sandbox.Config{Observer: obs})
	const timeout = time.Second
	svc := shortService(t, f, timeout)
	tg := f.target(0, "board")

	run(t, svc, tg, "SET k v")
	run(t, svc, tg, "CONFIG SET busy-reply-threshold 100")
	run(t, svc, tg, `FUNCTION LOAD "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"`)
	for _, line := range []string{
		"BLPOP nothing 30",
		`EVAL "while true do end" 0`,
		"FCALL spin 0",
	} {
		res := run(t, svc, tg, line)
		if res.Output != timeoutOutput(timeout) || res.Notice != "" {
			t.Errorf("%s: output %q, notice %q; want the timeout and no notice", line, res.Output, res.Notice)
		}
		if res := run(t, svc, tg, "GET k"); res.Output != "\"v\"\n" || res.Notice != "" {
			t.Errorf("GET k after %s: %q (notice %q)", line, res.Output, res.Notice)
		}
	}
	if n := obs.count(sandbox.KindRedis, sandbox.StopStuck); n != 0 {
		t.Errorf("stuck stops: %d, want 0", n)
	}
}

// Two commands of one learner that both time out on a server that answers
// nothing (busy-reply-threshold above the console's timeout, so not even
// BUSY comes back) replace the sandbox once.
func TestRunawayConcurrentCommandsReplaceOnce(t *testing.T) {
	obs := &stops{}
	f := newFixture(t, sandbox.Config{Observer: obs})
	const timeout = time.Second
	svc := shortService(t, f, timeout)
	tg := f.target(0, "board")

	run(t, svc, tg, "SET k v")
	run(t, svc, tg, "CONFIG SET busy-reply-threshold 60000")
	var wg sync.WaitGroup
	results := make([]*lab.Executed, 2)
	for i, line := range []string{`EVAL "redis.call('set','k','v2') while true do end" 0`, "GET k"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i == 1 {
				time.Sleep(50 * time.Millisecond) // behind the script, most of the time
			}
			res, err := svc.Exec(context.Background(), tg, line)
			if err != nil {
				t.Errorf("exec %q: %v", line, err)
				return
			}
			results[i] = res
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// GET k either ran before the script (rarely), or timed out behind it
	// and was told of the same replacement.
	if get := results[1]; get.Output != "\"v\"\n" && (get.Output != timeoutOutput(timeout) || get.Notice != results[0].Notice) {
		t.Errorf("GET k alongside the script: %+v", get)
	}
	if results[0].Output != timeoutOutput(timeout) || !strings.Contains(results[0].Notice, "was replaced by a fresh one") {
		t.Errorf("the script: %+v", results[0])
	}
	if n := obs.count(sandbox.KindRedis, sandbox.StopStuck); n != 1 {
		t.Errorf("stuck stops: %d, want 1 (GET k: %+v)", n, results[1])
	}
	if res := run(t, svc, tg, "GET k"); res.Output != "(nil)\n" || res.Notice != "" {
		t.Errorf("GET k afterwards: %q (notice %q)", res.Output, res.Notice)
	}
	if pids := sandboxtest.RedisPIDs(f.scratch); len(pids) != 1 {
		t.Errorf("redis-server processes: %v, want 1", pids)
	}
}

// A console consumer that waits for records until the timeout, on a
// healthy broker, keeps the sandbox.
func TestSlowKafkaCommandKeepsSandbox(t *testing.T) {
	obs := &stops{}
	f := newFixture(t, sandbox.Config{Observer: obs})
	svc := shortService(t, f, time.Second)
	tg := f.target(0, "orders")

	run(t, svc, tg, "kafka-topics --create --topic kept --partitions 1")
	res := run(t, svc, tg, "kafka-console-consumer --topic kept --from-beginning")
	if !strings.Contains(res.Output, "Processed a total of 0 messages") || res.Notice != "" {
		t.Errorf("consumer: %q (notice %q)", res.Output, res.Notice)
	}
	if res := run(t, svc, tg, "kafka-topics --list"); !strings.Contains(res.Output, "kept") || res.Notice != "" {
		t.Errorf("topics afterwards: %q (notice %q)", res.Output, res.Notice)
	}
	if n := obs.count(sandbox.KindKafka, sandbox.StopStuck); n != 0 {
		t.Errorf("stuck stops: %d, want 0", n)
	}
}

// A real Apache Kafka broker that stops answering (its JVM stopped with
// SIGSTOP, as a hung broker would look) is replaced after a command times
// out on it.
func TestRunawayKafkaBrokerReplaced(t *testing.T) {
	testkit.Slow(t, "Apache Kafka (a real broker in a JVM)")
	home := process.FindKafkaHome()
	if home == "" {
		t.Skip("Apache Kafka jars not found: run `make kafka-jars` or set KAFKA_HOME")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not on PATH")
	}
	ctx := context.Background()
	obs := &stops{}
	mgr, _ := sandboxkit.ProcessManager(t, nil, process.Options{Kafka: process.KafkaApache, KafkaHome: home}, sandbox.Config{Observer: obs})
	// Long enough for a fresh broker to answer on a loaded machine (the
	// second command below runs on one).
	const timeout = 8 * time.Second
	svc, err := lab.New(lab.Config{Sandboxes: mgr, ExecTimeout: timeout, ExecRate: 1000, ExecBurst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	e, ps := course.ParseExercise("x.md", 0, []byte(kafkaExercise), nil)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	lesson := &course.Lesson{Slug: "l", Title: "L", Exercises: []*course.Exercise{e}}
	tg := lab.Target{UserID: 1, Course: &course.Course{Slug: "c", Title: "C", Lessons: []*course.Lesson{lesson}}, Lesson: lesson, Exercise: e}

	if _, err := svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if out := run(t, svc, tg, "kafka-topics --create --topic before --partitions 1").Output; !strings.Contains(out, "Created topic before.") {
		t.Fatalf("create: %q", out)
	}
	inst, _, err := mgr.Acquire(ctx, 1, opslab.LessonKey{Course: "c", Lesson: "l"}, sandbox.KindKafka)
	if err != nil || inst.PID <= 0 {
		t.Fatalf("the broker's process: %d %v", inst.PID, err)
	}
	if err := syscall.Kill(inst.PID, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(inst.PID, syscall.SIGCONT) })

	res := run(t, svc, tg, "kafka-topics --list")
	if !strings.HasSuffix(res.Output, timeoutOutput(timeout)) {
		t.Errorf("output %q, want it to end with %q", res.Output, timeoutOutput(timeout))
	}
	notice := fmt.Sprintf("Your sandbox's broker stopped answering for over %s, so the sandbox was replaced by a fresh one: anything you made before is gone.", timeout)
	if res.Notice != notice {
		t.Errorf("notice %q, want %q", res.Notice, notice)
	}
	if n := obs.count(sandbox.KindKafka, sandbox.StopStuck); n != 1 {
		t.Errorf("stuck stops: %d, want 1", n)
	}
	if err := syscall.Kill(inst.PID, 0); err == nil {
		t.Errorf("the stuck broker %d still runs", inst.PID)
	}
	res = run(t, svc, tg, "kafka-topics --list")
	if strings.Contains(res.Output, "before") || res.Notice != "" {
		t.Errorf("topics in the fresh sandbox: %q (notice %q)", res.Output, res.Notice)
	}
}
