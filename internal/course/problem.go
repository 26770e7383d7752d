package course

import (
	"fmt"
	"sort"
)

// Problem is one mistake in the content, at a line of a file.
type Problem struct {
	Path    string
	Line    int // 1-based; 0 when the problem is about the whole file
	Message string
}

// String formats the problem as "path:line: message".
func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.Path, p.Message)
	}
	return fmt.Sprintf("%s:%d: %s", p.Path, p.Line, p.Message)
}

// Problems is a list of problems that reads like a report.
type Problems []Problem

// Add appends a problem at path:line.
func (ps *Problems) Add(path string, line int, format string, args ...any) {
	*ps = append(*ps, Problem{Path: path, Line: line, Message: fmt.Sprintf(format, args...)})
}

// Sort orders the problems by path, then line.
func (ps Problems) Sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].Path != ps[j].Path {
			return ps[i].Path < ps[j].Path
		}
		return ps[i].Line < ps[j].Line
	})
}
