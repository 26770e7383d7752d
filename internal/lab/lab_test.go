package lab_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sandbox/process"
	"github.com/opslab/opslab/internal/sandbox/sandboxtest"
	"github.com/opslab/opslab/internal/sqlite"
	"github.com/opslab/opslab/internal/testkit"
	"github.com/opslab/opslab/internal/testkit/dbkit"
	"github.com/opslab/opslab/internal/testkit/sandboxkit"
)

const redisExercise = `id: board
title: Board
sandbox: redis
task: Add alice and bob to board.
hints: [Use ZADD., "ZADD board 1 alice 2 bob"]
setup:
  - DEL board
solution:
  - ZADD board 1 alice 2 bob
checks:
  - redis: TYPE board
    equals: zset
    message: board must be a sorted set.
  - redis: ZCARD board
    equals: 2
  - redis: CONFIG GET maxmemory-policy
    field: maxmemory-policy
    matches: "^(noeviction|allkeys-lru)$"
`

const kafkaExercise = `id: orders
title: Orders
sandbox: kafka
task: Make the orders topic with 3 partitions and two records.
setup:
  - kafka-topics --list
solution:
  - kafka-topics --create --topic orders --partitions 3
  - kafka-console-producer --topic orders --message a --message b
checks:
  - kafka: describe topic orders
    field: partitions
    equals: 3
  - kafka: describe topic orders
    field: messages
    min: 2
  - kafka: list topics
    contains: orders
`

// fixture is a lab over real sandboxes and a real SQLite file.
type fixture struct {
	svc      *lab.Service
	mgr      *sandbox.Manager
	db       *sqlite.DB
	course   *course.Course
	lesson   *course.Lesson
	users    []int64
	scratch  string
	attempts *sqlite.AttemptService
}

func newFixture(t *testing.T, cfg sandbox.Config) *fixture {
	t.Helper()
	testkit.RequireTool(t, "redis-server", "install Debian's redis-server package (make deps-test)")
	db := dbkit.Open(t)
	mgr, scratch := sandboxkit.ProcessManager(t, db, process.Options{}, cfg)
	attempts := sqlite.NewAttemptService(db)
	svc, err := lab.New(lab.Config{Sandboxes: mgr, Attempts: attempts, ExecRate: 1000, ExecBurst: 1000})
	if err != nil {
		t.Fatal(err)
	}
	users := sqlite.NewUserService(db)
	f := &fixture{svc: svc, mgr: mgr, db: db, scratch: scratch, attempts: attempts}
	for i := 0; i < 2; i++ {
		u, err := users.CreateUser(context.Background(), opslab.NewUser{
			Email: "u" + strconv.Itoa(i) + "@example.com", Name: "U", Password: "long-enough-password"})
		if err != nil {
			t.Fatal(err)
		}
		f.users = append(f.users, u.ID)
	}
	var exs []*course.Exercise
	for i, src := range []string{redisExercise, kafkaExercise} {
		e, ps := course.ParseExercise("x.md", i*100, []byte(src), nil)
		if len(ps) > 0 {
			t.Fatal(ps)
		}
		exs = append(exs, e)
	}
	f.lesson = &course.Lesson{Slug: "l", Title: "L", Exercises: exs}
	f.course = &course.Course{Slug: "c", Title: "C", Lessons: []*course.Lesson{f.lesson}}
	return f
}

func (f *fixture) target(user int, exercise string) lab.Target {
	e, _ := f.lesson.Exercise(exercise)
	return lab.Target{UserID: f.users[user], Course: f.course, Lesson: f.lesson, Exercise: e}
}

func (f *fixture) exec(t *testing.T, tg lab.Target, line string) *lab.Executed {
	t.Helper()
	res, err := f.svc.Exec(context.Background(), tg, line)
	if err != nil {
		t.Fatalf("exec %q: %v", line, err)
	}
	return res
}

