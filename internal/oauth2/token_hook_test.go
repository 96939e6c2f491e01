package oauth2

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

// hookCall is one request a test hook received.
type hookCall struct {
	Path   string
	Header http.Header
	Body   map[string]any
}

// hookServer is an operator's hook: it records every call and answers with
// reply (status and body), or runs handle when set.
type hookServer struct {
	*httptest.Server
	mu     sync.Mutex
	calls  []hookCall
	status int
	body   string
	handle http.HandlerFunc
}

func newHookServer(t *testing.T, status int, body string) *hookServer {
	t.Helper()
	s := &hookServer{status: status, body: body}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		s.mu.Lock()
		s.calls = append(s.calls, hookCall{Path: r.URL.Path, Header: r.Header.Clone(), Body: m})
		handle, status, body := s.handle, s.status, s.body
		s.mu.Unlock()
		if handle != nil {
			handle(w, r)
			return
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *hookServer) reply(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func (s *hookServer) got() []hookCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]hookCall(nil), s.calls...)
}

// hookConfig returns a config with oauth2.token_hook at url and its getter.
func hookConfig(hookURL string) (*config.Config, func() *config.Config) {
	cfg := &config.Config{}
	cfg.URLs.Self.Issuer = "https://issuer.example/"
	cfg.OAuth2.TokenHook.URL = hookURL
	return cfg, func() *config.Config { return cfg }
}

func newHooks(get func() *config.Config) *TokenHooks {
	return &TokenHooks{Config: get, HTTP: httpx.NewOutboundClient(httpx.OutboundOptions{Timeout: TokenHookTimeout})}
}

// hookInput is an authorization_code exchange with credentials in its form.
func hookInput() *HookInput {
	return &HookInput{
		GrantType: GrantAuthorizationCode, Client: &client.Client{ID: "web"}, Subject: "alice", RequestID: "req-1",
		GrantedScopes: []string{"openid", "read"}, GrantedAudience: []string{"https://api.example"},
		Form: url.Values{
			"grant_type": {GrantAuthorizationCode}, "client_id": {"web"}, "client_secret": {"web-secret"},
			"code": {"signet_ac_secretcode"}, "code_verifier": {"verifier-secret"}, "redirect_uri": {"https://app/cb"},
			"refresh_token": {"signet_rt_secret"}, "client_assertion": {"eyJ.assertion.sig"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		},
		Login:             &token.GrantSession{AuthTime: oauth2test.T0, ACR: "urn:acr:pwd", AMR: []string{"pwd"}, Nonce: "n-1"},
		AccessTokenClaims: map[string]any{"tenant": "acme"},
		IDTokenClaims:     map[string]any{"email": "alice@example.com"},
	}
}

// asError returns err's *httpx.Error or fails.
func asError(t *testing.T, err error) *httpx.Error {
	t.Helper()
	var e *httpx.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *httpx.Error", err)
	}
	return e
}

