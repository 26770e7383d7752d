package check_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/course"
)

// parseChecks builds checks from exercise YAML, as authors write them.
func parseChecks(t *testing.T, checksYAML string) []course.Check {
	t.Helper()
	src := "id: x\ntitle: X\nsandbox: redis\ntask: t\nchecks:\n" + checksYAML
	e, ps := course.ParseExercise("t.md", 0, []byte(src), nil)
	if len(ps) > 0 {
		t.Fatalf("problems: %v", ps)
	}
	return e.Checks
}

// answers is a Prober with canned values per probe command.
type answers map[string]any

func (a answers) Probe(ctx context.Context, p course.Probe) (any, error) {
	v, ok := a[p.Command]
	if !ok {
		return nil, errors.New("ERR no such key")
	}
	if err, isErr := v.(error); isErr {
		return nil, err
	}
	return v, nil
}

const info = "# Persistence\r\nloading:0\r\naof_enabled:0\r\nrdb_changes_since_last_save:12\r\n"

func TestMatchers(t *testing.T) {
	probe := answers{
		"ZCARD k":                     int64(2),
		"TYPE k":                      "zset",
		"ZREVRANGE k 0 -1":            []any{"carol", "alice"},
		"GET n":                       "42",
		"GET none":                    nil,
		"INFO persistence":            info,
		"CONFIG GET maxmemory-policy": []any{"maxmemory-policy", "allkeys-lru"},
		"XINFO STREAM s":              []any{"length", int64(3), "groups", int64(1)},
		"kafka":                       map[string]any{"partitions": 3, "config.retention.ms": "86400000", "lag": 0},
	}
	cases := []struct {
		name, yaml string
		pass       bool
		message    string
	}{
		{"EqualsInt", "  - redis: ZCARD k\n    equals: 2\n", true, ""},
		{"EqualsIntAsString", "  - redis: GET n\n    equals: 42\n", true, ""},
		{"EqualsStringAsInt", "  - redis: ZCARD k\n    equals: \"2\"\n", true, ""},
		{"EqualsFails", "  - redis: ZCARD k\n    equals: 3\n", false, "ZCARD k: expected 3, got 2"},
		{"EqualsList", "  - redis: ZREVRANGE k 0 -1\n    equals: [carol, alice]\n", true, ""},
		{"EqualsListOrder", "  - redis: ZREVRANGE k 0 -1\n    equals: [alice, carol]\n", false, `ZREVRANGE k 0 -1: expected ["alice", "carol"], got ["carol", "alice"]`},
		{"EqualsNil", "  - redis: GET none\n    equals: null\n", true, ""},
		{"NilIsNotEmptyString", "  - redis: GET none\n    equals: \"\"\n", false, ""},
		{"ContainsList", "  - redis: ZREVRANGE k 0 -1\n    contains: alice\n", true, ""},
		{"ContainsString", "  - redis: TYPE k\n    contains: se\n", true, ""},
		{"ContainsMissing", "  - redis: ZREVRANGE k 0 -1\n    contains: bob\n", false, ""},
		{"Matches", "  - redis: TYPE k\n    matches: ^z\n", true, ""},
		{"MinMax", "  - redis: GET n\n    min: 40\n    max: 42\n", true, ""},
		{"MinFails", "  - redis: GET n\n    min: 43\n", false, "GET n: expected at least 43, got \"42\""},
		{"MaxNotANumber", "  - redis: TYPE k\n    max: 1\n", false, ""},
		{"Length", "  - redis: ZREVRANGE k 0 -1\n    length: 2\n", true, ""},
		{"LengthString", "  - redis: TYPE k\n    length: 4\n", true, ""},
		{"InfoField", "  - redis: INFO persistence\n    field: aof_enabled\n    equals: \"0\"\n", true, ""},
		{"InfoFieldNumber", "  - redis: INFO persistence\n    field: rdb_changes_since_last_save\n    min: 10\n", true, ""},
		{"InfoFieldMissing", "  - redis: INFO persistence\n    field: nope\n    equals: 1\n", false, `INFO persistence, field nope: expected 1, but there is no field "nope"`},
		{"ConfigGetField", "  - redis: CONFIG GET maxmemory-policy\n    field: maxmemory-policy\n    equals: allkeys-lru\n", true, ""},
		{"FlatListField", "  - redis: XINFO STREAM s\n    field: length\n    equals: 3\n", true, ""},
		{"ExistsTrue", "  - redis: INFO persistence\n    field: loading\n    exists: true\n", true, ""},
		{"ExistsFalse", "  - redis: INFO persistence\n    field: nope\n    exists: false\n", true, ""},
		{"ObjectField", "  - redis: kafka\n    field: partitions\n    equals: 3\n", true, ""},
		{"ObjectDottedField", "  - redis: kafka\n    field: config.retention.ms\n    equals: 86400000\n", true, ""},
		{"ProbeError", "  - redis: GET missing\n    equals: 1\n", false, "GET missing: ERR no such key"},
		{"AuthorMessage", "  - redis: ZCARD k\n    equals: 3\n    message: Add a third member.\n", false, "Add a third member."},
		{"SeveralMatchers", "  - redis: GET n\n    matches: ^4\n    equals: 41\n", false, "GET n: expected 41, got \"42\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := check.Run(context.Background(), parseChecks(t, tc.yaml), probe, 0)
			if rep.Passed != tc.pass {
				t.Fatalf("passed = %v, want %v: %+v", rep.Passed, tc.pass, rep.Checks)
			}
			if tc.message != "" && rep.Checks[0].Message != tc.message {
				t.Fatalf("message = %q, want %q", rep.Checks[0].Message, tc.message)
			}
			if !tc.pass && rep.Checks[0].Detail == "" {
				t.Error("a failed check has no detail")
			}
		})
	}
}

