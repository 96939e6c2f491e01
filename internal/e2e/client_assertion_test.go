package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// Client authentication with JWT assertions (RFC 7523 section 2.2, OIDC
// Core section 9): clients registered through the admin API with an inline
// jwks, a jwks_uri, or client_secret_jwt, obtaining tokens with
// client_credentials, and the attacks a token endpoint must refuse.

const assertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionKeys are generated once per test binary: RSA is slow.
type assertionKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	ec        *ecdsa.PrivateKey
}

var assertionKeysOnce = sync.OnceValue(func() assertionKeys {
	r1, _ := rsa.GenerateKey(rand.Reader, 2048)
	r2, _ := rsa.GenerateKey(rand.Reader, 2048)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return assertionKeys{rsa: r1, rsa2: r2, ec: ec}
})

var assertionJTI atomic.Int64

// assertionClaims are valid claims of client id at now.
func assertionClaims(srv *signettest.Server, id string, now time.Time) map[string]any {
	return map[string]any{"iss": id, "sub": id, "aud": srv.PublicURL + "/oauth2/token",
		"jti": fmt.Sprintf("e2e-%d", assertionJTI.Add(1)), "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix()}
}

// createClient registers a client from raw JSON through the admin API.
func createClient(t *testing.T, srv *signettest.Server, body map[string]any) map[string]any {
	t.Helper()
	if _, ok := body["grant_types"]; !ok {
		body["grant_types"] = []string{"client_credentials"}
	}
	b, _ := json.Marshal(body)
	r := send(t, http.MethodPost, srv.AdminURL+"/admin/clients", "application/json", strings.NewReader(string(b)), nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("creating client: %d %s", r.Status, r.Body)
	}
	var out map[string]any
	json.Unmarshal(r.Body, &out)
	return out
}

// tokenWithAssertion runs client_credentials authenticated by raw.
func tokenWithAssertion(t *testing.T, srv *signettest.Server, raw string, extra ...string) response {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {assertionType}, "client_assertion": {raw}}
	for i := 0; i+1 < len(extra); i += 2 {
		form.Set(extra[i], extra[i+1])
	}
	return postForm(t, srv.PublicURL+"/oauth2/token", form, nil)
}

func wantToken(t *testing.T, r response, what string) string {
	t.Helper()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &body) != nil || body.AccessToken == "" {
		t.Fatalf("%s: %d %s", what, r.Status, r.Body)
	}
	return body.AccessToken
}

func wantInvalidClient(t *testing.T, r response, what string) {
	t.Helper()
	e := decodeOAuthError(t, r)
	if r.Status != http.StatusUnauthorized || e.Error != "invalid_client" {
		t.Fatalf("%s: got %d %s (%s), want 401 invalid_client", what, r.Status, e.Error, r.Body)
	}
}

// TestPrivateKeyJWT: inline jwks, every backend (the jti store is one of
// the tables under test).
func TestPrivateKeyJWT(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			privateKeyJWT(t, b.start(t))
		})
	}
}

