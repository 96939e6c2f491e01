package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// TestIntrospectionExpiry: a token is active until it expires; the
// clock is moved, never slept.
func TestIntrospectionExpiry(t *testing.T) {
	t.Parallel()
	clk := newClock()
	srv := signettest.Start(t, signettest.WithAppOptions(app.WithClock(clk.Now)))
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
		c.SetClientCredentialsGrantAccessTokenLifespan("10m")
	})
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read"))

	ins := introspect(t, srv, tok.AccessToken)
	if !ins.Active {
		t.Fatalf("a fresh token is inactive: %+v", ins)
	}
	if ins.GetExp() != clk.Now().Add(10*time.Minute).Unix() || ins.GetIat() != clk.Now().Unix() {
		t.Errorf("exp %d, iat %d; want now+10m and now from the server's clock", ins.GetExp(), ins.GetIat())
	}

	clk.Advance(10*time.Minute - time.Second)
	if !introspect(t, srv, tok.AccessToken).Active {
		t.Error("inactive one second before expiry")
	}
	clk.Advance(time.Second)
	got := introspect(t, srv, tok.AccessToken)
	if got.Active || got.GetClientId() != "" || got.GetSub() != "" {
		t.Errorf("an expired token must be exactly {active:false} (RFC 7662 2.2); got %+v", got)
	}
}

// TestIntrospectionScope: the optional scope parameter narrows "active".
func TestIntrospectionScope(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, nil)
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read"))
	ctx := context.Background()
	for scope, want := range map[string]bool{"read": true, "write": false, "read write": false} {
		got, _, err := srv.Admin.OAuth2API.IntrospectOAuth2Token(ctx).Token(tok.AccessToken).Scope(scope).Execute()
		if err != nil {
			t.Fatalf("introspect scope %q: %v", scope, sdkErr(err))
		}
		if got.Active != want {
			t.Errorf("token with scope read, introspected for %q: active %v, want %v", scope, got.Active, want)
		}
	}
}

// TestIntrospectionForged: anything the server did not mint is inactive,
// decided without a database read.
func TestIntrospectionForged(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, nil)
	real := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader)).AccessToken
	jwtID, jwtSecret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAccessTokenStrategy("jwt") })
	realJWT := mustToken(t, ccConfig(srv, jwtID, jwtSecret, oauth2.AuthStyleInHeader)).AccessToken
	parts := strings.Split(realJWT, ".")
	payload := decodeSegment(t, parts[1])
	kid := jwsHeader(t, realJWT).KeyID
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	// The classic confusion attack: HMAC keyed with the RSA public key,
	// which anyone can fetch.
	published := adminPublicKeyPEM(t, srv, kid)

	for name, raw := range map[string]string{
		"last character changed":              flipLast(real),
		"signature part swapped":              swapSignature(real),
		"random string":                       "ory_at_notatoken.notasignature",
		"prefix only":                         "ory_at_",
		"very long":                           strings.Repeat("A", 8000),
		"JWT with a changed payload":          parts[0] + "." + strings.TrimRight(parts[1], "A") + "B." + parts[2],
		"JWT alg none":                        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".",
		"JWT signature cut":                   parts[0] + "." + parts[1] + ".",
		"three dots":                          "a.b.c",
		"JWT by another key, our kid":         jwttest.SignPayload(t, jose.RS256, attacker, kid, payload),
		"JWT HS256 keyed with our public key": jwttest.SignPayload(t, jose.HS256, published, kid, payload),
		"sql in token":                        "' OR '1'='1",
	} {
		t.Run(name, func(t *testing.T) {
			assertQueries(t, srv, "introspecting a forged token", 0, func() {
				if got := introspect(t, srv, raw); got.Active {
					t.Errorf("forged token %q is active", raw)
				}
			})
		})
	}
	if !introspect(t, srv, real).Active || !introspect(t, srv, realJWT).Active {
		t.Error("the genuine tokens must still be active")
	}
}

// TestRevocation: RFC 7009 through the SDK's public RevokeOAuth2Token, and
// the admin DeleteOAuth2Token that revokes every token of a client.
func TestRevocation(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			revocation(t, b.start(t))
		})
	}
}

