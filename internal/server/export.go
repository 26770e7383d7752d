package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
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
func (s *Server) teamActivitySource() opslab.ExportService {
	if s.cfg.Exports != nil {
		return s.cfg.Exports
	}
	if s.cfg.Dashboard != nil {
		return s.cfg.Dashboard
	}
	return nil
}

// teamReport computes the standing of every learner of the team, ordered
// by email, against the catalogue cat: per course, the team's dashboard.
// It returns EUNAVAILABLE when no store reads the team's activity.
func (s *Server) teamReport(ctx context.Context, cat *course.Catalog, t *opslab.TeamSummary) ([]*learnerReport, error) {
	src := s.teamActivitySource()
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
		d := team.Build(c, a, team.DefaultRules, s.cfg.Now())
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

// teamProgressJSON is the contract's team progress report.
type teamProgressJSON struct {
	Team           string                `json:"team"`
	Name           string                `json:"name"`
	TotalLessons   int                   `json:"total_lessons"`
	TotalExercises int                   `json:"total_exercises"`
	Learners       []learnerProgressJSON `json:"learners"`
}

// learnerProgressJSON is one learner's line of the report.
type learnerProgressJSON struct {
	ID               int64      `json:"id"`
	Email            string     `json:"email"`
	Name             string     `json:"name"`
	PassedExercises  int        `json:"passed_exercises"`
	CompletedLessons int        `json:"completed_lessons"`
	LastActivity     *time.Time `json:"last_activity"`
}

// handleAPITeamProgress answers the team's progress report.
func (s *Server) handleAPITeamProgress(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	cat := s.Catalog()
	reports, err := s.teamReport(r.Context(), cat, t)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	out := teamProgressJSON{Team: t.Slug, Name: t.Name, Learners: []learnerProgressJSON{}}
	for _, c := range cat.Courses {
		out.TotalLessons += len(c.Lessons)
		out.TotalExercises += c.ExerciseCount()
	}
	for _, rep := range reports {
		out.Learners = append(out.Learners, learnerProgressJSON{ID: rep.UserID, Email: rep.Email, Name: rep.Name,
			PassedExercises: rep.passedExercises, CompletedLessons: rep.completedLessons, LastActivity: utcPtr(rep.lastActivity)})
	}
	kit.WriteJSON(w, http.StatusOK, out)
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

// handleTeamProgressCSV sends the team's progress as a CSV file.
func (s *Server) handleTeamProgressCSV(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	cat := s.Catalog()
	reports, err := s.teamReport(r.Context(), cat, t)
	if err != nil {
		s.kit.PageError(w, r, err)
		return
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true // RFC 4180
	if err := writeProgressCSV(cw, cat, reports); err != nil {
		s.kit.PageError(w, r, fmt.Errorf("write progress CSV: %w", err))
		return
	}
	name := fmt.Sprintf("%s-progress-%s.csv", t.Slug, s.cfg.Now().UTC().Format("2006-01-02"))
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