func TestRedisExercise(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	ctx := context.Background()
	tg := f.target(0, "board")
	st, err := f.svc.Start(ctx, tg)
	if err != nil || st.Status != "ready" || !st.Fresh {
		t.Fatalf("start: %+v %v", st, err)
	}
	rep, err := f.svc.Check(ctx, tg)
	if err != nil || rep.Passed || len(rep.Checks) != 3 {
		t.Fatalf("check before work: %+v %v", rep, err)
	}
	if rep.Checks[0].Message != "board must be a sorted set." || rep.Checks[1].Message != `ZCARD board: expected 2, got 0` || !rep.Checks[2].Passed {
		t.Fatalf("messages: %+v", rep.Checks)
	}
	res := f.exec(t, tg, `ZADD board 1 alice`)
	if res.Output != "(integer) 1\n" {
		t.Fatalf("output %q", res.Output)
	}
	if res.Checks == nil || res.Checks.Passed || !res.Checks.Checks[0].Passed {
		t.Fatalf("live checks after one member: %+v", res.Checks)
	}
	res = f.exec(t, tg, `ZADD board 2 "bob"`)
	if !res.Checks.Passed {
		t.Fatalf("live checks after the work: %+v", res.Checks)
	}
	res = f.exec(t, tg, `ZRANGE board 0 -1 WITHSCORES`)
	if res.Output != "1) \"alice\"\n2) \"1\"\n3) \"bob\"\n4) \"2\"\n" {
		t.Fatalf("zrange output %q", res.Output)
	}
	rep, err = f.svc.Check(ctx, tg)
	if err != nil || !rep.Passed {
		t.Fatalf("check after work: %+v %v", rep, err)
	}
	k := opslab.ExerciseKey{Course: "c", Lesson: "l", Exercise: "board"}
	if _, err := f.attempts.FindPass(ctx, f.users[0], k); err != nil {
		t.Fatalf("pass not recorded: %v", err)
	}
	all, _ := f.attempts.ListAttempts(ctx, f.users[0], k, 100)
	// check (fail), live (1 of 3 → 2 of 3 changes), live (pass), check (pass): the
	// unchanged live verdict after ZRANGE is not recorded.
	if len(all) != 4 {
		t.Errorf("attempts recorded: %d, want 4", len(all))
	}
	// MULTI/EXEC spans console commands on one connection, as in redis-cli.
	if out := f.exec(t, tg, "MULTI").Output; out != "OK\n" {
		t.Fatalf("multi: %q", out)
	}
	if out := f.exec(t, tg, "INCR counter").Output; out != "QUEUED\n" {
		t.Fatalf("queued: %q", out)
	}
	if out := f.exec(t, tg, "EXEC").Output; out != "1) (integer) 1\n" {
		t.Fatalf("exec: %q", out)
	}
}

func TestRedisRefusals(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	tg := f.target(0, "board")
	cases := [][2]string{
		{`SET a "b`, "Invalid argument(s)\n"},
		{"DEBUG SLEEP 0", "(error) "},
		{"CONFIG SET dir /tmp", "(error) ERR CONFIG SET 'dir' is not allowed"},
		{"CONFIG SET port 6380", "(error) ERR CONFIG SET 'port' is not allowed"},
		{"REPLICAOF 10.0.0.1 6379", "(error) NOPERM"},
		{"SLAVEOF 10.0.0.1 6379", "(error) NOPERM"},
		{"MIGRATE 10.0.0.1 6379 k 0 1000", "(error) NOPERM"},
		{"MODULE LOAD /tmp/x.so", "(error) "},
		{"SHUTDOWN", "(error) NOPERM"},
		{"ACL SETUSER learner on +@all", "(error) ERR ACL SETUSER may not touch 'learner'"},
		{"ACL LIST", "(error) NOPERM"},
		{"HELLO 3", "(error) ERR HELLO"},
		{"MONITOR", "(error) ERR MONITOR"},
		{"CONFIG SET maxmemory 10gb", "(error) "},
		{"CONFIG SET maxmemory-policy allkeys-lru", "OK\n"},
		{"CONFIG GET maxmemory-policy", "1) \"maxmemory-policy\"\n2) \"allkeys-lru\"\n"},
		{"redis-cli PING", "PONG\n"},
		{"NOSUCHCOMMAND", "(error) ERR unknown command"},
	}
	for _, c := range cases {
		line, want := c[0], c[1]
		got := f.exec(t, tg, line).Output
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s: got %q, want prefix %q", line, got, want)
		}
	}
	// The server still answers after all of that.
	if out := f.exec(t, tg, "PING").Output; out != "PONG\n" {
		t.Fatalf("ping after refusals: %q", out)
	}
}

func TestIsolationBetweenLearners(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	a, b := f.target(0, "board"), f.target(1, "board")
	f.exec(t, a, "SET secret alice-only")
	if out := f.exec(t, b, "GET secret").Output; out != "(nil)\n" {
		t.Fatalf("learner b sees %q", out)
	}
	if out := f.exec(t, b, "KEYS *").Output; strings.Contains(out, "secret") {
		t.Fatalf("learner b lists %q", out)
	}
	ka, kb := f.target(0, "orders"), f.target(1, "orders")
	f.exec(t, ka, "kafka-topics --create --topic private --partitions 1")
	if out := f.exec(t, kb, "kafka-topics --list").Output; strings.Contains(out, "private") {
		t.Fatalf("learner b lists a's topic: %q", out)
	}
}

