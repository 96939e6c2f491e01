package oauth2

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
	"github.com/signet-oidc/signet/internal/trust"
)

// fakeTrust holds trust relationships with the store's lookup semantics.
type fakeTrust struct {
	mu     sync.Mutex
	grants []*trust.Grant
	finds  int
}

func (f *fakeTrust) FindTrustGrants(_ context.Context, iss, sub, kid string, now time.Time) ([]*trust.Grant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finds++
	var out []*trust.Grant
	for _, g := range f.grants {
		if g.Issuer == iss && (g.Subject == sub || g.AllowAnySubject) && (kid == "" || g.KeyID == kid) && g.ExpiresAt.After(now) {
			out = append(out, g)
		}
	}
	return out, nil
}

func (f *fakeTrust) ListTrustGrants(_ context.Context, iss string, p storage.Page) ([]*trust.Grant, storage.PageResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*trust.Grant
	for _, g := range f.grants {
		if g.Issuer == iss && len(out) < p.Size {
			out = append(out, g)
		}
	}
	return out, storage.PageResult{}, nil
}

// fakeReplay is assertion.ReplayStore in memory.
type fakeReplay struct {
	mu   sync.Mutex
	used map[string]time.Time
}

func (f *fakeReplay) UseJTI(_ context.Context, key string, expires time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.used[key]; ok {
		return storage.ErrAlreadyUsed
	}
	f.used[key] = expires
	return nil
}

const (
	bearerIss      = "https://idp.example"
	bearerTokenURL = "https://issuer.example/oauth2/token"
)

// bearerEnv is the grant over fakes, with an issuer key trusted for alice.
type bearerEnv struct {
	*harness
	trust  *fakeTrust
	replay *fakeReplay
	grant  *JWTBearer
	key    *ecdsa.PrivateKey // kid "k1", trusted for alice with scope read, write
	client *client.Client
}

func newBearerEnv(t *testing.T) *bearerEnv {
	t.Helper()
	h := newHarness(t)
	e := &bearerEnv{harness: h, trust: &fakeTrust{}, replay: &fakeReplay{used: map[string]time.Time{}}}
	var err error
	if e.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	e.addTrust(t, "alice", false, &e.key.PublicKey, "k1", []string{"read", "write"}, oauth2test.T0.Add(24*time.Hour))
	e.grant = &JWTBearer{Trust: e.trust, Replay: e.replay,
		Issuer: &token.Issuer{Store: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now},
		Config: func() *config.Config { return h.cfg }, Now: h.clock.Now, Rand: rand.Reader}
	h.cfg.OAuth2.Grant.JWT.MaxTTL = 720 * time.Hour
	h.cfg.OAuth2.Grant.JWT.OmitAssertionAudience = true
	e.client = &client.Client{ID: "bearer-client", GrantTypes: []string{GrantJWTBearer}, Scope: "read write admin",
		Audience: []string{"https://api.example"}}
	return e
}

func (e *bearerEnv) addTrust(t *testing.T, sub string, any bool, pub crypto.PublicKey, kid string, scope []string, exp time.Time) {
	t.Helper()
	raw, err := jose.JSONWebKey{Key: pub, KeyID: kid}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	e.trust.grants = append(e.trust.grants, &trust.Grant{ID: "g" + kid + sub, Issuer: bearerIss, Subject: sub,
		AllowAnySubject: any, Scope: scope, KeyID: kid, PublicKey: raw, ExpiresAt: exp, CreatedAt: oauth2test.T0})
}

// claims are valid assertion claims for alice.
func (e *bearerEnv) claims(jti string) map[string]any {
	now := e.clock.Now()
	return map[string]any{"iss": bearerIss, "sub": "alice", "aud": bearerTokenURL,
		"exp": now.Add(5 * time.Minute).Unix(), "iat": now.Unix(), "jti": jti}
}

