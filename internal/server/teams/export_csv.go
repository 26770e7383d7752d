package teams

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
)

// handleTeamProgressCSV sends the team's progress as a CSV file.
func (h *Handler) handleTeamProgressCSV(w http.ResponseWriter, r *http.Request) {
	t, err := h.ledTeam(r)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	cat := h.kit.Catalog()
	reports, err := h.teamReport(r.Context(), cat, t)
	if err != nil {
		h.kit.PageError(w, r, err)
		return
	}
	var b bytes.Buffer
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true // RFC 4180
	if err := writeProgressCSV(cw, cat, reports); err != nil {
		h.kit.PageError(w, r, fmt.Errorf("write progress CSV: %w", err))
		return
	}
	name := fmt.Sprintf("%s-progress-%s.csv", t.Slug, h.now().UTC().Format("2006-01-02"))
	hdr := w.Header()
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.Bytes())
}