func TestProbeErrorDoesNotStopOthers(t *testing.T) {
	checks := parseChecks(t, "  - redis: GET missing\n    equals: 1\n  - redis: TYPE k\n    equals: zset\n")
	rep := check.Run(context.Background(), checks, answers{"TYPE k": "zset"}, 0)
	if rep.Passed || rep.Checks[0].Passed || !rep.Checks[1].Passed {
		t.Fatalf("%+v", rep)
	}
	if got := rep.Failed(); len(got) != 1 || got[0] != 0 {
		t.Fatalf("failed = %v", got)
	}
}

// slow answers after a delay, honouring the context.
type slow time.Duration

func (s slow) Probe(ctx context.Context, p course.Probe) (any, error) {
	select {
	case <-time.After(time.Duration(s)):
		return "zset", nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func TestTimeout(t *testing.T) {
	checks := parseChecks(t, "  - redis: TYPE a\n    equals: zset\n  - redis: TYPE b\n    equals: zset\n")
	rep := check.Run(context.Background(), checks, slow(time.Hour), 50*time.Millisecond)
	if rep.Passed || !rep.TimedOut {
		t.Fatalf("%+v", rep)
	}
	for i, c := range rep.Checks {
		if c.Passed || !strings.Contains(c.Message, "timed out") {
			t.Errorf("check %d: %+v", i, c)
		}
	}
}

func TestShowShortensLongValues(t *testing.T) {
	s := check.Show(strings.Repeat("x", 1000))
	if len([]rune(s)) > 200 || !strings.HasSuffix(s, "...") {
		t.Fatalf("%d runes: %q", len([]rune(s)), s)
	}
}

// counted answers every probe and counts how often each was asked.
type counted map[course.Probe]int

func (c counted) Probe(ctx context.Context, p course.Probe) (any, error) {
	c[p]++
	if p.Kind == course.ProbeShell {
		return map[string]any{"stdout": "retention.ms=259200000\n", "stderr": "", "exit": int64(0)}, nil
	}
	return "zset", nil
}

// TestShellProbeRunsOncePerCheck: a script several checks read (a JVM
// tool's output, then its status) runs once per check; a Redis probe is
// asked each time.
func TestShellProbeRunsOncePerCheck(t *testing.T) {
	checks := parseChecks(t, "  - shell: kafka-configs --describe\n    field: stdout\n    contains: retention.ms\n"+
		"  - shell: kafka-configs --describe\n    field: exit\n    equals: 0\n"+
		"  - redis: TYPE k\n    equals: zset\n  - redis: TYPE k\n    equals: zset\n")
	asked := counted{}
	rep := check.Run(context.Background(), checks, asked, 0)
	if !rep.Passed {
		t.Fatalf("%+v", rep)
	}
	if n := asked[checks[0].Probe]; n != 1 {
		t.Errorf("the shell probe named by two checks ran %d times, want 1", n)
	}
	if n := asked[checks[2].Probe]; n != 2 {
		t.Errorf("the Redis probe named by two checks was asked %d times, want 2", n)
	}
}
