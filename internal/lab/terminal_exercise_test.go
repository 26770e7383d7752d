package lab_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/testkit"
)

// bigkeysReport is a terminal exercise: its solution is a workstation line
// and its checks read the learner's workstation.
const bigkeysReport = `id: bigkeys-report
title: A big-keys report
sandbox: redis
task: Save what redis-cli --bigkeys finds into bigkeys.txt in your home folder.
setup:
  - RPUSH queue:jobs a b c d e f g h
  - SET small x
solution:
  - "$ redis-cli -h redis --bigkeys > bigkeys.txt"
wrong:
  - - "$ redis-cli -h redis DBSIZE > bigkeys.txt"
  - - "$ redis-cli -h redis --bigkeys > report.txt"
checks:
  - file: bigkeys.txt
    field: exists
    equals: true
  - file: ~/bigkeys.txt
    field: content
    contains: queue:jobs
  - shell: redis-cli -h redis LLEN queue:jobs
    field: stdout
    equals: "8\n"
`

// TestTerminalExercise: an exercise done in the workstation self-tests
// like any other (its solution line runs with bash beside the sandbox, its
// counter-examples are rejected), and a learner's own work in a shell is
// what its checks read; lint rejects a workstation probe without a field.
func TestTerminalExercise(t *testing.T) {
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "redis-cli", "apt-get install redis-tools")
	f := newFixture(t, sandbox.Config{})
	if !f.mgr.Capabilities(sandbox.KindRedis).Shell {
		t.Skip("this machine cannot fence sandboxes: no workstation")
	}
	v := f.selfTest(t, bigkeysReport)
	if !v.OK || v.Rejected != 2 {
		t.Fatalf("self-test of a terminal exercise: %+v", v)
	}

	// A learner: before the work the checks fail, saying what they saw;
	// after a script in the workstation they pass.
	ctx := context.Background()
	tg := f.target(1, "bigkeys-report")
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.Check(ctx, tg)
	if err != nil || rep.Passed || rep.Checks[0].Passed || !rep.Checks[2].Passed {
		t.Fatalf("checks before the work: %+v %v", rep, err)
	}
	inst, _, err := f.mgr.Acquire(ctx, f.users[1], opslab.LessonKey{Course: f.course.Slug, Lesson: f.lesson.Slug}, sandbox.KindRedis)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.mgr.RunShell(ctx, inst, "redis-cli -h redis --bigkeys > bigkeys.txt"); err != nil {
		t.Fatal(err)
	}
	if rep, err := f.svc.Check(ctx, tg); err != nil || !rep.Passed {
		t.Fatalf("checks after the work: %+v %v", rep, err)
	}

	// Lint: a workstation probe names its field.
	_, ps := course.ParseExercise("x.md", 900, []byte(strings.Replace(bigkeysReport, "    field: exists\n", "", 1)), nil)
	if len(ps) == 0 || !strings.Contains(fmt.Sprint(ps), "needs a field") {
		t.Fatalf("a file probe without a field: %v", ps)
	}
}

// TestFailedCheckKeepsCommands: a failed check is recorded with the
// commands the learner ran before it, in the console and in the terminal
// (marked "$ "), in the order they ran; a pass keeps none.
func TestFailedCheckKeepsCommands(t *testing.T) {
	testkit.RequireEnv(t, "make test (make build writes bin/opslab-workstation)", "OPSLAB_WORKSTATION_BINARY")
	testkit.RequireTool(t, "redis-cli", "apt-get install redis-tools")
	f := newFixture(t, sandbox.Config{})
	if !f.mgr.Capabilities(sandbox.KindRedis).Shell {
		t.Skip("this machine cannot fence sandboxes: no workstation")
	}
	ctx := context.Background()
	tg := f.target(0, "board")
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	f.exec(t, tg, "ZADD board 1 alice")
	sh, err := f.svc.Shell(ctx, tg)
	if err != nil {
		t.Fatal(err)
	}
	w := &sandboxtest.Screen{}
	if err := sh.Attach(ctx, w); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(w.String(), "$ ") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := sh.Input(w, []byte("redis-cli -h redis ZSCORE board alice\r")); err != nil {
		t.Fatal(err)
	}
	for !strings.Contains(w.String(), "\"1\"") && !strings.Contains(w.String(), "\r\n1\r\n") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // the prompt after it logs the line; nothing is timed
	f.exec(t, tg, "ZCARD board")
	rep, err := f.svc.Check(ctx, tg)
	if err != nil || rep.Passed {
		t.Fatalf("check: %+v %v, want a failure", rep, err)
	}
	list, err := f.attempts.ListAttempts(ctx, f.users[0], opslab.ExerciseKey{Course: "c", Lesson: "l", Exercise: "board"}, 1)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	want := []string{"ZADD board 1 alice", "$ redis-cli -h redis ZSCORE board alice", "ZCARD board"}
	if !slices.Equal(list[0].Commands, want) {
		t.Fatalf("the failed check kept %q, want %q", list[0].Commands, want)
	}
	f.exec(t, tg, "ZADD board 2 bob")
	if rep, err := f.svc.Check(ctx, tg); err != nil || !rep.Passed {
		t.Fatalf("check after the fix: %+v %v", rep, err)
	}
	list, _ = f.attempts.ListAttempts(ctx, f.users[0], opslab.ExerciseKey{Course: "c", Lesson: "l", Exercise: "board"}, 1)
	if len(list) != 1 || list[0].Commands != nil {
		t.Fatalf("a pass kept commands: %+v", list)
	}
}
