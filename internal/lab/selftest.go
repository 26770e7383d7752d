package lab

import (
	"context"
	"fmt"
	"time"
)

// Verdict is the outcome of testing one exercise as its author meant it:
// on a fresh sandbox the checks fail after the setup and pass after the
// reference solution.
type Verdict struct {
	OK       bool
	Problem  string // why the exercise is wrong, when !OK
	Duration time.Duration
}

// SettleTime is how long SelfTest retries the checks of a multi-node
// exercise after its solution before calling it wrong.
const SettleTime = 20 * time.Second

// SelfTest runs the exercise's protocol on a fresh sandbox of its own:
// setup, checks must fail, solution, checks must pass, teardown. Nothing
// is recorded. Give each concurrent SelfTest its own Target.UserID.
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
	if err := s.Stop(ctx, t); err != nil {
		return Verdict{Problem: "stop an old sandbox: " + err.Error()}
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = s.Stop(sctx, t)
	}()
	inst, _, err := s.acquire(ctx, t)
	if err != nil {
		return Verdict{Problem: "start a sandbox: " + err.Error()}
	}
	if err := s.setup(ctx, t, inst); err != nil {
		return Verdict{Problem: err.Error()}
	}
	before := s.runChecks(ctx, t, inst)
	if before.TimedOut {
		return Verdict{Problem: "the checks timed out after the setup"}
	}
	if before.Passed {
		return Verdict{Problem: "the checks already pass after the setup, before any work: the exercise teaches nothing"}
	}
	if err := s.ApplySolution(ctx, t); err != nil {
		return Verdict{Problem: err.Error()}
	}
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
				return Verdict{Problem: fmt.Sprintf("check %d fails after the solution: %s", i+1, c.Detail)}
			}
		}
	}
	return Verdict{OK: true}
}
