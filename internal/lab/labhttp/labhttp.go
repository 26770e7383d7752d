// Package labhttp offers a *lab.Service to the web server as the
// learning.Labs the server asks for. The server defines that interface
// where it uses it and knows no lab type; main (and the server's tests)
// wrap the lab service with New. Each call converts the server's exercise
// target to lab's and passes lab's answer (written to the learner as JSON
// as it is) and errors through unchanged.
package labhttp

import (
	"context"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/server/learning"
	"github.com/opslab/opslab/internal/terminal"
)

// Labs is a lab service seen as learning.Labs and learning.SolutionRunner.
type Labs struct {
	svc *lab.Service
}

// New returns svc as the server's Labs, or nil for a nil svc (the server
// then answers the exercise calls with 503).
func New(svc *lab.Service) learning.Labs {
	if svc == nil {
		return nil
	}
	return &Labs{svc: svc}
}

var _ learning.SolutionRunner = (*Labs)(nil)

func target(t learning.Target) lab.Target {
	return lab.Target{UserID: t.UserID, Course: t.Course, Lesson: t.Lesson, Exercise: t.Exercise}
}

// executed is lab's answer to a command as the server's Executed: the
// embedded answer is what the learner gets as JSON, field for field.
type executed struct {
	*lab.Executed
}

// RanChecks reports whether the answer carries the live checks' verdict.
func (e executed) RanChecks() bool { return e.Checks != nil }

// answer returns e as the server's Executed, keeping nil as nil.
func answer(e *lab.Executed) learning.Executed {
	if e == nil {
		return nil
	}
	return executed{e}
}

// Start starts (or reuses) the learner's sandbox for the exercise.
func (l *Labs) Start(ctx context.Context, t learning.Target) (learning.Started, error) {
	s, err := l.svc.Start(ctx, target(t))
	return s, err
}

// Reset replaces the learner's sandbox with a fresh one.
func (l *Labs) Reset(ctx context.Context, t learning.Target) (learning.Started, error) {
	s, err := l.svc.Reset(ctx, target(t))
	return s, err
}

// Stop stops the learner's sandbox.
func (l *Labs) Stop(ctx context.Context, t learning.Target) error {
	return l.svc.Stop(ctx, target(t))
}

// Exec runs one console command on the sandbox's default node.
func (l *Labs) Exec(ctx context.Context, t learning.Target, line string) (learning.Executed, error) {
	e, err := l.svc.Exec(ctx, target(t), line)
	return answer(e), err
}

// ExecNode runs one console command on the named node ("" = default).
func (l *Labs) ExecNode(ctx context.Context, t learning.Target, node, line string) (learning.Executed, error) {
	e, err := l.svc.ExecNode(ctx, target(t), node, line)
	return answer(e), err
}

// Check runs the exercise's checks and records the attempt.
func (l *Labs) Check(ctx context.Context, t learning.Target) (*check.Report, error) {
	return l.svc.Check(ctx, target(t))
}

// RevealHint records that the learner revealed hint index (from 0).
func (l *Labs) RevealHint(ctx context.Context, t learning.Target, index int) error {
	return l.svc.RevealHint(ctx, target(t), index)
}

// RevealSolution records the reveal and returns the solution's lines.
func (l *Labs) RevealSolution(ctx context.Context, t learning.Target) ([]string, error) {
	return l.svc.RevealSolution(ctx, target(t))
}

// RunSolution applies the reference solution in the caller's sandbox and
// checks it, recording nothing.
func (l *Labs) RunSolution(ctx context.Context, t learning.Target) (*check.Report, error) {
	return l.svc.RunSolution(ctx, target(t))
}

// Shell returns the learner's terminal beside their sandbox.
func (l *Labs) Shell(ctx context.Context, t learning.Target) (*terminal.Shell, error) {
	return l.svc.Shell(ctx, target(t))
}
