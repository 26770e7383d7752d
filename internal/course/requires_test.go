package course

import (
	"strings"
	"testing"
)

const requiresBase = `id: broker-down
title: A broker is down
sandbox: %s
task: Start it.
checks:
  - kafka: describe topic payments
    field: min_isr
    min: 3
`

func parseRequires(t *testing.T, sandbox, extra string) (*Exercise, []string) {
	t.Helper()
	src := strings.Replace(requiresBase, "%s", sandbox, 1) + extra
	e, ps := ParseExercise("l.md", 10, []byte(src), nil)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	return e, got
}

// TestRequiresParsed: an exercise declares real Kafka, and Needs says so.
func TestRequiresParsed(t *testing.T) {
	e, ps := parseRequires(t, "kafka-cluster", "requires: [real-kafka]\nsetup:\n  - \"@broker-2 systemctl stop kafka\"\n")
	if len(ps) > 0 || e == nil {
		t.Fatalf("problems: %v", ps)
	}
	if !e.Needs(RequireRealKafka) || len(e.Requires) != 1 {
		t.Errorf("Requires = %v", e.Requires)
	}
	plain, ps := parseRequires(t, "kafka-cluster", "")
	if len(ps) > 0 || plain.Needs(RequireRealKafka) {
		t.Errorf("an exercise without requires needs nothing: %v %v", plain.Requires, ps)
	}
}

// TestRequiresProblems: lint names an unknown requirement, real Kafka on
// a Redis sandbox, and systemctl in an exercise that does not declare
// real Kafka, each at its line.
func TestRequiresProblems(t *testing.T) {
	cases := []struct{ sandbox, extra, want string }{
		{"kafka-cluster", "requires: [real-redis]\n", `l.md:19: unknown requirement "real-redis": use one of real-kafka`},
		{"kafka-cluster", "requires: real-kafka\n", "l.md:19: requires must be a list"},
		{"redis", "requires: [real-kafka]\n", "l.md:19: requires real-kafka: a redis sandbox has no Kafka"},
		{"kafka-cluster", "setup:\n  - \"@broker-2 systemctl stop kafka\"\n", `l.md:20: setup: "@broker-2 systemctl stop kafka": systemctl stops and starts real brokers only: add ` + "`requires: [real-kafka]`" + ` to the exercise`},
	}
	for _, c := range cases {
		e, ps := parseRequires(t, c.sandbox, c.extra)
		found := false
		for _, p := range ps {
			found = found || p == c.want
		}
		if !found || e != nil {
			t.Errorf("%s with %q: problems %v, want %q", c.sandbox, c.extra, ps, c.want)
		}
	}
}
