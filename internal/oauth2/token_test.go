package oauth2

import (
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

func TestTokenEndpointSuccessShape(t *testing.T) {
	h := newHarness(t)
	w := do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials&scope=read", user: "machine", pass: secretMachine})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
		t.Fatalf("caching headers: %v", w.Header())
	}
	m := decode(t, w)
	if m["token_type"] != "bearer" || m["expires_in"] != float64(3600) || m["scope"] != "read" {
		t.Fatalf("body = %v", m)
	}
	if _, ok := m["refresh_token"]; ok {
		t.Fatal("client_credentials must not issue a refresh token (RFC 6749 4.4.3)")
	}
	if !strings.HasPrefix(m["access_token"].(string), "signet_at_") {
		t.Fatalf("access_token = %v", m["access_token"])
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	cases := []struct {
		name       string
		q          req
		status     int
		code       string
		wwwAuth    bool
		hintSubstr string
	}{
		{"missing grant_type", req{form: "scope=read", user: "machine", pass: secretMachine}, 400, "invalid_request", false, "grant_type"},
		{"repeated grant_type", req{form: "grant_type=client_credentials&grant_type=client_credentials", user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
		{"repeated scope", req{form: "grant_type=client_credentials&scope=read&scope=write", user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
		{"wrong content type", req{form: `{"grant_type":"client_credentials"}`, contentType: "application/json", user: "machine", pass: secretMachine}, 415, "invalid_request", false, ""},
		{"bad escape", req{form: "grant_type=%zz", user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
		{"bad utf8", req{form: "grant_type=client_credentials&scope=%ff", user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
		{"unknown grant", req{form: "grant_type=password&username=a&password=b", user: "machine", pass: secretMachine}, 400, "unsupported_grant_type", false, "password"},
		{"no authentication", req{form: "grant_type=client_credentials"}, 401, "invalid_client", false, ""},
		{"wrong secret", req{form: "grant_type=client_credentials", user: "machine", pass: "nope"}, 401, "invalid_client", true, authFailed},
		{"unknown client", req{form: "grant_type=client_credentials", user: "ghost", pass: "nope"}, 401, "invalid_client", true, authFailed},
		{"expired secret", req{form: "grant_type=client_credentials", user: "expired", pass: "old-secret"}, 401, "invalid_client", true, authFailed},
		{"grant not registered", req{form: "grant_type=client_credentials", user: "nocc", pass: "nocc-secret"}, 400, "unauthorized_client", false, "grant_types"},
		{"public client", req{form: "grant_type=client_credentials&client_id=public"}, 400, "unauthorized_client", false, "confidential"},
		{"scope not allowed", req{form: "grant_type=client_credentials&scope=admin", user: "machine", pass: secretMachine}, 400, "invalid_scope", false, "admin"},
		{"one bad scope among good", req{form: "grant_type=client_credentials&scope=read+admin", user: "machine", pass: secretMachine}, 400, "invalid_scope", false, ""},
		{"invalid scope chars", req{form: "grant_type=client_credentials&scope=" + url.QueryEscape(`re"ad`), user: "machine", pass: secretMachine}, 400, "invalid_scope", false, ""},
		{"audience not allowed", req{form: "grant_type=client_credentials&audience=https://evil.example", user: "machine", pass: secretMachine}, 400, "invalid_request", false, "audience"},
		{"audience host prefix is not a match", req{form: "grant_type=client_credentials&audience=https://api.example.evil.com", user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
		{"audience dot segments", req{form: "grant_type=client_credentials&audience=https://api.example/v1/../admin", user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
		{"oversized value", req{form: "grant_type=client_credentials&scope=" + strings.Repeat("a", httpx.MaxParamLen+1), user: "machine", pass: secretMachine}, 400, "invalid_request", false, ""},
	}
	h := newHarness(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := do(h.tokenH, "POST", "/oauth2/token", tc.q)
			m := decode(t, w)
			if w.Code != tc.status || m["error"] != tc.code {
				t.Fatalf("got %d %v, want %d %s", w.Code, m, tc.status, tc.code)
			}
			if m["error_description"] == "" || m["error_description"] == nil {
				t.Fatal("error_description missing")
			}
			if got := w.Header().Get("WWW-Authenticate"); (got != "") != tc.wwwAuth {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
			if hint, _ := m["error_hint"].(string); !strings.Contains(hint, tc.hintSubstr) {
				t.Fatalf("hint %q lacks %q", hint, tc.hintSubstr)
			}
			if h.db.create != 0 {
				t.Fatal("a refused request stored a token")
			}
		})
	}
}

func TestTokenEndpointNoEnumeration(t *testing.T) {
	h := newHarness(t)
	unknown := do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials", user: "ghost", pass: "x"})
	wrong := do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials", user: "machine", pass: "x"})
	post := do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials&client_id=machine&client_secret=" + secretMachine})
	if unknown.Body.String() != wrong.Body.String() || wrong.Body.String() != post.Body.String() {
		t.Fatalf("responses differ:\n%s\n%s\n%s", unknown.Body, wrong.Body, post.Body)
	}
}

// TestTokenEndpointBudget: once the secret cache is warm, a
// client_credentials request is one client read and one token write.
func TestTokenEndpointBudget(t *testing.T) {
	h := newHarness(t)
	h.issue(t, "grant_type=client_credentials")
	h.db.reset()
	for range 3 {
		h.issue(t, "grant_type=client_credentials&scope=read")
	}
	if h.db.getClient != 3 || h.db.create != 3 || h.db.total() != 6 {
		t.Fatalf("store calls for 3 requests: %+v", &h.db.calls)
	}
}

// FuzzTokenForm: whatever the body, the token endpoint's parsing answers
// with a 4xx OAuth error or proceeds; it never panics or returns a 5xx.
func FuzzTokenForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials&scope=read",
		"grant_type=client_credentials&grant_type=x",
		"grant_type=%zz", "scope=%ff%fe", "", "&&&", "=", "grant_type=client_credentials&scope=a+%22b",
		"grant_type=client_credentials&audience=+++&scope=+",
		strings.Repeat("a=b&", 1000),
	} {
		f.Add(s)
	}
	h := newHarness(f)
	f.Fuzz(func(t *testing.T, body string) {
		form, err := httpx.ParseStrictValues(body)
		if err == nil {
			var tr *TokenRequest
			tr, err = parseTokenRequest(form)
			if err == nil {
				for _, s := range tr.Scopes {
					if !validScopeToken(s) {
						t.Fatalf("invalid scope %q passed", s)
					}
				}
			}
		}
		w := do(h.tokenH, "POST", "/oauth2/token", req{form: body, user: "machine", pass: secretMachine})
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}

// BenchmarkClientCredentials measures the warm-cache token request path
// (parse, authenticate from cache, mint, record) with in-memory fakes.
func BenchmarkClientCredentials(b *testing.B) {
	h := newHarness(b)
	q := req{form: "grant_type=client_credentials&scope=read", user: "machine", pass: secretMachine}
	do(h.tokenH, "POST", "/oauth2/token", q)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := do(h.tokenH, "POST", "/oauth2/token", q); w.Code != 200 {
				b.Fatal(w.Body)
			}
		}
	})
}
