package oauth2

import (
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

func refreshForm(rt string) url.Values {
	return url.Values{"grant_type": {GrantRefreshToken}, "refresh_token": {rt}}
}

// start runs a code exchange for clientID and returns its response.
func (h *flowHarness) start(t *testing.T, clientID string) map[string]any {
	t.Helper()
	m := h.tokens(t, clientID, exchangeForm(h.mintCode(t, clientID)))
	h.flows.resetCounts()
	h.db.Reset()
	return m
}

func TestRefreshRotates(t *testing.T) {
	h := newFlowHarness(t)
	first := h.start(t, "web")
	h.clock.Add(time.Minute)
	now := h.clock.Now()

	m := h.tokens(t, "web", refreshForm(first["refresh_token"].(string)))
	rt, access := m["refresh_token"].(string), m["access_token"].(string)
	if rt == "" || rt == first["refresh_token"] || m["scope"] != "openid offline read" {
		t.Fatalf("response = %v", m)
	}
	rec := h.accessRecord(t, access)
	if rec.RequestID != "req-web" || rec.GrantType != GrantRefreshToken || !rec.IssuedAt.Equal(now) || rec.Subject != "alice" {
		t.Fatalf("access record = %+v", rec)
	}
	claims := h.verifyIDToken(t, m["id_token"].(string))
	// OIDC Core 12.2: same subject, the original auth_time, a new iat.
	if claims["sub"] != "alice" || claims["auth_time"] != float64(oauth2test.T0.Add(-time.Minute).Unix()) ||
		claims["iat"] != float64(now.Unix()) || claims["at_hash"] != atHash(access) || claims["nonce"] != nil {
		t.Fatalf("refreshed id token = %v", claims)
	}
	// Budget: one read, one rotation transaction (which stores the access token).
	if h.flows.count("GetRefresh") != 1 || h.flows.count("RotateRefresh") != 1 || h.db.AccessWrites != 0 {
		t.Fatalf("store calls: flows %v, access creates %d", h.flows.n, h.db.AccessWrites)
	}
	// The rotated token keeps working.
	h.tokens(t, "web", refreshForm(rt))
}

func TestRefreshReuseRevokesTheFamily(t *testing.T) {
	h := newFlowHarness(t)
	first := h.start(t, "web")
	old := first["refresh_token"].(string)
	second := h.tokens(t, "web", refreshForm(old))

	status, m := h.post("web", refreshForm(old))
	if status != 400 || m["error"] != "invalid_grant" || !strings.Contains(m["error_hint"].(string), "already used") {
		t.Fatalf("reuse: %d %v", status, m)
	}
	for _, access := range []string{first["access_token"].(string), second["access_token"].(string)} {
		if h.accessRecord(t, access).RevokedAt == nil {
			t.Fatal("an access token of the family survived the reuse")
		}
	}
	if status, _ := h.post("web", refreshForm(second["refresh_token"].(string))); status != 400 {
		t.Fatal("the newest refresh token of the family survived the reuse")
	}
}

func TestRefreshGraceAllowsConcurrentReuse(t *testing.T) {
	h := newFlowHarness(t)
	h.cfg.OAuth2.Grant.RefreshToken.RotationGracePeriod = 10 * time.Second
	h.cfg.OAuth2.Grant.RefreshToken.RotationGraceReuseCount = 1
	old := h.start(t, "web")["refresh_token"].(string)
	h.tokens(t, "web", refreshForm(old))
	h.clock.Add(time.Second)
	h.tokens(t, "web", refreshForm(old)) // within grace
	if status, _ := h.post("web", refreshForm(old)); status != 400 {
		t.Fatal("reuse beyond rotation_grace_reuse_count accepted")
	}
}

func TestRefreshConcurrentRotationOnlyOneWins(t *testing.T) {
	h := newFlowHarness(t)
	old := h.start(t, "web")["refresh_token"].(string)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = h.post("web", refreshForm(old))
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range statuses {
		if s == 200 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("statuses %v: want exactly one success", statuses)
	}
}

func TestRefreshScope(t *testing.T) {
	h := newFlowHarness(t)
	rt := h.start(t, "web")["refresh_token"].(string)

	form := refreshForm(rt)
	form.Set("scope", "read write")
	if status, m := h.post("web", form); status != 400 || m["error"] != "invalid_scope" {
		t.Fatalf("wider scope: %d %v", status, m)
	}
	form.Set("scope", "read")
	m := h.tokens(t, "web", form)
	if m["scope"] != "read" || m["id_token"] != nil {
		t.Fatalf("narrower scope: %v", m)
	}
	if got := h.accessRecord(t, m["access_token"].(string)).Scopes; len(got) != 1 || got[0] != "read" {
		t.Fatalf("access token scopes = %v", got)
	}
	// The rotated refresh token keeps the original scope (RFC 6749 section 6).
	if next := h.tokens(t, "web", refreshForm(m["refresh_token"].(string))); next["scope"] != "openid offline read" {
		t.Fatalf("rotated token lost scope: %v", next)
	}
}

func TestRefreshRefusals(t *testing.T) {
	cases := []struct {
		name   string
		client string
		edit   func(h *flowHarness, r *token.RefreshRecord)
		raw    func(string) string
		want   string
	}{
		{"missing", "web", nil, func(string) string { return "" }, "invalid_request"},
		{"forged", "web", nil, func(rt string) string { return tamper(rt) }, "invalid_grant"},
		{"code as refresh token", "web", nil, func(string) string { return token.PrefixCode + "x" }, "invalid_grant"},
		{"other client", "web2", nil, nil, "invalid_grant"},
		{"expired", "web", func(h *flowHarness, r *token.RefreshRecord) { r.ExpiresAt = h.clock.Now() }, nil, "invalid_grant"},
		{"revoked", "web", func(h *flowHarness, r *token.RefreshRecord) { at := oauth2test.T0; r.RevokedAt = &at }, nil, "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newFlowHarness(t)
			rt := h.start(t, "web")["refresh_token"].(string)
			if tc.edit != nil {
				tc.edit(h, h.flows.refresh[string(token.Digest(rt))])
			}
			if tc.raw != nil {
				rt = tc.raw(rt)
			}
			form := refreshForm(rt)
			if rt == "" {
				form.Del("refresh_token")
			}
			status, m := h.post(tc.client, form)
			if status != 400 || m["error"] != tc.want {
				t.Fatalf("%d %v, want 400 %s", status, m, tc.want)
			}
			if h.flows.count("RotateRefresh") != 0 {
				t.Fatal("a refused token was rotated")
			}
		})
	}
}

