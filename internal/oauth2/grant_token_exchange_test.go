package oauth2

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/token"
)

// exchangeEnv is the token exchange grant over fakes: client "svc" (the
// exchanging service, policy below), the jwt-bearer test issuer trusted
// for alice, and an ID token key.
type exchangeEnv struct {
	*bearerEnv
	grant    *TokenExchange
	svc      *client.Client
	idTokens *token.IDTokens
	idKeys   *oauth2test.Keys
}

func newExchangeEnv(t *testing.T) *exchangeEnv {
	t.Helper()
	b := newBearerEnv(t)
	e := &exchangeEnv{bearerEnv: b, idKeys: oauth2test.NewKeys(t, jwk.SetIDToken)}
	e.idTokens = &token.IDTokens{Signer: e.idKeys, Keys: e.idKeys, Now: b.clock.Now}
	e.grant = &TokenExchange{Tokens: b.db, Opaque: b.opaque, JWT: b.jwt, IDTokens: e.idTokens,
		Trust: b.trust, Replay: b.replay, Issuer: b.grant.Issuer, Config: b.grant.Config, Now: b.clock.Now, Rand: rand.Reader}
	e.svc = &client.Client{ID: "svc", GrantTypes: []string{GrantTokenExchange}, Scope: "read write",
		TokenExchange: &client.TokenExchange{
			SubjectTokenTypes: []string{client.TokenTypeAccessToken, client.TokenTypeIDToken, client.TokenTypeJWT},
			Audiences:         []string{"https://orders.example/"},
		}}
	return e
}

// access mints a Signet access token as grant would have issued it.
func (e *exchangeEnv) access(t *testing.T, c token.Claims) string {
	t.Helper()
	now := e.clock.Now()
	if c.ExpiresAt.IsZero() {
		c.ExpiresAt = now.Add(time.Hour)
	}
	c.IssuedAt, c.GrantType = now, GrantClientCredentials
	raw, _, err := e.grant.Issuer.Access(context.Background(), c, token.StrategyOpaque)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// alice is a token of client "web" for alice, meant for svc.
func (e *exchangeEnv) alice(t *testing.T) string {
	return e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read", "write"},
		Audience: []string{"svc"}, Ext: map[string]any{"tenant": "blue"}})
}

// svcToken is svc's own client_credentials token: the usual actor token.
func (e *exchangeEnv) svcToken(t *testing.T) string {
	return e.access(t, token.Claims{ClientID: "svc", Subject: "svc", Scopes: []string{}})
}

func (e *exchangeEnv) idToken(t *testing.T, aud string, exp time.Duration) string {
	t.Helper()
	now := e.clock.Now()
	raw, _, err := e.idTokens.Mint(context.Background(), token.IDTokenClaims{Issuer: e.cfg.IssuerURL(), Subject: "alice",
		Audience: []string{aud}, IssuedAt: now, ExpiresAt: now.Add(exp)})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func (e *exchangeEnv) run(c *client.Client, kv ...string) (*TokenResponse, error) {
	form := url.Values{"grant_type": {GrantTokenExchange}}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	req, err := parseTokenRequest(form)
	if err != nil {
		return nil, err
	}
	return e.grant.Exchange(context.Background(), req, c)
}

// record reads the stored record of an issued token.
func (e *exchangeEnv) record(t *testing.T, raw string) (*token.AccessRecord, map[string]any) {
	t.Helper()
	digest, err := token.Check(context.Background(), raw, e.opaque, e.jwt)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.db.GetAccess(context.Background(), digest)
	if err != nil {
		t.Fatal(err)
	}
	var ext map[string]any
	if len(rec.Ext) > 0 {
		if err := json.Unmarshal(rec.Ext, &ext); err != nil {
			t.Fatal(err)
		}
	}
	return rec, ext
}

const (
	subjAT = "subject_token_type"
	actAT  = "actor_token_type"
)

func TestTokenExchangeDelegation(t *testing.T) {
	e := newExchangeEnv(t)
	e.clock.Add(0)
	subject := e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read", "write"},
		Audience: []string{"svc"}, Ext: map[string]any{"tenant": "blue"}, ExpiresAt: e.clock.Now().Add(10 * time.Minute)})
	resp, err := e.run(e.svc, "subject_token", subject, subjAT, client.TokenTypeAccessToken,
		"actor_token", e.svcToken(t), actAT, client.TokenTypeAccessToken,
		"scope", "read", "resource", "https://orders.example/v1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.IssuedTokenType != client.TokenTypeAccessToken || resp.TokenType != TokenTypeBearer || resp.Scope != "read" {
		t.Errorf("response %+v", resp)
	}
	if resp.ExpiresIn != 600 {
		t.Errorf("expires_in %d: the exchanged token must not outlive the subject token (600 s)", resp.ExpiresIn)
	}
	rec, ext := e.record(t, resp.AccessToken)
	if rec.Subject != "alice" || rec.ClientID != "svc" || rec.GrantType != GrantTokenExchange ||
		len(rec.Audience) != 1 || rec.Audience[0] != "https://orders.example/v1" {
		t.Errorf("record %+v", rec)
	}
	act, _ := ext["act"].(map[string]any)
	if act["sub"] != "svc" || act["iss"] != nil || ext["tenant"] != "blue" {
		t.Errorf("ext %v: want act {sub: svc} and the subject's tenant", ext)
	}
}

