package httpx

import (
	"fmt"
	"net/http"
)

// Error is the one error type handlers return. It is rendered once, at the
// route's boundary, in the wire shape the route was registered with
// (OAuth or Generic). Code, Description and Hint are shown to the caller;
// the cause is logged and never rendered.
type Error struct {
	Code        string // e.g. "invalid_request", "not_found"
	Description string // safe to show the caller
	Hint        string // optional, more specific help (Hydra's error_hint)
	Status      int    // HTTP status
	// Header holds headers the response must carry, such as WWW-Authenticate.
	Header http.Header
	cause  error
}

// NewError returns a fresh *Error; every call makes a new value, so callers
// may attach causes and hints without affecting anyone else.
func NewError(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Description: fmt.Sprintf(format, args...), Status: status}
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Description
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap exposes the internal cause to errors.Is/As.
func (e *Error) Unwrap() error { return e.cause }

// Because attaches the internal cause (logged, never rendered).
func (e *Error) Because(err error) *Error { e.cause = err; return e }

// WithHint sets the error hint.
func (e *Error) WithHint(format string, args ...any) *Error {
	e.Hint = fmt.Sprintf(format, args...)
	return e
}

// WithHeader adds a response header (e.g. WWW-Authenticate for 401).
func (e *Error) WithHeader(key, value string) *Error {
	if e.Header == nil {
		e.Header = http.Header{}
	}
	e.Header.Add(key, value)
	return e
}

// Common non-protocol errors of the admin API.

// BadRequest is a 400 invalid_request.
func BadRequest(format string, args ...any) *Error {
	return NewError(http.StatusBadRequest, "invalid_request", format, args...)
}

// NotFound is a 404 with the contract's not_found code.
func NotFound(format string, args ...any) *Error {
	return NewError(http.StatusNotFound, "not_found", format, args...)
}

// Conflict is a 409.
func Conflict(format string, args ...any) *Error {
	return NewError(http.StatusConflict, "conflict", format, args...)
}