func TestRefreshNeverExpiringTTL(t *testing.T) {
	h := newFlowHarness(t)
	h.cfg.TTL.RefreshToken = -1
	rt := h.start(t, "web")["refresh_token"].(string)
	if r := h.flows.refresh[string(token.Digest(rt))]; !r.ExpiresAt.Equal(neverExpires) {
		t.Fatalf("expiry = %v", r.ExpiresAt)
	}
	h.clock.Add(10 * 365 * 24 * time.Hour)
	h.tokens(t, "web", refreshForm(rt))
}

func TestRefreshTokenIntrospection(t *testing.T) {
	h := newFlowHarness(t)
	rt := h.start(t, "web")["refresh_token"].(string)
	w := oauth2test.Do(h.intro, "POST", "/admin/oauth2/introspect", oauth2test.Req{Form: "token=" + url.QueryEscape(rt)})
	m := oauth2test.Decode(t, w)
	if m["active"] != true || m["token_use"] != "refresh_token" || m["client_id"] != "web" || m["sub"] != "alice" ||
		m["scope"] != "openid offline read" || m["exp"] != float64(oauth2test.T0.Add(24*time.Hour).Unix()) {
		t.Fatalf("live refresh token: %v", m)
	}
	if ext, _ := m["ext"].(map[string]any); ext["tenant"] != "acme" {
		t.Fatalf("ext = %v", m["ext"])
	}
	h.tokens(t, "web", refreshForm(rt)) // rotated: inactive from now on
	forged := tamper(rt)
	for name, raw := range map[string]string{"rotated": rt, "forged": forged} {
		w := oauth2test.Do(h.intro, "POST", "/admin/oauth2/introspect", oauth2test.Req{Form: "token=" + url.QueryEscape(raw)})
		if body := strings.TrimSpace(w.Body.String()); body != `{"active":false}` {
			t.Errorf("%s: %s", name, body)
		}
	}
}