func TestTokenHookReplacesClaims(t *testing.T) {
	srv := newHookServer(t, 200, `{"session":{"access_token":{"tenant":"acme","role":"admin"},"id_token":{"groups":["a","b"]}},"ignored":1}`)
	_, get := hookConfig(srv.URL + "/hook")
	in := hookInput()
	changed, err := newHooks(get).apply(context.Background(), in)
	if err != nil || !changed {
		t.Fatalf("apply: %v %v", changed, err)
	}
	if !reflect.DeepEqual(in.AccessTokenClaims, map[string]any{"tenant": "acme", "role": "admin"}) ||
		!reflect.DeepEqual(in.IDTokenClaims, map[string]any{"groups": []any{"a", "b"}}) {
		t.Fatalf("claims after the hook: %v %v", in.AccessTokenClaims, in.IDTokenClaims)
	}
	calls := srv.got()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.Path != "/hook" || !strings.HasPrefix(c.Header.Get("Content-Type"), "application/json") {
		t.Errorf("call = %s %v", c.Path, c.Header)
	}
	b, _ := json.Marshal(c.Body)
	var body struct {
		Session struct {
			Extra   map[string]any `json:"extra"`
			IDToken struct {
				Subject string `json:"subject"`
				Claims  struct {
					Sub string         `json:"sub"`
					ACR string         `json:"acr"`
					Ext map[string]any `json:"ext"`
				} `json:"id_token_claims"`
			} `json:"id_token"`
			ClientID string `json:"client_id"`
		} `json:"session"`
		Request hookRequest `json:"request"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	s := body.Session
	if s.Extra["tenant"] != "acme" || s.IDToken.Claims.Ext["email"] != "alice@example.com" ||
		s.IDToken.Subject != "alice" || s.IDToken.Claims.Sub != "alice" || s.IDToken.Claims.ACR != "urn:acr:pwd" || s.ClientID != "web" {
		t.Errorf("session sent = %s", b)
	}
	want := hookRequest{ClientID: "web", RequestedScopes: []string{"openid", "read"}, GrantedScopes: []string{"openid", "read"},
		GrantedAudience: []string{"https://api.example"}, GrantTypes: []string{GrantAuthorizationCode},
		Payload: map[string][]string{"grant_type": {GrantAuthorizationCode}, "client_id": {"web"}}}
	if !reflect.DeepEqual(body.Request, want) {
		t.Errorf("request sent = %+v, want %+v", body.Request, want)
	}
	for _, secret := range []string{"web-secret", "secretcode", "verifier-secret", "signet_rt_secret", "eyJ.assertion", "https://app/cb"} {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("the hook was sent a credential (%s): %s", secret, b)
		}
	}
}

// The jwt-bearer assertion is forwarded, as Hydra does, so a hook can read
// its claims; nothing else of the form beyond the allow-list is.
func TestTokenHookPayloadKeepsTheAssertion(t *testing.T) {
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {"eyJ.a.b"},
		"scope": {"read"}, "client_secret": {"s"}, "audience": {"x"}}
	got := hookPayload(form)
	want := map[string][]string{"grant_type": form["grant_type"], "assertion": {"eyJ.a.b"}, "scope": {"read"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payload = %v", got)
	}
}

func TestTokenHookAnswers(t *testing.T) {
	big := `{"session":{"access_token":{"x":"` + strings.Repeat("a", maxHookResponse) + `"}}}`
	cases := []struct {
		name       string
		status     int
		body       string
		wantStatus int    // 0: success
		wantCode   string // error code
	}{
		{"204 keeps the claims", 204, "", 0, ""},
		{"null claims clear them", 200, `{"session":{"access_token":null}}`, 0, ""},
		{"403 denies", 403, `{"error":"no"}`, 403, "access_denied"},
		{"500 fails", 500, "boom", 500, "server_error"},
		{"401 fails", 401, "", 500, "server_error"},
		{"redirect is not followed", 302, "", 500, "server_error"},
		{"malformed JSON", 200, `{"session":`, 500, "server_error"},
		{"trailing data", 200, `{"session":{}} {}`, 500, "server_error"},
		{"empty 200", 200, ``, 500, "server_error"},
		{"no session", 200, `{"access_token":{"a":1}}`, 500, "server_error"},
		{"claims not an object", 200, `{"session":{"access_token":"admin"}}`, 500, "server_error"},
		{"claims an array", 200, `{"session":{"id_token":[1,2]}}`, 500, "server_error"},
		{"invalid UTF-8", 200, "{\"session\":{\"access_token\":{\"a\":\"\xff\"}}}", 500, "server_error"},
		{"oversized body", 200, big, 500, "server_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newHookServer(t, tc.status, tc.body)
			_, get := hookConfig(srv.URL)
			in := hookInput()
			_, err := newHooks(get).apply(context.Background(), in)
			if tc.wantStatus == 0 {
				if err != nil {
					t.Fatalf("apply: %v", err)
				}
				return
			}
			e := asError(t, err)
			if e.Status != tc.wantStatus || e.Code != tc.wantCode {
				t.Fatalf("error = %d %s (%v), want %d %s", e.Status, e.Code, err, tc.wantStatus, tc.wantCode)
			}
			if in.AccessTokenClaims["tenant"] != "acme" {
				t.Errorf("a refused answer changed the claims: %v", in.AccessTokenClaims)
			}
		})
	}
	t.Run("204 and null", func(t *testing.T) {
		srv := newHookServer(t, 204, "")
		_, get := hookConfig(srv.URL)
		in := hookInput()
		if changed, err := newHooks(get).apply(context.Background(), in); changed || err != nil ||
			in.AccessTokenClaims["tenant"] != "acme" || in.IDTokenClaims["email"] != "alice@example.com" {
			t.Fatalf("204: %v %v %v", changed, err, in)
		}
		srv.reply(200, `{"session":{"access_token":null,"id_token":{"k":"v"}}}`)
		if _, err := newHooks(get).apply(context.Background(), in); err != nil || in.AccessTokenClaims != nil || in.IDTokenClaims["k"] != "v" {
			t.Fatalf("null: %v %v", err, in)
		}
	})
}

func TestTokenHookDenialAndFailureMessages(t *testing.T) {
	srv := newHookServer(t, 403, "")
	_, get := hookConfig(srv.URL)
	e := asError(t, newHooks(get).Apply(context.Background(), hookInput()))
	if e.Hint != "The token hook denied the request." {
		t.Errorf("deny hint = %q", e.Hint)
	}
	srv.reply(503, "")
	e = asError(t, newHooks(get).Apply(context.Background(), hookInput()))
	if !strings.Contains(e.Description, "The token hook failed") {
		t.Errorf("failure description = %q", e.Description)
	}
}

// A hook that never answers fails the request once the client times out;
// the handler blocks until the test releases it, so nothing sleeps.
func TestTokenHookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := newHookServer(t, 200, "")
	srv.handle = func(http.ResponseWriter, *http.Request) { <-release }
	t.Cleanup(func() { close(release) }) // runs before srv.Close
	_, get := hookConfig(srv.URL)
	hooks := &TokenHooks{Config: get, HTTP: &http.Client{Timeout: 50 * time.Millisecond}}
	e := asError(t, hooks.Apply(context.Background(), hookInput()))
	if e.Status != 500 || e.Code != "server_error" {
		t.Fatalf("timeout: %v", e)
	}
}

func TestTokenHookUnreachable(t *testing.T) {
	srv := newHookServer(t, 200, "")
	srv.Close()
	_, get := hookConfig(srv.URL)
	e := asError(t, newHooks(get).Apply(context.Background(), hookInput()))
	if e.Status != 500 || e.Code != "server_error" {
		t.Fatalf("connection refused: %v", e)
	}
}

func TestTokenHookAPIKey(t *testing.T) {
	cases := []struct {
		name      string
		auth      config.HookAuth
		header    string // header that must carry the key
		cookie    string // cookie that must carry the key
		wantError bool
	}{
		{"header", config.HookAuth{Type: "api_key", Config: config.HookAuthConfig{In: "header", Name: "X-Api-Key", Value: "k-1"}}, "X-Api-Key", "", false},
		{"header by default", config.HookAuth{Type: "api_key", Config: config.HookAuthConfig{Name: "Authorization", Value: "k-1"}}, "Authorization", "", false},
		{"cookie", config.HookAuth{Type: "api_key", Config: config.HookAuthConfig{In: "cookie", Name: "hook_key", Value: "k-1"}}, "", "hook_key", false},
		{"unknown type", config.HookAuth{Type: "basic", Config: config.HookAuthConfig{Name: "a", Value: "k-1"}}, "", "", true},
		{"unknown location", config.HookAuth{Type: "api_key", Config: config.HookAuthConfig{In: "query", Name: "a", Value: "k-1"}}, "", "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newHookServer(t, 204, "")
			cfg, get := hookConfig(srv.URL)
			cfg.OAuth2.TokenHook.Auth = tc.auth
			err := newHooks(get).Apply(context.Background(), hookInput())
			calls := srv.got()
			if tc.wantError {
				if e := asError(t, err); e.Code != "server_error" || len(calls) != 0 {
					t.Fatalf("misconfigured auth: %v, %d calls", err, len(calls))
				}
				return
			}
			if err != nil || len(calls) != 1 {
				t.Fatalf("apply: %v, %d calls", err, len(calls))
			}
			h := calls[0].Header
			if tc.header != "" && h.Get(tc.header) != "k-1" {
				t.Errorf("header %s = %q", tc.header, h.Get(tc.header))
			}
			if tc.cookie != "" {
				r := &http.Request{Header: h}
				if c, err := r.Cookie(tc.cookie); err != nil || c.Value != "k-1" {
					t.Errorf("cookie %s: %v %v", tc.cookie, c, err)
				}
			}
		})
	}
}

// For refresh_token both hooks run, the legacy one first with its own body
// shape; the token hook sees its answer, and the last answer wins.
func TestRefreshTokenHookThenTokenHook(t *testing.T) {
	legacy := newHookServer(t, 200, `{"session":{"access_token":{"from":"refresh_hook"},"id_token":{"a":1}}}`)
	generic := newHookServer(t, 200, `{"session":{"access_token":{"from":"token_hook"}}}`)
	cfg, get := hookConfig(generic.URL)
	cfg.OAuth2.RefreshTokenHook.URL = legacy.URL
	in := hookInput()
	in.GrantType = GrantRefreshToken
	if err := newHooks(get).Apply(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if in.AccessTokenClaims["from"] != "token_hook" || in.IDTokenClaims != nil {
		t.Fatalf("claims = %v %v", in.AccessTokenClaims, in.IDTokenClaims)
	}
	lc, gc := legacy.got(), generic.got()
	if len(lc) != 1 || len(gc) != 1 {
		t.Fatalf("calls: legacy %d, token %d", len(lc), len(gc))
	}
	l := lc[0].Body
	requester, _ := l["requester"].(map[string]any)
	if l["subject"] != "alice" || l["client_id"] != "web" || requester["client_id"] != "web" ||
		!reflect.DeepEqual(requester["grant_types"], []any{GrantRefreshToken}) || l["payload"] != nil {
		t.Errorf("legacy body = %v", l)
	}
	seen := gc[0].Body["session"].(map[string]any)["extra"]
	if !reflect.DeepEqual(seen, map[string]any{"from": "refresh_hook"}) {
		t.Errorf("the token hook saw %v, not the refresh hook's answer", seen)
	}

	// Other grants never call the legacy hook.
	in = hookInput()
	if err := newHooks(get).Apply(context.Background(), in); err != nil || len(legacy.got()) != 1 {
		t.Fatalf("legacy hook called for %s: %v", in.GrantType, err)
	}
}

func TestTokenHookOffAndLive(t *testing.T) {
	var nilHooks *TokenHooks
	if err := nilHooks.Apply(context.Background(), hookInput()); err != nil {
		t.Fatalf("nil hooks: %v", err)
	}
	srv := newHookServer(t, 204, "")
	cfg, get := hookConfig("")
	hooks := newHooks(get)
	if err := hooks.Apply(context.Background(), hookInput()); err != nil || len(srv.got()) != 0 {
		t.Fatalf("unset hook: %v", err)
	}
	// A reload that sets the hook applies to the next request.
	cfg.OAuth2.TokenHook.URL = srv.URL
	if err := hooks.Apply(context.Background(), hookInput()); err != nil || len(srv.got()) != 1 {
		t.Fatalf("after reload: %v, %d calls", err, len(srv.got()))
	}
}

// The rendered error and the log line never carry the api key or the
// hook URL's query, which may hold a credential.
func TestTokenHookFailureDoesNotLeak(t *testing.T) {
	srv := newHookServer(t, 200, "")
	srv.Close()
	cfg, get := hookConfig(srv.URL + "/hook?token=url-secret")
	cfg.OAuth2.TokenHook.Auth = config.HookAuth{Type: "api_key", Config: config.HookAuthConfig{Name: "X-Key", Value: "key-secret"}}
	var logs bytes.Buffer
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	h := rd.OAuth(func(http.ResponseWriter, *http.Request) error {
		return newHooks(get).Apply(context.Background(), hookInput())
	})
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/oauth2/token", nil))
	if w.Code != 500 || !strings.Contains(w.Body.String(), "The token hook failed") {
		t.Fatalf("response = %d %s", w.Code, w.Body)
	}
	if !strings.Contains(logs.String(), "oauth2.token_hook") || !strings.Contains(logs.String(), "/hook") {
		t.Errorf("the log does not say which hook failed: %s", logs.String())
	}
	for _, secret := range []string{"url-secret", "key-secret", "web-secret", "secretcode"} {
		if strings.Contains(w.Body.String()+logs.String(), secret) {
			t.Errorf("%s leaked: %s %s", secret, w.Body, logs.String())
		}
	}
}
