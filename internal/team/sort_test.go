package team_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/opslab/opslab/internal/team"
)

func TestSortLearners(t *testing.T) {
	day := t0.Add(-24 * time.Hour)
	d := build(team.DefaultRules,
		// ann: 1 lesson, last seen day+3h, 10 min, 3 failed checks (stuck), 0 hints.
		newLearner(1, "ann").viewed("sets", day, 10*time.Minute).failed("sets", "board", 3, day.Add(3*time.Hour), "m").marked("intro", day),
		// Bob: 2 lessons, day+1h, 2 min, 0 failed, 2 hints.
		newLearner(2, "Bob").marked("intro", day).passed("lists", "push", day.Add(time.Hour)).viewed("lists", day, 2*time.Minute).
			hints("lists", "push", 2, day),
		// cid: nothing.
		newLearner(3, "cid"),
		// dan: 0 lessons, day+2h, 1 min, 1 failed, 1 hint.
		newLearner(4, "dan").viewed("sets", day, time.Minute).failed("sets", "tally", 1, day.Add(2*time.Hour), "m").hints("sets", "tally", 1, day),
	)
	names := func(ls []*team.Learner) []string {
		var out []string
		for _, l := range ls {
			out = append(out, l.Name)
		}
		return out
	}
	for _, tc := range []struct {
		key  team.SortKey
		desc bool
		want []string
	}{
		{team.SortDefault, false, []string{"ann", "Bob", "cid", "dan"}},
		{team.SortDefault, true, []string{"ann", "Bob", "cid", "dan"}},
		{team.SortName, false, []string{"ann", "Bob", "cid", "dan"}},
		{team.SortName, true, []string{"dan", "cid", "Bob", "ann"}},
		{team.SortCompletion, true, []string{"Bob", "ann", "cid", "dan"}},
		{team.SortCompletion, false, []string{"cid", "dan", "ann", "Bob"}},
		{team.SortLastActivity, true, []string{"ann", "dan", "Bob", "cid"}},
		{team.SortLastActivity, false, []string{"cid", "Bob", "dan", "ann"}},
		{team.SortTimeSpent, true, []string{"ann", "Bob", "dan", "cid"}},
		{team.SortFailedChecks, true, []string{"ann", "dan", "Bob", "cid"}},
		{team.SortHints, true, []string{"Bob", "dan", "ann", "cid"}},
	} {
		if got := names(team.SortLearners(d.Learners, tc.key, tc.desc)); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("sort by %q desc=%v: %v, want %v", tc.key, tc.desc, got, tc.want)
		}
	}
	// The dashboard's own order is untouched.
	if got := names(d.Learners); !reflect.DeepEqual(got, []string{"ann", "Bob", "cid", "dan"}) {
		t.Errorf("dashboard order changed to %v", got)
	}
}

func TestParseSortKey(t *testing.T) {
	for _, k := range team.SortKeys {
		if got, ok := team.ParseSortKey(string(k)); !ok || got != k {
			t.Errorf("ParseSortKey(%q) = %q, %v", k, got, ok)
		}
	}
	if got, ok := team.ParseSortKey(""); !ok || got != team.SortDefault {
		t.Errorf(`ParseSortKey("") = %q, %v`, got, ok)
	}
	if _, ok := team.ParseSortKey("email; drop"); ok {
		t.Errorf("an unknown key parses")
	}
	if team.SortName.DescendingFirst() || !team.SortHints.DescendingFirst() {
		t.Errorf("DescendingFirst: name %v, hints %v", team.SortName.DescendingFirst(), team.SortHints.DescendingFirst())
	}
}
