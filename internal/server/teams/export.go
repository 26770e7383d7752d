package teams

import (
	"context"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/team"
)

// A team's progress, for its leads and admins: GET /api/teams/{team}/progress
// as JSON (one entry per learner) and GET /teams/{team}/progress.csv (one
// row per learner and lesson). Both cover the catalogue being served, and
// take every status and number from the team dashboard's computation
// (team.Build, so team.Assess) course by course: the same lesson statuses,
// completed lessons and completion percentage as the dashboard, the
// learner detail page and the learner's own pages.

// learnerReport is one learner's standing in every course of the catalogue.
type learnerReport struct {
	UserID      int64
	Email, Name string
	// courses is aligned with the catalogue's courses.
	courses          []*team.Learner
	completedLessons int
	passedExercises  int
	lastActivity     *time.Time
}

// teamActivitySource returns what the reports read the team's activity
// with: the export store when there is one, else the dashboard store; nil
// when neither is configured.
func (h *Handler) teamActivitySource() opslab.ExportService {
	if h.exports != nil {
		return h.exports
	}
	if h.dashboard != nil {
		return h.dashboard
	}
	return nil
}

// teamReport computes the standing of every learner of the team, ordered
// by email, against the catalogue cat: per course, the team's dashboard.
// It returns EUNAVAILABLE when no store reads the team's activity.
func (h *Handler) teamReport(ctx context.Context, cat *course.Catalog, t *opslab.TeamSummary) ([]*learnerReport, error) {
	src := h.teamActivitySource()
	if src == nil {
		return nil, opslab.Errorf(opslab.EUNAVAILABLE, "Team progress reports are not available on this server.")
	}
	var out []*learnerReport
	byID := map[int64]*learnerReport{}
	for i, c := range cat.Courses {
		a, err := src.TeamActivity(ctx, t.ID, c.Slug)
		if err != nil {
			return nil, fmt.Errorf("team report: %w", err)
		}
		d := team.Build(c, a, team.DefaultRules, h.now())
		for _, l := range d.Learners {
			rep := byID[l.UserID]
			if rep == nil {
				rep = &learnerReport{UserID: l.UserID, Email: l.Email, Name: l.Name, courses: make([]*team.Learner, len(cat.Courses))}
				byID[l.UserID] = rep
				out = append(out, rep)
			}
			rep.courses[i] = l
		}
	}
	for _, rep := range out {
		for i, c := range cat.Courses {
			l := rep.courses[i]
			if l == nil {
				// Joined the team while the courses were read.
				l = team.Assess(c, &opslab.LearnerActivity{UserID: rep.UserID, Email: rep.Email, Name: rep.Name}, team.DefaultRules, nil)
				rep.courses[i] = l
			}
			rep.completedLessons += l.CompletedLessons
			rep.passedExercises += l.PassedExercises
			if l.LastActivity != nil && (rep.lastActivity == nil || l.LastActivity.After(*rep.lastActivity)) {
				rep.lastActivity = l.LastActivity
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Email != out[j].Email {
			return out[i].Email < out[j].Email
		}
		return out[i].UserID < out[j].UserID
	})
	return out, nil
}

// progressCSVHeader names the CSV columns: the contract's eight, in its
// order, then the course, so that lessons of different courses with the
// same slug stay apart, then the learner's completion of that course.
var progressCSVHeader = []string{"email", "name", "lesson", "status", "passed exercises", "attempts",
	"time spent (seconds)", "completed at", "course", "course completion (%)"}

// csvCell neutralises a cell that a spreadsheet would run as a formula (it
// begins with =, +, -, @, a tab or a carriage return) by putting a single
// quote in front, as OWASP's CSV injection guidance says.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeProgressCSV writes the header and one row per learner and lesson:
// learners in the order given, lessons in catalogue order. The status is
// the dashboard's (team.Status), the percentage the learner's completion
// of the row's course (team.CompletionPercent).
func writeProgressCSV(cw *csv.Writer, cat *course.Catalog, reports []*learnerReport) error {
	if err := cw.Write(progressCSVHeader); err != nil {
		return err
	}
	row := make([]string, len(progressCSVHeader))
	for _, rep := range reports {
		for i, c := range cat.Courses {
			l := rep.courses[i]
			percent := strconv.Itoa(l.Percent)
			for _, cell := range l.Cells {
				completed := ""
				if cell.Completed != nil {
					completed = cell.Completed.UTC().Format(time.RFC3339)
				}
				row = append(row[:0], rep.Email, rep.Name, cell.Lesson.Slug, string(cell.Status), strconv.Itoa(cell.Passed),
					strconv.Itoa(cell.Attempts), strconv.FormatInt(seconds(cell.TimeSpent), 10), completed, c.Slug, percent)
				for j := range row {
					row[j] = csvCell(row[j])
				}
				if err := cw.Write(row); err != nil {
					return err
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
