package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// HandlerFunc is an error-returning handler. A nil return means the handler
// wrote its response; a non-nil one is rendered by the adapter it was
// registered with.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Renderer turns returned errors into responses and log lines. It is built
// once in app.New and shared by every route.
type Renderer struct {
	Log *slog.Logger
}

// oauthBody is the contract's errorOAuth2 shape.
type oauthBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	Hint        string `json:"error_hint,omitempty"`
	StatusCode  int    `json:"status_code,omitempty"`
}

// genericBody is the contract's genericError shape.
type genericBody struct {
	Code    int    `json:"code"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Reason  string `json:"reason,omitempty"`
	Request string `json:"request,omitempty"`
}

// statusClientClosed marks requests whose client disconnected first.
const statusClientClosed = 499

// OAuth adapts h and renders errors as {"error", "error_description"}.
func (rd Renderer) OAuth(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			rd.WriteOAuthError(w, r, err)
		}
	})
}

// Generic adapts h and renders errors as the contract's genericError.
func (rd Renderer) Generic(h HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			e := rd.classify(r, err)
			copyHeader(w, e.Header)
			WriteJSON(w, e.Status, genericBody{
				Code: e.Status, Status: http.StatusText(e.Status), Message: e.Description,
				Reason: e.Hint, Request: RequestID(r.Context()),
			})
		}
	})
}

// WriteOAuthError renders err in the OAuth 2.0 error shape. Exported for the
// few places (middleware, recover) that hold an error outside a HandlerFunc.
func (rd Renderer) WriteOAuthError(w http.ResponseWriter, r *http.Request, err error) {
	e := rd.classify(r, err)
	copyHeader(w, e.Header)
	w.Header().Set("Cache-Control", "no-store")
	WriteJSON(w, e.Status, oauthBody{Error: e.Code, Description: e.Description, Hint: e.Hint, StatusCode: e.Status})
}

// classify maps any error to an *Error. Errors that are not *Error are
// internal: they are logged once with the request id and shown to the
// caller only as a server_error naming that id.
func (rd Renderer) classify(r *http.Request, err error) *Error {
	var e *Error
	if errors.As(err, &e) && e.Status != 0 && e.Status < 500 {
		if e.cause != nil {
			rd.Log.Debug("request refused", "request_id", RequestID(r.Context()), "error", e.Code, "cause", e.cause.Error())
		}
		return e
	}
	id := RequestID(r.Context())
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The caller went away mid-request: nothing failed on our side and
		// nobody will read the answer. 499 (a convention, not a standard
		// status) keeps such requests apart from real errors in the access log.
		rd.Log.Debug("request abandoned by the client", "request_id", id, "path", r.URL.Path)
		return &Error{Code: "server_error", Description: "The request was abandoned by the client.", Status: statusClientClosed}
	}
	if e != nil && e.Status == http.StatusServiceUnavailable {
		// A deliberate "try again later" (load shedding): the server is
		// working as designed, so it is a warning, and its headers
		// (Retry-After) and words reach the caller.
		rd.Log.Warn("request shed", "request_id", id, "path", r.URL.Path, "error", err.Error())
		return &Error{Code: e.Code, Description: e.Description + " (request id " + id + ")", Hint: e.Hint, Status: e.Status, Header: e.Header}
	}
	rd.Log.Error("internal error", "request_id", id, "method", r.Method, "path", r.URL.Path, "error", err.Error())
	status := http.StatusInternalServerError
	code := "server_error"
	desc := "The server met an unexpected condition; the log line with request id " + id + " says why."
	if e != nil && e.Status >= 500 {
		status, code = e.Status, e.Code
		desc = e.Description + " (request id " + id + ")"
	}
	return &Error{Code: code, Description: desc, Status: status}
}

// WriteJSON writes v as JSON with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only reachable with a programming error (an unencodable type).
		http.Error(w, `{"error":"server_error","error_description":"response encoding failed"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

func copyHeader(w http.ResponseWriter, h http.Header) {
	for k, vs := range h {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
}

// Mux is where a domain package registers its routes: *http.ServeMux, or
// the app's route table, which also records each pattern so a test can
// compare the routes with the compatibility contract.
type Mux interface {
	Handle(pattern string, h http.Handler)
}