func TestTokenExchangeNestsActAndHonoursMayAct(t *testing.T) {
	e := newExchangeEnv(t)
	chained := e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read"}, Audience: []string{"svc"},
		Ext: map[string]any{"act": map[string]any{"sub": "gateway"}}})
	resp, err := e.run(e.svc, "subject_token", chained, subjAT, client.TokenTypeAccessToken,
		"actor_token", e.svcToken(t), actAT, client.TokenTypeAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	_, ext := e.record(t, resp.AccessToken)
	act, _ := ext["act"].(map[string]any)
	prior, _ := act["act"].(map[string]any)
	if act["sub"] != "svc" || prior["sub"] != "gateway" {
		t.Errorf("act %v: want svc acting, gateway nested (RFC 8693 section 4.1)", act)
	}

	// may_act names svc: svc may act, a token of someone else may not.
	guarded := e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read"}, Audience: []string{"svc"},
		Ext: map[string]any{"may_act": map[string]any{"sub": "svc"}}})
	if _, err := e.run(e.svc, "subject_token", guarded, subjAT, client.TokenTypeAccessToken,
		"actor_token", e.svcToken(t), actAT, client.TokenTypeAccessToken); err != nil {
		t.Errorf("the actor may_act names was refused: %v", err)
	}
	other := e.access(t, token.Claims{ClientID: "svc", Subject: "mallory", Scopes: []string{}})
	_, err = e.run(e.svc, "subject_token", guarded, subjAT, client.TokenTypeAccessToken,
		"actor_token", other, actAT, client.TokenTypeAccessToken)
	wantOAuthError(t, err, "invalid_request", "may_act")
	e.svc.TokenExchange.Impersonation = true
	_, err = e.run(e.svc, "subject_token", guarded, subjAT, client.TokenTypeAccessToken)
	wantOAuthError(t, err, "invalid_request", "may_act")
}

