package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

// logBuffer is a JSON slog handler writing to a buffer, so tests can assert
// what reaches the log and what does not. Tests serve requests
// synchronously, so the buffer needs no lock.
func logBuffer() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// serve runs h behind the middleware chain (which assigns the request id
// the renderers quote) with a fixed incoming X-Request-Id.
func serve(t *testing.T, log *slog.Logger, h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	t.Helper()
	m := httpx.Middleware{Log: log, Renderer: httpx.Renderer{Log: log}, Now: fixedClock()}
	r.Header.Set("X-Request-Id", "req-123")
	w := httptest.NewRecorder()
	m.Wrap(h, httpx.MaxJSONBody).ServeHTTP(w, r)
	return w
}

// fixedClock advances one millisecond per call, so durations are known.
func fixedClock() func() time.Time {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	calls := 0
	return func() time.Time {
		calls++
		return t0.Add(time.Duration(calls) * time.Millisecond)
	}
}

// decodeBody decodes a JSON response body into a map, asserting the
// content type on the way.
func decodeBody(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", w.Body.String(), err)
	}
	return m
}

func failWith(err error) httpx.HandlerFunc {
	return func(http.ResponseWriter, *http.Request) error { return err }
}

func TestOAuthErrorShape(t *testing.T) {
	log, _ := logBuffer()
	rd := httpx.Renderer{Log: log}
	err := httpx.NewError(http.StatusUnauthorized, "invalid_client", "Client authentication failed.").
		WithHint("The client secret does not match.").
		WithHeader("WWW-Authenticate", `Basic realm="signet"`)
	w := serve(t, log, rd.OAuth(failWith(err)), httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))

	if w.Code != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401", w.Code)
	}
	// Exactly the contract's errorOAuth2 fields, no more.
	want := map[string]any{
		"error":             "invalid_client",
		"error_description": "Client authentication failed.",
		"error_hint":        "The client secret does not match.",
		"status_code":       float64(401),
	}
	if got := decodeBody(t, w); !reflect.DeepEqual(got, want) {
		t.Fatalf("body = %v, want %v", got, want)
	}
	if got := w.Header().Get("WWW-Authenticate"); got != `Basic realm="signet"` {
		t.Errorf("WWW-Authenticate = %q", got)
	}
	// RFC 6749 section 5.2 responses carry no-store like the successful ones.
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
}

func TestOAuthErrorOmitsEmptyHint(t *testing.T) {
	log, _ := logBuffer()
	rd := httpx.Renderer{Log: log}
	w := serve(t, log, rd.OAuth(failWith(httpx.BadRequest("Missing grant_type."))), httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))
	body := decodeBody(t, w)
	if _, ok := body["error_hint"]; ok {
		t.Errorf("empty error_hint rendered: %v", body)
	}
	if body["error"] != "invalid_request" || w.Code != http.StatusBadRequest {
		t.Errorf("got %d %v", w.Code, body)
	}
}

func TestOAuthSuccessIsUntouched(t *testing.T) {
	log, _ := logBuffer()
	rd := httpx.Renderer{Log: log}
	ok := func(w http.ResponseWriter, r *http.Request) error {
		httpx.WriteJSON(w, http.StatusCreated, map[string]string{"ok": "yes"})
		return nil
	}
	w := serve(t, log, rd.OAuth(ok), httptest.NewRequest(http.MethodPost, "/x", nil))
	if w.Code != http.StatusCreated || strings.TrimSpace(w.Body.String()) != `{"ok":"yes"}` {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
}

func TestGenericErrorShape(t *testing.T) {
	log, _ := logBuffer()
	rd := httpx.Renderer{Log: log}
	err := httpx.NotFound("Unable to locate the resource.").WithHint("No client with this id.")
	w := serve(t, log, rd.Generic(failWith(err)), httptest.NewRequest(http.MethodGet, "/admin/clients/nope", nil))

	if w.Code != http.StatusNotFound {
		t.Fatalf("status = %d, want 404", w.Code)
	}
	want := map[string]any{
		"code":    float64(404),
		"status":  "Not Found",
		"message": "Unable to locate the resource.",
		"reason":  "No client with this id.",
		"request": "req-123",
	}
	if got := decodeBody(t, w); !reflect.DeepEqual(got, want) {
		t.Fatalf("body = %v, want %v", got, want)
	}
}

func TestGenericErrorCarriesHeaders(t *testing.T) {
	log, _ := logBuffer()
	rd := httpx.Renderer{Log: log}
	err := httpx.NewError(http.StatusUnauthorized, "unauthorized", "Token required.").WithHeader("WWW-Authenticate", "Bearer")
	w := serve(t, log, rd.Generic(failWith(err)), httptest.NewRequest(http.MethodGet, "/admin/x", nil))
	if w.Header().Get("WWW-Authenticate") != "Bearer" || w.Code != http.StatusUnauthorized {
		t.Fatalf("got %d, headers %v", w.Code, w.Header())
	}
	if _, ok := decodeBody(t, w)["reason"]; ok {
		t.Errorf("empty reason rendered")
	}
}

// TestInternalErrorsAreHidden covers both wire shapes: an error that is
// not a client error is logged with its cause and shown only as a
// server_error naming the request id.
func TestInternalErrorsAreHidden(t *testing.T) {
	const cause = "dial tcp 10.0.0.7:5432: password authentication failed for user signet"
	cases := []struct {
		name string
		err  error
	}{
		{"plain error", errors.New(cause)},
		{"wrapped plain error", fmt.Errorf("get client: %w", errors.New(cause))},
		{"*Error without status", (&httpx.Error{Code: "x", Description: "y"}).Because(errors.New(cause))},
	}
	for _, tc := range cases {
		for _, shape := range []string{"oauth", "generic"} {
			t.Run(tc.name+"/"+shape, func(t *testing.T) {
				log, logs := logBuffer()
				rd := httpx.Renderer{Log: log}
				h := rd.OAuth(failWith(tc.err))
				if shape == "generic" {
					h = rd.Generic(failWith(tc.err))
				}
				w := serve(t, log, h, httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))
				if w.Code != http.StatusInternalServerError {
					t.Fatalf("status = %d, want 500", w.Code)
				}
				if strings.Contains(w.Body.String(), "password") || strings.Contains(w.Body.String(), "10.0.0.7") {
					t.Fatalf("the cause leaked into the body: %s", w.Body.String())
				}
				body := decodeBody(t, w)
				desc, _ := body["error_description"].(string)
				if shape == "generic" {
					desc, _ = body["message"].(string)
					if body["request"] != "req-123" {
						t.Errorf("request = %v", body["request"])
					}
				} else if body["error"] != "server_error" {
					t.Errorf("error = %v, want server_error", body["error"])
				}
				if !strings.Contains(desc, "req-123") {
					t.Errorf("description %q does not name the request id", desc)
				}
				line := findLog(t, logs, "internal error")
				if line["request_id"] != "req-123" || !strings.Contains(fmt.Sprint(line["error"]), cause) {
					t.Errorf("log line %v lacks the request id or the cause", line)
				}
			})
		}
	}
}

