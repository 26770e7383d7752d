package main

import (
	"os"
	"testing"
)

// TestCourseTableUpToDate keeps docs/course.md in step with the content.
func TestCourseTableUpToDate(t *testing.T) {
	out, _, st := runCLI(t, "course-table")
	if st != 0 {
		t.Fatalf("status %d", st)
	}
	b, err := os.ReadFile("../../docs/course.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != out {
		t.Fatal("docs/course.md is out of date: run go run ./cmd/opslab course-table > docs/course.md")
	}
}
