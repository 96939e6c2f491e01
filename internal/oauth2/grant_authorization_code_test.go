package oauth2

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

func TestAuthorizationCodeIssuesTheFamily(t *testing.T) {
	h := newFlowHarness(t)
	code := h.mintCode(t, "web")
	m := h.tokens(t, "web", exchangeForm(code))

	if m["token_type"] != "bearer" || m["scope"] != "openid offline read" || m["expires_in"] != float64(3600) {
		t.Fatalf("response = %v", m)
	}
	access, _ := m["access_token"].(string)
	rt, _ := m["refresh_token"].(string)
	if !strings.HasPrefix(access, token.PrefixAccessToken) || !strings.HasPrefix(rt, token.PrefixRefreshToken) {
		t.Fatalf("tokens = %q %q", access, rt)
	}
	rec := h.accessRecord(t, access)
	if rec.Subject != "alice" || rec.ClientID != "web" || rec.RequestID != "req-web" ||
		rec.GrantType != GrantAuthorizationCode || string(rec.Ext) != `{"tenant":"acme"}` {
		t.Fatalf("access record = %+v", rec)
	}

	claims := h.verifyIDToken(t, m["id_token"].(string))
	want := map[string]any{
		"iss": "https://issuer.example/", "sub": "alice", "nonce": "n-0S6_WzA2Mj", "at_hash": atHash(access),
		"auth_time": float64(oauth2test.T0.Add(-time.Minute).Unix()), "exp": float64(oauth2test.T0.Add(30 * time.Minute).Unix()),
		"acr": "urn:acr:pwd", "sid": "sid-1", "email": "alice@example.com",
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("id token %s = %v, want %v", k, claims[k], v)
		}
	}
	if aud, _ := claims["aud"].([]any); len(aud) != 1 || aud[0] != "web" {
		if claims["aud"] != "web" {
			t.Errorf("id token aud = %v", claims["aud"])
		}
	}

	r := h.flows.refresh[string(token.Digest(rt))]
	if r == nil || r.RequestID != "req-web" || !r.ExpiresAt.Equal(oauth2test.T0.Add(24*time.Hour)) || r.Subject != "alice" {
		t.Fatalf("refresh record = %+v", r)
	}
	// Budget: consume the code, store the access and the refresh token.
	if h.flows.count("ConsumeCode") != 1 || h.flows.count("CreateRefresh") != 1 || h.db.AccessWrites != 1 {
		t.Fatalf("store calls: flows %v, access creates %d", h.flows.n, h.db.AccessWrites)
	}
}

func TestAuthorizationCodeOmitsWhatWasNotGranted(t *testing.T) {
	h := newFlowHarness(t)
	// No openid: no ID token. No offline: no refresh token.
	code := h.mintCode(t, "web", func(r *token.CodeRecord) { r.Scopes = []string{"read"} })
	m := h.tokens(t, "web", exchangeForm(code))
	if m["id_token"] != nil || m["refresh_token"] != nil {
		t.Fatalf("response = %v", m)
	}
	// offline granted, but the client lacks the refresh_token grant type.
	code = h.mintCode(t, "noref", func(r *token.CodeRecord) { r.Scopes = []string{"offline_access"} })
	if m := h.tokens(t, "noref", exchangeForm(code)); m["refresh_token"] != nil {
		t.Fatalf("refresh token issued to a client without the grant: %v", m)
	}
}

func TestAuthorizationCodeClientLifespans(t *testing.T) {
	h := newFlowHarness(t)
	h.db.Clients["web"].AuthorizationCodeGrantAccessTokenLifespan = oauth2test.Dur(5 * time.Minute)
	h.db.Clients["web"].AuthorizationCodeGrantRefreshTokenLifespan = oauth2test.Dur(time.Hour)
	m := h.tokens(t, "web", exchangeForm(h.mintCode(t, "web")))
	if m["expires_in"] != float64(300) {
		t.Fatalf("expires_in = %v", m["expires_in"])
	}
	if r := h.flows.refresh[string(token.Digest(m["refresh_token"].(string)))]; !r.ExpiresAt.Equal(oauth2test.T0.Add(time.Hour)) {
		t.Fatalf("refresh expiry = %v", r.ExpiresAt)
	}
}

