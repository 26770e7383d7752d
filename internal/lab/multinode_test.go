package lab_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
)

// The course package names kinds and nodes as strings (it imports no
// sandbox code); both read package kinds, so they must match.
func TestCourseKindsMatchSandboxKinds(t *testing.T) {
	var kinds []string
	for _, k := range sandbox.Kinds() {
		if k.Exercises() {
			kinds = append(kinds, string(k))
		}
		var names []string
		for _, n := range k.Nodes() {
			names = append(names, n.Name)
		}
		if got := course.SandboxNodes(string(k)); !slices.Equal(got, names) {
			t.Errorf("%s: course nodes %v, sandbox nodes %v", k, got, names)
		}
		if course.SandboxFamily(string(k)) != string(k.Family()) {
			t.Errorf("%s: course family %q, sandbox family %q", k, course.SandboxFamily(string(k)), k.Family())
		}
	}
	if !slices.Equal(kinds, course.SandboxKinds) {
		t.Errorf("course kinds %v, sandbox kinds %v", course.SandboxKinds, kinds)
	}
}

const replicaExercise = `id: promote
title: Promote
sandbox: redis-replica
task: Promote replica-1.
setup:
  - "@replica-1 REPLICAOF {{primary}}"
solution:
  - "@replica-1 REPLICAOF NO ONE"
checks:
  - redis: INFO replication
    node: replica-1
    field: role
    equals: master
`

func TestExecOnNodes(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	e, ps := course.ParseExercise("x.md", 300, []byte(replicaExercise), nil)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	f.lesson.Exercises = append(f.lesson.Exercises, e)
	ctx := context.Background()
	tg := f.target(0, "promote")
	st, err := f.svc.Start(ctx, tg)
	if err != nil || len(st.Nodes) != 2 || st.Nodes[1].Name != "replica-1" || st.Nodes[1].Role != "replica" || !strings.HasPrefix(st.Nodes[1].Address, "127.0.0.1:") {
		t.Fatalf("start: %+v %v", st, err)
	}
	primaryAddr := strings.Replace(st.Nodes[0].Address, ":", " ", 1)

	execNode := func(node, line string) string {
		t.Helper()
		res, err := f.svc.ExecNode(ctx, tg, node, line)
		if err != nil {
			t.Fatalf("exec %s %q: %v", node, line, err)
		}
		return res.Output
	}
	// The default node is the primary; a node field or an @ prefix picks another.
	if out := execNode("", "SET k v"); out != "OK\n" {
		t.Fatalf("SET on the primary: %q", out)
	}
	if out := execNode("", "WAIT 1 2000"); out != "(integer) 1\n" {
		t.Fatalf("WAIT: %q", out)
	}
	if out := execNode("replica-1", "GET k"); out != "\"v\"\n" {
		t.Fatalf("GET on replica-1: %q", out)
	}
	if out := execNode("replica-1", "SET k w"); !strings.Contains(out, "READONLY") {
		t.Fatalf("SET on replica-1: %q", out)
	}
	if out := execNode("", "@replica-1 ROLE"); !strings.HasPrefix(out, "1) \"slave\"") {
		t.Fatalf("@replica-1 ROLE: %q", out)
	}
	if out := execNode("", "@replica-9 ROLE"); !strings.Contains(out, "no node 'replica-9'") {
		t.Fatalf("@replica-9: %q", out)
	}
	if _, err := f.svc.ExecNode(ctx, tg, "sentinel-1", "PING"); opslab.ErrorCode(err) != opslab.EINVALID {
		t.Fatalf("unknown node field: %v", err)
	}
	// Replication may only point inside the sandbox.
	for _, line := range []string{"REPLICAOF 10.0.0.1 6379", "REPLICAOF 127.0.0.1 1", "FAILOVER TO 8.8.8.8 53"} {
		if out := execNode("replica-1", line); !strings.Contains(out, "may only name a node of this sandbox") {
			t.Errorf("%q: %q", line, out)
		}
	}
	// Promoting the replica passes the check.
	if out := execNode("replica-1", "REPLICAOF NO ONE"); out != "OK\n" {
		t.Fatalf("REPLICAOF NO ONE: %q", out)
	}
	rep, err := f.svc.Check(ctx, tg)
	if err != nil || !rep.Passed {
		t.Fatalf("check after promotion: %+v %v", rep, err)
	}
	// And back: the primary's address, as the node list shows it.
	if out := execNode("replica-1", "REPLICAOF "+primaryAddr); out != "OK\n" {
		t.Fatalf("REPLICAOF primary: %q", out)
	}
	if v := f.svc.SelfTest(ctx, lab.Target{UserID: f.users[1], Course: f.course, Lesson: f.lesson, Exercise: e}); !v.OK {
		t.Fatalf("self test: %s", v.Problem)
	}
}

func TestMultiNodeSetupErrors(t *testing.T) {
	_, ps := course.ParseExercise("x.md", 10, []byte(strings.Replace(replicaExercise, "node: replica-1", "node: sentinel-1", 1)), nil)
	if len(ps) != 1 || !strings.Contains(ps[0].String(), `x.md:21: unknown node "sentinel-1" for a redis-replica sandbox`) {
		t.Fatalf("problems: %v", ps)
	}
}
