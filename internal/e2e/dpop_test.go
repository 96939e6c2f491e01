package e2e

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
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
)

// DPoP, RFC 9449, end to end: tokens bound at the token endpoint, the
// binding visible in JWTs and introspection, enforced at userinfo and on
// refresh, and the attacks of issue 8 refused.

// dpopKey is a client's DPoP key; proofs take their iat from now.
type dpopKey struct {
	signer jose.Signer
	jkt    string
	now    func() int64
}

func newDPoPKey(t *testing.T, clk *clock) *dpopKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := jose.JSONWebKey{Key: k.Public()}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k},
		(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", pub))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	return &dpopKey{signer: s, jkt: base64.RawURLEncoding.EncodeToString(tp), now: func() int64 { return clk.Now().Unix() }}
}

// proof is a fresh proof for method and target; token, when set, is hashed
// into ath.
func (k *dpopKey) proof(t *testing.T, method, target, token string) string {
	t.Helper()
	claims := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(randomBytes(t)), "htm": method, "htu": target, "iat": k.now()}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		claims["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	payload, _ := json.Marshal(claims)
	jws, err := k.signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func randomBytes(t *testing.T) []byte {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// dpopTransport adds a proof for each request, as a DPoP-aware client
// library would, so x/oauth2 can drive the token endpoint unchanged.
type dpopTransport struct {
	t   *testing.T
	key *dpopKey
}

func (d dpopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	u := *r.URL
	u.RawQuery, u.Fragment = "", ""
	r.Header.Set("DPoP", d.key.proof(d.t, r.Method, u.String(), ""))
	return http.DefaultTransport.RoundTrip(r)
}

func dpopContext(t *testing.T, key *dpopKey) context.Context {
	return context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: dpopTransport{t, key}})
}

func startDPoP(t *testing.T, opts ...signettest.Option) (*signettest.Server, *clock) {
	t.Helper()
	clk := newClock()
	return signettest.Start(t, append([]signettest.Option{signettest.WithAppOptions(app.WithClock(clk.Now))}, opts...)...), clk
}

// tokenWithProof posts a client_credentials request with the given DPoP
// headers.
func tokenWithProof(t *testing.T, srv *signettest.Server, id, secret string, proofs ...string) response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "/", nil)
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	h := http.Header{"Authorization": {req.Header.Get("Authorization")}}
	for _, p := range proofs {
		h.Add("DPoP", p)
	}
	return send(t, http.MethodPost, srv.PublicURL+"/oauth2/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=client_credentials&scope=read"), h)
}

func tokenBody(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &m) != nil {
		t.Fatalf("token response %d %s", r.Status, r.Body)
	}
	return m
}

func wantOAuthError(t *testing.T, what string, r response, status int, code string) {
	t.Helper()
	if r.Status != status || decodeOAuthError(t, r).Error != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.Status, r.Body, status, code)
	}
}

