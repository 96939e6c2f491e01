package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
)

// RFC 8693 end to end. A front service ("web") gets a token meant for the
// back service ("svc"); svc, whose token_exchange policy is set through
// hydra-client-go, exchanges it with x/oauth2 for a token to call the
// orders API, acting for web's subject. Then every attack of the issue's
// list is refused with the RFC's error code.

const (
	exchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"
	typeAccess    = "urn:ietf:params:oauth:token-type:access_token"
	typeJWT       = "urn:ietf:params:oauth:token-type:jwt"
)

// exchangeWorld is a server with web, svc and their tokens.
type exchangeWorld struct {
	srv                *signettest.Server
	clk                *clock
	webID, webSecret   string
	svcID, svcSecret   string
	webToken, svcActor string
	tokenURL           string
	idp                *bearerIdP
}

func newExchangeWorld(t *testing.T) *exchangeWorld {
	t.Helper()
	clk := newClock()
	w := &exchangeWorld{clk: clk, srv: signettest.Start(t, signettest.WithAppOptions(app.WithClock(clk.Now)))}
	w.tokenURL = w.srv.PublicURL + "/oauth2/token"
	w.svcID, w.svcSecret = newMachineClient(t, w.srv, func(c *hydra.OAuth2Client) {
		c.SetGrantTypes([]string{"client_credentials", exchangeGrant})
		c.SetAudience([]string{})
		c.AdditionalProperties = map[string]any{"token_exchange": map[string]any{
			"subject_token_types": []string{typeAccess, typeJWT},
			"audiences":           []string{"https://orders.example/"},
		}}
	})
	w.webID, w.webSecret = newMachineClient(t, w.srv, func(c *hydra.OAuth2Client) { c.SetAudience([]string{w.svcID}) })
	web := ccConfig(w.srv, w.webID, w.webSecret, oauth2.AuthStyleInHeader, "read", "write")
	web.EndpointParams = url.Values{"audience": {w.svcID}}
	w.webToken = mustToken(t, web).AccessToken
	w.svcActor = mustToken(t, ccConfig(w.srv, w.svcID, w.svcSecret, oauth2.AuthStyleInHeader)).AccessToken
	return w
}

// exchanger is svc's x/oauth2 view of the exchange: the client credentials
// flow with grant_type overridden, as x/oauth2 permits.
func (w *exchangeWorld) exchanger(params url.Values, scopes ...string) *clientcredentials.Config {
	p := url.Values{"grant_type": {exchangeGrant}}
	for k, v := range params {
		p[k] = v
	}
	cfg := ccConfig(w.srv, w.svcID, w.svcSecret, oauth2.AuthStyleInHeader, scopes...)
	cfg.EndpointParams = p
	return cfg
}

func (w *exchangeWorld) delegation(subject string) url.Values {
	return url.Values{"subject_token": {subject}, "subject_token_type": {typeAccess},
		"actor_token": {w.svcActor}, "actor_token_type": {typeAccess}}
}

// introspectRaw is the admin introspection answer as a map.
func introspectRaw(t *testing.T, srv *signettest.Server, raw string) map[string]any {
	t.Helper()
	r := postForm(t, srv.AdminURL+"/admin/oauth2/introspect", url.Values{"token": {raw}}, nil)
	var got map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &got) != nil {
		t.Fatalf("introspection: %d %s", r.Status, r.Body)
	}
	return got
}