func TestTokenExchangeImpersonation(t *testing.T) {
	e := newExchangeEnv(t)
	_, err := e.run(e.svc, "subject_token", e.alice(t), subjAT, client.TokenTypeAccessToken)
	wantOAuthError(t, err, "invalid_request", "may not impersonate")

	e.svc.TokenExchange.Impersonation = true
	resp, err := e.run(e.svc, "subject_token", e.alice(t), subjAT, client.TokenTypeAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	rec, ext := e.record(t, resp.AccessToken)
	if ext["act"] != nil || rec.Subject != "alice" || resp.Scope != "read write" {
		t.Errorf("impersonation: scope %q ext %v; want the subject's scope and no act", resp.Scope, ext)
	}
}

// TestTokenExchangeRefusals are the attack rows: each must fail with the
// RFC 8693 / RFC 8707 error code, and issue nothing.
func TestTokenExchangeRefusals(t *testing.T) {
	e := newExchangeEnv(t)
	e.svc.TokenExchange.Impersonation = true
	at := client.TokenTypeAccessToken
	expired := e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read"}, Audience: []string{"svc"},
		ExpiresAt: e.clock.Now().Add(time.Second)})
	revoked := e.alice(t)
	digest, _ := token.Check(context.Background(), revoked, e.opaque, e.jwt)
	if err := e.db.RevokeAccess(context.Background(), digest, "web", e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	foreign := e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read"}, Audience: []string{"https://other.example"}})
	readOnly := e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"read"}, Audience: []string{"svc"}})
	jwtClaims := e.claims("x-1")
	untrusted := e.claims("x-2")
	untrusted["iss"] = "https://evil.example"
	public := &client.Client{ID: "svc", GrantTypes: []string{GrantTokenExchange}, Scope: "read write"}
	expiredID := e.idToken(t, "svc", time.Second)
	e.clock.Add(2 * time.Second)
	alice := e.alice(t)

	for _, tc := range []struct {
		name       string
		c          *client.Client
		kv         []string
		code, hint string
	}{
		{"scope wider than the subject token", e.svc, []string{"subject_token", readOnly, subjAT, at, "scope", "write"}, "invalid_scope", "does not hold scope"},
		{"scope wider than the client", e.svc, []string{"subject_token", e.access(t, token.Claims{ClientID: "web", Subject: "alice", Scopes: []string{"admin"}, Audience: []string{"svc"}}), subjAT, at, "scope", "admin"}, "invalid_scope", "not allowed to request scope"},
		{"audience outside the policy", e.svc, []string{"subject_token", alice, subjAT, at, "audience", "https://evil.example/"}, "invalid_target", "does not allow the audience"},
		{"audience beside the policy's", e.svc, []string{"subject_token", alice, subjAT, at, "audience", "https://orders.example.evil/"}, "invalid_target", "does not allow"},
		{"resource outside the policy", e.svc, []string{"subject_token", alice, subjAT, at, "resource", "https://evil.example/"}, "invalid_target", "does not allow"},
		{"resource with a dot segment", e.svc, []string{"subject_token", alice, subjAT, at, "resource", "https://orders.example/../admin"}, "invalid_target", "does not allow"},
		{"expired subject token", e.svc, []string{"subject_token", expired, subjAT, at}, "invalid_request", "not active"},
		{"revoked subject token", e.svc, []string{"subject_token", revoked, subjAT, at}, "invalid_request", "not active"},
		{"another client's token", e.svc, []string{"subject_token", foreign, subjAT, at}, "invalid_request", "issued to another client"},
		{"forged subject token", e.svc, []string{"subject_token", "ory_at_forged.forged", subjAT, at}, "invalid_request", "not an access token issued by this server"},
		{"invalid actor token", e.svc, []string{"subject_token", alice, subjAT, at, "actor_token", "garbage", actAT, at}, "invalid_request", "actor_token is not an access token"},
		{"actor token without type", e.svc, []string{"subject_token", alice, subjAT, at, "actor_token", alice}, "invalid_request", "actor_token_type parameter is required"},
		{"actor type without token", e.svc, []string{"subject_token", alice, subjAT, at, actAT, at}, "invalid_request", "without actor_token"},
		{"missing subject token", e.svc, []string{subjAT, at}, "invalid_request", "required"},
		{"missing subject token type", e.svc, []string{"subject_token", alice}, "invalid_request", "required"},
		{"unknown token type", e.svc, []string{"subject_token", alice, subjAT, "urn:x"}, "invalid_request", "not accepted"},
		{"type outside the default policy", public, []string{"subject_token", alice, subjAT, client.TokenTypeJWT}, "invalid_request", "not accepted"},
		{"access token sent as ID token", e.svc, []string{"subject_token", alice, subjAT, client.TokenTypeIDToken}, "invalid_request", "not an ID token"},
		{"ID token for another client", e.svc, []string{"subject_token", e.idToken(t, "web", time.Hour), subjAT, client.TokenTypeIDToken}, "invalid_request", "issued to another client"},
		{"expired ID token", e.svc, []string{"subject_token", expiredID, subjAT, client.TokenTypeIDToken, "scope", ""}, "invalid_request", "expired"},
		{"scope from an ID token", e.svc, []string{"subject_token", e.idToken(t, "svc", time.Hour), subjAT, client.TokenTypeIDToken, "scope", "read"}, "invalid_scope", "grants no scope"},
		{"untrusted JWT issuer", e.svc, []string{"subject_token", sign(t, e.key, jose.ES256, "k1", untrusted), subjAT, client.TokenTypeJWT}, "invalid_request", "not trusted"},
		{"alg none subject JWT", e.svc, []string{"subject_token", unsigned(jwtClaims), subjAT, client.TokenTypeJWT}, "invalid_request", "subject_token is not acceptable"},
		{"requested ID token", e.svc, []string{"subject_token", alice, subjAT, at, "requested_token_type", client.TokenTypeIDToken}, "invalid_request", "not issued by token exchange"},
		{"requested refresh token", e.svc, []string{"subject_token", alice, subjAT, at, "requested_token_type", "urn:ietf:params:oauth:token-type:refresh_token"}, "invalid_request", "not issued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.db.Tokens)
			_, err := e.run(tc.c, tc.kv...)
			wantOAuthError(t, err, tc.code, tc.hint)
			if len(e.db.Tokens) != before {
				t.Error("a refused exchange stored a token")
			}
		})
	}
	// A malformed resource never reaches the grant.
	for _, bad := range []string{"/relative", "https://orders.example/#frag", "https://orders.example/#", "orders"} {
		if _, err := e.run(e.svc, "subject_token", alice, subjAT, at, "resource", bad); err == nil || !strings.Contains(err.Error(), "invalid_target") {
			t.Errorf("resource %q: %v, want invalid_target", bad, err)
		}
	}
}

