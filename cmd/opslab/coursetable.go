package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/opslab/opslab/internal/course"
)

// writeCourseTable writes docs/course.md: for every course, a table of its
// lessons with their duration, exercises and what each exercise checks.
func writeCourseTable(w io.Writer, cat *course.Catalog) {
	fmt.Fprintln(w, "# The course, lesson by lesson")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Generated from the content by `go run ./cmd/opslab course-table > docs/course.md`;")
	fmt.Fprintln(w, "a test fails when it is out of date. Each exercise lists its checks'")
	fmt.Fprintln(w, "labels (what must be true for it to pass).")
	for _, c := range cat.Courses {
		fmt.Fprintf(w, "\n## %s\n\n", c.Title)
		fmt.Fprintln(w, "| # | lesson | duration | exercises | what they check |")
		fmt.Fprintln(w, "| --- | --- | --- | --- | --- |")
		for _, l := range c.Lessons {
			var checks []string
			for _, e := range l.Exercises {
				var labels []string
				for i, ch := range e.Checks {
					label := ch.Label
					if label == "" {
						label = fmt.Sprintf("check %d", i+1)
					}
					labels = append(labels, label)
				}
				kind := e.Sandbox
				if len(e.Requires) > 0 {
					kind += ", requires " + strings.Join(e.Requires, ", ")
				}
				checks = append(checks, fmt.Sprintf("`%s` (%s): %s", e.ID, kind, strings.Join(labels, "; ")))
			}
			fmt.Fprintf(w, "| %d | %s | %d min | %d | %s |\n", l.Number, cell(l.Title), int(l.ReadingTime().Minutes()),
				len(l.Exercises), cell(strings.Join(checks, "<br>")))
		}
		fmt.Fprintf(w, "\n%d lessons, %d exercises.\n", len(c.Lessons), c.ExerciseCount())
	}
}

// cell keeps a table cell on one line and its pipes escaped.
func cell(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
}
