package learning

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
	"github.com/opslab/opslab/internal/terminal"
)

func (h *Handler) labRoutes(r chi.Router) {
	r.Route("/courses/{course}/lessons/{lesson}/exercises/{exercise}", func(r chi.Router) {
		r.Post("/start", h.handleExerciseStart)
		r.Post("/reset", h.handleExerciseReset)
		r.Post("/stop", h.handleExerciseStop)
		r.Post("/exec", h.handleExerciseExec)
		r.Post("/check", h.handleExerciseCheck)
		r.Post("/hints/{n}", h.handleExerciseHint)
		r.Post("/solution", h.handleExerciseSolution)
		r.Get("/instructor", h.handleExerciseInstructor)
		r.Post("/run-solution", h.handleExerciseRunSolution)
		r.Get("/terminal", h.handleExerciseTerminal)
	})
}

// target resolves the route's exercise for the signed-in learner.
func (h *Handler) target(r *http.Request) (Target, error) {
	if h.labs == nil {
		return Target{}, opslab.Errorf(opslab.EUNAVAILABLE, "Sandboxes are not available on this server.")
	}
	c, l, err := h.kit.FindLesson(r)
	if err != nil {
		return Target{}, err
	}
	e, ok := l.Exercise(chi.URLParam(r, "exercise"))
	if !ok {
		return Target{}, opslab.Errorf(opslab.ENOTFOUND, "No such exercise in %s.", l.Title)
	}
	return Target{UserID: kit.CurrentUser(r).ID, Course: c, Lesson: l, Exercise: e}, nil
}

func (h *Handler) handleExerciseStart(w http.ResponseWriter, r *http.Request) {
	// Labs is read inside the call: a nil Labs must answer 503, not panic here.
	h.labStart(w, r, func(ctx context.Context, t Target) (Started, error) { return h.labs.Start(ctx, t) })
}

func (h *Handler) handleExerciseReset(w http.ResponseWriter, r *http.Request) {
	h.labStart(w, r, func(ctx context.Context, t Target) (Started, error) { return h.labs.Reset(ctx, t) })
}

func (h *Handler) labStart(w http.ResponseWriter, r *http.Request, start func(context.Context, Target) (Started, error)) {
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	res, err := start(r.Context(), t)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, res)
}

func (h *Handler) handleExerciseStop(w http.ResponseWriter, r *http.Request) {
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if err := h.labs.Stop(r.Context(), t); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleExerciseTerminal upgrades to the WebSocket of the learner's
// terminal beside their sandbox (protocol: package terminal). Errors come
// before the upgrade, as JSON with their status.
func (h *Handler) handleExerciseTerminal(w http.ResponseWriter, r *http.Request) {
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	sh, err := h.labs.Shell(r.Context(), t)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	terminal.Serve(w, r, sh)
}

type execRequest struct {
	Command *string `json:"command"`
	// Node optionally names the sandbox node to run on ("replica-1");
	// absent or empty, the default node (the primary, the first broker).
	Node string `json:"node"`
}

func (h *Handler) handleExerciseExec(w http.ResponseWriter, r *http.Request) {
	var req execRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if req.Command == nil {
		h.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, `Send {"command": "..."}.`))
		return
	}
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	res, err := h.labs.ExecNode(r.Context(), t, req.Node, *req.Command)
	if res != nil && res.RanChecks() {
		h.forgetProgress(t.UserID)
	}
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, res)
}

func (h *Handler) handleExerciseCheck(w http.ResponseWriter, r *http.Request) {
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	rep, err := h.labs.Check(r.Context(), t)
	h.forgetProgress(t.UserID)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	p, err := h.progressFor(r.Context(), t.UserID, t.Course)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, checkResponse{Report: rep, Progress: p})
}

// checkResponse is the contract's {"passed","checks"} plus the learner's
// course progress after the check.
type checkResponse struct {
	*check.Report
	Progress *courseProgress `json:"progress"`
}

func (h *Handler) handleExerciseHint(w http.ResponseWriter, r *http.Request) {
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	n, err := strconv.Atoi(chi.URLParam(r, "n"))
	if err != nil {
		h.kit.APIError(w, r, opslab.Errorf(opslab.ENOTFOUND, "Hints are numbered from 1."))
		return
	}
	err = h.labs.RevealHint(r.Context(), t, n-1)
	h.forgetProgress(t.UserID) // a hint puts the lesson in progress
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) handleExerciseSolution(w http.ResponseWriter, r *http.Request) {
	t, err := h.target(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	lines, err := h.labs.RevealSolution(r.Context(), t)
	h.forgetProgress(t.UserID)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, map[string][]string{"solution": lines})
}
