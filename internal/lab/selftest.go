package lab

import (
	"context"
	"fmt"
	"time"

	"github.com/opslab/opslab/internal/sandbox"
)

// Verdict is the outcome of testing one exercise as its author meant it:
// on a fresh sandbox the checks fail after the setup and pass after the
// reference solution, and on a fresh sandbox of its own each
// counter-example (course.Exercise.Wrong) leaves at least one check
// failing.
type Verdict struct {
	OK      bool
	Problem string // why the exercise is wrong, when !OK
	// Rejected counts the counter-examples whose checks failed as they
	// should: all of them when OK, those before the failing one otherwise.
	Rejected int
	Duration time.Duration
}

// SettleTime is how long SelfTest retries the checks of a multi-node
// exercise after its solution before calling it wrong.
const SettleTime = 20 * time.Second

// MinWrongSettle is the shortest time SelfTest watches the checks of a
// multi-node exercise after a counter-example, in case they pass once
// replication or gossip catches up.
const MinWrongSettle = 2 * time.Second

// SelfTest runs the exercise's protocol on a fresh sandbox of its own:
// setup, checks must fail, solution, checks must pass, teardown. Then
// each counter-example runs on a fresh sandbox too: setup, its lines,
// and the checks must not all pass. Nothing is recorded. Give each
// concurrent SelfTest its own Target.UserID.
func (s *Service) SelfTest(ctx context.Context, t Target) Verdict {
	start := time.Now()
	v := s.selfTest(ctx, t)
	v.Duration = time.Since(start)
	return v
}

func (s *Service) selfTest(ctx context.Context, t Target) Verdict {
	if len(t.Exercise.Checks) == 0 {
		return Verdict{Problem: "the exercise has no checks"}
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = s.Stop(sctx, t)
	}()
	settled, problem := s.selfTestSolution(ctx, t)
	if problem != "" {
		return Verdict{Problem: problem}
	}
	// A counter-example gets twice as long as the solution took to
	// settle, so that a fix that only passes once the servers catch up is
	// still caught, and no longer than the solution may take.
	window := min(SettleTime, max(MinWrongSettle, 2*settled))
	for i, lines := range t.Exercise.Wrong {
		if problem := s.selfTestWrong(ctx, t, i, lines, window); problem != "" {
			return Verdict{Problem: problem, Rejected: i}
		}
	}
	return Verdict{OK: true, Rejected: len(t.Exercise.Wrong)}
}

// selfTestSolution runs setup, checks (must fail), solution, checks (must
// pass) on a fresh sandbox. It returns how long the checks took to pass
// after the solution, or why the exercise is wrong.
func (s *Service) selfTestSolution(ctx context.Context, t Target) (settled time.Duration, problem string) {
	inst, problem := s.freshSetup(ctx, t)
	if problem != "" {
		return 0, problem
	}
	before := s.runChecks(ctx, t, inst)
	if before.TimedOut {
		return 0, "the checks timed out after the setup"
	}
	if before.Passed {
		return 0, "the checks already pass after the setup, before any work: the exercise teaches nothing"
	}
	if err := s.ApplySolution(ctx, t); err != nil {
		return 0, err.Error()
	}
	applied := time.Now()
	after := s.runChecks(ctx, t, inst)
	// Replication, failovers and cluster gossip settle in the background:
	// on a multi-node sandbox the checks get a while to pass.
	for deadline := time.Now().Add(SettleTime); !after.Passed && inst.Spec.Kind.MultiNode() && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(250 * time.Millisecond)
		after = s.runChecks(ctx, t, inst)
	}
	if !after.Passed {
		for i, c := range after.Checks {
			if !c.Passed {
				return 0, fmt.Sprintf("check %d fails after the solution: %s", i+1, c.Detail)
			}
		}
	}
	return time.Since(applied), ""
}

// selfTestWrong runs counter-example i (0-based) on a fresh sandbox:
// setup, its lines, then the checks, which must not all pass (on a
// multi-node sandbox, not at any time within window). It returns why the
// exercise is wrong, or "" when the checks rejected the counter-example.
func (s *Service) selfTestWrong(ctx context.Context, t Target, i int, lines []string, window time.Duration) string {
	inst, problem := s.freshSetup(ctx, t)
	if problem != "" {
		return fmt.Sprintf("counter-example %d: %s", i+1, problem)
	}
	s.runWrongLines(ctx, inst, lines)
	rep := s.runChecks(ctx, t, inst)
	for deadline := time.Now().Add(window); !rep.Passed && inst.Spec.Kind.MultiNode() && time.Now().Before(deadline) && ctx.Err() == nil; {
		time.Sleep(250 * time.Millisecond)
		rep = s.runChecks(ctx, t, inst)
	}
	if rep.Passed {
		first := ""
		if len(lines) > 0 {
			first = lines[0]
		}
		return fmt.Sprintf("counter-example %d (%q) passes every check: the checks accept a fix that does not work; make them tell it from the solution",
			i+1, first)
	}
	return ""
}

// freshSetup stops the target's sandbox, if any, starts a fresh one and
// runs the exercise's setup in it; problem says what failed.
func (s *Service) freshSetup(ctx context.Context, t Target) (inst sandbox.Instance, problem string) {
	if err := s.Stop(ctx, t); err != nil {
		return inst, "stop an old sandbox: " + err.Error()
	}
	inst, _, err := s.acquire(ctx, t)
	if err != nil {
		return inst, "start a sandbox: " + err.Error()
	}
	if err := s.setup(ctx, t, inst); err != nil {
		return inst, err.Error()
	}
	return inst, ""
}

// runWrongLines runs a counter-example's lines in order, as the solution's
// are run ("# wait" lines pause, @node lines go to that node), within the
// setup timeout. Each line runs on its own, so one that the console
// refuses or that fails, as a careless fix may, is passed over and the
// next one still runs; Redis connection state (SELECT, MULTI) does not
// carry from one line to the next.
func (s *Service) runWrongLines(ctx context.Context, inst sandbox.Instance, lines []string) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.SetupTimeout)
	defer cancel()
	for _, line := range lines {
		if ctx.Err() != nil {
			return
		}
		_ = s.runLines(ctx, inst, []string{line})
	}
}