func TestKafkaExercise(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	ctx := context.Background()
	tg := f.target(0, "orders")
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	rep, err := f.svc.Check(ctx, tg)
	if err != nil || rep.Passed {
		t.Fatalf("check before work: %+v %v", rep, err)
	}
	out := f.exec(t, tg, "kafka-topics --bootstrap-server broker:9092 --create --topic orders --partitions 3").Output
	if !strings.Contains(out, "Created topic orders.") {
		t.Fatalf("create: %q", out)
	}
	f.exec(t, tg, `kafka-console-producer --topic orders --message "first order" --message second`)
	out = f.exec(t, tg, "kafka-console-consumer --topic orders --from-beginning --max-messages 2").Output
	if !strings.Contains(out, "first order") || !strings.Contains(out, "Processed a total of 2 messages") {
		t.Fatalf("consume: %q", out)
	}
	if out := f.exec(t, tg, "kafka-configs --entity-type topics --entity-name orders --alter --add-config retention.ms=abc").Output; !strings.Contains(out, "retention.ms") {
		t.Fatalf("bad config: %q", out)
	}
	rep, err = f.svc.Check(ctx, tg)
	if err != nil || !rep.Passed {
		t.Fatalf("check after work: %+v %v", rep, err)
	}
}

func TestSandboxKilledFromOutsideRecovers(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	ctx := context.Background()
	tg := f.target(0, "board")
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	f.exec(t, tg, "SET k v")
	pids := sandboxtest.RedisPIDs(f.scratch)
	if len(pids) != 1 {
		t.Fatalf("redis-server processes: %v", pids)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(sandboxtest.RedisPIDs(f.scratch)) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	res := f.exec(t, tg, "GET k")
	if res.Output != "(nil)\n" || !strings.Contains(res.Notice, "fresh one") {
		t.Fatalf("after kill: %+v", res)
	}
	if out := f.exec(t, tg, "PING").Output; out != "PONG\n" {
		t.Fatalf("ping: %q", out)
	}
}

func TestGlobalCapAnswersUnavailable(t *testing.T) {
	f := newFixture(t, sandbox.Config{MaxPerKind: map[sandbox.Kind]int{sandbox.KindRedis: 1}})
	ctx := context.Background()
	if _, err := f.svc.Start(ctx, f.target(0, "board")); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Start(ctx, f.target(1, "board"))
	var ue *lab.UnavailableError
	if !errors.As(err, &ue) || opslab.ErrorCode(err) != opslab.EUNAVAILABLE || ue.RetryAfterSeconds() < 1 {
		t.Fatalf("second learner: %v", err)
	}
	if !strings.Contains(opslab.ErrorMessage(err), "try again") {
		t.Errorf("message: %q", opslab.ErrorMessage(err))
	}
}

func TestExecRateLimit(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	svc, err := lab.New(lab.Config{Sandboxes: f.mgr, Attempts: f.attempts, ExecRate: 1, ExecBurst: 2})
	if err != nil {
		t.Fatal(err)
	}
	tg := f.target(0, "board")
	var last error
	for i := 0; i < 4; i++ {
		_, last = svc.Exec(context.Background(), tg, "PING")
	}
	var rl *lab.RateLimitError
	if !errors.As(last, &rl) || opslab.ErrorCode(last) != opslab.ERATELIMIT {
		t.Fatalf("fourth command: %v", last)
	}
}

func TestHintsAndSolution(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	ctx := context.Background()
	tg := f.target(0, "board")
	if err := f.svc.RevealHint(ctx, tg, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevealHint(ctx, tg, 5); opslab.ErrorCode(err) != opslab.ENOTFOUND {
		t.Fatalf("hint 6: %v", err)
	}
	sol, err := f.svc.RevealSolution(ctx, tg)
	if err != nil || len(sol) != 1 || sol[0] != "ZADD board 1 alice 2 bob" {
		t.Fatalf("solution: %v %v", sol, err)
	}
	// Revealing never applies it.
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if out := f.exec(t, tg, "EXISTS board").Output; out != "(integer) 0\n" {
		t.Fatalf("solution was applied: %q", out)
	}
	n, _ := f.attempts.HintsRevealed(ctx, f.users[0], opslab.ExerciseKey{Course: "c", Lesson: "l", Exercise: "board"})
	if n != 1 {
		t.Fatalf("hints revealed: %d", n)
	}
}
