package oauth2

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
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
	raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	rec := h.record(t, raw)
	if !slices.Equal(rec.Scopes, []string{"read", "write", "foo.*"}) {
		t.Fatalf("scopes = %v", rec.Scopes)
	}
}

func TestClientCredentialsRecord(t *testing.T) {
	h := newHarness(t)
	raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read+foo.bar&audience="+
		"https%3A%2F%2Fapi.example+https%3A%2F%2Fother.example")
	rec := h.record(t, raw)
	if rec.ClientID != "machine" || rec.Subject != "machine" || rec.GrantType != "client_credentials" ||
		!slices.Equal(rec.Scopes, []string{"read", "foo.bar"}) ||
		!slices.Equal(rec.Audience, []string{"https://api.example", "https://other.example"}) ||
		!rec.IssuedAt.Equal(oauth2test.T0) || !rec.ExpiresAt.Equal(oauth2test.T0.Add(time.Hour)) || rec.RequestID == "" {
		t.Fatalf("record = %+v", rec)
	}
}

func TestClientCredentialsLifespanAndStrategy(t *testing.T) {
	h := newHarness(t)
	h.cfg.TTL.AccessToken = 2 * time.Hour
	w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials", User: "machine", Pass: oauth2test.SecretMachine})
	if m := oauth2test.Decode(t, w); m["expires_in"] != float64(7200) {
		t.Fatalf("ttl.access_token not used: %v", m)
	}
	// jwtc: client lifespan 5m and access_token_strategy jwt override the server.
	w = oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials&scope=read", User: "jwtc", Pass: "jwt-secret"})
	m := oauth2test.Decode(t, w)
	if m["expires_in"] != float64(300) {
		t.Fatalf("client lifespan not used: %v", m)
	}
	raw := m["access_token"].(string)
	if strings.Count(raw, ".") != 2 || strings.HasPrefix(raw, "signet_at_") {
		t.Fatalf("client strategy jwt not used: %q", raw)
	}
	if rec := h.record(t, raw); rec.Strategy != token.StrategyJWT || !rec.ExpiresAt.Equal(oauth2test.T0.Add(5*time.Minute)) {
		t.Fatalf("record = %+v", rec)
	}
	// The server-wide strategy applies to clients without their own.
	h.cfg.Strategies.AccessToken = token.StrategyJWT
	if raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials"); strings.HasPrefix(raw, "signet_at_") {
		t.Fatalf("strategies.access_token jwt not used: %q", raw)
	}
}

// record finds the stored record of raw, as introspection would.
func (h *harness) record(t *testing.T, raw string) *token.AccessRecord {
	t.Helper()
	rec, ok := h.db.Tokens[string(token.Digest(raw))]
	if !ok {
		t.Fatal("token not stored")
	}
	return rec
}

// ccWithHooks is the token endpoint with a client_credentials grant that
// runs hooks configured in h.cfg.
func (h *harness) ccWithHooks() http.Handler {
	getCfg := func() *config.Config { return h.cfg }
	issuer := &token.Issuer{Store: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return rd.OAuth((&TokenEndpoint{Auth: h.auth, Grants: map[string]Grant{
		GrantClientCredentials: &ClientCredentials{Issuer: issuer, Config: getCfg, Now: h.clock.Now,
			Rand: rand.Reader, Hooks: newHooks(getCfg)},
	}}).Handle)
}

func TestClientCredentialsTokenHook(t *testing.T) {
	h := newHarness(t)
	hook := newHookServer(t, 200, `{"session":{"access_token":{"plan":"gold"},"id_token":{"ignored":true}}}`)
	h.cfg.OAuth2.TokenHook.URL = hook.URL
	endpoint := h.ccWithHooks()

	w := oauth2test.Do(endpoint, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials&scope=read&client_id=poster&client_secret=poster-secret"})
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if ext := string(h.record(t, oauth2test.Decode(t, w)["access_token"].(string)).Ext); ext != `{"plan":"gold"}` {
		t.Fatalf("ext = %s", ext)
	}
	calls := hook.got()
	if len(calls) != 1 {
		t.Fatalf("%d hook calls", len(calls))
	}
	raw, _ := json.Marshal(calls[0].Body)
	want := `"request":{"client_id":"poster","grant_types":["client_credentials"],"granted_audience":[],"granted_scopes":["read"],` +
		`"payload":{"client_id":["poster"],"grant_type":["client_credentials"],"scope":["read"]},"requested_scopes":["read"]}`
	if !strings.Contains(string(raw), want) || strings.Contains(string(raw), "poster-secret") ||
		calls[0].Body["session"].(map[string]any)["id_token"].(map[string]any)["subject"] != "poster" {
		t.Fatalf("hook was sent %s", raw)
	}

	for _, tc := range []struct {
		status   int
		wantCode int
		wantErr  string
	}{{403, 403, "access_denied"}, {500, 500, "server_error"}, {201, 500, "server_error"}} {
		hook.reply(tc.status, "")
		before := len(h.db.Tokens)
		w := oauth2test.Do(endpoint, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials", User: "machine", Pass: oauth2test.SecretMachine})
		if w.Code != tc.wantCode || oauth2test.Decode(t, w)["error"] != tc.wantErr {
			t.Errorf("hook %d: %d %s", tc.status, w.Code, w.Body)
		}
		if len(h.db.Tokens) != before {
			t.Errorf("hook %d: a token was stored", tc.status)
		}
	}
}
