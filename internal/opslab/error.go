// Package opslab holds the platform's domain types: users, teams, progress
// and the one error type every layer speaks. It imports no adapter.
package opslab

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in the web adapter.
const (
	EINVALID      = "invalid"      // bad input: 400
	EUNAUTHORIZED = "unauthorized" // not signed in, or a wrong password: 401
	EFORBIDDEN    = "forbidden"    // signed in but not allowed: 403
	ENOTFOUND     = "not_found"    // unknown entity: 404
	ECONFLICT     = "conflict"     // state conflict, e.g. a taken email: 409
	ETOOLARGE     = "too_large"    // request too large: 413
	ERATELIMIT    = "rate_limited" // too many requests: 429
	EUNAVAILABLE  = "unavailable"  // no capacity right now: 503
	EINTERNAL     = "internal"     // anything else: 500, logged
)

// Error is an application error whose Message is safe to show to the user.
// Errors without this type are internal: they are logged, never shown.
type Error struct {
	Code    string
	Message string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("opslab error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err: the Message of an
// *Error in its chain, or a generic sentence for an internal error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
