package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sandbox"
	"github.com/opslab/opslab/internal/sqlite"
)

// TestManagerRecordsLessonKey: the manager's typed lesson key is stored in
// the course and lesson columns, and comes back equal (a warm sandbox's
// key too), with nothing to split.
func TestManagerRecordsLessonKey(t *testing.T) {
	ctx := context.Background()
	db := MustOpenDBAt(t, filepath.Join(t.TempDir(), "opslab.db"))
	recs := sqlite.ManagerRecords{Records: sqlite.NewSandboxRecords(db)}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	learner := sandbox.Record{ID: "redis-7-a", Kind: sandbox.KindRedis, Owner: 7,
		Lesson: opslab.LessonKey{Course: "redis", Lesson: "intro"}, Driver: "process", StartedAt: at, LastUsed: at}
	warm := sandbox.Record{ID: "kafka-0-b", Kind: sandbox.KindKafka, Lesson: sandbox.PoolLesson, Driver: "process", StartedAt: at, LastUsed: at}
	for _, r := range []sandbox.Record{learner, warm} {
		if err := recs.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := sqlite.NewSandboxRecords(db).List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.ID == learner.ID && (r.Course != "redis" || r.Lesson != "intro") {
			t.Errorf("stored course %q, lesson %q; want redis, intro", r.Course, r.Lesson)
		}
	}
	list, err := recs.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %v, %v", list, err)
	}
	for _, r := range list {
		want := map[string]opslab.LessonKey{learner.ID: learner.Lesson, warm.ID: sandbox.PoolLesson}[r.ID]
		if r.Lesson != want {
			t.Errorf("%s: lesson %+v, want %+v", r.ID, r.Lesson, want)
		}
	}
}