func TestTokenExchange(t *testing.T) {
	t.Parallel()
	w := newExchangeWorld(t)
	ctx := context.Background()

	// The SDK keeps the Signet-only policy through a read and a full update.
	api := w.srv.Admin.OAuth2API
	got, _, err := api.GetOAuth2Client(ctx, w.svcID).Execute()
	if err != nil || got.AdditionalProperties["token_exchange"] == nil {
		t.Fatalf("GetOAuth2Client: %v, additional properties %v", sdkErr(err), got.AdditionalProperties)
	}
	got.ClientSecret = nil
	if _, _, err := api.SetOAuth2Client(ctx, w.svcID).OAuth2Client(*got).Execute(); err != nil {
		t.Fatalf("SetOAuth2Client: %v", sdkErr(err))
	}

	params := w.delegation(w.webToken)
	params.Set("resource", "https://orders.example/v1")
	tok, err := w.exchanger(params, "read").Token(ctx)
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	if tok.Extra("issued_token_type") != typeAccess || tok.TokenType != "bearer" || tok.Extra("scope") != "read" {
		t.Errorf("response: type %q issued %v scope %v", tok.TokenType, tok.Extra("issued_token_type"), tok.Extra("scope"))
	}
	intro := introspectRaw(t, w.srv, tok.AccessToken)
	act, _ := intro["act"].(map[string]any)
	if intro["active"] != true || intro["sub"] != w.webID || intro["client_id"] != w.svcID || act["sub"] != w.svcID {
		t.Errorf("introspection %v: want sub web, client svc, act {sub: svc}", intro)
	}
	if intro["ext"] != nil {
		t.Errorf("ext %v: act belongs at the top level only, and web's token had no ext", intro["ext"])
	}
	if aud, _ := intro["aud"].([]any); len(aud) != 1 || aud[0] != "https://orders.example/v1" {
		t.Errorf("aud %v", intro["aud"])
	}

	// The exchanged token can itself be exchanged (its audience is not
	// svc, so only svc, its holder, can): the act chain nests.
	again, err := w.exchanger(w.delegation(tok.AccessToken)).Token(ctx)
	if err != nil {
		t.Fatalf("second exchange: %v", err)
	}
	act, _ = introspectRaw(t, w.srv, again.AccessToken)["act"].(map[string]any)
	if nested, _ := act["act"].(map[string]any); nested["sub"] != w.svcID {
		t.Errorf("act %v: want the first actor nested", act)
	}
}

// TestTokenExchangeDPoP: DPoP-bound subject and actor tokens are exchanged
// without a proof of their keys (svc, the resource server web's token is
// meant for, never holds web's key; docs/token-exchange.md says why), and
// the binding does not carry over: the new token is bound only to a key
// the exchange request itself proves, svc's own.
func TestTokenExchangeDPoP(t *testing.T) {
	t.Parallel()
	w := newExchangeWorld(t)
	webKey, svcKey := newDPoPKey(t, w.clk), newDPoPKey(t, w.clk)
	web := ccConfig(w.srv, w.webID, w.webSecret, oauth2.AuthStyleInHeader, "read", "write")
	web.EndpointParams = url.Values{"audience": {w.svcID}}
	subject, err := web.Token(dpopContext(t, webKey))
	if err != nil || subject.TokenType != "DPoP" {
		t.Fatalf("web's DPoP-bound token: %v %+v", err, subject)
	}
	actor, err := ccConfig(w.srv, w.svcID, w.svcSecret, oauth2.AuthStyleInHeader).Token(dpopContext(t, svcKey))
	if err != nil || actor.TokenType != "DPoP" {
		t.Fatalf("svc's DPoP-bound actor token: %v %+v", err, actor)
	}
	cnf := func(raw string) any {
		t.Helper()
		m, _ := introspectRaw(t, w.srv, raw)["cnf"].(map[string]any)
		return m["jkt"]
	}
	if cnf(subject.AccessToken) != webKey.jkt || cnf(actor.AccessToken) != svcKey.jkt {
		t.Fatal("the subject and actor tokens must be bound to web's and svc's keys")
	}
	params := url.Values{"subject_token": {subject.AccessToken}, "subject_token_type": {typeAccess},
		"actor_token": {actor.AccessToken}, "actor_token_type": {typeAccess}}

	plain, err := w.exchanger(params, "read").Token(context.Background())
	if err != nil {
		t.Fatalf("exchange of bound tokens without a proof: %v", err)
	}
	intro := introspectRaw(t, w.srv, plain.AccessToken)
	if plain.TokenType != "bearer" || intro["sub"] != w.webID || intro["cnf"] != nil || intro["token_type"] != "Bearer" {
		t.Errorf("exchange without a proof: token_type %q, introspection %v; want an unbound token for web's subject", plain.TokenType, intro)
	}

	bound, err := w.exchanger(params, "read").Token(dpopContext(t, svcKey))
	if err != nil || bound.TokenType != "DPoP" {
		t.Fatalf("exchange with svc's proof: %v %+v", err, bound)
	}
	if got := cnf(bound.AccessToken); got != svcKey.jkt {
		t.Errorf("exchanged token bound to %v, want svc's key %s (never web's %s)", got, svcKey.jkt, webKey.jkt)
	}
}

