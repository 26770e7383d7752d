package learning

import (
	"context"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/terminal"
)

// Labs runs exercises in learners' sandboxes. It is defined here, where it
// is used: the server knows no lab implementation, and main hands it one
// (internal/lab/labhttp adapts *lab.Service).
type Labs interface {
	Start(ctx context.Context, t Target) (Started, error)
	Reset(ctx context.Context, t Target) (Started, error)
	Stop(ctx context.Context, t Target) error
	Exec(ctx context.Context, t Target, line string) (Executed, error)
	// ExecNode is Exec on one node of a multi-node sandbox ("" = default).
	ExecNode(ctx context.Context, t Target, node, line string) (Executed, error)
	Check(ctx context.Context, t Target) (*check.Report, error)
	RevealHint(ctx context.Context, t Target, index int) error
	RevealSolution(ctx context.Context, t Target) ([]string, error)
	// Shell returns the learner's terminal beside their sandbox of the
	// exercise (the open one, or a new one).
	Shell(ctx context.Context, t Target) (*terminal.Shell, error)
}

// SolutionRunner is the optional ability of Labs to apply an exercise's
// reference solution in the caller's own sandbox and check the result
// without recording anything. Without it the run-solution call answers
// 503.
type SolutionRunner interface {
	RunSolution(ctx context.Context, t Target) (*check.Report, error)
}

// Target is one learner's exercise: whose sandbox, and which exercise.
type Target struct {
	UserID   int64
	Course   *course.Course
	Lesson   *course.Lesson
	Exercise *course.Exercise
}

// Started is a lab's answer to starting or resetting a sandbox. The
// handler writes it to the learner as JSON, as it is, and reads nothing in
// it: its fields are the lab's.
type Started any

// Executed is a lab's answer to one console command, written to the
// learner as JSON as it is. RanChecks reports whether the command ran the
// exercise's live checks (which may have changed the learner's progress).
type Executed interface {
	RanChecks() bool
}
