package team_test

import (
	"testing"
	"time"

	"github.com/opslab/opslab/internal/team"
)

func TestCompletionDays(t *testing.T) {
	today := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	daysAgo := func(n int) time.Time { return today.AddDate(0, 0, -n).Add(10 * time.Hour) }

	t.Run("Empty", func(t *testing.T) {
		if got := team.CompletionDays(nil, t0, 30); got != nil {
			t.Errorf("no learners: %v", got)
		}
		d := build(team.DefaultRules, newLearner(1, "idle"))
		if d.Completion != nil {
			t.Errorf("no activity: %v", d.Completion)
		}
	})

	t.Run("SinceFirstActivity", func(t *testing.T) {
		// Started three days ago: four days, today included.
		d := build(team.DefaultRules,
			newLearner(1, "ann").viewed("intro", daysAgo(3), time.Minute).marked("intro", daysAgo(1)).
				passed("lists", "push", daysAgo(1).Add(time.Hour)),
			newLearner(2, "bob").marked("intro", daysAgo(0)),
		)
		got := d.Completion
		if len(got) != 4 || !got[0].Date.Equal(today.AddDate(0, 0, -3)) || !got[3].Date.Equal(today) {
			t.Fatalf("days = %+v, want 4 ending today", got)
		}
		wantCompleted, wantTotal := []int{0, 0, 2, 1}, []int{0, 0, 2, 3}
		for i, day := range got {
			if day.Completed != wantCompleted[i] || day.Total != wantTotal[i] {
				t.Errorf("day %d (%s): %d completed, %d total; want %d, %d", i, day.Date.Format(time.DateOnly),
					day.Completed, day.Total, wantCompleted[i], wantTotal[i])
			}
		}
	})

	t.Run("LastThirtyDays", func(t *testing.T) {
		// Started 40 days ago: 30 days; what was completed before counts in
		// the totals. A completion stamped after now counts today.
		d := build(team.DefaultRules,
			newLearner(1, "ann").marked("intro", daysAgo(40)).passed("lists", "push", daysAgo(29)),
			newLearner(2, "bob").marked("intro", today.AddDate(0, 0, 2)),
		)
		got := d.Completion
		if len(got) != team.CompletionWindow || !got[0].Date.Equal(today.AddDate(0, 0, -29)) || !got[29].Date.Equal(today) {
			t.Fatalf("%d days from %v to %v", len(got), got[0].Date, got[len(got)-1].Date)
		}
		if got[0].Completed != 1 || got[0].Total != 2 || got[29].Completed != 1 || got[29].Total != 3 || got[15].Total != 2 {
			t.Errorf("first day %+v, middle %+v, last %+v", got[0], got[15], got[29])
		}
	})

	t.Run("StartedToday", func(t *testing.T) {
		got := team.CompletionDays(build(team.DefaultRules, newLearner(1, "ann").viewed("intro", t0, time.Minute)).Learners, t0, 30)
		if len(got) != 1 || !got[0].Date.Equal(today) || got[0].Total != 0 {
			t.Errorf("days = %+v", got)
		}
	})
}