// TestTokenExchangeAttacks: widening, dead and foreign tokens,
// impersonation, bad actors, untrusted and unsigned JWTs, public clients.
func TestTokenExchangeAttacks(t *testing.T) {
	t.Parallel()
	w := newExchangeWorld(t)
	ctx := context.Background()
	refused := func(name string, params url.Values, want string, scopes ...string) {
		t.Helper()
		if _, err := w.exchanger(params, scopes...).Token(ctx); grantError(err) != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	refused("scope wider than the subject token", w.delegation(w.webToken), "invalid_scope", "read", "admin")
	onlyRead := ccConfig(w.srv, w.webID, w.webSecret, oauth2.AuthStyleInHeader, "read")
	onlyRead.EndpointParams = url.Values{"audience": {w.svcID}}
	refused("scope the subject token lacks", w.delegation(mustToken(t, onlyRead).AccessToken), "invalid_scope", "write")

	wide := w.delegation(w.webToken)
	wide.Set("audience", "https://payments.example/")
	refused("audience outside the policy", wide, "invalid_target")
	wide = w.delegation(w.webToken)
	wide.Set("resource", "https://orders.example.evil/")
	refused("resource outside the policy", wide, "invalid_target")
	wide.Set("resource", "https://orders.example/#frag")
	refused("malformed resource", wide, "invalid_target")

	// A token of a third client, not meant for svc.
	thirdID, thirdSecret := newMachineClient(t, w.srv, nil)
	third := mustToken(t, ccConfig(w.srv, thirdID, thirdSecret, oauth2.AuthStyleInHeader, "read")).AccessToken
	refused("another client's token", w.delegation(third), "invalid_request")

	noActor := url.Values{"subject_token": {w.webToken}, "subject_token_type": {typeAccess}}
	refused("impersonation by a client not allowed to", noActor, "invalid_request")
	badActor := w.delegation(w.webToken)
	badActor.Set("actor_token", "ory_at_not.real")
	refused("invalid actor token", badActor, "invalid_request")

	// Revoked by its client (RFC 7009), then expired.
	revoked := mustToken(t, onlyRead).AccessToken
	if r := postForm(t, w.srv.PublicURL+"/oauth2/revoke", url.Values{"token": {revoked}}, &[2]string{w.webID, w.webSecret}); r.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", r.Status, r.Body)
	}
	refused("revoked subject token", w.delegation(revoked), "invalid_request")

	// Trusted JWTs: an issuer nobody trusts, and alg none.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	trustIssuer(t, w.srv, &key.PublicKey, "alice", []string{"read"}, w.clk.Now().Add(time.Hour))
	idp := &bearerIdP{t: t, key: key, clk: w.clk, tokenURL: w.tokenURL}
	jwtParams := func(raw string) url.Values {
		p := w.delegation("")
		p.Set("subject_token", raw)
		p.Set("subject_token_type", typeJWT)
		return p
	}
	ok, err := w.exchanger(jwtParams(idp.assertion("alice", nil)), "read").Token(ctx)
	if err != nil || introspectRaw(t, w.srv, ok.AccessToken)["sub"] != "alice" {
		t.Fatalf("trusted JWT subject: %v", err)
	}
	refused("untrusted JWT issuer", jwtParams(idp.assertion("alice", func(c map[string]any) { c["iss"] = "https://evil.example" })), "invalid_request")
	refused("alg none subject JWT", jwtParams(unsignedJWT(`{"alg":"none","kid":"idp-1"}`, mustJSON(idp.claims("alice")))), "invalid_request")

	w.clk.Advance(2 * time.Hour)
	refused("expired subject token", w.delegation(w.webToken), "invalid_request")

	// A public client cannot exchange at all (the grant requires
	// authentication), even with the grant type registered.
	pub := hydra.NewOAuth2Client()
	pub.SetGrantTypes([]string{exchangeGrant})
	pub.SetTokenEndpointAuthMethod("none")
	created, _, err := w.srv.Admin.OAuth2API.CreateOAuth2Client(ctx).OAuth2Client(*pub).Execute()
	if err != nil {
		t.Fatalf("public client: %v", sdkErr(err))
	}
	form := w.delegation(w.webToken)
	form.Set("grant_type", exchangeGrant)
	form.Set("client_id", created.GetClientId())
	r := postForm(t, w.tokenURL, form, nil)
	if e := decodeOAuthError(t, r); e.Error != "unauthorized_client" {
		t.Errorf("public client: %d %s, want unauthorized_client", r.Status, r.Body)
	}
}