// TestDPoPClientCredentials: a proof binds the token (token_type DPoP,
// cnf.jkt in the JWT and in introspection on both ports) for exactly one
// extra statement; replays and proofs for another URL or method are
// refused; a bound token is revoked like any other.
func TestDPoPClientCredentials(t *testing.T) {
	t.Parallel()
	srv, clk := startDPoP(t)
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAccessTokenStrategy("jwt") })
	key := newDPoPKey(t, clk)
	tokenURL := srv.PublicURL + "/oauth2/token"

	var bound map[string]any
	assertQueries(t, srv, "DPoP client_credentials (client read, jti, token)", 3, func() {
		bound = tokenBody(t, tokenWithProof(t, srv, id, secret, key.proof(t, "POST", tokenURL, "")))
	})
	if bound["token_type"] != "DPoP" {
		t.Errorf("token_type %v, want DPoP", bound["token_type"])
	}
	at := bound["access_token"].(string)
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(at, ".")[1])
	var claims struct {
		Cnf struct {
			JKT string `json:"jkt"`
		} `json:"cnf"`
	}
	if json.Unmarshal(payload, &claims) != nil || claims.Cnf.JKT != key.jkt {
		t.Errorf("JWT access token %s: cnf.jkt %q, want %q", payload, claims.Cnf.JKT, key.jkt)
	}

	got := introspect(t, srv, at)
	if !got.Active || got.GetTokenType() != "DPoP" {
		t.Errorf("admin introspection: active %v, token_type %q", got.Active, got.GetTokenType())
	}
	pub := postForm(t, srv.PublicURL+"/oauth2/introspect", url.Values{"token": {at}}, &[2]string{id, secret})
	var intro struct {
		Active    bool              `json:"active"`
		TokenType string            `json:"token_type"`
		Cnf       map[string]string `json:"cnf"`
	}
	if json.Unmarshal(pub.Body, &intro) != nil || !intro.Active || intro.TokenType != "DPoP" || intro.Cnf["jkt"] != key.jkt {
		t.Errorf("public introspection: %s", pub.Body)
	}

	// Without a proof: a bearer token, one statement fewer.
	var plain *oauth2.Token
	assertQueries(t, srv, "plain client_credentials (client read, token)", 2, func() {
		plain = mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read"))
	})
	if plain.TokenType != "bearer" {
		t.Errorf("no proof: token_type %q", plain.TokenType)
	}

	replayed := key.proof(t, "POST", tokenURL, "")
	tokenBody(t, tokenWithProof(t, srv, id, secret, replayed))
	wantOAuthError(t, "replayed proof", tokenWithProof(t, srv, id, secret, replayed), 400, "invalid_dpop_proof")
	wantOAuthError(t, "proof for userinfo", tokenWithProof(t, srv, id, secret, key.proof(t, "POST", srv.PublicURL+"/userinfo", "")), 400, "invalid_dpop_proof")
	wantOAuthError(t, "proof for GET", tokenWithProof(t, srv, id, secret, key.proof(t, "GET", tokenURL, "")), 400, "invalid_dpop_proof")
	wantOAuthError(t, "proof for another host", tokenWithProof(t, srv, id, secret, key.proof(t, "POST", "https://evil.example/oauth2/token", "")), 400, "invalid_dpop_proof")
	wantOAuthError(t, "two proofs", tokenWithProof(t, srv, id, secret, key.proof(t, "POST", tokenURL, ""), key.proof(t, "POST", tokenURL, "")), 400, "invalid_dpop_proof")
	clk.Advance(2 * time.Minute)
	stale := key.proof(t, "POST", tokenURL, "")
	clk.Advance(2 * time.Minute)
	wantOAuthError(t, "stale proof", tokenWithProof(t, srv, id, secret, stale), 400, "invalid_dpop_proof")

	// Revocation works unchanged for a bound token.
	rv := postForm(t, srv.PublicURL+"/oauth2/revoke", url.Values{"token": {at}}, &[2]string{id, secret})
	if rv.Status != http.StatusOK || introspect(t, srv, at).Active {
		t.Errorf("revoking a bound token: %d %s", rv.Status, rv.Body)
	}
}

// TestDPoPBoundAccessTokensClient: a client registered with
// dpop_bound_access_tokens gets no token without a proof.
func TestDPoPBoundAccessTokensClient(t *testing.T) {
	t.Parallel()
	srv, clk := startDPoP(t)
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
		c.AdditionalProperties = map[string]any{"dpop_bound_access_tokens": true}
	})
	read, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil || read.AdditionalProperties["dpop_bound_access_tokens"] != true {
		t.Fatalf("the admin API lost dpop_bound_access_tokens: %v %v", read.AdditionalProperties, err)
	}
	wantOAuthError(t, "no proof", tokenWithProof(t, srv, id, secret), 400, "invalid_dpop_proof")
	key := newDPoPKey(t, clk)
	tok, err := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read").Token(dpopContext(t, key))
	if err != nil || tok.TokenType != "DPoP" {
		t.Fatalf("x/oauth2 with a DPoP transport: %v %+v", err, tok)
	}
}

