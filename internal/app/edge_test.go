package app

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/config"
)

// newTestApp builds the whole app from environment variables, logging at
// info level (where access lines are) into the returned buffer.
func newTestApp(t *testing.T, env ...string) (*App, *bytes.Buffer) {
	t.Helper()
	env = append([]string{"DSN=memory", "SECRETS_SYSTEM=app-edge-test-system-secret-0123",
		"URLS_SELF_ISSUER=http://127.0.0.1:4444/", "OAUTH2_HASHERS_PBKDF2_ITERATIONS=1000"}, env...)
	cfg, _, err := config.Load(nil, env, true)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)),
		WithRSABits(2048), WithKeyPollInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, &logs
}

// serve.public.request_log.disable_for_health and its admin twin each
// silence their own port only, and never a failing probe.
func TestQuietHealthChecksPerPort(t *testing.T) {
	cases := []struct {
		name                  string
		env                   []string
		publicLogs, adminLogs bool
	}{
		{"neither", nil, true, true},
		{"public only", []string{"SERVE_PUBLIC_REQUEST_LOG_DISABLE_FOR_HEALTH=true"}, false, true},
		{"admin only", []string{"SERVE_ADMIN_REQUEST_LOG_DISABLE_FOR_HEALTH=true"}, true, false},
		{"both", []string{"SERVE_PUBLIC_REQUEST_LOG_DISABLE_FOR_HEALTH=true", "SERVE_ADMIN_REQUEST_LOG_DISABLE_FOR_HEALTH=true"}, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, logs := newTestApp(t, tc.env...)
			for _, port := range []struct {
				name   string
				h      http.Handler
				logged bool
			}{{"public", a.Public(), tc.publicLogs}, {"admin", a.Admin(), tc.adminLogs}} {
				for _, path := range []string{"/health/alive", "/health/ready"} {
					logs.Reset()
					w := httptest.NewRecorder()
					port.h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
					if w.Code != http.StatusOK {
						t.Fatalf("%s %s: %d", port.name, path, w.Code)
					}
					if got := strings.Contains(logs.String(), "path="+path); got != port.logged {
						t.Errorf("%s %s: logged %v, want %v\n%s", port.name, path, got, port.logged, logs)
					}
				}
			}
			// Other requests are always logged.
			logs.Reset()
			a.Public().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil))
			if !strings.Contains(logs.String(), "path=/.well-known/jwks.json") {
				t.Errorf("a normal request was not logged:\n%s", logs)
			}
		})
	}
}

// A reloaded configuration changes CORS on the next request.
func TestCORSFollowsConfigurationReload(t *testing.T) {
	a, _ := newTestApp(t, "SERVE_PUBLIC_CORS_ENABLED=true", "SERVE_PUBLIC_CORS_ALLOWED_ORIGINS=https://old.example")
	ask := func() string {
		r := httptest.NewRequest(http.MethodGet, "/.well-known/jwks.json", nil)
		r.Header.Set("Origin", "https://new.example")
		w := httptest.NewRecorder()
		a.Public().ServeHTTP(w, r)
		return w.Header().Get("Access-Control-Allow-Origin")
	}
	if got := ask(); got != "" {
		t.Fatalf("before: %q", got)
	}
	next := *a.cfg.Get()
	next.Serve.Public.CORS.AllowedOrigins = []string{"https://new.example"}
	a.cfg.Store(&next)
	if got := ask(); got != "https://new.example" {
		t.Fatalf("after the reload: %q", got)
	}
}
