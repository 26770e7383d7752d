package check_test

import (
	"context"
	"testing"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/course"
)

func TestDescribe(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"  - redis: GET counter\n    equals: \"5\"\n", `GET counter equals "5"`},
		{"  - redis: ZCARD k\n    equals: 3\n", `ZCARD k equals 3`},
		{"  - redis: TTL k\n    min: 1\n    max: 60\n", `TTL k is at least 1 and at most 60`},
		{"  - redis: INFO memory\n    field: maxmemory_policy\n    equals: allkeys-lru\n", `INFO memory, field maxmemory_policy equals "allkeys-lru"`},
		{"  - redis: ZREVRANGE k 0 -1\n    contains: alice\n    length: 2\n", `ZREVRANGE k 0 -1 contains "alice" and has length 2`},
		{"  - redis: TYPE k\n    matches: ^z\n", `TYPE k matches /^z/`},
		{"  - redis: INFO persistence\n    field: loading\n    exists: true\n", `INFO persistence, field loading exists`},
		{"  - redis: GET gone\n    exists: false\n", `GET gone is absent`},
		{"  - redis: ZREVRANGE k 0 -1\n    equals: [carol, alice]\n", `ZREVRANGE k 0 -1 equals ["carol", "alice"]`},
	}
	for _, tc := range cases {
		c := parseChecks(t, tc.yaml)[0]
		if got := check.Describe(c); got != tc.want {
			t.Errorf("Describe(%q) = %q, want %q", tc.yaml, got, tc.want)
		}
	}
	kafka := course.Check{
		Probe:    course.Probe{Kind: course.SandboxKafka, Command: "describe topic orders", Node: "broker-1"},
		Field:    "partitions",
		Matchers: []course.Matcher{{Name: course.MatchMin, Value: 3}},
	}
	if got, want := check.Describe(kafka), "describe topic orders, field partitions on broker-1 is at least 3"; got != want {
		t.Errorf("Describe(kafka probe) = %q, want %q", got, want)
	}
}

// A failing check says apart what it wanted and what it saw, whether or not
// its author wrote a message; a probe error is what it saw.
func TestWantSaw(t *testing.T) {
	probe := answers{"ZCARD k": int64(2), "TYPE k": "none", "INFO persistence": info}
	cases := []struct{ yaml, want, saw string }{
		{"  - redis: ZCARD k\n    equals: 3\n", "3", "2"},
		{"  - redis: TYPE k\n    equals: hash\n    message: k must be a `hash`.\n", `"hash"`, `"none"`},
		{"  - redis: ZCARD k\n    min: 5\n", "at least 5", "2"},
		{"  - redis: INFO persistence\n    field: nope\n    equals: 1\n", "1", `no field "nope"`},
		{"  - redis: GET missing\n    min: 1\n    max: 9\n", "at least 1 and at most 9", "ERR no such key"},
	}
	for _, tc := range cases {
		rep := check.Run(context.Background(), parseChecks(t, tc.yaml), probe, 0)
		c := rep.Checks[0]
		if c.Passed || c.Want != tc.want || c.Saw != tc.saw {
			t.Errorf("%q: passed %v, want %q, saw %q; want %q and %q", tc.yaml, c.Passed, c.Want, c.Saw, tc.want, tc.saw)
		}
	}
	rep := check.Run(context.Background(), parseChecks(t, "  - redis: ZCARD k\n    equals: 2\n"), probe, 0)
	if c := rep.Checks[0]; !c.Passed || c.Want != "" || c.Saw != "" {
		t.Errorf("a passing check has want %q and saw %q, want neither", c.Want, c.Saw)
	}
}