func TestAuthorizationCodeRefusals(t *testing.T) {
	cases := []struct {
		name   string
		client string
		code   codeOpts
		form   func(v map[string][]string)
		want   string
	}{
		{"missing code", "web", nil, func(v map[string][]string) { delete(v, "code") }, "invalid_request"},
		{"forged code", "web", nil, func(v map[string][]string) {
			v["code"] = []string{token.PrefixCode + strings.Repeat("A", 43) + "." + strings.Repeat("A", 32)}
		}, "invalid_grant"},
		{"refresh token as code", "web", nil, func(v map[string][]string) { v["code"] = []string{"signet_rt_x"} }, "invalid_grant"},
		{"expired", "web", func(r *token.CodeRecord) { r.ExpiresAt = oauth2test.T0 }, nil, "invalid_grant"},
		{"other client's code", "web2", nil, nil, "invalid_grant"},
		{"redirect_uri mismatch", "web", nil, func(v map[string][]string) { v["redirect_uri"] = []string{redirectWeb + "/"} }, "invalid_grant"},
		{"redirect_uri missing", "web", nil, func(v map[string][]string) { delete(v, "redirect_uri") }, "invalid_grant"},
		{"wrong verifier", "web", nil, func(v map[string][]string) { v["code_verifier"] = []string{strings.Repeat("a", 43)} }, "invalid_grant"},
		{"missing verifier", "web", nil, func(v map[string][]string) { delete(v, "code_verifier") }, "invalid_grant"},
		{"verifier without challenge (downgrade)", "web", func(r *token.CodeRecord) { r.CodeChallenge, r.CodeChallengeMethod = "", "" }, nil, "invalid_grant"},
		{"public client without PKCE", "spa", func(r *token.CodeRecord) { r.CodeChallenge, r.CodeChallengeMethod = "", "" },
			func(v map[string][]string) { delete(v, "code_verifier") }, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFlowHarness(t)
			var opts []codeOpts
			if tc.code != nil {
				opts = append(opts, tc.code)
			}
			owner := "web"
			if tc.client == "spa" {
				owner = "spa"
			}
			form := exchangeForm(h.mintCode(t, owner, opts...))
			if tc.form != nil {
				tc.form(form)
			}
			status, m := h.post(tc.client, form)
			if status != 400 || m["error"] != tc.want {
				t.Fatalf("%d %v, want 400 %s", status, m, tc.want)
			}
			if len(h.db.Tokens) != 0 || len(h.flows.refresh) != 0 {
				t.Fatalf("tokens were issued on a refused request")
			}
		})
	}
}

func TestAuthorizationCodeWithoutRedirectURIInRequest(t *testing.T) {
	h := newFlowHarness(t)
	code := h.mintCode(t, "web", func(r *token.CodeRecord) { r.RedirectURI = "" })
	form := exchangeForm(code)
	delete(form, "redirect_uri")
	h.tokens(t, "web", form)
}

func TestAuthorizationCodePublicClientWithPKCE(t *testing.T) {
	h := newFlowHarness(t)
	m := h.tokens(t, "spa", exchangeForm(h.mintCode(t, "spa")))
	if m["access_token"] == nil || m["refresh_token"] == nil {
		t.Fatalf("response = %v", m)
	}
}

