package sqlite_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/sqlite"
)

func TestSandboxRecords(t *testing.T) {
	ctx := context.Background()

	t.Run("PutListDelete", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "opslab.db")
		db := MustOpenDBAt(t, path)
		clk := NewClock()
		db.Now = clk.Now
		s := sqlite.NewSandboxRecords(db)

		if list, err := s.List(ctx); err != nil || list == nil || len(list) != 0 {
			t.Fatalf("List = %v, %v; want empty non-nil", list, err)
		}

		a := sqlite.SandboxRecord{ID: "sb-a", UserID: 7, Course: "redis", Lesson: "intro",
			Kind: "redis", Driver: "process", PID: 4242, Dir: "/tmp/sb-a", Address: "unix:///tmp/sb-a/redis.sock"}
		if err := s.Put(ctx, a); err != nil {
			t.Fatal(err)
		}
		created := clk.Now()
		clk.Add(time.Second)
		b := sqlite.SandboxRecord{ID: "sb-b", UserID: 8, Course: "kafka", Lesson: "topics",
			Kind: "kafka", Driver: "container", CreatedAt: clk.Now(), LastUsedAt: clk.Now()}
		if err := s.Put(ctx, b); err != nil {
			t.Fatal(err)
		}

		// Updating a keeps its creation time, whatever CreatedAt says.
		clk.Add(time.Minute)
		a.Address = "127.0.0.1:40001"
		a.PID = 0
		a.LastUsedAt = clk.Now()
		a.CreatedAt = clk.Now()
		if err := s.Put(ctx, a); err != nil {
			t.Fatal(err)
		}
		a.CreatedAt = created

		list, err := s.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(list, []sqlite.SandboxRecord{a, b}) {
			t.Fatalf("List =\n%+v\nwant\n%+v", list, []sqlite.SandboxRecord{a, b})
		}

		// Records survive a restart: that is their purpose.
		MustClose(t, db)
		db = MustOpenDBAt(t, path)
		s = sqlite.NewSandboxRecords(db)
		if list, err := s.List(ctx); err != nil || len(list) != 2 {
			t.Fatalf("after reopen List = %v, %v", list, err)
		}

		if err := s.Delete(ctx, "sb-a"); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "sb-a"); err != nil {
			t.Fatalf("second Delete: %v", err)
		}
		if list, err := s.List(ctx); err != nil || len(list) != 1 || list[0].ID != "sb-b" {
			t.Fatalf("List = %+v, %v", list, err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := sqlite.NewSandboxRecords(MustOpenDB(t))
		for _, r := range []sqlite.SandboxRecord{
			{Kind: "redis", Driver: "process"},
			{ID: "x", Kind: "redis"},
			{ID: "x", Driver: "process"},
			{ID: "x", Kind: "redis", Driver: "process", PID: -1},
		} {
			AssertCode(t, s.Put(ctx, r), opslab.EINVALID)
		}
	})

	t.Run("OutlivesUser", func(t *testing.T) {
		db := MustOpenDB(t)
		ann := MustCreateUser(t, db, "ann@example.com", opslab.RoleLearner, "")
		s := sqlite.NewSandboxRecords(db)
		if err := s.Put(ctx, sqlite.SandboxRecord{ID: "x", UserID: ann.ID, Kind: "redis", Driver: "process"}); err != nil {
			t.Fatal(err)
		}
		if _, err := rawDB(t, db.Path()).Exec(`PRAGMA foreign_keys = ON; DELETE FROM users WHERE id = ?`, ann.ID); err != nil {
			t.Fatal(err)
		}
		if list, err := s.List(ctx); err != nil || len(list) != 1 {
			t.Fatalf("List = %v, %v", list, err)
		}
	})
}