func revocation(t *testing.T, srv *signettest.Server) {
	ctx := context.Background()
	id, secret := newMachineClient(t, srv, nil)
	otherID, otherSecret := newMachineClient(t, srv, nil)
	cfg := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader)
	a, b := mustToken(t, cfg).AccessToken, mustToken(t, cfg).AccessToken
	otherTok := mustToken(t, ccConfig(srv, otherID, otherSecret, oauth2.AuthStyleInHeader)).AccessToken

	revoke := func(clientID, clientSecret, token string) (*http.Response, error) {
		c := context.WithValue(ctx, hydra.ContextBasicAuth, hydra.BasicAuth{UserName: clientID, Password: clientSecret})
		return srv.Public.OAuth2API.RevokeOAuth2Token(c).Token(token).Execute()
	}

	// Another client may not revoke it, and the refusal leaves it active.
	res, err := revoke(otherID, otherSecret, a)
	var oe *hydra.GenericOpenAPIError
	if !errors.As(err, &oe) || res.StatusCode != http.StatusBadRequest {
		t.Errorf("revoking another client's token: %v, want 400 (RFC 7009 2.1: the request is refused)", err)
	} else if m, ok := oe.Model().(hydra.ErrorOAuth2); !ok || m.GetError() != "unauthorized_client" {
		t.Errorf("revoking another client's token: model %#v, want unauthorized_client", oe.Model())
	}
	if !introspect(t, srv, a).Active {
		t.Fatal("a refused revocation revoked the token")
	}
	// Wrong credentials: 401 and nothing revoked.
	if res, err := revoke(id, "wrong", a); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoking with a wrong secret: status %d, want 401", res.StatusCode)
	}

	if _, err := revoke(id, secret, a); err != nil {
		t.Fatalf("revoke: %v", sdkErr(err))
	}
	if introspect(t, srv, a).Active {
		t.Error("a revoked token is still active")
	}
	if !introspect(t, srv, b).Active {
		t.Error("revoking one token revoked a sibling")
	}
	// Section 2.2: revoking again, or revoking garbage, is not an error.
	for _, tok := range []string{a, "ory_at_garbage.garbage", "whatever"} {
		if _, err := revoke(id, secret, tok); err != nil {
			t.Errorf("revoking %q: %v, want 200", tok, sdkErr(err))
		}
	}

	if res, err := srv.Admin.OAuth2API.DeleteOAuth2Token(ctx).ClientId(id).Execute(); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("DeleteOAuth2Token: %v", sdkErr(err))
	}
	if introspect(t, srv, b).Active {
		t.Error("DeleteOAuth2Token left a token of the client active")
	}
	if !introspect(t, srv, otherTok).Active {
		t.Error("DeleteOAuth2Token revoked another client's token")
	}
	// New tokens after the mass revocation work.
	if !introspect(t, srv, mustToken(t, cfg).AccessToken).Active {
		t.Error("a token issued after DeleteOAuth2Token is inactive")
	}
	r := send(t, http.MethodDelete, srv.AdminURL+"/admin/oauth2/tokens", "", nil, nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("DELETE /admin/oauth2/tokens without client_id: %d, want 400", r.Status)
	}
}

// TestRoundTripBudgets counts database statements per request: the
// numbers the design promises and the load generator reports.
func TestRoundTripBudgets(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			roundTripBudgets(t, b.start(t))
		})
	}
}

func roundTripBudgets(t *testing.T, srv *signettest.Server) {
	id, secret := newMachineClient(t, srv, nil)
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}
	tokenURL := srv.PublicURL + "/oauth2/token"
	issue := func() {
		r := postForm(t, tokenURL, form, &[2]string{id, secret})
		if r.Status != http.StatusOK {
			t.Fatalf("token: %d %s", r.Status, r.Body)
		}
	}
	issue() // warms the secret cache
	assertQueries(t, srv, "client_credentials token, secret cache warm (client read + token write)", 2, issue)

	raw := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader)).AccessToken
	assertQueries(t, srv, "introspecting a valid opaque token", 1, func() {
		if !introspect(t, srv, raw).Active {
			t.Error("inactive")
		}
	})
	assertQueries(t, srv, "introspecting a forged token", 0, func() { introspect(t, srv, flipLast(raw)) })
	assertQueries(t, srv, "GET /.well-known/jwks.json", 0, func() {
		if r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/jwks.json", "", nil, nil); r.Status != 200 {
			t.Errorf("jwks: %d", r.Status)
		}
	})
	assertQueries(t, srv, "GET /.well-known/openid-configuration", 0, func() {
		if r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/openid-configuration", "", nil, nil); r.Status != 200 {
			t.Errorf("discovery: %d", r.Status)
		}
	})
	assertQueries(t, srv, "a token request for an unknown client (one client read)", 1, func() {
		postForm(t, tokenURL, form, &[2]string{"ghost", "x"})
	})
	assertQueries(t, srv, "a token request with an unsupported grant (no reads)", 0, func() {
		postForm(t, tokenURL, url.Values{"grant_type": {"password"}}, &[2]string{id, secret})
	})
}

// decodeSegment decodes one base64url part of a compact JWS.
func decodeSegment(t *testing.T, seg string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment %q: %v", seg, err)
	}
	return b
}

// adminPublicKeyPEM is the PEM of the access-token key kid's public half,
// as an attacker could derive it from a published JWKS.
func adminPublicKeyPEM(t *testing.T, srv *signettest.Server, kid string) []byte {
	t.Helper()
	r := send(t, http.MethodGet, srv.AdminURL+"/admin/keys/"+setAccessToken+"/"+kid, "", nil, nil)
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(r.Body, &set); err != nil || len(set.Keys) != 1 {
		t.Fatalf("key %s: %v %s", kid, err, r.Body)
	}
	der, err := x509.MarshalPKIXPublicKey(set.Keys[0].Public().Key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// flipLast changes the last character of a token, keeping its alphabet.
func flipLast(s string) string {
	last := s[len(s)-1]
	repl := byte('A')
	if last == 'A' {
		repl = 'B'
	}
	return s[:len(s)-1] + string(repl)
}

// swapSignature keeps the token's prefix and first part but gives it the
// signature part of nothing in particular.
func swapSignature(s string) string {
	i := strings.LastIndexByte(s, '.')
	if i < 0 {
		return s + ".AAAA"
	}
	return s[:i+1] + strings.Repeat("A", len(s)-i-1)
}