func privateKeyJWT(t *testing.T, srv *signettest.Server) {
	k := assertionKeysOnce()
	jwks := jwttest.PublicJWKS(jose.JSONWebKey{Key: k.rsa, KeyID: "rsa-1", Use: "sig"})
	createClient(t, srv, map[string]any{"client_id": "pk", "token_endpoint_auth_method": "private_key_jwt",
		"jwks": jwks, "scope": "read"})
	createClient(t, srv, map[string]any{"client_id": "pk-es", "token_endpoint_auth_method": "private_key_jwt",
		"token_endpoint_auth_signing_alg": "ES256",
		"jwks": jwttest.PublicJWKS(jose.JSONWebKey{Key: k.ec, KeyID: "ec-1", Use: "sig"},
			jose.JSONWebKey{Key: k.rsa, KeyID: "rsa-1", Use: "sig"})})
	now := time.Now()

	access := wantToken(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", assertionClaims(srv, "pk", now)), "scope", "read"), "RS256")
	if ins := introspect(t, srv, access); !ins.Active || ins.GetClientId() != "pk" || ins.GetSub() != "pk" {
		t.Fatalf("introspection: %+v", ins)
	}
	wantToken(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.ES256, k.ec, "ec-1", assertionClaims(srv, "pk-es", now))), "ES256 client")

	// The revocation endpoint accepts an assertion for its own URL.
	claims := assertionClaims(srv, "pk", now)
	claims["aud"] = srv.PublicURL + "/oauth2/revoke"
	r := postForm(t, srv.PublicURL+"/oauth2/revoke", url.Values{"token": {access},
		"client_assertion_type": {assertionType}, "client_assertion": {jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", claims)}}, nil)
	if r.Status != http.StatusOK || introspect(t, srv, access).Active {
		t.Fatalf("revocation with an assertion: %d %s", r.Status, r.Body)
	}

	// Replay: the same assertion a second time.
	replayed := jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", assertionClaims(srv, "pk", now))
	wantToken(t, tokenWithAssertion(t, srv, replayed), "first use")
	wantInvalidClient(t, tokenWithAssertion(t, srv, replayed), "replayed jti")
}

// TestPrivateKeyJWTAttacks are the refusals the issue lists.
func TestPrivateKeyJWTAttacks(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	k := assertionKeysOnce()
	createClient(t, srv, map[string]any{"client_id": "pk", "token_endpoint_auth_method": "private_key_jwt",
		"jwks": jwttest.PublicJWKS(jose.JSONWebKey{Key: k.rsa, KeyID: "rsa-1", Use: "sig"})})
	createClient(t, srv, map[string]any{"client_id": "pk-es", "token_endpoint_auth_method": "private_key_jwt",
		"token_endpoint_auth_signing_alg": "ES256",
		"jwks": jwttest.PublicJWKS(jose.JSONWebKey{Key: k.ec, KeyID: "ec-1", Use: "sig"},
			jose.JSONWebKey{Key: k.rsa, KeyID: "rsa-1", Use: "sig"})})
	now := time.Now()
	with := func(id string, f func(map[string]any)) map[string]any {
		c := assertionClaims(srv, id, now)
		f(c)
		return c
	}
	der, _ := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	pubJWK, _ := json.Marshal(jose.JSONWebKey{Key: &k.rsa.PublicKey, KeyID: "rsa-1", Use: "sig"})
	none := func(c map[string]any) string {
		p, _ := json.Marshal(c)
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(p) + "."
	}
	for _, tc := range []struct {
		name, raw string
	}{
		{"expired", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", with("pk", func(c map[string]any) {
			c["iat"], c["exp"] = now.Add(-time.Hour).Unix(), now.Add(-10*time.Minute).Unix()
		}))},
		{"exp hours ahead", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", with("pk", func(c map[string]any) { c["exp"] = now.Add(5 * time.Hour).Unix() }))},
		{"wrong audience", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", with("pk", func(c map[string]any) { c["aud"] = "https://other.example/oauth2/token" }))},
		{"no jti", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", with("pk", func(c map[string]any) { delete(c, "jti") }))},
		{"alg none", none(assertionClaims(srv, "pk", now))},
		{"HS256 with the public key (DER) as secret", jwttest.Sign(t, jose.HS256, der, "rsa-1", assertionClaims(srv, "pk", now))},
		{"HS256 with the public JWK as secret", jwttest.Sign(t, jose.HS256, pubJWK, "rsa-1", assertionClaims(srv, "pk", now))},
		{"unknown kid", jwttest.Sign(t, jose.RS256, k.rsa2, "rsa-2", assertionClaims(srv, "pk", now))},
		{"another key under the registered kid", jwttest.Sign(t, jose.RS256, k.rsa2, "rsa-1", assertionClaims(srv, "pk", now))},
		{"RS256 for a client registered for ES256", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", assertionClaims(srv, "pk-es", now))},
		{"iss is another client", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", with("pk", func(c map[string]any) { c["iss"] = "pk-es" }))},
		{"unknown client", jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", assertionClaims(srv, "ghost", now))},
	} {
		t.Run(tc.name, func(t *testing.T) { wantInvalidClient(t, tokenWithAssertion(t, srv, tc.raw), tc.name) })
	}

	// An unknown client and a wrong signature read the same.
	ghost := decodeOAuthError(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.RS256, k.rsa, "", assertionClaims(srv, "ghost", now))))
	forged := decodeOAuthError(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.RS256, k.rsa2, "", assertionClaims(srv, "pk", now))))
	if ghost != forged {
		t.Errorf("unknown client and forged signature differ: %+v vs %+v", ghost, forged)
	}
	// Two methods at once is malformed.
	r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {assertionType}, "client_assertion": {jwttest.Sign(t, jose.RS256, k.rsa, "rsa-1", assertionClaims(srv, "pk", now))}},
		&[2]string{"pk", "secret"})
	if e := decodeOAuthError(t, r); r.Status != http.StatusBadRequest || e.Error != "invalid_request" {
		t.Errorf("assertion with Basic: %d %s", r.Status, r.Body)
	}
}