// TestTokenExchangeBadInput: malformed exchange requests and policies get
// a precise 4xx, never a 500.
func TestTokenExchangeBadInput(t *testing.T) {
	t.Parallel()
	w := newExchangeWorld(t)
	creds := &[2]string{w.svcID, w.svcSecret}
	base := "grant_type=" + url.QueryEscape(exchangeGrant) + "&subject_token_type=" + url.QueryEscape(typeAccess)
	sub := "&subject_token=" + url.QueryEscape(w.webToken)
	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"repeated subject_token", base + sub + sub, 400, "invalid_request"},
		{"repeated subject_token_type", base + "&subject_token_type=x" + sub, 400, "invalid_request"},
		{"repeated audience", base + sub + "&audience=a&audience=b", 400, "invalid_request"},
		{"too many resources", base + sub + strings.Repeat("&resource=https%3A%2F%2Forders.example%2F", 21), 400, "invalid_request"},
		{"resource invalid UTF-8", base + sub + "&resource=https%3A%2F%2Fa%FF", 400, "invalid_request"},
		{"resource NUL", base + sub + "&resource=https%3A%2F%2Forders.example%2F%00", 400, "invalid_target"},
		{"resource very long", base + sub + "&resource=https%3A%2F%2Fa.example%2F" + strings.Repeat("a", 3000), 400, "invalid_target"},
		{"subject token very long", base + "&subject_token=" + strings.Repeat("a", 9000), 400, "invalid_request"},
		{"subject token NUL", base + "&subject_token=ory_at_%00", 400, "invalid_request"},
		{"subject token JWT-shaped garbage", base + "&subject_token=a.b.c", 400, "invalid_request"},
		{"subject JWT garbage", "grant_type=" + url.QueryEscape(exchangeGrant) + "&subject_token_type=" + url.QueryEscape(typeJWT) + "&subject_token=%21.%21.%21", 400, "invalid_request"},
		{"subject JWT payload not JSON", "grant_type=" + url.QueryEscape(exchangeGrant) + "&subject_token_type=" + url.QueryEscape(typeJWT) + "&subject_token=" + unsignedJWT(`{"alg":"RS256"}`, "nope"), 400, "invalid_request"},
		{"token type SQL", base[:strings.Index(base, "&")] + "&subject_token_type=" + url.QueryEscape(`' OR 1=1 --`) + sub, 400, "invalid_request"},
		{"requested type unknown", base + sub + "&requested_token_type=urn%3Ax", 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"Authorization": {basicHeader(creds[0], creds[1]).Get("Authorization")}}
			r := send(t, http.MethodPost, w.tokenURL, "application/x-www-form-urlencoded", strings.NewReader(tc.body), h)
			if r.Status != tc.status || decodeOAuthError(t, r).Error != tc.code {
				t.Errorf("status %d body %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
		})
	}

	// Policies the admin API refuses.
	for name, policy := range map[string]string{
		"not an object":   `"yes"`,
		"unknown type":    `{"subject_token_types":["urn:ietf:params:oauth:token-type:saml2"]}`,
		"audience a list": `{"audiences":"https://a.example"}`,
		"audience space":  `{"audiences":["a b"]}`,
	} {
		body := `{"grant_types":["` + exchangeGrant + `"],"token_exchange":` + policy + `}`
		r := send(t, http.MethodPost, w.srv.AdminURL+"/admin/clients", "application/json", strings.NewReader(body), nil)
		if r.Status != http.StatusBadRequest {
			t.Errorf("policy %s: %d %s, want 400", name, r.Status, r.Body)
		}
	}
}
