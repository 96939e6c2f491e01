package oauth2

import (
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

func TestTokenEndpointSuccessShape(t *testing.T) {
	h := newHarness(t)
	w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials&scope=read", User: "machine", Pass: oauth2test.SecretMachine})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Pragma") != "no-cache" {
		t.Fatalf("caching headers: %v", w.Header())
	}
	m := oauth2test.Decode(t, w)
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
		q          oauth2test.Req
		status     int
		code       string
		wwwAuth    bool
		hintSubstr string
	}{
		{"missing grant_type", oauth2test.Req{Form: "scope=read", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, "grant_type"},
		{"repeated grant_type", oauth2test.Req{Form: "grant_type=client_credentials&grant_type=client_credentials", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
		{"repeated scope", oauth2test.Req{Form: "grant_type=client_credentials&scope=read&scope=write", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
		{"wrong content type", oauth2test.Req{Form: `{"grant_type":"client_credentials"}`, ContentType: "application/json", User: "machine", Pass: oauth2test.SecretMachine}, 415, "invalid_request", false, ""},
		{"bad escape", oauth2test.Req{Form: "grant_type=%zz", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
		{"bad utf8", oauth2test.Req{Form: "grant_type=client_credentials&scope=%ff", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
		{"unknown grant", oauth2test.Req{Form: "grant_type=password&username=a&password=b", User: "machine", Pass: oauth2test.SecretMachine}, 400, "unsupported_grant_type", false, "password"},
		{"no authentication", oauth2test.Req{Form: "grant_type=client_credentials"}, 401, "invalid_client", false, ""},
		{"grant not registered", oauth2test.Req{Form: "grant_type=client_credentials", User: "nocc", Pass: "nocc-secret"}, 400, "unauthorized_client", false, "grant_types"},
		{"public client", oauth2test.Req{Form: "grant_type=client_credentials&client_id=public"}, 400, "unauthorized_client", false, "confidential"},
		{"scope not allowed", oauth2test.Req{Form: "grant_type=client_credentials&scope=admin", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_scope", false, "admin"},
		{"one bad scope among good", oauth2test.Req{Form: "grant_type=client_credentials&scope=read+admin", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_scope", false, ""},
		{"invalid scope chars", oauth2test.Req{Form: "grant_type=client_credentials&scope=" + url.QueryEscape(`re"ad`), User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_scope", false, ""},
		{"audience not allowed", oauth2test.Req{Form: "grant_type=client_credentials&audience=https://evil.example", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, "audience"},
		{"audience host prefix is not a match", oauth2test.Req{Form: "grant_type=client_credentials&audience=https://api.example.evil.com", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
		{"audience dot segments", oauth2test.Req{Form: "grant_type=client_credentials&audience=https://api.example/v1/../admin", User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
		{"oversized value", oauth2test.Req{Form: "grant_type=client_credentials&scope=" + strings.Repeat("a", httpx.MaxParamLen+1), User: "machine", Pass: oauth2test.SecretMachine}, 400, "invalid_request", false, ""},
	}
	h := newHarness(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", tc.q)
			m := oauth2test.Decode(t, w)
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
			if h.db.AccessWrites != 0 {
				t.Fatal("a refused request stored a token")
			}
		})
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
					if !ValidScopeToken(s) {
						t.Fatalf("invalid scope %q passed", s)
					}
				}
			}
		}
		w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: body, User: "machine", Pass: oauth2test.SecretMachine})
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
	})
}