// sign makes a compact JWS of claims with key, alg and kid.
func sign(t *testing.T, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// unsigned is an alg "none" JWT.
func unsigned(claims map[string]any) string {
	enc := base64.RawURLEncoding.EncodeToString
	payload, _ := json.Marshal(claims)
	return enc([]byte(`{"alg":"none","kid":"k1"}`)) + "." + enc(payload) + "."
}

func (e *bearerEnv) exchange(form url.Values) (*TokenResponse, error) {
	req, err := parseTokenRequest(form)
	if err != nil {
		return nil, err
	}
	return e.grant.Exchange(context.Background(), req, e.client)
}

func bearerForm(assertion string, extra ...string) url.Values {
	f := url.Values{"grant_type": {GrantJWTBearer}, "assertion": {assertion}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

func wantOAuthError(t *testing.T, err error, code, hint string) {
	t.Helper()
	var e *httpx.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if e.Code != code || e.Status != http.StatusBadRequest {
		t.Fatalf("error = %s (%d) %q, want %s", e.Code, e.Status, e.Hint, code)
	}
	if !strings.Contains(e.Hint, hint) {
		t.Errorf("hint %q does not say %q", e.Hint, hint)
	}
}

func TestJWTBearerIssuesTokenForTheSubject(t *testing.T) {
	e := newBearerEnv(t)
	resp, err := e.exchange(bearerForm(sign(t, e.key, jose.ES256, "k1", e.claims("j1")),
		"scope", "read", "audience", "https://api.example/orders"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.TokenType != "bearer" || resp.Scope != "read" || resp.ExpiresIn != 3600 || resp.RefreshToken != "" || resp.IDToken != "" {
		t.Errorf("response = %+v", resp)
	}
	rec := e.record(t, resp.AccessToken)
	if rec.Subject != "alice" || rec.ClientID != "bearer-client" || rec.GrantType != GrantJWTBearer ||
		!slices.Equal(rec.Scopes, []string{"read"}) || !slices.Equal(rec.Audience, []string{"https://api.example/orders"}) ||
		!rec.ExpiresAt.Equal(oauth2test.T0.Add(time.Hour)) {
		t.Errorf("record = %+v", rec)
	}
}

func TestJWTBearerRefusals(t *testing.T) {
	e := newBearerEnv(t)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e.addTrust(t, "bob", false, &rsaKey.PublicKey, "rsa1", []string{"read"}, oauth2test.T0.Add(time.Hour))
	e.addTrust(t, "carol", false, &e.key.PublicKey, "k1", []string{"read"}, oauth2test.T0.Add(-time.Second)) // expired
	now := e.clock.Now()
	with := func(edit func(c map[string]any)) map[string]any {
		c := e.claims("j-" + strings.ReplaceAll(t.Name(), "/", "-"))
		edit(c)
		return c
	}
	signed := func(edit func(c map[string]any)) string { return sign(t, e.key, jose.ES256, "k1", with(edit)) }
	same := func(map[string]any) {}
	pubDER, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	pubJWK, _ := jose.JSONWebKey{Key: &rsaKey.PublicKey, KeyID: "rsa1"}.MarshalJSON()
	bobClaims := with(func(c map[string]any) { c["sub"] = "bob" })

	cases := []struct {
		name      string
		form      url.Values
		code      string
		hint      string
		configure func()
	}{
		{"no assertion", url.Values{"grant_type": {GrantJWTBearer}}, "invalid_request", "assertion parameter is missing", nil},
		{"empty assertion", bearerForm(""), "invalid_request", "assertion parameter is missing", nil},
		{"not a JWT", bearerForm("not-a-jwt"), "invalid_grant", "JWS compact serialization", nil},
		{"alg none", bearerForm(unsigned(with(same))), "invalid_grant", `alg "none"`, nil},
		{"HS256 with the public key as secret", bearerForm(sign(t, pubDER, jose.HS256, "rsa1", bobClaims)), "invalid_grant", `alg "HS256"`, nil},
		{"HS256 with the JWK as secret", bearerForm(sign(t, pubJWK, jose.HS256, "rsa1", bobClaims)), "invalid_grant", "not accepted here", nil},
		{"no iss", bearerForm(signed(func(c map[string]any) { delete(c, "iss") })), "invalid_grant", `"iss"`, nil},
		{"no sub", bearerForm(signed(func(c map[string]any) { delete(c, "sub") })), "invalid_grant", `"sub"`, nil},
		{"issuer not trusted", bearerForm(signed(func(c map[string]any) { c["iss"] = "https://evil.example" })), "invalid_grant", "is not trusted", nil},
		{"subject not allowed", bearerForm(signed(func(c map[string]any) { c["sub"] = "mallory" })), "invalid_grant", `no unexpired trust relationship allows subject "mallory"`, nil},
		{"trust expired", bearerForm(signed(func(c map[string]any) { c["sub"] = "carol" })), "invalid_grant", `allows subject "carol"`, nil},
		{"unknown kid", bearerForm(sign(t, e.key, jose.ES256, "k2", with(same))), "invalid_grant", `kid "k2"`, nil},
		{"signed by another key", bearerForm(sign(t, other, jose.ES256, "k1", with(same))), "invalid_grant", "signature does not verify", nil},
		{"signed by another key, no kid", bearerForm(sign(t, other, jose.ES256, "", with(same))), "invalid_grant", "signature does not verify", nil},
		{"RSA key, ECDSA alg", bearerForm(sign(t, e.key, jose.ES256, "rsa1", bobClaims)), "invalid_grant", "signature does not verify", nil},
		{"wrong audience", bearerForm(signed(func(c map[string]any) { c["aud"] = "https://other.example/oauth2/token" })), "invalid_grant", `"aud"`, nil},
		{"no audience", bearerForm(signed(func(c map[string]any) { delete(c, "aud") })), "invalid_grant", `no "aud"`, nil},
		{"expired", bearerForm(signed(func(c map[string]any) { c["exp"] = now.Add(-2 * time.Minute).Unix() })), "invalid_grant", "expired", nil},
		{"no exp", bearerForm(signed(func(c map[string]any) { delete(c, "exp") })), "invalid_grant", `no "exp"`, nil},
		{"exp beyond max_ttl", bearerForm(signed(func(c map[string]any) { c["exp"] = now.Add(2 * time.Hour).Unix() })), "invalid_grant", "too far in the future",
			func() { e.cfg.OAuth2.Grant.JWT.MaxTTL = time.Hour }},
		{"nbf in the future", bearerForm(signed(func(c map[string]any) { c["nbf"] = now.Add(10 * time.Minute).Unix() })), "invalid_grant", `"nbf"`, nil},
		{"iat in the future", bearerForm(signed(func(c map[string]any) { c["iat"] = now.Add(10 * time.Minute).Unix() })), "invalid_grant", `"iat"`, nil},
		{"no iat", bearerForm(signed(func(c map[string]any) { delete(c, "iat") })), "invalid_grant", `no "iat"`, nil},
		{"no jti", bearerForm(signed(func(c map[string]any) { delete(c, "jti") })), "invalid_grant", `no "jti"`, nil},
		{"scope outside the trust relationship", bearerForm(signed(same), "scope", "read admin"), "invalid_scope", `does not allow scope "admin"`, nil},
		{"scope outside the client", bearerForm(signed(same), "scope", "write"), "invalid_scope", `client is not allowed to request scope "write"`,
			func() { e.client.Scope = "read" }},
		{"audience outside the client", bearerForm(signed(same), "audience", "https://evil.example"), "invalid_request", "has not been allowed", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			saved, savedScope := *e.cfg, e.client.Scope
			t.Cleanup(func() { *e.cfg, e.client.Scope = saved, savedScope })
			if tc.configure != nil {
				tc.configure()
			}
			_, err := e.exchange(tc.form)
			wantOAuthError(t, err, tc.code, tc.hint)
		})
	}
	if len(e.db.Tokens) != 0 {
		t.Errorf("%d tokens issued by refused requests", len(e.db.Tokens))
	}
}

func TestJWTBearerReplay(t *testing.T) {
	e := newBearerEnv(t)
	a := sign(t, e.key, jose.ES256, "k1", e.claims("once"))
	// A refused request does not spend the jti.
	if _, err := e.exchange(bearerForm(a, "scope", "admin")); err == nil {
		t.Fatal("scope outside the trust relationship accepted")
	}
	if _, err := e.exchange(bearerForm(a, "scope", "read")); err != nil {
		t.Fatalf("first use after a refusal: %v", err)
	}
	_, err := e.exchange(bearerForm(a, "scope", "read"))
	wantOAuthError(t, err, "invalid_grant", "was used before")

	// The jti is scoped by issuer: another issuer's assertion with the same
	// jti is not a replay.
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	raw, _ := jose.JSONWebKey{Key: &other.PublicKey, KeyID: "o1"}.MarshalJSON()
	e.trust.grants = append(e.trust.grants, &trust.Grant{ID: "o", Issuer: "https://other-idp.example", Subject: "alice",
		Scope: []string{"read"}, KeyID: "o1", PublicKey: raw, ExpiresAt: oauth2test.T0.Add(time.Hour)})
	c := e.claims("once")
	c["iss"] = "https://other-idp.example"
	if _, err := e.exchange(bearerForm(sign(t, other, jose.ES256, "o1", c))); err != nil {
		t.Fatalf("same jti from another issuer: %v", err)
	}
	// The replay record lives as long as the assertion could be accepted.
	for _, exp := range e.replay.used {
		if !exp.Equal(time.Unix(c["exp"].(int64), 0).Add(time.Minute)) {
			t.Errorf("jti recorded until %v", exp)
		}
	}
}

func TestJWTBearerOptionalClaims(t *testing.T) {
	e := newBearerEnv(t)
	e.cfg.OAuth2.Grant.JWT.JTIOptional = true
	e.cfg.OAuth2.Grant.JWT.IATOptional = true
	c := e.claims("")
	delete(c, "jti")
	delete(c, "iat")
	a := sign(t, e.key, jose.ES256, "k1", c)
	for i := range 2 { // without a jti there is nothing to spend
		if _, err := e.exchange(bearerForm(a)); err != nil {
			t.Fatalf("use %d: %v", i, err)
		}
	}
	if len(e.replay.used) != 0 {
		t.Errorf("replay records: %v", e.replay.used)
	}
}

func TestJWTBearerAudienceAndKeys(t *testing.T) {
	e := newBearerEnv(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e.addTrust(t, "", true, &rsaKey.PublicKey, "any", []string{"read"}, oauth2test.T0.Add(time.Hour))
	e.addTrust(t, "alice", false, &rsaKey.PublicKey, "any", []string{"write"}, oauth2test.T0.Add(time.Hour))

	t.Run("the issuer identifier is an accepted aud", func(t *testing.T) {
		c := e.claims("aud-iss")
		c["aud"] = []string{"https://someone.else", "https://issuer.example/"}
		if _, err := e.exchange(bearerForm(sign(t, e.key, jose.ES256, "k1", c))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("any-subject relationships vouch for every subject", func(t *testing.T) {
		c := e.claims("any-sub")
		c["sub"] = "zed"
		resp, err := e.exchange(bearerForm(sign(t, rsaKey, jose.PS256, "any", c), "scope", "read"))
		if err != nil {
			t.Fatal(err)
		}
		if rec := e.record(t, resp.AccessToken); rec.Subject != "zed" {
			t.Errorf("subject = %q", rec.Subject)
		}
	})
	t.Run("every vouching relationship adds its scope", func(t *testing.T) {
		resp, err := e.exchange(bearerForm(sign(t, rsaKey, jose.RS256, "", e.claims("union")), "scope", "read write"))
		if err != nil || resp.Scope != "read write" {
			t.Fatalf("%v %+v", err, resp)
		}
	})
	t.Run("omit_assertion_audience false adds the assertion's aud", func(t *testing.T) {
		e.cfg.OAuth2.Grant.JWT.OmitAssertionAudience = false
		t.Cleanup(func() { e.cfg.OAuth2.Grant.JWT.OmitAssertionAudience = true })
		resp, err := e.exchange(bearerForm(sign(t, e.key, jose.ES256, "k1", e.claims("legacy-aud")), "audience", "https://api.example"))
		if err != nil {
			t.Fatal(err)
		}
		if rec := e.record(t, resp.AccessToken); !slices.Equal(rec.Audience, []string{"https://api.example", bearerTokenURL}) {
			t.Errorf("audience = %v", rec.Audience)
		}
	})
	t.Run("lifespan and format follow the client", func(t *testing.T) {
		e.client.Lifespans.JwtBearerGrantAccessTokenLifespan = oauth2test.Dur(10 * time.Minute)
		e.client.AccessTokenStrategy = token.StrategyJWT
		t.Cleanup(func() { e.client.Lifespans, e.client.AccessTokenStrategy = client.Lifespans{}, "" })
		resp, err := e.exchange(bearerForm(sign(t, e.key, jose.ES256, "k1", e.claims("jwt-at"))))
		if err != nil {
			t.Fatal(err)
		}
		if resp.ExpiresIn != 600 || strings.Count(resp.AccessToken, ".") != 2 {
			t.Errorf("response = %+v", resp)
		}
	})
}

// TestJWTBearerAtTheTokenEndpoint covers the endpoint's shared checks for
// this grant: public clients may use it, clients must register it, and the
// assertion may not be repeated.
func TestJWTBearerAtTheTokenEndpoint(t *testing.T) {
	e := newBearerEnv(t)
	e.db.Clients["public-bearer"] = &client.Client{ID: "public-bearer", GrantTypes: []string{GrantJWTBearer},
		Scope: "read", TokenEndpointAuthMethod: client.AuthNone}
	rd := httpx.Renderer{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	endpoint := rd.OAuth((&TokenEndpoint{Auth: e.auth, Grants: map[string]Grant{GrantJWTBearer: e.grant}}).Handle)
	form := func(jti string) string {
		return bearerForm(sign(t, e.key, jose.ES256, "k1", e.claims(jti)), "scope", "read").Encode()
	}

	w := oauth2test.Do(endpoint, "POST", "/oauth2/token", oauth2test.Req{Form: form("pub") + "&client_id=public-bearer"})
	if w.Code != http.StatusOK || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("public client: %d %s", w.Code, w.Body)
	}
	if m := oauth2test.Decode(t, w); m["refresh_token"] != nil || m["scope"] != "read" {
		t.Errorf("response = %v", m)
	}

	w = oauth2test.Do(endpoint, "POST", "/oauth2/token", oauth2test.Req{Form: form("cc"), User: "machine", Pass: oauth2test.SecretMachine})
	if m := oauth2test.Decode(t, w); w.Code != http.StatusBadRequest || m["error"] != "unauthorized_client" {
		t.Errorf("client without the grant: %d %v", w.Code, m)
	}
	w = oauth2test.Do(endpoint, "POST", "/oauth2/token", oauth2test.Req{Form: form("anon")})
	if m := oauth2test.Decode(t, w); w.Code != http.StatusUnauthorized || m["error"] != "invalid_client" {
		t.Errorf("no client: %d %v", w.Code, m)
	}
	w = oauth2test.Do(endpoint, "POST", "/oauth2/token", oauth2test.Req{Form: form("twice") + "&assertion=x&client_id=public-bearer"})
	if m := oauth2test.Decode(t, w); w.Code != http.StatusBadRequest || m["error"] != "invalid_request" {
		t.Errorf("repeated assertion: %d %v", w.Code, m)
	}
}
