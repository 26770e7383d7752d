package sqlite

import (
	"context"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
)

// ManagerRecords adapts SandboxRecords to the sandbox manager's Records.
// The manager's lesson key is stored in the course and lesson columns.
type ManagerRecords struct {
	Records *SandboxRecords
}

var _ sandbox.Records = ManagerRecords{}

// Put stores the manager's record.
func (m ManagerRecords) Put(ctx context.Context, rec sandbox.Record) error {
	return m.Records.Put(ctx, SandboxRecord{
		ID: rec.ID, UserID: rec.Owner, Course: rec.Lesson.Course, Lesson: rec.Lesson.Lesson, Kind: string(rec.Kind),
		Driver: rec.Driver, PID: rec.PID, Dir: rec.Dir, CreatedAt: rec.StartedAt, LastUsedAt: rec.LastUsed,
	})
}

// Delete removes the record id.
func (m ManagerRecords) Delete(ctx context.Context, id string) error {
	return m.Records.Delete(ctx, id)
}

// List returns every record in the manager's form.
func (m ManagerRecords) List(ctx context.Context) ([]sandbox.Record, error) {
	rows, err := m.Records.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]sandbox.Record, 0, len(rows))
	for _, r := range rows {
		out = append(out, sandbox.Record{
			ID: r.ID, Kind: sandbox.Kind(r.Kind), Owner: r.UserID, Lesson: opslab.LessonKey{Course: r.Course, Lesson: r.Lesson},
			Driver: r.Driver, PID: r.PID, Dir: r.Dir, StartedAt: r.CreatedAt, LastUsed: r.LastUsedAt,
		})
	}
	return out, nil
}
