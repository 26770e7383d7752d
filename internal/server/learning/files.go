package learning

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/opslab/opslab/internal/course"
	"github.com/opslab/opslab/internal/opslab"
)

// handleCourseFile serves an image from a course's folder to a signed-in
// user. Only image types are served; SVG gets a policy that runs no script.
func (h *Handler) handleCourseFile(w http.ResponseWriter, r *http.Request) {
	c, ok := h.kit.Catalog().Course(chi.URLParam(r, "course"))
	name := chi.URLParam(r, "*")
	if !ok || c.Files == nil || name == "" || !fs.ValidPath(name) || strings.Contains(name, "\\") || !course.IsImageFile(name) {
		h.kit.PageError(w, r, opslab.Errorf(opslab.ENOTFOUND, "There is no such file."))
		return
	}
	b, err := fs.ReadFile(c.Files, path.Clean(name))
	if err != nil {
		h.kit.PageError(w, r, opslab.Errorf(opslab.ENOTFOUND, "There is no such file."))
		return
	}
	w.Header().Set("Content-Type", course.ImageType(name))
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox")
	_, _ = w.Write(b)
}
