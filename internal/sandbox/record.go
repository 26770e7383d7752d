package sandbox

import (
	"context"
	"time"

	"github.com/opslab/opslab/internal/opslab"
)

// Record is what the Manager persists about a running sandbox, so that a
// restarted platform can find and remove what a crashed one left.
type Record struct {
	ID        string
	Kind      Kind
	Owner     int64
	Lesson    opslab.LessonKey
	Driver    string
	PID       int    // 0 for an in-process sandbox
	Dir       string // "" if the sandbox has no directory
	StartedAt time.Time
	// LastUsed is when a learner last used the sandbox, as of the last
	// save (Detach saves it), so idle timeouts hold across restarts. Zero
	// means StartedAt.
	LastUsed time.Time
}

// Records stores Records. Implementations must be safe for concurrent use.
type Records interface {
	// Put inserts rec, or replaces the record with the same ID.
	Put(ctx context.Context, rec Record) error
	// Delete removes the record id; deleting a missing record is no error.
	Delete(ctx context.Context, id string) error
	// List returns every record, in no particular order.
	List(ctx context.Context) ([]Record, error)
}

// NewRecord returns the Record describing inst.
func NewRecord(inst Instance) Record {
	return Record{
		ID:        inst.Spec.ID,
		Kind:      inst.Spec.Kind,
		Owner:     inst.Spec.Owner,
		Lesson:    inst.Spec.Lesson,
		Driver:    inst.Driver,
		PID:       inst.PID,
		Dir:       inst.Dir,
		StartedAt: inst.StartedAt,
	}
}