func TestRefreshTokenRevocation(t *testing.T) {
	h := newFlowHarness(t)
	m := h.start(t, "web")
	rt := m["refresh_token"].(string)

	// Another client may not revoke it.
	w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "token=" + url.QueryEscape(rt), User: "web2", Pass: secretWeb})
	if w.Code != 400 || oauth2test.Decode(t, w)["error"] != "unauthorized_client" {
		t.Fatalf("other client: %d %s", w.Code, w.Body)
	}
	if h.flows.refresh[string(token.Digest(rt))].RevokedAt != nil {
		t.Fatal("revoked by another client")
	}

	w = oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "token_type_hint=access_token&token=" + url.QueryEscape(rt), User: "web", Pass: secretWeb})
	if w.Code != 200 {
		t.Fatalf("revoke: %d %s", w.Code, w.Body)
	}
	// RFC 7009 2.1: the access tokens of the grant go too.
	if h.accessRecord(t, m["access_token"].(string)).RevokedAt == nil {
		t.Fatal("access token of the revoked grant still live")
	}
	if status, _ := h.post("web", refreshForm(rt)); status != 400 {
		t.Fatal("revoked refresh token still refreshes")
	}
	// Forged and unknown refresh tokens are a silent 200 (section 2.2).
	other, _ := h.rtFormat.New()
	for _, raw := range []string{tamper(rt), other} {
		w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "token=" + url.QueryEscape(raw), User: "web", Pass: secretWeb})
		if w.Code != 200 {
			t.Errorf("%d %s", w.Code, w.Body)
		}
	}
}

// tamper changes the last character, so the MAC no longer matches.
func tamper(s string) string {
	last := byte('A')
	if s[len(s)-1] == 'A' {
		last = 'B'
	}
	return s[:len(s)-1] + string(last)
}

// At a refresh the hooks see the stored session and the narrowed scope.
func TestRefreshTokenHook(t *testing.T) {
	h := newFlowHarness(t)
	rt := h.start(t, "web")["refresh_token"].(string)
	hook := newHookServer(t, 200, `{"session":{"access_token":{"tenant":"acme","round":2},"id_token":{"round":2}}}`)
	h.cfg.OAuth2.TokenHook.URL = hook.URL

	form := refreshForm(rt)
	form.Set("scope", "openid read")
	m := h.tokens(t, "web", form)
	calls := hook.got()
	if len(calls) != 1 {
		t.Fatalf("%d hook calls", len(calls))
	}
	request := calls[0].Body["request"].(map[string]any)
	if !reflect.DeepEqual(calls[0].Body["session"].(map[string]any)["extra"], map[string]any{"tenant": "acme"}) ||
		!reflect.DeepEqual(request["granted_scopes"], []any{"openid", "read"}) ||
		!reflect.DeepEqual(request["requested_scopes"], []any{"openid", "read"}) ||
		!reflect.DeepEqual(request["grant_types"], []any{GrantRefreshToken}) ||
		!reflect.DeepEqual(request["payload"], map[string]any{"grant_type": []any{GrantRefreshToken}, "scope": []any{"openid read"}}) {
		t.Fatalf("hook was sent %v", calls[0].Body)
	}
	if ext := string(h.accessRecord(t, m["access_token"].(string)).Ext); ext != `{"round":2,"tenant":"acme"}` {
		t.Fatalf("ext = %s", ext)
	}
	if claims := h.verifyIDToken(t, m["id_token"].(string)); claims["round"] != float64(2) || claims["email"] != nil {
		t.Fatalf("id token = %v", claims)
	}
	stored := h.flows.refresh[string(token.Digest(m["refresh_token"].(string)))]
	if !strings.Contains(string(stored.Session), `"round":2`) {
		t.Fatalf("rotated refresh session = %s", stored.Session)
	}
}

// A refused or failed hook leaves the presented refresh token usable.
func TestRefreshTokenHookRefusalKeepsTheToken(t *testing.T) {
	h := newFlowHarness(t)
	rt := h.start(t, "web")["refresh_token"].(string)
	hook := newHookServer(t, 403, "")
	h.cfg.OAuth2.RefreshTokenHook.URL = hook.URL
	if status, m := h.post("web", refreshForm(rt)); status != 403 || m["error"] != "access_denied" {
		t.Fatalf("denied: %d %v", status, m)
	}
	hook.reply(502, "")
	if status, m := h.post("web", refreshForm(rt)); status != 500 || m["error"] != "server_error" {
		t.Fatalf("failed: %d %v", status, m)
	}
	if h.flows.count("RotateRefresh") != 0 || len(hook.got()) != 2 {
		t.Fatalf("rotations %d, hook calls %d", h.flows.count("RotateRefresh"), len(hook.got()))
	}
	hook.reply(204, "")
	h.tokens(t, "web", refreshForm(rt))
}