// TestDPoPPublicClientFlow: a public client signs in with PKCE and a DPoP
// key; its access token works at userinfo only with a proof and the DPoP
// scheme; its refresh token rotates only with a proof by the same key.
func TestDPoPPublicClientFlow(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	key, thief := newDPoPKey(t, e.clk), newDPoPKey(t, e.clk)
	rp := newRP(t, e.srv, []string{e.callback}, func(c *hydra.OAuth2Client) {
		c.SetTokenEndpointAuthMethod("none")
		c.ClientSecret = nil
	})
	rp.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, newBrowser(t, e.callback), rp, oauth2.S256ChallengeOption(verifier))
	tok, err := rp.Exchange(dpopContext(t, key), code, oauth2.VerifierOption(verifier))
	if err != nil || tok.TokenType != "DPoP" || tok.RefreshToken == "" {
		t.Fatalf("code exchange: %v %+v", err, tok)
	}
	userinfo := e.srv.PublicURL + "/userinfo"
	get := func(scheme, proof string) response {
		h := http.Header{"Authorization": {scheme + " " + tok.AccessToken}}
		if proof != "" {
			h.Set("DPoP", proof)
		}
		return send(t, http.MethodGet, userinfo, "", nil, h)
	}
	if r := get("DPoP", key.proof(t, "GET", userinfo, tok.AccessToken)); r.Status != http.StatusOK {
		t.Errorf("userinfo with DPoP: %d %s", r.Status, r.Body)
	}
	r := get("Bearer", "")
	wantOAuthError(t, "bound token as bearer", r, 401, "invalid_token")
	if ch := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, `DPoP error="invalid_token"`) || !strings.Contains(ch, "algs=") {
		t.Errorf("WWW-Authenticate %q", ch)
	}
	wantOAuthError(t, "no proof", get("DPoP", ""), 401, "invalid_dpop_proof")
	wantOAuthError(t, "thief's proof", get("DPoP", thief.proof(t, "GET", userinfo, tok.AccessToken)), 401, "invalid_token")
	wantOAuthError(t, "proof without ath", get("DPoP", key.proof(t, "GET", userinfo, "")), 401, "invalid_dpop_proof")
	wantOAuthError(t, "proof for POST", get("DPoP", key.proof(t, "POST", userinfo, tok.AccessToken)), 401, "invalid_dpop_proof")
	replay := key.proof(t, "GET", userinfo, tok.AccessToken)
	get("DPoP", replay)
	wantOAuthError(t, "replayed proof", get("DPoP", replay), 401, "invalid_dpop_proof")

	// The refresh token is bound: no proof, or a proof by another key, is
	// refused and leaves it usable; the right key rotates it.
	refresh := func(k *dpopKey) response {
		h := http.Header{}
		if k != nil {
			h.Set("DPoP", k.proof(t, "POST", rp.Endpoint.TokenURL, ""))
		}
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "client_id": {rp.ClientID}}
		return send(t, http.MethodPost, rp.Endpoint.TokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), h)
	}
	wantOAuthError(t, "refresh without a proof", refresh(nil), 400, "invalid_dpop_proof")
	wantOAuthError(t, "refresh with another key", refresh(thief), 400, "invalid_dpop_proof")
	next := tokenBody(t, refresh(key))
	if next["token_type"] != "DPoP" || next["refresh_token"] == "" {
		t.Fatalf("refresh with the key: %v", next)
	}
	rt := introspect(t, e.srv, next["refresh_token"].(string))
	if rt.GetTokenType() != "DPoP" || rt.AdditionalProperties["cnf"] == nil {
		t.Errorf("the rotated refresh token is not bound: %q %v", rt.GetTokenType(), rt.AdditionalProperties)
	}
}

// TestDPoPBearerTokenWithDPoPScheme: a bearer token presented with the
// DPoP scheme is refused, even with a valid proof.
func TestDPoPBearerTokenWithDPoPScheme(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	key := newDPoPKey(t, e.clk)
	code := codeFor(t, newBrowser(t, e.callback), e.rp)
	tok, err := e.rp.Exchange(context.Background(), code)
	if err != nil || tok.TokenType != "bearer" {
		t.Fatalf("exchange: %v %+v", err, tok)
	}
	userinfo := e.srv.PublicURL + "/userinfo"
	h := http.Header{"Authorization": {"DPoP " + tok.AccessToken}, "DPoP": {key.proof(t, "GET", userinfo, tok.AccessToken)}}
	wantOAuthError(t, "bearer token as DPoP", send(t, http.MethodGet, userinfo, "", nil, h), 401, "invalid_token")
	// A confidential client's refresh token is not bound, but a proof
	// binds the new access token.
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}}
	req, _ := http.NewRequest(http.MethodPost, "/", nil)
	req.SetBasicAuth(url.QueryEscape(e.rp.ClientID), url.QueryEscape(e.rp.ClientSecret))
	rh := http.Header{"Authorization": {req.Header.Get("Authorization")}, "DPoP": {key.proof(t, "POST", e.rp.Endpoint.TokenURL, "")}}
	next := tokenBody(t, send(t, http.MethodPost, e.rp.Endpoint.TokenURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), rh))
	if next["token_type"] != "DPoP" {
		t.Errorf("refresh with a proof: %v", next)
	}
	if got := introspect(t, e.srv, next["refresh_token"].(string)); got.GetTokenType() != "Bearer" {
		t.Errorf("a confidential client's refresh token was bound: %q", got.GetTokenType())
	}
}

