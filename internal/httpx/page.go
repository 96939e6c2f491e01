package httpx

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Browser-facing endpoints (the authorization and logout endpoints) answer
// errors with an HTML page or a redirect to urls.error, never with JSON:
// the reader is a person. These helpers are what they share; each endpoint
// keeps its own page template.

// PageCSP is the Content-Security-Policy of Signet's pages: no script, no
// loads, only their inline style block. Pages that must frame other
// origins (front-channel logout) extend it.
const PageCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// BrowserError classifies err for a browser and, when errorURL is set,
// redirects there with error, error_description and error_hint. Otherwise
// it returns the error for the caller's page. Internal errors (anything not
// an *Error, or one without a status) are logged with the request id and
// shown without detail; a deliberate 5xx *Error (a missing setting, say)
// keeps its words; the cause of a 4xx goes to the debug log only.
func (rd Renderer) BrowserError(w http.ResponseWriter, r *http.Request, errorURL string, err error) (page *Error) {
	id := RequestID(r.Context())
	var e *Error
	switch {
	case !errors.As(err, &e) || e.Status == 0:
		rd.Log.Error("browser request failed", "request_id", id, "path", r.URL.Path, "error", err.Error())
		e = NewError(http.StatusInternalServerError, "server_error",
			"The server met an unexpected condition; the log line with request id %s says why.", id)
	case e.Status >= 500:
		rd.Log.Error("browser request failed", "request_id", id, "path", r.URL.Path, "error", err.Error())
	case e.cause != nil:
		rd.Log.Debug("browser request refused", "request_id", id, "path", r.URL.Path, "error", e.Code, "cause", e.cause.Error())
	}
	w.Header().Set("Cache-Control", "no-store")
	if errorURL == "" {
		return e
	}
	v := url.Values{"error": {e.Code}, "error_description": {e.Description}}
	if e.Hint != "" {
		v.Set("error_hint", e.Hint)
	}
	http.Redirect(w, r, WithQuery(errorURL, v), http.StatusFound)
	return nil
}

// PageStatus is the status of an error page: 500 for server errors, 400
// for everything the request or the browser got wrong.
func PageStatus(e *Error) int {
	if e.Status >= 500 {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// WritePageHeaders sets the headers every HTML page carries and the status.
func WritePageHeaders(w http.ResponseWriter, status int, csp string) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
}

// WithQuery appends v to base, keeping any query base already has; a
// fragment in base is dropped (RFC 6749 section 3.1.2: redirect endpoints
// carry none).
func WithQuery(base string, v url.Values) string {
	base, _, _ = strings.Cut(base, "#")
	switch {
	case strings.HasSuffix(base, "?"), strings.HasSuffix(base, "&"):
		return base + v.Encode()
	case strings.Contains(base, "?"):
		return base + "&" + v.Encode()
	}
	return base + "?" + v.Encode()
}
