package server

import (
	"context"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opslab/opslab/internal/check"
	"github.com/opslab/opslab/internal/lab"
	"github.com/opslab/opslab/internal/opslab"
	"github.com/opslab/opslab/internal/server/kit"
)

// Labs runs exercises in learners' sandboxes; *lab.Service implements it.
type Labs interface {
	Start(ctx context.Context, t lab.Target) (*lab.Started, error)
	Reset(ctx context.Context, t lab.Target) (*lab.Started, error)
	Stop(ctx context.Context, t lab.Target) error
	Exec(ctx context.Context, t lab.Target, line string) (*lab.Executed, error)
	// ExecNode is Exec on one node of a multi-node sandbox ("" = default).
	ExecNode(ctx context.Context, t lab.Target, node, line string) (*lab.Executed, error)
	Check(ctx context.Context, t lab.Target) (*check.Report, error)
	RevealHint(ctx context.Context, t lab.Target, index int) error
	RevealSolution(ctx context.Context, t lab.Target) ([]string, error)
}

func (s *Server) labRoutes(r chi.Router) {
	r.Route("/courses/{course}/lessons/{lesson}/exercises/{exercise}", func(r chi.Router) {
		r.Post("/start", s.handleExerciseStart)
		r.Post("/reset", s.handleExerciseReset)
		r.Post("/stop", s.handleExerciseStop)
		r.Post("/exec", s.handleExerciseExec)
		r.Post("/check", s.handleExerciseCheck)
		r.Post("/hints/{n}", s.handleExerciseHint)
		r.Post("/solution", s.handleExerciseSolution)
		r.Get("/instructor", s.handleExerciseInstructor)
		r.Post("/run-solution", s.handleExerciseRunSolution)
	})
}

// target resolves the route's exercise for the signed-in learner.
func (s *Server) target(r *http.Request) (lab.Target, error) {
	if s.cfg.Labs == nil {
		return lab.Target{}, opslab.Errorf(opslab.EUNAVAILABLE, "Sandboxes are not available on this server.")
	}
	c, l, err := s.kit.FindLesson(r)
	if err != nil {
		return lab.Target{}, err
	}
	e, ok := l.Exercise(chi.URLParam(r, "exercise"))
	if !ok {
		return lab.Target{}, opslab.Errorf(opslab.ENOTFOUND, "No such exercise in %s.", l.Title)
	}
	return lab.Target{UserID: kit.CurrentUser(r).ID, Course: c, Lesson: l, Exercise: e}, nil
}

func (s *Server) handleExerciseStart(w http.ResponseWriter, r *http.Request) {
	// Labs is read inside the call: a nil Labs must answer 503, not panic here.
	s.labStart(w, r, func(ctx context.Context, t lab.Target) (*lab.Started, error) { return s.cfg.Labs.Start(ctx, t) })
}

func (s *Server) handleExerciseReset(w http.ResponseWriter, r *http.Request) {
	s.labStart(w, r, func(ctx context.Context, t lab.Target) (*lab.Started, error) { return s.cfg.Labs.Reset(ctx, t) })
}

func (s *Server) labStart(w http.ResponseWriter, r *http.Request, start func(context.Context, lab.Target) (*lab.Started, error)) {
	t, err := s.target(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	res, err := start(r.Context(), t)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, res)
}

func (s *Server) handleExerciseStop(w http.ResponseWriter, r *http.Request) {
	t, err := s.target(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if err := s.cfg.Labs.Stop(r.Context(), t); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type execRequest struct {
	Command *string `json:"command"`
	// Node optionally names the sandbox node to run on ("replica-1");
	// absent or empty, the default node (the primary, the first broker).
	Node string `json:"node"`
}

func (s *Server) handleExerciseExec(w http.ResponseWriter, r *http.Request) {
	var req execRequest
	if err := kit.DecodeJSON(r, &req); err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	if req.Command == nil {
		s.kit.APIError(w, r, opslab.Errorf(opslab.EINVALID, `Send {"command": "..."}.`))
		return
	}
	t, err := s.target(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	res, err := s.cfg.Labs.ExecNode(r.Context(), t, req.Node, *req.Command)
	if res != nil && res.Checks != nil {
		s.forgetProgress(t.UserID)
	}
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, res)
}

func (s *Server) handleExerciseCheck(w http.ResponseWriter, r *http.Request) {
	t, err := s.target(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	rep, err := s.cfg.Labs.Check(r.Context(), t)
	s.forgetProgress(t.UserID)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	p, err := s.progressFor(r.Context(), t.UserID, t.Course)
	if err != nil {
		s.kit.APIError(w, r, err)
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

func (s *Server) handleExerciseHint(w http.ResponseWriter, r *http.Request) {
	t, err := s.target(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	n, err := strconv.Atoi(chi.URLParam(r, "n"))
	if err != nil {
		s.kit.APIError(w, r, opslab.Errorf(opslab.ENOTFOUND, "Hints are numbered from 1."))
		return
	}
	err = s.cfg.Labs.RevealHint(r.Context(), t, n-1)
	s.forgetProgress(t.UserID) // a hint puts the lesson in progress
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) handleExerciseSolution(w http.ResponseWriter, r *http.Request) {
	t, err := s.target(r)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	lines, err := s.cfg.Labs.RevealSolution(r.Context(), t)
	s.forgetProgress(t.UserID)
	if err != nil {
		s.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, map[string][]string{"solution": lines})
}
