// Package check runs an exercise's checks against a sandbox: each probe
// yields a value, each matcher judges it, and every check gets a verdict
// and a message a learner can act on. A probe that fails makes its own
// check fail and never stops the others.
package check

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/course"
)

// DefaultTimeout bounds a whole run of checks.
const DefaultTimeout = 10 * time.Second

// Prober asks a sandbox the probes' questions.
type Prober interface {
	// Probe returns the value a probe yields: for redis the reply as plain
	// Go values (string, int64, nil, []any); for kafka the probe's object
	// (map[string]any) or list ([]string). A Redis error reply or a missing
	// topic or group is an error whose text is what the learner should see.
	Probe(ctx context.Context, p course.Probe) (any, error)
}

// Result is the verdict of one check.
type Result struct {
	Passed bool `json:"passed"`
	// Message is the author's message when the check failed and has one,
	// otherwise a sentence the platform writes from the probe, the
	// matcher and the value seen. Empty for a passing check without one.
	Message string `json:"message"`
	// Detail always says what was seen, for a failing check.
	Detail string `json:"detail,omitempty"`
	// Want and Saw, for a failing check, say apart what it wanted ("hash",
	// "at least 3") and what the probe gave (`"none"`, or the probe's
	// error), so that a card can show them side by side. Empty for a
	// check not reached in time.
	Want string `json:"want,omitempty"`
	Saw  string `json:"saw,omitempty"`
}

// Report is the verdict of a run.
type Report struct {
	Passed   bool          `json:"passed"`
	Checks   []Result      `json:"checks"`
	TimedOut bool          `json:"timed_out,omitempty"`
	Duration time.Duration `json:"-"`
}

// Failed lists the indexes of the failed checks.
func (r Report) Failed() []int {
	var out []int
	for i, c := range r.Checks {
		if !c.Passed {
			out = append(out, i)
		}
	}
	return out
}

// Run runs every check in order, bounded by timeout (DefaultTimeout if
// zero). Checks not reached in time fail with a "timed out" message. A
// shell probe named by several checks runs once, and each of them judges
// that one run.
func Run(ctx context.Context, checks []course.Check, p Prober, timeout time.Duration) Report {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep := Report{Passed: true, Checks: make([]Result, len(checks))}
	// A script that several checks read (its stdout, then its exit
	// status) runs once: it may start a JVM, and its one run is what
	// every such check judges.
	type probed struct {
		v   any
		err error
	}
	ran := map[course.Probe]probed{}
	for i, c := range checks {
		if ctx.Err() != nil {
			rep.TimedOut = true
			rep.Checks[i] = Result{Message: fmt.Sprintf("Not checked: the checks timed out after %s.", timeout)}
			rep.Passed = false
			continue
		}
		var (
			v   any
			err error
		)
		if r, ok := ran[c.Probe]; ok {
			v, err = r.v, r.err
		} else {
			v, err = p.Probe(ctx, c.Probe)
			if c.Probe.Kind == course.ProbeShell {
				ran[c.Probe] = probed{v, err}
			}
		}
		if err != nil && (errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil) {
			rep.TimedOut = true
			rep.Checks[i] = Result{Message: fmt.Sprintf("%s: timed out after %s.", c.Probe.Command, timeout)}
			rep.Passed = false
			continue
		}
		res := Evaluate(c, v, err)
		rep.Checks[i] = res
		if !res.Passed {
			rep.Passed = false
		}
	}
	rep.Duration = time.Since(start)
	return rep
}

// Evaluate judges one check given its probe's value or error.
func Evaluate(c course.Check, v any, probeErr error) Result {
	if probeErr != nil {
		detail := fmt.Sprintf("%s: %v", c.Probe.Command, probeErr)
		return fail(c, detail, wants(c), probeErr.Error())
	}
	present := true
	if c.Field != "" {
		v, present = pickField(v, c.Field)
	}
	for _, m := range c.Matchers {
		if ok, want := match(m, v, present); !ok {
			saw := Show(v)
			if !present {
				saw = fmt.Sprintf("no field %q", c.Field)
			}
			return fail(c, describe(c, want, v, present), want, saw)
		}
	}
	return Result{Passed: true}
}

func fail(c course.Check, detail, want, saw string) Result {
	msg := detail
	if c.Message != "" {
		msg = c.Message
	}
	return Result{Passed: false, Message: msg, Detail: detail, Want: want, Saw: saw}
}

// wants is what every matcher of c expects, for a probe that failed.
func wants(c course.Check) string {
	parts := make([]string, len(c.Matchers))
	for i, m := range c.Matchers {
		parts[i] = wantText(m)
	}
	return strings.Join(parts, " and ")
}

// describe writes "ZCARD k: expected 3, got 2" for a failed matcher.
func describe(c course.Check, want string, v any, present bool) string {
	subject := c.Probe.Command
	if c.Field != "" {
		subject += ", field " + c.Field
	}
	if !present {
		return fmt.Sprintf("%s: expected %s, but there is no field %q", subject, want, c.Field)
	}
	return fmt.Sprintf("%s: expected %s, got %s", subject, want, Show(v))
}
