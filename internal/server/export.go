package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
)

// A team's progress, for its leads and admins: GET /api/teams/{team}/progress
// as JSON (one entry per learner) and GET /teams/{team}/progress.csv (one
// row per learner and lesson). Both count lessons and exercises of the
// catalogue being served, with the same definition of a completed lesson as
// the learner's own GET /api/me/progress: every exercise passed, or for a
// lesson without exercises, marked done.

// learnerReport is one learner's standing in every course of the catalogue.
type learnerReport struct {
	rec *opslab.LearnerRecord
	// courses is aligned with the catalogue's courses.
	courses          []*courseProgress
	completedLessons int
	passedExercises  int
}

// teamReport computes the standing of every learner of the team, ordered
// by email, against the catalogue cat.
func (s *Server) teamReport(ctx context.Context, cat *course.Catalog, t *opslab.TeamSummary) ([]learnerReport, error) {
	records, err := s.cfg.Exports.TeamRecords(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("team report: %w", err)
	}
	out := make([]learnerReport, 0, len(records))
	for _, rec := range records {
		rep := learnerReport{rec: rec}
		for _, c := range cat.Courses {
			p := computeProgress(c, courseLessons(rec, c.Slug), coursePasses(rec, c.Slug))
			rep.courses = append(rep.courses, p)
			rep.completedLessons += p.CompletedLessons
			rep.passedExercises += p.PassedExercises
		}
		out = append(out, rep)
	}
	return out, nil
}

// courseLessons returns the learner's progress rows in one course, keyed by
// lesson slug, as computeProgress reads them.
func courseLessons(rec *opslab.LearnerRecord, courseSlug string) map[string]*opslab.LessonProgress {
	out := map[string]*opslab.LessonProgress{}
	for k, p := range rec.Lessons {
		if k.Course == courseSlug {
			out[k.Lesson] = p
		}
	}
	return out
}

// coursePasses returns the exercises the learner passed in one course, as
// lesson slug → exercise id → true.
func coursePasses(rec *opslab.LearnerRecord, courseSlug string) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for k, e := range rec.Exercises {
		if k.Course != courseSlug || e.PassedAt == nil {
			continue
		}
		if out[k.Lesson] == nil {
			out[k.Lesson] = map[string]bool{}
		}
		out[k.Lesson][k.Exercise] = true
	}
	return out
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
		s.apiError(w, r, err)
		return
	}
	cat := s.Catalog()
	reports, err := s.teamReport(r.Context(), cat, t)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := teamProgressJSON{Team: t.Slug, Name: t.Name, Learners: []learnerProgressJSON{}}
	for _, c := range cat.Courses {
		out.TotalLessons += len(c.Lessons)
		out.TotalExercises += c.ExerciseCount()
	}
	for _, rep := range reports {
		out.Learners = append(out.Learners, learnerProgressJSON{ID: rep.rec.UserID, Email: rep.rec.Email, Name: rep.rec.Name,
			PassedExercises: rep.passedExercises, CompletedLessons: rep.completedLessons, LastActivity: rep.rec.LastActivity})
	}
	writeJSON(w, http.StatusOK, out)
}

// progressCSVHeader names the CSV columns: the contract's eight, in its
// order, then the course, so that lessons of different courses with the
// same slug stay apart.
var progressCSVHeader = []string{"email", "name", "lesson", "status", "passed exercises", "attempts",
	"time spent (seconds)", "completed at", "course"}

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
// learners in the order given, lessons in catalogue order.
func writeProgressCSV(cw *csv.Writer, cat *course.Catalog, reports []learnerReport) error {
	if err := cw.Write(progressCSVHeader); err != nil {
		return err
	}
	row := make([]string, len(progressCSVHeader))
	for _, rep := range reports {
		for i, c := range cat.Courses {
			p := rep.courses[i]
			for _, l := range c.Lessons {
				st := p.standing(l.Slug)
				attempts := 0
				for _, e := range l.Exercises {
					if x := rep.rec.Exercises[opslab.ExerciseKey{Course: c.Slug, Lesson: l.Slug, Exercise: e.ID}]; x != nil {
						attempts += x.Attempts
					}
				}
				var spent int64
				lp := rep.rec.Lessons[opslab.LessonKey{Course: c.Slug, Lesson: l.Slug}]
				if lp != nil {
					spent = int64(lp.TimeSpent / time.Second)
				}
				completed := ""
				if at := completedAt(rep.rec, c.Slug, l, st, lp); at != nil {
					completed = at.UTC().Format(time.RFC3339)
				}
				row = append(row[:0], rep.rec.Email, rep.rec.Name, l.Slug, st.Status(), strconv.Itoa(st.Passed),
					strconv.Itoa(attempts), strconv.FormatInt(spent, 10), completed, c.Slug)
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

// completedAt is when the lesson became completed: the first pass of its
// last exercise to pass or, for a lesson without exercises, the done mark;
// nil while it is not completed.
func completedAt(rec *opslab.LearnerRecord, courseSlug string, l *course.Lesson, st lessonStanding, lp *opslab.LessonProgress) *time.Time {
	if !st.Completed() {
		return nil
	}
	if len(l.Exercises) == 0 {
		if lp == nil {
			return nil
		}
		return lp.Completed
	}
	var last *time.Time
	for _, e := range l.Exercises {
		x := rec.Exercises[opslab.ExerciseKey{Course: courseSlug, Lesson: l.Slug, Exercise: e.ID}]
		if x != nil && x.PassedAt != nil && (last == nil || x.PassedAt.After(*last)) {
			last = x.PassedAt
		}
	}
	return last
}

// handleTeamProgressCSV sends the team's progress as a CSV file.
func (s *Server) handleTeamProgressCSV(w http.ResponseWriter, r *http.Request) {
	t, err := s.ledTeam(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	cat := s.Catalog()
	reports, err := s.teamReport(r.Context(), cat, t)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true // RFC 4180
	if err := writeProgressCSV(cw, cat, reports); err != nil {
		s.pageError(w, r, fmt.Errorf("write progress CSV: %w", err))
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
