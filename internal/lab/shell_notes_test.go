package lab

import (
	"fmt"
	"testing"
	"time"
)

// TestShellNotesAreBounded: the notes of which sandboxes had a terminal
// drop those older than a day once there are many, and keep the rest.
func TestShellNotesAreBounded(t *testing.T) {
	s := &Service{used: map[string]time.Time{}}
	day0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 2*DefaultMaxShells; i++ {
		s.noteShell(fmt.Sprintf("old-%d", i), day0)
	}
	later := day0.Add(shellsRemembered + time.Minute)
	s.noteShell("recent", later.Add(-time.Hour))
	s.noteShell("new", later)
	if s.shellUsed("old-0") || len(s.used) != 2 {
		t.Fatalf("after a day the notes hold %d sandboxes (old-0 %v), want only the 2 recent ones", len(s.used), s.shellUsed("old-0"))
	}
	if !s.shellUsed("recent") || !s.shellUsed("new") {
		t.Fatal("a recent note was dropped")
	}
}
