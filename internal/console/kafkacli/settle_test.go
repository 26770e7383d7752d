package kafkacli

import (
	"context"
	"testing"
	"time"
)

// TestSettleStopsWhenDone: settle returns on the first call that reports
// true and does not call again.
func TestSettleStopsWhenDone(t *testing.T) {
	calls := 0
	settle(context.Background(), func(context.Context) bool {
		calls++
		return calls == 3
	})
	if calls != 3 {
		t.Fatalf("done called %d times, want 3", calls)
	}
}

// TestSettleGivesUpWithContext: a change that never shows does not hold
// the command past its context.
func TestSettleGivesUpWithContext(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	calls := 0
	settle(ctx, func(context.Context) bool { calls++; return false })
	if ctx.Err() == nil {
		t.Fatal("settle returned before its context ended")
	}
	if calls < 2 {
		t.Fatalf("done called %d times, want it polled", calls)
	}
}

// TestValuesSettled: set values must show exactly, deleted names not at
// all.
func TestValuesSettled(t *testing.T) {
	have := map[string]string{"retention.ms": "259200000", "cleanup.policy": "compact"}
	cases := []struct {
		set     []KeyValue
		deleted []string
		want    bool
	}{
		{[]KeyValue{{"retention.ms", "259200000"}}, nil, true},
		{[]KeyValue{{"retention.ms", "-1"}}, nil, false},
		{[]KeyValue{{"retention.bytes", "1"}}, nil, false},
		{nil, []string{"cleanup.policy"}, false},
		{nil, []string{"segment.ms"}, true},
	}
	for _, c := range cases {
		if got := valuesSettled(have, c.set, c.deleted); got != c.want {
			t.Errorf("valuesSettled(%v, %v) = %v, want %v", c.set, c.deleted, got, c.want)
		}
	}
}