// TestPrivateKeyJWTWithJWKSURI: keys fetched from the client's jwks_uri,
// cached, refetched once when the client rotates its key, and not
// refetched for every unknown kid a stranger invents.
func TestPrivateKeyJWTWithJWKSURI(t *testing.T) {
	t.Parallel()
	k := assertionKeysOnce()
	var (
		mu   sync.Mutex
		set  = jwttest.PublicJWKS(jose.JSONWebKey{Key: k.rsa, KeyID: "k1", Use: "sig"})
		hits atomic.Int32
	)
	rp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(set)
	}))
	t.Cleanup(rp.Close)
	clk := newClock()
	srv := signettest.Start(t, signettest.WithAppOptions(app.WithClock(clk.Now)))
	createClient(t, srv, map[string]any{"client_id": "pk-uri", "token_endpoint_auth_method": "private_key_jwt",
		"jwks_uri": rp.URL + "/jwks.json"})

	assert := func(key *rsa.PrivateKey, kid string) response {
		return tokenWithAssertion(t, srv, jwttest.Sign(t, jose.RS256, key, kid, assertionClaims(srv, "pk-uri", clk.Now())))
	}
	wantToken(t, assert(k.rsa, "k1"), "first token")
	wantToken(t, assert(k.rsa, "k1"), "second token")
	if hits.Load() != 1 {
		t.Fatalf("jwks_uri fetched %d times for two tokens, want 1 (cached)", hits.Load())
	}

	// The client rotates: k2 replaces k1 at its jwks_uri.
	mu.Lock()
	set = jwttest.PublicJWKS(jose.JSONWebKey{Key: k.rsa2, KeyID: "k2", Use: "sig"})
	mu.Unlock()
	clk.Advance(time.Minute)
	wantToken(t, assert(k.rsa2, "k2"), "token with the rotated key")
	if hits.Load() != 2 {
		t.Fatalf("jwks_uri fetched %d times, want one refetch for the new kid", hits.Load())
	}
	// Random kids do not cause more fetches, and the retired key is refused.
	for i := range 5 {
		wantInvalidClient(t, assert(k.rsa, fmt.Sprintf("random-%d", i)), "random kid")
	}
	wantInvalidClient(t, assert(k.rsa, "k1"), "retired key")
	if hits.Load() != 2 {
		t.Fatalf("unknown kids caused %d more fetches", hits.Load()-2)
	}
}

// TestClientSecretJWT: HMAC assertions keyed with the client secret, which
// the admin API seals for this method; a rotated secret keeps working.
func TestClientSecretJWT(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	out := createClient(t, srv, map[string]any{"client_id": "hs", "token_endpoint_auth_method": "client_secret_jwt"})
	secret, _ := out["client_secret"].(string)
	if len(secret) < 32 {
		t.Fatalf("client_secret_jwt client got a %d-byte secret", len(secret))
	}
	now := time.Now()
	wantToken(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.HS256, []byte(secret), "", assertionClaims(srv, "hs", now))), "HS256")
	wantInvalidClient(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.HS256, []byte(strings.Repeat("x", 64)), "", assertionClaims(srv, "hs", now))), "wrong secret")
	k := assertionKeysOnce()
	wantInvalidClient(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.RS256, k.rsa, "", assertionClaims(srv, "hs", now))), "RS256 for client_secret_jwt")

	r := send(t, http.MethodPost, srv.AdminURL+"/admin/clients/hs/secrets/rotate", "", nil, nil)
	var rotated map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &rotated) != nil {
		t.Fatalf("rotating the secret: %d %s", r.Status, r.Body)
	}
	next, _ := rotated["client_secret"].(string)
	for name, s := range map[string]string{"new secret": next, "rotated secret": secret} {
		wantToken(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.HS256, []byte(s), "", assertionClaims(srv, "hs", now))), name)
	}
}
