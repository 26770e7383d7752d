package check

import (
	"testing"

	"github.com/opslab/opslab/internal/course"
)

// TestRowsFields: a list of objects (a postgres probe's rows) has the
// fields count, a column's values, and X.col for the row whose name is X;
// an empty list has count 0. A probe's object reaches them through its
// rows (rows.name), and has its own count and value.
func TestRowsFields(t *testing.T) {
	rows := []any{
		map[string]any{"name": "alice", "balance": "10.50"},
		map[string]any{"name": "bob", "balance": nil},
	}
	one := []any{map[string]any{"count": int64(3)}}
	cases := []struct {
		v       any
		field   string
		want    any
		present bool
	}{
		{rows, "count", int64(2), true},
		{rows, "name", []any{"alice", "bob"}, true},
		{rows, "alice.balance", "10.50", true},
		{rows, "bob.balance", nil, true},
		{rows, "carol.balance", nil, false},
		{rows, "value", nil, false},
		{rows, "owner", nil, false},
		{map[string]any{"rows": one, "count": int64(1), "value": int64(3)}, "value", int64(3), true},
		{map[string]any{"rows": rows, "count": int64(2)}, "rows.name", []any{"alice", "bob"}, true},
		{[]any{}, "count", int64(0), true},
		{[]any{}, "value", nil, false},
		{map[string]any{"columns": rows}, "columns.alice.balance", "10.50", true},
	}
	for _, c := range cases {
		got, ok := pickField(c.v, c.field)
		if ok != c.present || !equal(got, c.want) {
			t.Errorf("field %q: got %v %v, want %v %v", c.field, got, ok, c.want, c.present)
		}
	}
	// A flat list of names and values still works as before.
	if v, ok := pickField([]any{"maxmemory", "0"}, "maxmemory"); !ok || v != "0" {
		t.Errorf("CONFIG GET field: %v %v", v, ok)
	}
	c := course.Check{Probe: course.Probe{Kind: "postgres", Command: "SELECT count(*) FROM t"}, Field: "value",
		Matchers: []course.Matcher{{Name: course.MatchEquals, Value: 3}}}
	if r := Evaluate(c, map[string]any{"rows": one, "count": int64(1), "value": int64(3)}, nil); !r.Passed {
		t.Errorf("count equals 3: %+v", r)
	}
}
