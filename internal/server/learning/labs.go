package learning

import (
	"context"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/course"
)

// Labs runs exercises in learners' sandboxes. It is defined here, where it
// is used: the server knows no lab implementation, and main hands it one
// (internal/lab/labhttp adapts *lab.Service).
type Labs interface {
	Start(ctx context.Context, t Target) (*Started, error)
	Reset(ctx context.Context, t Target) (*Started, error)
	Stop(ctx context.Context, t Target) error
	Exec(ctx context.Context, t Target, line string) (*Executed, error)
	// ExecNode is Exec on one node of a multi-node sandbox ("" = default).
	ExecNode(ctx context.Context, t Target, node, line string) (*Executed, error)
	Check(ctx context.Context, t Target) (*check.Report, error)
	RevealHint(ctx context.Context, t Target, index int) error
	RevealSolution(ctx context.Context, t Target) ([]string, error)
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

// Started is the answer to starting or resetting an exercise's sandbox,
// sent to the learner as JSON.
type Started struct {
	Status string `json:"status"` // "ready"
	// Kind is the sandbox kind.
	Kind string `json:"sandbox"`
	// Fresh is true when a new sandbox was started (rather than reused).
	Fresh bool `json:"fresh"`
	// Notice tells the learner something they should know, such as that
	// their previous sandbox had died and this one is empty.
	Notice string `json:"notice,omitempty"`
	// Connect shows how to reach the sandbox with the learner's own
	// client, when the operator allows it.
	Connect string `json:"connect,omitempty"`
	// Nodes lists the nodes of a multi-node sandbox, the default first:
	// what the console's node picker offers. Absent for one server.
	Nodes []Node `json:"nodes,omitempty"`
}

// Node is one node of a multi-node sandbox as the console shows it.
type Node struct {
	Name string `json:"name"`
	// Role is the node's role when the sandbox started: primary, replica,
	// sentinel or broker.
	Role string `json:"role"`
	// Address is the 127.0.0.1:port the nodes know each other by.
	Address string `json:"address"`
}

// Executed is the answer to one console command, sent as JSON.
type Executed struct {
	// Output is what the tool printed, refusals and errors included.
	Output string `json:"output"`
	// Notice tells the learner about their sandbox (started, restarted).
	Notice string `json:"notice,omitempty"`
	// Checks is the exercise's live verdict after the command; nil when
	// the exercise has no live checks.
	Checks *check.Report `json:"checks,omitempty"`
	// Prompt is, in a Redis sandbox, redis-cli's prompt for the console's
	// connection after the command.
	Prompt string `json:"prompt,omitempty"`
}
