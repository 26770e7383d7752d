package accounts

import (
	"net/http"
	"time"

	"github.com/opslab/opslab/internal/server/kit"
)

func (h *Handler) handleAPIChangePassword(w http.ResponseWriter, r *http.Request) {
	var p passwordChange
	if err := kit.DecodeJSON(r, &p); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	if err := h.changePassword(r, p.CurrentPassword, p.NewPassword); err != nil {
		kit.SetRetryAfter(w, err)
		h.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type sessionJSON struct {
	ID         int64     `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	ClientAddr string    `json:"client_addr"`
	UserAgent  string    `json:"user_agent"`
	Current    bool      `json:"current"`
}

func (h *Handler) handleAPISessions(w http.ResponseWriter, r *http.Request) {
	list, err := h.mySessions(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, struct {
		Sessions []sessionJSON `json:"sessions"`
	}{list})
}

func (h *Handler) handleAPIEndSession(w http.ResponseWriter, r *http.Request) {
	if err := h.endSession(r); err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) handleAPIRevokeOthers(w http.ResponseWriter, r *http.Request) {
	n, err := h.revokeOthers(r)
	if err != nil {
		h.kit.APIError(w, r, err)
		return
	}
	kit.WriteJSON(w, http.StatusOK, struct {
		Ended int `json:"ended"`
	}{n})
}
