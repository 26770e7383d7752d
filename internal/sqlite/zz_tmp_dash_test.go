package sqlite

import (
	"context"
	"os"
	"testing"
	"time"
)

func TestTmpDashRaw(t *testing.T) {
	if os.Getenv("BENCHDB") == "" {
		t.Skip()
	}
	ctx := context.Background()
	db, err := Open(ctx, os.Getenv("BENCHDB"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`SELECT m.user_id FROM team_members m JOIN exercise_activity e ON e.user_id = m.user_id AND e.course = 'ops' WHERE m.team_id = 1 AND m.lead = 0`,
		`SELECT m.user_id, e.lesson, e.exercise, e.attempts, e.failed_checks, e.last_attempt_at, e.hints, e.last_hint_at, e.passed_at FROM team_members m JOIN exercise_activity e ON e.user_id = m.user_id AND e.course = 'ops' WHERE m.team_id = 1 AND m.lead = 0`,
		`SELECT count(*) FROM team_members m JOIN exercise_activity e ON e.user_id = m.user_id AND e.course = 'ops' WHERE m.team_id = 1 AND m.lead = 0`,
	} {
		for i := 0; i < 3; i++ {
			tx, _ := db.beginRead(ctx)
			st := time.Now()
			rows, err := tx.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for rows.Next() {
				n++
			}
			rows.Close()
			t.Logf("%d rows in %v: %.40s", n, time.Since(st), q[40:])
			st = time.Now()
			rows, _ = tx.QueryContext(context.Background(), q)
			for rows.Next() {
			}
			rows.Close()
			t.Logf("  no ctx: %v", time.Since(st))
			tx.Rollback()
		}
	}
}
