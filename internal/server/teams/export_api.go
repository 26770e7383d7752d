package teams

import (
	"net/http"
	"time"

	"github.com/opslab/opslab/internal/server/kit"
)

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
func (h *Handler) handleAPITeamProgress(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	cat := h.kit.Catalog()
	reports, err := h.teamReport(r.Context(), cat, t)
	if err != nil {
		h.kit.APIError(w, r, err)
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
