package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// counterExampleLines are the lines of the counter-examples in
// testdata/counterexamples/rejected, which appear nowhere else in it.
var counterExampleLines = []string{
	"PERSIST session:42",
	"EXPIRE session:42 86400",
	"EXPIRE session:42 soon",
	"--partitions 3",
}

// TestTestCounterExamples: opslab test runs every counter-example and
// fails an exercise whose checks accept one, naming it; Redis and kfake.
func TestTestCounterExamples(t *testing.T) {
	requireTool(t, "redis-server")
	t.Run("Rejected", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		out, _, st := runCLI(t, "test", "--runs", "2", "--junit", junit, "testdata/counterexamples/rejected")
		for _, want := range []string{
			"✓ drills/sessions/session-ttl (", ", 3 counter-examples rejected)\n",
			"✓ drills/sessions/payments-partitions (", ", 2 counter-examples rejected)\n",
			"2 exercises, 5 counter-examples, 2 passed, 0 failed, 0 content problems",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q", want)
			}
		}
		if st != 0 || t.Failed() {
			t.Fatalf("status %d:\n%s", st, out)
		}
		b, err := os.ReadFile(junit)
		if err != nil || !bytes.Contains(b, []byte("<system-out>3 counter-examples rejected in each of 2 runs</system-out>")) ||
			!bytes.Contains(b, []byte(`failures="0"`)) {
			t.Fatalf("junit %v:\n%s", err, b)
		}
	})
	t.Run("Accepted", func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		out, _, st := runCLI(t, "test", "--runs", "1", "--junit", junit, "testdata/counterexamples/accepted")
		for _, want := range []string{
			`✗ drills/sessions/session-ttl (`,
			`): counter-example 2 ("EXPIRE session:42 soon") passes every check: the checks accept a fix that does not work; make them tell it from the solution` + "\n",
			`): counter-example 1 ("kafka-topics --alter --topic payments --partitions 3") passes every check`,
			"2 exercises, 3 counter-examples, 0 passed, 2 failed",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the output lacks %q", want)
			}
		}
		if st != 1 || t.Failed() {
			t.Fatalf("status %d:\n%s", st, out)
		}
		b, err := os.ReadFile(junit)
		if err != nil || !bytes.Contains(b, []byte(`failures="2"`)) || !bytes.Contains(b, []byte(`counter-example 2 (&#34;EXPIRE session:42 soon&#34;) passes every check`)) {
			t.Fatalf("junit %v:\n%s", err, b)
		}
	})
}

// TestLintDrillWithoutWrong: a drill must list its counter-examples, and
// lint says what to add, at the drill's line.
func TestLintDrillWithoutWrong(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "c"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "c", "course.yaml"), []byte("title: C\n"), 0o644))
	lesson := "---\ntitle: L\n---\n\n```exercise\nid: e\ntitle: E\nsandbox: redis\ndrill: true\ntask: t\nsolution:\n  - SET a b\nchecks:\n  - redis: GET a\n    equals: b\n```\n"
	must(t, os.WriteFile(filepath.Join(dir, "c", "01-l.md"), []byte(lesson), 0o644))
	out, _, st := runCLI(t, "lint", dir)
	if want := "c/01-l.md:9: drill \"e\" lists no counter-examples: add `wrong:`"; st != 1 || !strings.Contains(out, want) {
		t.Fatalf("status %d, want %q:\n%s", st, want, out)
	}
	// With wrong: the lesson is clean.
	must(t, os.WriteFile(filepath.Join(dir, "c", "01-l.md"), []byte(strings.Replace(lesson, "checks:", "wrong:\n  - - SET a c\nchecks:", 1)), 0o644))
	if out, _, st := runCLI(t, "lint", dir); st != 0 {
		t.Fatalf("with wrong: status %d:\n%s", st, out)
	}
}

// TestCounterExamplesHiddenFromLearners: no page or API answer a learner
// gets carries a counter-example, the revealed solution included; nor does
// the instructor's view, which shows the solution.
func TestCounterExamplesHiddenFromLearners(t *testing.T) {
	requireTool(t, "redis-server")
	content, err := filepath.Abs("testdata/counterexamples/rejected")
	must(t, err)
	data := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out, errOut bytes.Buffer
	const email, password = "ivy.instructor@example.com", "instructor-password"
	if err := Run(ctx, []string{"user", "add", "--data", data, "--email", email, "--name", "Ivy", "--role", "instructor"},
		strings.NewReader(password+"\n"), &out, &errOut); err != nil {
		t.Fatalf("user add: %v\n%s", err, errOut.String())
	}
	scratch, err := sandboxScratchDir(data)
	must(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(scratch) })
	srv := startServerOn(t, data, "--content", content)

	hidden := func(who, what string, status int, body []byte) {
		t.Helper()
		if status != http.StatusOK {
			t.Fatalf("%s: %s: status %d: %s", who, what, status, body)
		}
		for _, line := range counterExampleLines {
			if bytes.Contains(body, []byte(line)) {
				t.Errorf("%s: %s shows the counter-example line %q", who, what, line)
			}
		}
	}
	learner := newAPIClient(t, srv.URL())
	learner.register("lee.learner@example.com", "Lee", "learner-password")
	page := lessonPath("drills", "sessions")
	st, body := learner.do(http.MethodGet, page, nil)
	hidden("learner", "the lesson page", st, body)
	if !bytes.Contains(body, []byte(`data-exercise="session-ttl"`)) {
		t.Fatalf("the lesson page has no card for session-ttl:\n%s", body)
	}
	st, body = learner.do(http.MethodGet, "/api"+page, nil)
	hidden("learner", "the lesson's JSON", st, body)
	for _, ex := range []string{"session-ttl", "payments-partitions"} {
		st, body = learner.do(http.MethodPost, exercisePath("drills", "sessions", ex)+"/solution", nil)
		hidden("learner", ex+"'s revealed solution", st, body)
		if st, _ := learner.do(http.MethodGet, exercisePath("drills", "sessions", ex)+"/instructor", nil); st != http.StatusForbidden {
			t.Errorf("a learner reads %s's instructor view: status %d", ex, st)
		}
	}
	instructor := newAPIClient(t, srv.URL())
	instructor.login(email, password)
	st, body = instructor.do(http.MethodGet, exercisePath("drills", "sessions", "session-ttl")+"/instructor", nil)
	hidden("instructor", "the instructor view", st, body)
	if !bytes.Contains(body, []byte("EXPIRE session:42 1800")) {
		t.Errorf("the instructor view lacks the solution: %s", body)
	}
}
