package lab_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/console"
	"github.com/opslab/opslab/internal/course"
)

// stackDrill is a stack exercise whose lines and checks meet all three
// servers: rows in the database, a key in the cache, a topic on the
// broker, and the workstation's own clients reaching each by name (and
// Redis as a Redis host's redis-cli does, with no -h).
const stackDrill = `id: stack-meet
title: Three systems
sandbox: stack
task: Cache user 1 and announce it.
setup:
  - CREATE TABLE users (id int PRIMARY KEY, name text NOT NULL)
  - INSERT INTO users VALUES (1, 'alice'), (2, 'bob')
  - "@redis SET stale:user:2 old"
  - "@broker kafka-topics --create --topic user-events --partitions 1"
solution:
  - "$ redis-cli -h redis SET user:1 \"$(psql -Atc 'SELECT name FROM users WHERE id = 1')\""
  - "@redis DEL stale:user:2"
  - "@broker kafka-console-producer --topic user-events --message cached-1"
wrong:
  - - "@redis SET user:1 bob"
  - - "@redis SET user:1 alice"
checks:
  - redis: GET user:1
    equals: alice
  - redis: EXISTS stale:user:2
    equals: 0
  - kafka: describe topic user-events
    field: messages
    equals: 1
  - postgres: SELECT count(*) FROM users
    field: value
    equals: 2
  - node: db
    postgres: SELECT name FROM users WHERE id = 1
    field: value
    equals: alice
  - shell: psql -Atc 'SELECT 1' && redis-cli -h redis PING && redis-cli INFO persistence | grep -c '^aof_enabled:0'
    field: stdout
    equals: "1\nPONG\n1\n"
`

// TestStackExercise: a stack exercise runs SQL on the default node and
// Redis and Kafka lines on the nodes they name, each in its own language;
// its probes reach the server of their family without naming a node; the
// self-test passes its solution (a workstation line that reads the
// database and writes the cache) and rejects both counter-examples; the
// console runs each node's language and gives each its prompt.
func TestStackExercise(t *testing.T) {
	f := pgFixture(t)
	ctx := context.Background()
	v := f.selfTest(t, stackDrill)
	if !v.OK || v.Rejected != 2 {
		t.Fatalf("self-test: %+v", v)
	}

	tg := f.target(1, "stack-meet")
	if st, err := f.svc.Start(ctx, tg); err != nil || !st.Fresh {
		t.Fatalf("start: %+v %v", st, err)
	}
	if res := f.exec(t, tg, "SELECT name FROM users ORDER BY id"); !strings.Contains(res.Output, " alice\n bob\n(2 rows)") || res.Prompt != "appdb=> " {
		t.Errorf("SQL on the default node: %q, prompt %q", res.Output, res.Prompt)
	}
	if res := f.exec(t, tg, "@redis GET stale:user:2"); res.Output != "\"old\"\n" {
		t.Errorf("@redis GET: %q", res.Output)
	}
	res, err := f.svc.ExecNode(ctx, tg, "redis", "SET user:1 alice")
	if err != nil || res.Output != "OK\n" || !strings.HasPrefix(res.Prompt, "redis") {
		t.Errorf("SET on the redis node: %+v %v", res, err)
	}
	res, err = f.svc.ExecNode(ctx, tg, "broker", "kafka-topics --list")
	if err != nil || res.Output != "user-events\n" || res.Prompt != "" {
		t.Errorf("kafka-topics on the broker node: %+v %v", res, err)
	}
	// Each node's language only: SQL is no Redis command.
	if res := f.exec(t, tg, "@redis SELECT name FROM users"); !strings.HasPrefix(res.Output, "(error) ERR") {
		t.Errorf("SQL on the redis node: %q", res.Output)
	}
	if res := f.exec(t, tg, "@cache GET k"); !strings.Contains(res.Output, "no node 'cache'") {
		t.Errorf("an unknown node: %q", res.Output)
	}
	if res.Checks == nil || res.Checks.Checks[0].Passed != true || res.Checks.Checks[2].Passed {
		t.Errorf("live checks: %+v", res.Checks)
	}
}

// TestStackLint: in a stack exercise every line is read in its node's
// language, and a check that sends a probe to a node of another family
// is a problem, as is a probe of a family the kind lacks in a
// single-family kind.
func TestStackLint(t *testing.T) {
	bad := strings.NewReplacer(
		`  - "@redis SET stale:user:2 old"`, `  - "@redis SET 'stale:user:2 old"`+"\n"+`  - "@broker kafka-topics --frobnicate"`+"\n"+`  - "@db SELECT 1; DROP TABLE users"`,
		`  - node: db
    postgres:`, `  - node: redis
    postgres:`,
	).Replace(stackDrill)
	_, ps := course.ParseExercise("x.md", 0, []byte(bad), console.CheckCommand)
	text := fmt.Sprint(ps)
	for _, want := range []string{
		`setup: "@redis SET 'stale:user:2 old": Invalid argument(s)`,
		`setup: "@broker kafka-topics --frobnicate"`,
		`setup: "@db SELECT 1; DROP TABLE users": more than one SQL statement`,
		"node redis of a stack sandbox runs redis, not postgres",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("lint problems lack %q:\n%s", want, text)
		}
	}
	if _, ps := course.ParseExercise("x.md", 0, []byte(stackDrill), console.CheckCommand); len(ps) > 0 {
		t.Errorf("the good drill: %v", ps)
	}
	redisOnly := strings.Replace(stackDrill, "sandbox: stack", "sandbox: redis", 1)
	if _, ps := course.ParseExercise("x.md", 0, []byte(redisOnly), console.CheckCommand); !strings.Contains(fmt.Sprint(ps), "a kafka probe cannot run in a redis sandbox") {
		t.Errorf("kafka probe in a redis exercise: %v", ps)
	}
}
