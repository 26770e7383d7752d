package learning

import (
	"fmt"
	"math"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// canInstruct reports whether u may see solutions, checks and statistics,
// and run solutions: instructors and admins.
func canInstruct(u *opslab.User) bool {
	return u != nil && (u.Role == opslab.RoleInstructor || u.Role == opslab.RoleAdmin)
}

// requireInstructor returns EFORBIDDEN unless the signed-in user may
// instruct.
func requireInstructor(r *http.Request) error {
	if !canInstruct(kit.CurrentUser(r)) {
		return opslab.Errorf(opslab.EFORBIDDEN, "Only instructors and admins can see this.")
	}
	return nil
}

// findExercise resolves the {course}, {lesson} and {exercise} of the route,
// or ENOTFOUND.
func (h *Handler) findExercise(r *http.Request) (*course.Course, *course.Lesson, *course.Exercise, error) {
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		return nil, nil, nil, err
	}
	e, ok := l.Exercise(chi.URLParam(r, "exercise"))
	if !ok {
		return nil, nil, nil, opslab.Errorf(opslab.ENOTFOUND, "No such exercise in %s.", l.Title)
	}
	return c, l, e, nil
}

// instructorJSON is what an instructor sees of an exercise beyond its card.
type instructorJSON struct {
	Exercise    string      `json:"exercise"`
	ContentHash string      `json:"content_hash"`
	Setup       []string    `json:"setup"`
	Solution    []string    `json:"solution"`
	Checks      []checkJSON `json:"checks"`
	// Stats is null when the server keeps no statistics.
	Stats *exerciseStatsJSON `json:"stats"`
}

type checkJSON struct {
	Probe    probeJSON     `json:"probe"`
	Field    string        `json:"field"`
	Matchers []matcherJSON `json:"matchers"`
	Message  string        `json:"message"`
}

type probeJSON struct {
	Kind    string `json:"kind"`
	Command string `json:"command"`
}

type matcherJSON struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
}

// exerciseStatsJSON holds counts only: never a learner's name or email.
type exerciseStatsJSON struct {
	Attempts   int              `json:"attempts"`
	Learners   int              `json:"learners"`
	Passed     int              `json:"passed"`
	PassRate   float64          `json:"pass_rate"`
	MostFailed *failedCheckJSON `json:"most_failed"`
}

type failedCheckJSON struct {
	Check    int    `json:"check"` // numbered from 1, as in the checks list
	Message  string `json:"message"`
	Failures int    `json:"failures"`
}

// handleExerciseInstructor answers the instructor view of an exercise:
// setup, reference solution, checks and anonymous statistics. 403 for
// anyone but instructors and admins.
func (h *Handler) handleExerciseInstructor(w http.ResponseWriter, r *http.Request) {
	if err := requireInstructor(r); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	c, l, e, err := h.findExercise(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	out := instructorJSON{Exercise: e.ID, ContentHash: e.Hash, Setup: nonNil(e.Setup), Solution: nonNil(e.Solution),
		Checks: make([]checkJSON, 0, len(e.Checks))}
	for _, ch := range e.Checks {
		cj := checkJSON{Probe: probeJSON{Kind: ch.Probe.Kind, Command: ch.Probe.Command}, Field: ch.Field,
			Message: ch.Message, Matchers: make([]matcherJSON, 0, len(ch.Matchers))}
		for _, m := range ch.Matchers {
			cj.Matchers = append(cj.Matchers, matcherJSON{Name: m.Name, Value: jsonSafe(m.Value)})
		}
		out.Checks = append(out.Checks, cj)
	}
	if h.stats != nil {
		all, err := h.stats.ExerciseStats(r.Context(), c.Slug, l.Slug)
		if err != nil {
			h.kit.APIError(w, r, fmt.Errorf("instructor view: %w", err))
			return
		}
		out.Stats = toStatsJSON(all[e.ID])
	}
	kit.WriteJSON(w, http.StatusOK, out)
}

func toStatsJSON(st opslab.ExerciseStats) *exerciseStatsJSON {
	out := &exerciseStatsJSON{Attempts: st.Attempts, Learners: st.Learners, Passed: st.Passed, PassRate: st.PassRate()}
	if f := st.MostFailed; f != nil {
		out.MostFailed = &failedCheckJSON{Check: f.Number, Message: f.Message, Failures: f.Failures}
	}
	return out
}

// runSolutionResponse is the answer of /check plus recorded, always false:
// running the solution is not the instructor's progress.
type runSolutionResponse struct {
	checkResponse
	Recorded bool `json:"recorded"`
}

// handleExerciseRunSolution applies the reference solution in the
// instructor's own sandbox and answers the checks' report after it.
// Nothing is recorded. 403 for anyone but instructors and admins.
func (h *Handler) handleExerciseRunSolution(w http.ResponseWriter, r *http.Request) {
	if err := requireInstructor(r); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	runner, ok := h.labs.(SolutionRunner)
	if !ok {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EUNAVAILABLE, "Running solutions is not available on this server."))
		return
	}
	rep, err := runner.RunSolution(r.Context(), t)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	p, err := h.progressFor(r.Context(), t.UserID, t.Course)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, runSolutionResponse{checkResponse: checkResponse{Report: rep, Progress: p}})
}

// nonNil returns lines, or an empty list for nil, so JSON shows [].
func nonNil(lines []string) []string {
	if lines == nil {
		return []string{}
	}
	return lines
}

// jsonSafe returns v with every float JSON cannot hold (NaN, ±Inf) spelled
// as text, so that any matcher value YAML allows can be encoded.
func jsonSafe(v any) any {
	switch v := v.(type) {
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Sprint(v)
		}
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = jsonSafe(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = jsonSafe(x)
		}
		return out
	}
	return v
}
