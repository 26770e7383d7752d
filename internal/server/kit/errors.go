package kit

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

// StatusOf maps an error to its HTTP status: its opslab code's status, or
// 500 for an error without a known code.
func StatusOf(err error) int {
	if st, ok := codeStatus[opslab.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every API error: {"error": sentence}.
type ErrorBody struct {
	Error string `json:"error"`
}

// APIError writes {"error": sentence} with the error's status; internal
// errors are logged and shown as a generic sentence.
func (k *Kit) APIError(w http.ResponseWriter, r *http.Request, err error) {
	st := StatusOf(err)
	if st == http.StatusInternalServerError {
		k.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	SetRetryAfter(w, err)
	WriteJSON(w, st, ErrorBody{Error: opslab.ErrorMessage(err)})
}

// WriteJSON writes v as JSON, one line, with the status and no caching; a
// value that cannot be encoded answers 500 instead.
func WriteJSON(w http.ResponseWriter, status int, v any) {
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

// DecodeJSON reads one JSON object into v. It answers ETOOLARGE for a body
// over the cap and EINVALID for anything that is not a single JSON object.
func DecodeJSON(r *http.Request, v any) error {
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

// AsMaxBytes reports whether err is (or wraps) a body-over-the-cap error,
// and sets target to it.
func AsMaxBytes(err error, target **http.MaxBytesError) bool { return errors.As(err, target) }

// FormError answers a form that could not be parsed: 413 when it was over
// the cap, 400 otherwise, as an error page.
func (k *Kit) FormError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if AsMaxBytes(err, &maxErr) {
		k.PageError(w, r, opslab.Errorf(opslab.ETOOLARGE, "The form is larger than %d bytes.", maxErr.Limit))
		return
	}
	k.PageError(w, r, opslab.Errorf(opslab.EINVALID, "The form could not be read."))
}

// retryer is an error that knows when to try again (429, 503).
type retryer interface {
	RetryAfterSeconds() int
}

// SetRetryAfter adds Retry-After for an error that carries a delay.
func SetRetryAfter(w http.ResponseWriter, err error) {
	var re retryer
	if errors.As(err, &re) {
		w.Header().Set("Retry-After", strconv.Itoa(re.RetryAfterSeconds()))
	}
}
