package oauth2

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

func introspect(t *testing.T, h *harness, form string) map[string]any {
	t.Helper()
	w := oauth2test.Do(h.intro, "POST", "/admin/oauth2/introspect", oauth2test.Req{Form: form})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	return oauth2test.Decode(t, w)
}

func TestIntrospectActive(t *testing.T) {
	h := newHarness(t)
	raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read+foo.bar&audience=https%3A%2F%2Fapi.example")
	h.db.Tokens[string(token.Digest(raw))].Ext = []byte(`{"tenant":"acme"}`)
	h.db.Reset()
	m := introspect(t, h, "token="+url.QueryEscape(raw))
	want := map[string]any{
		"active": true, "scope": "read foo.bar", "client_id": "machine", "sub": "machine",
		"exp": float64(oauth2test.T0.Add(time.Hour).Unix()), "iat": float64(oauth2test.T0.Unix()), "nbf": float64(oauth2test.T0.Unix()),
		"iss": "https://issuer.example/", "token_type": "Bearer", "token_use": "access_token",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if aud, _ := m["aud"].([]any); len(aud) != 1 || aud[0] != "https://api.example" {
		t.Errorf("aud = %v", m["aud"])
	}
	if ext, _ := m["ext"].(map[string]any); ext["tenant"] != "acme" {
		t.Errorf("ext = %v", m["ext"])
	}
	for _, k := range []string{"username", "obfuscated_subject"} {
		if _, ok := m[k]; ok {
			t.Errorf("%s present", k)
		}
	}
	if h.db.AccessReads != 1 || h.db.Total() != 1 {
		t.Fatalf("introspecting a valid token: %+v, want one read", &h.db.Calls)
	}
}

func TestIntrospectInactive(t *testing.T) {
	h := newHarness(t)
	valid := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read+write")
	expired := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	revoked := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	at := oauth2test.T0
	h.db.Tokens[string(token.Digest(revoked))].RevokedAt = &at
	h.db.Tokens[string(token.Digest(expired))].ExpiresAt = oauth2test.T0.Add(time.Minute)
	h.clock.Add(time.Minute)
	unknown, _, _ := h.opaque.Mint(t.Context(), token.Claims{})
	forged := valid[:len(valid)-2] + "AA"
	if forged == valid {
		forged = valid[:len(valid)-2] + "BA"
	}
	cases := []struct {
		name, form string
		reads      int
	}{
		{"expired", "token=" + expired, 1},
		{"revoked", "token=" + revoked, 1},
		{"unknown but well-formed", "token=" + unknown, 1},
		{"scope not covered", "token=" + valid + "&scope=admin", 1},
		{"one scope not covered", "token=" + valid + "&scope=read+admin", 1},
		{"forged MAC", "token=" + forged, 0},
		{"garbage", "token=hello", 0},
		{"foreign JWT", "token=eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.db.Reset()
			w := oauth2test.Do(h.intro, "POST", "/admin/oauth2/introspect", oauth2test.Req{Form: tc.form})
			if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"active":false}` {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if h.db.Total() != tc.reads {
				t.Fatalf("store calls %+v, want %d reads", &h.db.Calls, tc.reads)
			}
		})
	}
	if m := introspect(t, h, "token="+valid+"&scope=read"); m["active"] != true {
		t.Fatal("covered scope made the token inactive")
	}
}

func TestIntrospectJWTWhateverTheDefault(t *testing.T) {
	h := newHarness(t)
	w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials&scope=read", User: "jwtc", Pass: "jwt-secret"})
	raw := oauth2test.Decode(t, w)["access_token"].(string)
	if m := introspect(t, h, "token="+raw); m["active"] != true || m["client_id"] != "jwtc" {
		t.Fatalf("JWT token under opaque default: %v", m)
	}
	// Switching the server default does not strand live tokens of the other kind.
	opaque := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	h.cfg.Strategies.AccessToken = token.StrategyJWT
	if m := introspect(t, h, "token="+opaque); m["active"] != true {
		t.Fatalf("opaque token after switching to jwt: %v", m)
	}
}

func TestIntrospectRequestErrors(t *testing.T) {
	h := newHarness(t)
	for name, tc := range map[string]struct {
		q      oauth2test.Req
		status int
	}{
		"missing token":  {oauth2test.Req{Form: "scope=read"}, 400},
		"empty token":    {oauth2test.Req{Form: "token="}, 400},
		"repeated token": {oauth2test.Req{Form: "token=a&token=b"}, 400},
		"json body":      {oauth2test.Req{Form: `{"token":"a"}`, ContentType: "application/json"}, 415},
	} {
		w := oauth2test.Do(h.intro, "POST", "/admin/oauth2/introspect", tc.q)
		if w.Code != tc.status || oauth2test.Decode(t, w)["error"] != "invalid_request" {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}

// BenchmarkIntrospect measures introspecting a valid opaque token.
func BenchmarkIntrospect(b *testing.B) {
	h := newHarness(b)
	q := oauth2test.Req{Form: "token=" + oauth2test.Issue(b, h.tokenH, "grant_type=client_credentials&scope=read")}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := oauth2test.Do(h.intro, "POST", "/admin/oauth2/introspect", q); w.Code != 200 {
				b.Fatal(w.Body)
			}
		}
	})
}