func TestAuthorizationCodeReuseRevokesTheFamily(t *testing.T) {
	h := newFlowHarness(t)
	code := h.mintCode(t, "web")
	first := h.tokens(t, "web", exchangeForm(code))
	h.clock.Add(time.Second)

	status, m := h.post("web", exchangeForm(code))
	if status != 400 || m["error"] != "invalid_grant" || !strings.Contains(m["error_hint"].(string), "already used") {
		t.Fatalf("replay: %d %v", status, m)
	}
	if h.accessRecord(t, first["access_token"].(string)).RevokedAt == nil {
		t.Fatal("access token of the replayed code still live")
	}
	if h.flows.refresh[string(token.Digest(first["refresh_token"].(string)))].RevokedAt == nil {
		t.Fatal("refresh token of the replayed code still live")
	}
	// The revoked refresh token no longer works.
	status, _ = h.post("web", refreshForm(first["refresh_token"].(string)))
	if status != 400 {
		t.Fatalf("refresh after code replay: %d", status)
	}
}

// The token hook sees the consent's claims and replaces them; what it
// returns is in the tokens and in the stored refresh session, so a refresh
// after the hook is removed keeps it.
func TestAuthorizationCodeTokenHook(t *testing.T) {
	h := newFlowHarness(t)
	hook := newHookServer(t, 200, `{"session":{"access_token":{"tenant":"acme","hooked":true},`+
		`"id_token":{"email":"alice@example.com","hooked":true,"sub":"mallory","iss":"https://evil.example/"}}}`)
	h.cfg.OAuth2.TokenHook.URL = hook.URL
	m := h.tokens(t, "web", exchangeForm(h.mintCode(t, "web")))

	calls := hook.got()
	if len(calls) != 1 {
		t.Fatalf("%d hook calls", len(calls))
	}
	session := calls[0].Body["session"].(map[string]any)
	request := calls[0].Body["request"].(map[string]any)
	if !reflect.DeepEqual(session["extra"], map[string]any{"tenant": "acme"}) ||
		session["id_token"].(map[string]any)["subject"] != "alice" ||
		!reflect.DeepEqual(request["granted_scopes"], []any{"openid", "offline", "read"}) ||
		!reflect.DeepEqual(request["grant_types"], []any{GrantAuthorizationCode}) ||
		!reflect.DeepEqual(request["payload"], map[string]any{"grant_type": []any{GrantAuthorizationCode}}) {
		t.Fatalf("hook was sent %v", calls[0].Body)
	}

	if ext := string(h.accessRecord(t, m["access_token"].(string)).Ext); ext != `{"hooked":true,"tenant":"acme"}` {
		t.Fatalf("access token ext = %s", ext)
	}
	claims := h.verifyIDToken(t, m["id_token"].(string))
	if claims["hooked"] != true || claims["sub"] != "alice" || claims["iss"] != "https://issuer.example/" {
		t.Fatalf("id token = %v", claims)
	}

	h.cfg.OAuth2.TokenHook.URL = ""
	h.clock.Add(time.Minute)
	next := h.tokens(t, "web", refreshForm(m["refresh_token"].(string)))
	if ext := string(h.accessRecord(t, next["access_token"].(string)).Ext); ext != `{"hooked":true,"tenant":"acme"}` {
		t.Fatalf("refreshed access token ext = %s", ext)
	}
	if claims := h.verifyIDToken(t, next["id_token"].(string)); claims["hooked"] != true {
		t.Fatalf("refreshed id token = %v", claims)
	}
}

func TestAuthorizationCodeTokenHookRefuses(t *testing.T) {
	for _, tc := range []struct {
		status     int
		wantStatus int
		wantCode   string
	}{
		{403, 403, "access_denied"},
		{500, 500, "server_error"},
	} {
		h := newFlowHarness(t)
		h.cfg.OAuth2.TokenHook.URL = newHookServer(t, tc.status, "").URL
		status, m := h.post("web", exchangeForm(h.mintCode(t, "web")))
		if status != tc.wantStatus || m["error"] != tc.wantCode {
			t.Errorf("hook %d: %d %v", tc.status, status, m)
		}
		if len(h.db.Tokens) != 0 || len(h.flows.refresh) != 0 {
			t.Errorf("hook %d: tokens were issued", tc.status)
		}
	}
}