func TestTokenExchangeIDTokenAndJWTSubjects(t *testing.T) {
	e := newExchangeEnv(t)
	e.svc.TokenExchange.Impersonation = true
	resp, err := e.run(e.svc, "subject_token", e.idToken(t, "svc", 5*time.Minute), subjAT, client.TokenTypeIDToken,
		"requested_token_type", client.TokenTypeJWT, "audience", "https://orders.example/")
	if err != nil {
		t.Fatal(err)
	}
	if resp.IssuedTokenType != client.TokenTypeJWT || strings.Count(resp.AccessToken, ".") != 2 || resp.ExpiresIn != 300 || resp.Scope != "" {
		t.Errorf("ID token exchange: %+v", resp)
	}

	// A trusted JWT: scope from the trust relationship, jti spent once.
	assertion := sign(t, e.key, jose.ES256, "k1", e.claims("ex-1"))
	resp, err = e.run(e.svc, "subject_token", assertion, subjAT, client.TokenTypeJWT, "scope", "write")
	if err != nil {
		t.Fatal(err)
	}
	if rec, _ := e.record(t, resp.AccessToken); rec.Subject != "alice" || resp.Scope != "write" {
		t.Errorf("JWT exchange: %+v", resp)
	}
	_, err = e.run(e.svc, "subject_token", assertion, subjAT, client.TokenTypeJWT)
	wantOAuthError(t, err, "invalid_request", "subject_token is not acceptable")

	// A trusted JWT as actor: act names its issuer.
	e.svc.TokenExchange.Impersonation = false
	actor := sign(t, e.key, jose.ES256, "k1", e.claims("ex-2"))
	resp, err = e.run(e.svc, "subject_token", e.alice(t), subjAT, client.TokenTypeAccessToken, "actor_token", actor, actAT, client.TokenTypeJWT)
	if err != nil {
		t.Fatal(err)
	}
	_, ext := e.record(t, resp.AccessToken)
	if act, _ := ext["act"].(map[string]any); act["sub"] != "alice" || act["iss"] != bearerIss {
		t.Errorf("act %v: want the trusted issuer's subject with its iss", ext["act"])
	}
}

