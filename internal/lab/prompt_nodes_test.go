package lab_test

import (
	"context"
	"testing"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/sandbox"
)

// TestRedisConsolePromptNodes checks the prompt of a multi-node sandbox
// (a real primary and replica): each node has its own redis-cli session,
// so its prompt names the node and shows that node's database and (TX),
// whatever the other node's session does.
func TestRedisConsolePromptNodes(t *testing.T) {
	f := newFixture(t, sandbox.Config{})
	e, ps := course.ParseExercise("x.md", 300, []byte(replicaExercise), nil)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	f.lesson.Exercises = append(f.lesson.Exercises, e)
	ctx := context.Background()
	tg := f.target(0, "promote")
	if _, err := f.svc.Start(ctx, tg); err != nil {
		t.Fatalf("start: %v", err)
	}
	for _, step := range [][3]string{
		{"", "PING", "primary> "},
		{"", "SELECT 1", "primary[1]> "},
		{"replica-1", "PING", "replica-1> "},
		{"replica-1", "MULTI", "replica-1(TX)> "},
		{"primary", "PING", "primary[1]> "},
		{"replica-1", "SELECT 3", "replica-1[3](TX)> "},
		{"replica-1", "EXEC", "replica-1[3]> "},
		{"primary", "MULTI", "primary[1](TX)> "},
		{"primary", "DISCARD", "primary[1]> "},
		{"replica-1", "SELECT 0", "replica-1> "},
	} {
		res, err := f.svc.ExecNode(ctx, tg, step[0], step[1])
		if err != nil {
			t.Fatalf("exec %s on %q: %v", step[1], step[0], err)
		}
		if res.Prompt != step[2] {
			t.Errorf("after %s on %q: prompt %q, want %q (output %q)", step[1], step[0], res.Prompt, step[2], res.Output)
		}
	}
}