func TestServerErrorStatusKept(t *testing.T) {
	// A deliberate 503 (load shedding) keeps its status, code and
	// Retry-After, gains the request id, and its cause stays in the log at
	// warning level: the server is working as designed.
	log, logs := logBuffer()
	rd := httpx.Renderer{Log: log}
	err := httpx.NewError(http.StatusServiceUnavailable, "temporarily_unavailable", "Try again later.").
		WithHeader("Retry-After", "1").
		Because(errors.New("pool exhausted"))
	w := serve(t, log, rd.OAuth(failWith(err)), httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))
	body := decodeBody(t, w)
	if w.Code != http.StatusServiceUnavailable || body["error"] != "temporarily_unavailable" {
		t.Fatalf("got %d %v", w.Code, body)
	}
	if body["error_description"] != "Try again later. (request id req-123)" {
		t.Errorf("error_description = %v", body["error_description"])
	}
	if strings.Contains(w.Body.String(), "pool") || !strings.Contains(logs.String(), "pool exhausted") {
		t.Errorf("cause placement wrong: body %s, log %s", w.Body.String(), logs.String())
	}
	if w.Header().Get("Retry-After") != "1" {
		t.Errorf("Retry-After = %q, want the error's header kept", w.Header().Get("Retry-After"))
	}
	if !strings.Contains(logs.String(), `"level":"WARN"`) || strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a 503 should be logged as a warning: %s", logs.String())
	}
}

func TestClientErrorCauseOnlyLogged(t *testing.T) {
	log, logs := logBuffer()
	rd := httpx.Renderer{Log: log}
	err := httpx.BadRequest("The client secret is wrong.").Because(errors.New("hash mismatch detail"))
	w := serve(t, log, rd.OAuth(failWith(err)), httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))
	if strings.Contains(w.Body.String(), "hash mismatch") {
		t.Fatalf("cause rendered: %s", w.Body.String())
	}
	line := findLog(t, logs, "request refused")
	if line["cause"] != "hash mismatch detail" || line["request_id"] != "req-123" || line["level"] != "DEBUG" {
		t.Errorf("log line = %v", line)
	}
}

func TestWriteJSONUnencodable(t *testing.T) {
	w := httptest.NewRecorder()
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"f": func() {}})
	if w.Code != http.StatusInternalServerError || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("got %d %q", w.Code, w.Body.String())
	}
}

// findLog returns the first JSON log line with the given message.
func findLog(t *testing.T, logs *bytes.Buffer, msg string) map[string]any {
	t.Helper()
	for _, raw := range bytes.Split(logs.Bytes(), []byte("\n")) {
		var line map[string]any
		if json.Unmarshal(raw, &line) == nil && line["msg"] == msg {
			return line
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, logs.String())
	return nil
}

func TestAbandonedRequest(t *testing.T) {
	cancelled := fmt.Errorf("query clients: %w", context.Canceled)

	t.Run("client went away", func(t *testing.T) {
		log, logs := logBuffer()
		rd := httpx.Renderer{Log: log}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := httptest.NewRequest(http.MethodPost, "/oauth2/token", nil).WithContext(ctx)
		w := serve(t, log, rd.OAuth(failWith(cancelled)), r)
		if w.Code != 499 {
			t.Fatalf("status = %d, want 499", w.Code)
		}
		if strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("an abandoned request was logged as an error: %s", logs.String())
		}
		if findLog(t, logs, "request")["status"] != float64(499) {
			t.Errorf("access log does not tell abandoned requests apart: %s", logs.String())
		}
	})

	t.Run("cancelled inside while the client waits", func(t *testing.T) {
		// A cancellation the client did not cause is our failure: 500.
		log, logs := logBuffer()
		rd := httpx.Renderer{Log: log}
		w := serve(t, log, rd.OAuth(failWith(cancelled)), httptest.NewRequest(http.MethodPost, "/oauth2/token", nil))
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("status = %d, want 500", w.Code)
		}
		findLog(t, logs, "internal error")
	})
}
