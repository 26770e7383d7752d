package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/opslab/opslab/internal/opslab"
)

var codeStatus = map[string]int{
	opslab.EINVALID:      http.StatusBadRequest,
	opslab.EUNAUTHORIZED: http.StatusUnauthorized,
	opslab.EFORBIDDEN:    http.StatusForbidden,
	opslab.ENOTFOUND:     http.StatusNotFound,
	opslab.ECONFLICT:     http.StatusConflict,
	opslab.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	opslab.ERATELIMIT:    http.StatusTooManyRequests,
	opslab.EUNAVAILABLE:  http.StatusServiceUnavailable,
	opslab.EINTERNAL:     http.StatusInternalServerError,
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	if st, ok := codeStatus[opslab.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error string `json:"error"`
}

// apiError writes {"error": sentence} with the error's status; internal
// errors are logged and shown as a generic sentence.
func (s *Server) apiError(w http.ResponseWriter, r *http.Request, err error) {
	st := statusOf(err)
	if st == http.StatusInternalServerError {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	setRetryAfter(w, err)
	writeJSON(w, st, errorBody{Error: opslab.ErrorMessage(err)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"Internal error."}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// decodeJSON reads one JSON object into v. It answers ETOOLARGE for a body
// over the cap and EINVALID for anything that is not a single JSON object.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var maxErr *http.MaxBytesError
		switch {
		case errors.As(err, &maxErr):
			return opslab.Errorf(opslab.ETOOLARGE, "The request body is larger than %d bytes.", maxErr.Limit)
		case errors.Is(err, io.EOF):
			return opslab.Errorf(opslab.EINVALID, "The request body is empty: send a JSON object.")
		default:
			return opslab.Errorf(opslab.EINVALID, "The request body is not valid JSON: %s.", strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return opslab.Errorf(opslab.EINVALID, "The request body must hold one JSON object.")
	}
	return nil
}

func asMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }

// retryer is an error that knows when to try again (429, 503).
type retryer interface {
	RetryAfterSeconds() int
}

// setRetryAfter adds Retry-After for an error that carries a delay.
func setRetryAfter(w http.ResponseWriter, err error) {
	var re retryer
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", strconv.Itoa(re.RetryAfterSeconds()))
	}
}
