package accounts

import (
	"testing"
	"time"
)

func TestWindowReservations(t *testing.T) {
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	w := NewWindow(2, time.Minute, func() time.Time { return now })
	a, _, ok1 := w.Reserve("k")
	b, _, ok2 := w.Reserve("k")
	if !ok1 || !ok2 {
		t.Fatal("two slots of two refused")
	}
	if _, wait, ok := w.Reserve("k"); ok || wait != time.Second {
		t.Fatalf("third while two are pending: ok %v, wait %v", ok, wait)
	}
	a.Return()
	a.Keep() // settled already: no effect
	c, _, ok := w.Reserve("k")
	if !ok {
		t.Fatal("a returned slot is free again")
	}
	b.Keep()
	c.Keep()
	now = now.Add(20 * time.Second)
	if _, wait, ok := w.Reserve("k"); ok || wait != 40*time.Second {
		t.Fatalf("full window: ok %v, wait %v; want 40s", ok, wait)
	}
	now = now.Add(40 * time.Second)
	if _, _, ok := w.Reserve("k"); !ok {
		t.Fatal("refused after the window passed")
	}
	// Idle keys are swept.
	now = now.Add(time.Hour)
	for i := range sweepEvery {
		if r, _, ok := w.Reserve(string(rune('a' + i%26))); ok {
			r.Return()
		}
	}
	if len(w.keys) > 26 {
		t.Fatalf("%d keys kept after a sweep", len(w.keys))
	}
}

func TestBackoffPolicy(t *testing.T) {
	p := DefaultAccountDelay
	for failures, want := range map[int]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 9: 16 * time.Second, 13: 256 * time.Second, 14: 5 * time.Minute, 1 << 20: 5 * time.Minute} {
		if got := p.Delay(failures); got != want {
			t.Errorf("Delay(%d) = %v, want %v", failures, got, want)
		}
	}
	now := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	b := NewBackoff(p, func() time.Time { return now })
	for range p.Free {
		r, _, ok := b.Reserve("k")
		if !ok {
			t.Fatal("a free attempt was refused")
		}
		r.Keep()
	}
	now = now.Add(time.Second)
	r, _, ok := b.Reserve("k")
	if !ok {
		t.Fatal("refused after the delay")
	}
	// One attempt at a time past the free ones.
	if _, _, ok := b.Reserve("k"); ok {
		t.Fatal("a second attempt while one is under way")
	}
	r.Return()
	if _, _, ok := b.Reserve("k"); !ok {
		t.Fatal("a returned attempt is not free again")
	}
	// An hour without a failure starts afresh.
	b = NewBackoff(p, func() time.Time { return now })
	for range p.Free + 3 {
		if r, _, ok := b.Reserve("k"); ok {
			r.Keep()
		}
		now = now.Add(time.Minute)
	}
	now = now.Add(time.Hour)
	for range p.Free {
		r, _, ok := b.Reserve("k")
		if !ok {
			t.Fatal("failures an hour old still count")
		}
		r.Keep()
	}
}
