package course

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// wrongBase is a Redis exercise at fence line 10: its first key is at
// line 11, so "solution:" is at 15 and each line after it one more.
const wrongBase = `id: aof-on
title: Turn the AOF on
sandbox: redis-replica
task: Turn on the append-only file.
solution:
  - CONFIG SET appendonly yes
checks:
  - redis: CONFIG GET appendonly
    equals: "yes"
`

// parseWrong parses wrongBase plus extra, with a command checker that
// refuses any line starting with BOGUS.
func parseWrong(t *testing.T, extra string) (*Exercise, []string) {
	t.Helper()
	commands := func(kind, line string) error {
		if strings.HasPrefix(line, "BOGUS") {
			return errors.New("unknown command 'BOGUS'\nmore text")
		}
		return nil
	}
	e, ps := ParseExercise("l.md", 10, []byte(wrongBase+extra), commands)
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	return e, got
}

// TestWrongParsed: drill and wrong are read into the exercise, lines as
// written, waits and node lines included.
func TestWrongParsed(t *testing.T) {
	e, ps := parseWrong(t, `drill: true
wrong:
  - - CONFIG SET appendonly no
  - - "@replica-1 CONFIG SET appendonly yes"
    - "# wait 1s: let it settle"
  - - REPLICAOF {{replica-1}}
`)
	if len(ps) > 0 || e == nil {
		t.Fatalf("problems: %v", ps)
	}
	want := [][]string{
		{"CONFIG SET appendonly no"},
		{"@replica-1 CONFIG SET appendonly yes", "# wait 1s: let it settle"},
		{"REPLICAOF {{replica-1}}"},
	}
	if !e.Drill || !reflect.DeepEqual(e.Wrong, want) {
		t.Errorf("Drill %v, Wrong %q", e.Drill, e.Wrong)
	}
	plain, ps := parseWrong(t, "")
	if len(ps) > 0 || plain.Drill || plain.Wrong != nil {
		t.Errorf("an exercise without drill or wrong: %v %v %v", plain.Drill, plain.Wrong, ps)
	}
	off, ps := parseWrong(t, "drill: false\n")
	if len(ps) > 0 || off.Drill {
		t.Errorf("drill: false: %v %v", off.Drill, ps)
	}
}

// TestWrongProblems: every mistake in drill or wrong is a problem at its
// line, and the exercise is not served.
func TestWrongProblems(t *testing.T) {
	cases := []struct{ name, extra, want string }{
		{"drill not a boolean", "drill: yes\nwrong:\n  - - CONFIG SET appendonly no\n",
			`l.md:20: drill must be true or false, not "yes"`},
		{"drill a list", "drill: [true]\nwrong:\n  - - CONFIG SET appendonly no\n",
			`l.md:20: drill must be true or false, not ""`},
		{"drill without wrong", "drill: true\n",
			"l.md:20: drill \"aof-on\" lists no counter-examples: add `wrong:`"},
		{"wrong a string", "wrong: CONFIG SET appendonly no\n",
			"l.md:20: wrong must be a list of counter-examples, each a list of lines like solution"},
		{"wrong empty", "wrong: []\n",
			"l.md:20: wrong must be a list of counter-examples"},
		{"wrong a flat list", "wrong:\n  - CONFIG SET appendonly no\n",
			"l.md:21: wrong 1 must be a list of lines, like solution (write `- - LINE`, a list inside the list)"},
		{"an empty counter-example", "wrong:\n  - []\n",
			"l.md:21: wrong 1 is empty: list the lines of the fix that does not work"},
		{"a line that is a mapping", "wrong:\n  - - CONFIG SET appendonly no\n  - - a: b\n",
			"l.md:22: each entry of wrong 2 must be a single line of text"},
		{"waits only", "wrong:\n  - - \"# wait 2s\"\n",
			"l.md:21: wrong 1 runs no command: a counter-example needs at least one line that is not a # wait"},
		{"the solution itself", "wrong:\n  - - CONFIG SET appendonly no\n  - -   CONFIG SET appendonly yes\n",
			"l.md:22: wrong 2 is the solution itself: a counter-example must be a fix that does not work"},
		{"unknown node", "wrong:\n  - - \"@replica-9 CONFIG SET appendonly yes\"\n",
			`l.md:21: wrong 1: "@replica-9 CONFIG SET appendonly yes": unknown node "replica-9" for a redis-replica sandbox: use one of primary, replica-1`},
		{"unknown node in an address", "wrong:\n  - - CONFIG SET appendonly no\n  - - REPLICAOF {{node-1}}\n",
			`l.md:22: wrong 2: "REPLICAOF {{node-1}}": unknown node "node-1" for a redis-replica sandbox`},
		{"empty address", "wrong:\n  - - REPLICAOF {{}}\n",
			`l.md:21: wrong 1: "REPLICAOF {{}}": empty {{}}: name a node, as in {{primary}}`},
		{"bad wait", "wrong:\n  - - CONFIG SET appendonly no\n    - \"# wait forever\"\n",
			`l.md:22: wrong 1: "# wait forever": # wait takes a duration`},
		{"a command the console refuses", "wrong:\n  - - BOGUS appendonly\n",
			`l.md:21: wrong 1: "BOGUS appendonly": unknown command 'BOGUS'`},
	}
	for _, c := range cases {
		e, ps := parseWrong(t, c.extra)
		found := false
		for _, p := range ps {
			found = found || strings.HasPrefix(p, c.want)
		}
		if !found || e != nil {
			t.Errorf("%s: problems %q, want one starting %q", c.name, ps, c.want)
		}
		for _, p := range ps {
			if strings.Contains(p, "more text") {
				t.Errorf("%s: a problem is one line: %q", c.name, p)
			}
		}
	}
}

