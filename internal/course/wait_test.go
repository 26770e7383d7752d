package course_test

import (
	"testing"
	"time"

	"github.com/opslab/opslab/internal/course"
)

func TestWaitLine(t *testing.T) {
	for _, tc := range []struct {
		line    string
		d       time.Duration
		comment bool
		bad     bool
	}{
		{"# wait 11s: Sentinel re-reads priorities every 10 seconds", 11 * time.Second, true, false},
		{"  # wait 500ms", 500 * time.Millisecond, true, false},
		{"# wait 2m", 0, true, true},
		{"# wait soon", 0, true, true},
		{"# just a note", 0, true, true},
		{"@sentinel-1 SENTINEL FAILOVER mymaster", 0, false, false},
		{"SET k '# not a comment'", 0, false, false},
	} {
		d, comment, err := course.WaitLine(tc.line)
		if d != tc.d || comment != tc.comment || (err != nil) != tc.bad {
			t.Errorf("WaitLine(%q) = %v, %v, %v", tc.line, d, comment, err)
		}
	}
}
