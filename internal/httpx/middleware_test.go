package httpx_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

// chain builds the production middleware around h with a logger that
// writes to the returned buffer.
func chain(h http.Handler, maxBody int64, quiet ...string) (http.Handler, *bytes.Buffer) {
	log, logs := logBuffer()
	m := httpx.Middleware{Log: log, Renderer: httpx.Renderer{Log: log}, Now: fixedClock(), QuietPaths: map[string]bool{}}
	for _, p := range quiet {
		m.QuietPaths[p] = true
	}
	return m.Wrap(h, maxBody), logs
}

// echoID answers 200 with the request id the handler sees in its context.
var echoID = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.WriteString(w, httpx.RequestID(r.Context()))
})

var generatedID = regexp.MustCompile(`^[0-9a-f]{24}$`)

func TestRequestID(t *testing.T) {
	cases := []struct {
		name, incoming string
		kept           bool
	}{
		{"none sent", "", false},
		{"plain id kept", "edge-7f3a_b.2", true},
		{"64 characters kept", strings.Repeat("a", 64), true},
		{"newline replaced", "abc\ninjected=1 level=ERROR", false},
		{"carriage return replaced", "abc\rdef", false},
		{"200 characters replaced", strings.Repeat("a", 200), false},
		{"65 characters replaced", strings.Repeat("a", 65), false},
		{"spaces replaced", "a b", false},
		{"quotes replaced", `a"b`, false},
		{"non-ASCII replaced", "ａｂｃ", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, logs := chain(echoID, 1024)
			r := httptest.NewRequest(http.MethodGet, "/health/ready", nil)
			if tc.incoming != "" {
				r.Header["X-Request-Id"] = []string{tc.incoming}
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)

			id := w.Header().Get("X-Request-Id")
			if id != w.Body.String() {
				t.Fatalf("response header %q differs from the id in the context %q", id, w.Body.String())
			}
			if tc.kept && id != tc.incoming {
				t.Fatalf("id = %q, want the incoming %q kept", id, tc.incoming)
			}
			if !tc.kept && !generatedID.MatchString(id) {
				t.Fatalf("id = %q, want a fresh 24-hex-digit id", id)
			}
			if findLog(t, logs, "request")["request_id"] != id {
				t.Errorf("access log carries another request id: %s", logs.String())
			}
		})
	}
}

func TestRequestIDsAreFresh(t *testing.T) {
	h, _ := chain(echoID, 1024)
	seen := map[string]bool{}
	for range 50 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if seen[w.Body.String()] {
			t.Fatalf("request id %q handed out twice", w.Body.String())
		}
		seen[w.Body.String()] = true
	}
}

func TestAccessLog(t *testing.T) {
	teapot := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h, logs := chain(teapot, 1024)
	// Codes, tokens and states travel in queries; none may reach the log.
	r := httptest.NewRequest(http.MethodGet, "/oauth2/auth?code=secret-code-value&state=s3cr3t", nil)
	r.Header.Set("X-Request-Id", "req-log")
	h.ServeHTTP(httptest.NewRecorder(), r)

	line := findLog(t, logs, "request")
	want := map[string]any{
		"method": "GET", "path": "/oauth2/auth", "status": float64(http.StatusTeapot),
		"request_id": "req-log", "duration": float64(1_000_000), // one tick of fixedClock, in ns
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v (line %v)", k, line[k], v, line)
		}
	}
	for _, leaked := range []string{"secret", "s3cr3t", "code="} {
		if strings.Contains(logs.String(), leaked) {
			t.Errorf("the query string reached the log (%q): %s", leaked, logs.String())
		}
	}
}

func TestAccessLogStatusWithoutExplicitWrite(t *testing.T) {
	// A handler that writes nothing answers 200; the log must say so too.
	silent := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	h, logs := chain(silent, 1024)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodDelete, "/admin/x", nil))
	if got := findLog(t, logs, "request")["status"]; got != float64(w.Code) {
		t.Fatalf("logged status %v, response status %d", got, w.Code)
	}
}

func TestQuietPaths(t *testing.T) {
	status := http.StatusOK
	h, logs := chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(status) }), 1024, "/health/alive")

	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health/alive", nil))
	if logs.Len() != 0 {
		t.Fatalf("a healthy quiet path was logged: %s", logs.String())
	}
	// A failing health check is worth a line even on a quiet path.
	status = http.StatusServiceUnavailable
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health/alive", nil))
	if findLog(t, logs, "request")["status"] != float64(503) {
		t.Fatalf("failing quiet path not logged: %s", logs.String())
	}
	logs.Reset()
	status = http.StatusOK
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/health/ready", nil))
	findLog(t, logs, "request")
}

func TestRecover(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("nil map write in handler") })
	h, logs := chain(boom, 1024)
	r := httptest.NewRequest(http.MethodPost, "/oauth2/token", nil)
	r.Header.Set("X-Request-Id", "req-panic")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", w.Code)
	}
	body := decodeBody(t, w)
	if body["error"] != "server_error" || !strings.Contains(body["error_description"].(string), "req-panic") {
		t.Errorf("body = %v", body)
	}
	if strings.Contains(w.Body.String(), "nil map") || strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("panic details reached the client: %s", w.Body.String())
	}
	line := findLog(t, logs, "panic")
	if line["panic"] != "nil map write in handler" || line["request_id"] != "req-panic" ||
		!strings.Contains(line["stack"].(string), "middleware_test.go") {
		t.Errorf("panic log line = %v", line)
	}
	if findLog(t, logs, "request")["status"] != float64(500) {
		t.Errorf("access log does not record the 500: %s", logs.String())
	}
}

func TestRecoverLetsAbortThrough(t *testing.T) {
	// http.ErrAbortHandler is the documented way to drop a connection; it
	// must reach net/http, which handles it silently.
	abort := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	h, _ := chain(abort, 1024)
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler re-panicked", v)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
}

func TestBodyLimit(t *testing.T) {
	called := false
	read := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		called = true
		var v map[string]any
		if err := httpx.DecodeJSON(r, &v, httpx.MaxJSONBody, httpx.AllowUnknown); err != nil {
			httpx.Renderer{Log: discardLog()}.WriteOAuthError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	body := `{"k":"` + strings.Repeat("v", 100) + `"}`

	t.Run("declared length over the limit", func(t *testing.T) {
		called = false
		h, _ := chain(read, 64)
		r := httptest.NewRequest(http.MethodPost, "/admin/clients", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge || called {
			t.Fatalf("status %d, handler called %v; want 413 without calling the handler", w.Code, called)
		}
		if decodeBody(t, w)["error"] != "invalid_request" {
			t.Errorf("body = %s", w.Body.String())
		}
	})

	t.Run("streamed body over the limit", func(t *testing.T) {
		called = false
		h, _ := chain(read, 64)
		r := httptest.NewRequest(http.MethodPost, "/admin/clients", io.MultiReader(strings.NewReader(body)))
		r.ContentLength = -1 // chunked: the length is unknown up front
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusRequestEntityTooLarge || !called {
			t.Fatalf("status %d, handler called %v; want 413 from the reader", w.Code, called)
		}
	})

	t.Run("within the limit", func(t *testing.T) {
		h, _ := chain(read, 1024)
		r := httptest.NewRequest(http.MethodPost, "/admin/clients", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusNoContent {
			t.Fatalf("status %d: %s", w.Code, w.Body.String())
		}
	})
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
