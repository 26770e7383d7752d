package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/opslab/opslab/internal/markdown"
)

// runLint loads the content and prints every problem as path:line: message.
// It exits 1 when there is any.
func runLint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("content", "", "lint the courses below `DIR` instead of the built-in course")
	if err := fs.Parse(args); err != nil {
		return exitError(2)
	}
	cat, err := loadContent(*dir, markdown.New())
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	for _, p := range cat.Problems {
		fmt.Fprintln(stdout, p.String())
	}
	lessons, exercises := 0, 0
	for _, c := range cat.Courses {
		lessons += len(c.Lessons)
		exercises += c.ExerciseCount()
	}
	if len(cat.Problems) > 0 {
		fmt.Fprintf(stderr, "%d problems (%d courses, %d valid lessons, %d exercises)\n", len(cat.Problems), len(cat.Courses), lessons, exercises)
		return exitError(1)
	}
	if len(cat.Courses) == 0 {
		fmt.Fprintln(stderr, "no course found: a course is a folder with a course.yaml")
		return exitError(1)
	}
	fmt.Fprintf(stderr, "ok: %d courses, %d lessons, %d exercises, no problems\n", len(cat.Courses), lessons, exercises)
	return nil
}