// TestDPoPNonce: with oauth2.dpop.require_nonce, the first proof is
// answered with use_dpop_nonce and a DPoP-Nonce the retry succeeds with.
func TestDPoPNonce(t *testing.T) {
	t.Parallel()
	srv, clk := startDPoP(t, signettest.WithEnv("OAUTH2_DPOP_REQUIRE_NONCE=true"))
	id, secret := newMachineClient(t, srv, nil)
	key := newDPoPKey(t, clk)
	tokenURL := srv.PublicURL + "/oauth2/token"
	first := tokenWithProof(t, srv, id, secret, key.proof(t, "POST", tokenURL, ""))
	wantOAuthError(t, "no nonce", first, 400, "use_dpop_nonce")
	nonce := first.Header.Get("DPoP-Nonce")
	if nonce == "" {
		t.Fatal("no DPoP-Nonce header")
	}
	claims := map[string]any{"jti": "nonce-retry", "htm": "POST", "htu": tokenURL, "iat": clk.Now().Unix(), "nonce": nonce}
	payload, _ := json.Marshal(claims)
	jws, _ := key.signer.Sign(payload)
	proof, _ := jws.CompactSerialize()
	ok := tokenBody(t, tokenWithProof(t, srv, id, secret, proof))
	if ok["token_type"] != "DPoP" {
		t.Errorf("with the nonce: %v", ok)
	}
}

// TestDPoPAuthorizationCodeBinding: a code requested with dpop_jkt (RFC 9449
// section 10) is redeemed only with a proof by that key; a thief holding
// the code (and even the PKCE verifier) but not the key gets nothing.
func TestDPoPAuthorizationCodeBinding(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	key, thief := newDPoPKey(t, e.clk), newDPoPKey(t, e.clk)
	rp := newRP(t, e.srv, []string{e.callback}, func(c *hydra.OAuth2Client) {
		c.SetTokenEndpointAuthMethod("none")
		c.ClientSecret = nil
	})
	rp.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	bound := func() (string, string) {
		verifier := oauth2.GenerateVerifier()
		return codeFor(t, newBrowser(t, e.callback), rp, oauth2.S256ChallengeOption(verifier),
			oauth2.SetAuthURLParam("dpop_jkt", key.jkt)), verifier
	}
	code, verifier := bound()
	if _, err := rp.Exchange(dpopContext(t, thief), code, oauth2.VerifierOption(verifier)); grantError(err) != "invalid_dpop_proof" {
		t.Errorf("thief's key: %v, want invalid_dpop_proof", err)
	}
	code, verifier = bound()
	if _, err := rp.Exchange(context.Background(), code, oauth2.VerifierOption(verifier)); grantError(err) != "invalid_dpop_proof" {
		t.Errorf("no proof: %v, want invalid_dpop_proof", err)
	}
	code, verifier = bound()
	tok, err := rp.Exchange(dpopContext(t, key), code, oauth2.VerifierOption(verifier))
	if err != nil || tok.TokenType != "DPoP" {
		t.Fatalf("the bound key: %v %+v", err, tok)
	}
	// A malformed dpop_jkt goes back to the client as invalid_request.
	q := authorize(t, newBrowser(t, e.callback), rp.AuthCodeURL("state-0123456789",
		oauth2.S256ChallengeOption(oauth2.GenerateVerifier()), oauth2.SetAuthURLParam("dpop_jkt", "not-a-thumbprint")))
	if q.Get("error") != "invalid_request" || q.Get("code") != "" {
		t.Errorf("malformed dpop_jkt: %v", q)
	}
}