// TestWrongSystemctlNeedsRealKafka: a counter-example is held to the
// rules of a solution line, systemctl's requirement included.
func TestWrongSystemctlNeedsRealKafka(t *testing.T) {
	src := strings.Replace(requiresBase, "%s", "kafka-cluster", 1) + "wrong:\n  - - \"@broker-2 systemctl restart kafka\"\n"
	_, ps := ParseExercise("l.md", 10, []byte(src), nil)
	want := `l.md:20: wrong 1: "@broker-2 systemctl restart kafka": systemctl stops and starts real brokers only`
	if len(ps) != 1 || !strings.HasPrefix(ps[0].String(), want) {
		t.Errorf("problems %v, want %q", ps, want)
	}
	src = strings.Replace(requiresBase, "%s", "kafka-cluster", 1) + "requires: [real-kafka]\nwrong:\n  - - \"@broker-2 systemctl restart kafka\"\n"
	if e, ps := ParseExercise("l.md", 10, []byte(src), nil); len(ps) > 0 || len(e.Wrong) != 1 {
		t.Errorf("with requires: %v", ps)
	}
}

// TestWrongLeavesHash: adding drill and counter-examples, anywhere in the
// block, leaves the content version as it was (a learner's pass stays
// current); a block without them hashes as it always did; a change a
// learner sees still changes it.
func TestWrongLeavesHash(t *testing.T) {
	plain, ps := ParseExercise("l.md", 10, []byte(wrongBase), nil)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	sum := sha256.Sum256([]byte(wrongBase))
	if plain.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("a block without drill or wrong: hash %s, want the sha256 of the block", plain.Hash)
	}
	wrong := "drill: true\nwrong:\n  - - CONFIG SET appendonly no\n  - - \"@replica-1 CONFIG SET appendonly yes\"\n    - \"# wait 1s\"\n"
	for name, src := range map[string]string{
		"at the end":    wrongBase + wrong,
		"in the middle": strings.Replace(wrongBase, "solution:", wrong+"solution:", 1),
		"at the start":  wrong + wrongBase,
	} {
		e, ps := ParseExercise("l.md", 10, []byte(src), nil)
		if len(ps) > 0 || len(e.Wrong) != 2 {
			t.Fatalf("%s: %v", name, ps)
		}
		if e.Hash != plain.Hash {
			t.Errorf("%s: adding drill and wrong changed the hash", name)
		}
	}
	changed, ps := ParseExercise("l.md", 10, []byte(strings.Replace(wrongBase, `equals: "yes"`, `equals: "no"`, 1)+wrong), nil)
	if len(ps) > 0 || changed.Hash == plain.Hash {
		t.Errorf("a changed check kept the hash: %v", ps)
	}
}
