package oauth2

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/token"
)

func TestGrantScopes(t *testing.T) {
	allowed := []string{"read", "write", "foo.*"}
	cases := []struct {
		name       string
		requested  []string
		covers     ScopeStrategy
		defaultAll bool
		want       []string
		err        bool
	}{
		{"nothing requested grants nothing", nil, Wildcard, false, []string{}, false},
		{"nothing requested with default_grant_allowed_scope", nil, Wildcard, true, allowed, false},
		{"subset", []string{"read"}, Wildcard, false, []string{"read"}, false},
		{"wildcard covers", []string{"foo.bar"}, Wildcard, false, []string{"foo.bar"}, false},
		{"exact refuses wildcard match", []string{"foo.bar"}, Exact, false, nil, true},
		{"duplicates collapse", []string{"read", "write", "read"}, Wildcard, false, []string{"read", "write"}, false},
		{"not allowed", []string{"read", "admin"}, Wildcard, false, nil, true},
	}
	for _, tc := range cases {
		got, err := grantScopes(tc.requested, allowed, tc.covers, tc.defaultAll)
		if (err != nil) != tc.err || (!tc.err && !slices.Equal(got, tc.want)) {
			t.Errorf("%s: got %v, %v", tc.name, got, err)
		}
	}
}

func TestClientCredentialsDefaultGrantAllowedScope(t *testing.T) {
	h := newHarness(t)
	h.cfg.OAuth2.ClientCredentials.DefaultGrantAllowedScope = true
	raw := h.issue(t, "grant_type=client_credentials")
	rec := h.record(t, raw)
	if !slices.Equal(rec.Scopes, []string{"read", "write", "foo.*"}) {
		t.Fatalf("scopes = %v", rec.Scopes)
	}
}

func TestClientCredentialsRecord(t *testing.T) {
	h := newHarness(t)
	raw := h.issue(t, "grant_type=client_credentials&scope=read+foo.bar&audience="+
		"https%3A%2F%2Fapi.example+https%3A%2F%2Fother.example")
	rec := h.record(t, raw)
	if rec.ClientID != "machine" || rec.Subject != "machine" || rec.GrantType != "client_credentials" ||
		!slices.Equal(rec.Scopes, []string{"read", "foo.bar"}) ||
		!slices.Equal(rec.Audience, []string{"https://api.example", "https://other.example"}) ||
		!rec.IssuedAt.Equal(t0) || !rec.ExpiresAt.Equal(t0.Add(time.Hour)) || rec.RequestID == "" {
		t.Fatalf("record = %+v", rec)
	}
}

func TestClientCredentialsLifespanAndStrategy(t *testing.T) {
	h := newHarness(t)
	h.cfg.TTL.AccessToken = 2 * time.Hour
	w := do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials", user: "machine", pass: secretMachine})
	if m := decode(t, w); m["expires_in"] != float64(7200) {
		t.Fatalf("ttl.access_token not used: %v", m)
	}
	// jwtc: client lifespan 5m and access_token_strategy jwt override the server.
	w = do(h.tokenH, "POST", "/oauth2/token", req{form: "grant_type=client_credentials&scope=read", user: "jwtc", pass: "jwt-secret"})
	m := decode(t, w)
	if m["expires_in"] != float64(300) {
		t.Fatalf("client lifespan not used: %v", m)
	}
	raw := m["access_token"].(string)
	if strings.Count(raw, ".") != 2 || strings.HasPrefix(raw, "signet_at_") {
		t.Fatalf("client strategy jwt not used: %q", raw)
	}
	if rec := h.record(t, raw); rec.Strategy != token.StrategyJWT || !rec.ExpiresAt.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("record = %+v", rec)
	}
	// The server-wide strategy applies to clients without their own.
	h.cfg.Strategies.AccessToken = token.StrategyJWT
	if raw := h.issue(t, "grant_type=client_credentials"); strings.HasPrefix(raw, "signet_at_") {
		t.Fatalf("strategies.access_token jwt not used: %q", raw)
	}
}

// record finds the stored record of raw, as introspection would.
func (h *harness) record(t *testing.T, raw string) *token.AccessRecord {
	t.Helper()
	rec, ok := h.db.tokens[string(token.Digest(raw))]
	if !ok {
		t.Fatal("token not stored")
	}
	return rec
}
