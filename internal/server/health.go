package server

import (
	"net/http"

	"github.com/opslab/opslab/internal/server/kit"
)

// handleHealthz answers 200 while the process runs.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	kit.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": s.cfg.Version})
}

type readiness struct {
	Status   string   `json:"status"`
	Courses  int      `json:"courses"`
	Lessons  int      `json:"lessons"`
	Problems int      `json:"problems"`
	Details  []string `json:"problem_list,omitempty"`
}

// handleReadyz answers 200 once the store is open and content is loaded,
// with how many courses, lessons and content problems there are.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	cat := s.Catalog()
	if cat == nil || !s.ready.Load() {
		kit.WriteJSON(w, http.StatusServiceUnavailable, readiness{Status: "starting"})
		return
	}
	rd := readiness{Status: "ready", Courses: len(cat.Courses), Problems: len(cat.Problems)}
	for _, c := range cat.Courses {
		rd.Lessons += len(c.Lessons)
	}
	for _, p := range cat.Problems {
		rd.Details = append(rd.Details, p.String())
	}
	kit.WriteJSON(w, http.StatusOK, rd)
}
