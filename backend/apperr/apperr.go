// Package apperr is livemall's one error vocabulary: every error that reaches
// a user carries a code and a message fit to be shown to them, and one table
// maps codes to HTTP statuses.
package apperr

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Codes understood by every slice. Anything else is reported as Internal.
const (
	Invalid      = "invalid"      // the request is malformed or breaks a rule
	NotFound     = "not_found"    // the object does not exist or is not visible to the caller
	Conflict     = "conflict"     // the request clashes with the current state
	Forbidden    = "forbidden"    // signed in, but the role or owner check refused
	Unauthorized = "unauthorized" // not signed in, or the session has ended
	TooLarge     = "too_large"    // the body is over the size limit
	RateLimited  = "rate_limited" // too many requests from this client
	Unavailable  = "unavailable"  // a dependency (database, bus) does not answer
	Internal     = "internal"     // a bug or an unexpected failure; details are only logged
)

// Error is an error with a code from the vocabulary above and a message that
// can be shown to the user as it is.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when set on a RateLimited error, is how long the client
	// should wait; HTTP answers carry it as Retry-After.
	RetryAfter time.Duration
}

// Error implements the error interface.
func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// New returns an *Error with the given code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Code returns the code of the first *Error in err's chain, Internal for any
// other non-nil error, and "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Message returns the user-facing message of the first *Error in err's chain,
// or "internal error" when err carries none: internal details are never shown.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// Is reports whether err carries the given code.
func Is(err error, code string) bool { return Code(err) == code }

// statuses maps each code to the HTTP status it is answered with.
var statuses = map[string]int{
	Invalid:      http.StatusBadRequest,
	NotFound:     http.StatusNotFound,
	Conflict:     http.StatusConflict,
	Forbidden:    http.StatusForbidden,
	Unauthorized: http.StatusUnauthorized,
	TooLarge:     http.StatusRequestEntityTooLarge,
	RateLimited:  http.StatusTooManyRequests,
	Unavailable:  http.StatusServiceUnavailable,
	Internal:     http.StatusInternalServerError,
}

// Status returns the HTTP status for err's code.
func Status(err error) int {
	if s, ok := statuses[Code(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfter returns how long the client should wait before trying again,
// from the first *Error in err's chain; 0 when it says nothing.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