// TestTokenExchangeHook: oauth2.token_hook sees the exchange (grant type,
// subject, carried ext; never the subject token) and its claims win.
func TestTokenExchangeHook(t *testing.T) {
	e := newExchangeEnv(t)
	e.svc.TokenExchange.Impersonation = true
	hook := newHookServer(t, http.StatusOK, `{"session":{"access_token":{"tenant":"green","hooked":true}}}`)
	e.cfg.OAuth2.TokenHook.URL = hook.URL
	e.grant.Hooks = newHooks(e.grant.Config)
	subject := e.alice(t)
	resp, err := e.run(e.svc, "subject_token", subject, subjAT, client.TokenTypeAccessToken)
	if err != nil {
		t.Fatal(err)
	}
	_, ext := e.record(t, resp.AccessToken)
	if ext["tenant"] != "green" || ext["hooked"] != true {
		t.Errorf("ext %v: want the hook's claims", ext)
	}
	calls := hook.got()
	if len(calls) != 1 {
		t.Fatalf("%d hook calls", len(calls))
	}
	raw, _ := json.Marshal(calls[0].Body)
	if !strings.Contains(string(raw), GrantTokenExchange) || !strings.Contains(string(raw), `"alice"`) || !strings.Contains(string(raw), `"blue"`) {
		t.Errorf("hook payload %s: want the grant type, subject and carried ext", raw)
	}
	if strings.Contains(string(raw), subject) {
		t.Error("the hook was sent the subject token")
	}

	hook.reply(http.StatusForbidden, "")
	_, err = e.run(e.svc, "subject_token", subject, subjAT, client.TokenTypeAccessToken)
	if err == nil {
		t.Error("a refusing hook did not stop the exchange")
	}
}

// TestSplitAct: introspection lifts an object under "act" out of the
// stored ext, leaves the rest of ext as it was, and touches nothing else.
func TestSplitAct(t *testing.T) {
	rest, act := splitAct([]byte(`{"tenant":"blue","act":{"sub":"svc"}}`))
	if string(rest) != `{"tenant":"blue"}` || string(act) != `{"sub":"svc"}` {
		t.Errorf("splitAct = %s, %s", rest, act)
	}
	if rest, act := splitAct([]byte(`{"act":{"sub":"svc","act":{"sub":"gw"}}}`)); string(rest) != `{}` || string(act) != `{"sub":"svc","act":{"sub":"gw"}}` {
		t.Errorf("nested act: %s, %s", rest, act)
	}
	for _, ext := range []string{`{"tenant":"act"}`, `{"act":"x"}`, `{"act":null}`, `not json "act"`, ``} {
		if rest, act := splitAct([]byte(ext)); string(rest) != ext || act != nil {
			t.Errorf("%s: splitAct = %s, %s; want it unchanged and no act", ext, rest, act)
		}
	}
}

// TestTokenExchangeSubjectJustExpired: a trusted JWT that expired within
// the assertion leeway still verifies, but the new token may not outlive
// it, so nothing is left to issue: invalid_request, not a server error.
func TestTokenExchangeSubjectJustExpired(t *testing.T) {
	e := newExchangeEnv(t)
	e.svc.TokenExchange.Impersonation = true
	claims := e.claims("ex-late")
	claims["exp"] = e.clock.Now().Add(-30 * time.Second).Unix()
	_, err := e.run(e.svc, "subject_token", sign(t, e.key, jose.ES256, "k1", claims), subjAT, client.TokenTypeJWT)
	wantOAuthError(t, err, "invalid_request", "subject_token has expired")
}
