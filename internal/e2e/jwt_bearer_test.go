package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// RFC 7523 section 2.1, end to end: an issuer trusted through
// hydra-client-go signs assertions that a client exchanges at the token
// endpoint; the tokens introspect with the assertion's subject; and every
// attack of the list in GUIDE.md section 9 is refused.

const (
	bearerGrant  = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	bearerIssuer = "https://idp.example"
)

func TestJWTBearerGrant(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			// Each database gets its own clock: the test moves it to
			// expire a trust relationship.
			clk := newClock()
			srv := backends(signettest.WithAppOptions(app.WithClock(clk.Now)))[i].start(t)
			jwtBearer(t, srv, clk, key)
		})
	}
}

// bearerIdP signs assertions as the trusted issuer.
type bearerIdP struct {
	t        *testing.T
	key      *rsa.PrivateKey
	clk      *clock
	tokenURL string
	n        int
}

// claims are valid claims for sub with a fresh jti.
func (p *bearerIdP) claims(sub string) map[string]any {
	p.n++
	now := p.clk.Now()
	return map[string]any{"iss": bearerIssuer, "sub": sub, "aud": p.tokenURL, "iat": now.Unix(),
		"exp": now.Add(5 * time.Minute).Unix(), "jti": "jti-" + strconv.Itoa(p.n)}
}

// assertion is a valid assertion about sub, edited by edit.
func (p *bearerIdP) assertion(sub string, edit func(map[string]any)) string {
	c := p.claims(sub)
	if edit != nil {
		edit(c)
	}
	return jwttest.Sign(p.t, jose.RS256, p.key, "idp-1", c)
}

func trustIssuer(t *testing.T, srv *signettest.Server, pub *rsa.PublicKey, sub string, scope []string, expires time.Time) *hydra.TrustedOAuth2JwtGrantIssuer {
	t.Helper()
	var k hydra.JsonWebKey
	raw, _ := jose.JSONWebKey{Key: pub, KeyID: "idp-1", Algorithm: "RS256", Use: "sig"}.MarshalJSON()
	if err := json.Unmarshal(raw, &k); err != nil {
		t.Fatal(err)
	}
	in := hydra.NewTrustOAuth2JwtGrantIssuer(expires, bearerIssuer, k, scope)
	in.SetSubject(sub)
	out, _, err := srv.Admin.OAuth2API.TrustOAuth2JwtGrantIssuer(context.Background()).TrustOAuth2JwtGrantIssuer(*in).Execute()
	if err != nil {
		t.Fatalf("TrustOAuth2JwtGrantIssuer: %v", sdkErr(err))
	}
	return out
}

func jwtBearer(t *testing.T, srv *signettest.Server, clk *clock, key *rsa.PrivateKey) {
	ctx := context.Background()
	api := srv.Admin.OAuth2API
	alice := trustIssuer(t, srv, &key.PublicKey, "alice", []string{"read", "write"}, clk.Now().Add(24*time.Hour))
	trustIssuer(t, srv, &key.PublicKey, "bob", []string{"read"}, clk.Now().Add(time.Hour))

	// The SDK reads what it created.
	list, _, err := api.ListTrustedOAuth2JwtGrantIssuers(ctx).Issuer(bearerIssuer).Execute()
	if err != nil || len(list) != 2 {
		t.Fatalf("ListTrustedOAuth2JwtGrantIssuers: %v %d", sdkErr(err), len(list))
	}
	got, _, err := api.GetTrustedOAuth2JwtGrantIssuer(ctx, alice.GetId()).Execute()
	if err != nil || got.GetSubject() != "alice" || got.PublicKey.GetKid() != "idp-1" || got.PublicKey.GetSet() != bearerIssuer {
		t.Fatalf("GetTrustedOAuth2JwtGrantIssuer: %v %+v", sdkErr(err), got)
	}

	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetGrantTypes([]string{bearerGrant}) })
	tokenURL := srv.PublicURL + "/oauth2/token"
	idp := &bearerIdP{t: t, key: key, clk: clk, tokenURL: tokenURL}
	exchange := func(assertion string, scope string) response {
		form := url.Values{"grant_type": {bearerGrant}, "assertion": {assertion}}
		if scope != "" {
			form.Set("scope", scope)
		}
		return postForm(t, tokenURL, form, &[2]string{id, secret})
	}

	// The grant: a token about alice, for the client.
	a := idp.assertion("alice", nil)
	r := exchange(a, "read")
	if r.Status != http.StatusOK {
		t.Fatalf("jwt-bearer: %d %s", r.Status, r.Body)
	}
	var tok struct {
		AccessToken  string `json:"access_token"`
		Scope        string `json:"scope"`
		RefreshToken string `json:"refresh_token"`
	}
	if err := json.Unmarshal(r.Body, &tok); err != nil || tok.Scope != "read" || tok.RefreshToken != "" {
		t.Fatalf("token response: %v %s", err, r.Body)
	}
	in := introspect(t, srv, tok.AccessToken)
	if !in.Active || in.GetSub() != "alice" || in.GetClientId() != id || in.GetScope() != "read" {
		t.Errorf("introspection: %+v", in)
	}
	// Round trips: client read, trust lookup, jti record, token write.
	assertQueries(t, srv, "jwt-bearer token, secret cache warm", 4, func() {
		if r := exchange(idp.assertion("alice", nil), "read"); r.Status != http.StatusOK {
			t.Fatalf("second assertion: %d %s", r.Status, r.Body)
		}
	})

	pubDER, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	enc := base64.RawURLEncoding.EncodeToString
	noneClaims, _ := json.Marshal(idp.claims("alice"))
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	attacks := []struct {
		name, assertion, scope, code, hint string
	}{
		{"replayed jti", a, "read", "invalid_grant", "used before"},
		{"expired assertion", idp.assertion("alice", func(c map[string]any) { c["exp"] = clk.Now().Add(-2 * time.Minute).Unix() }), "", "invalid_grant", "expired"},
		{"wrong audience", idp.assertion("alice", func(c map[string]any) { c["aud"] = "https://other.example/oauth2/token" }), "", "invalid_grant", `"aud"`},
		{"alg none", enc([]byte(`{"alg":"none","kid":"idp-1"}`)) + "." + enc(noneClaims) + ".", "", "invalid_grant", `alg "none"`},
		{"HS256 with the public key", jwttest.Sign(t, jose.HS256, pubDER, "idp-1", idp.claims("alice")), "", "invalid_grant", "HS256"},
		{"signed by another key", jwttest.Sign(t, jose.RS256, other, "idp-1", idp.claims("alice")), "", "invalid_grant", "signature does not verify"},
		{"unknown kid", jwttest.Sign(t, jose.RS256, key, "idp-2", idp.claims("alice")), "", "invalid_grant", `kid "idp-2"`},
		{"issuer not trusted", idp.assertion("alice", func(c map[string]any) { c["iss"] = "https://evil.example" }), "", "invalid_grant", "not trusted"},
		{"subject not allowed", idp.assertion("mallory", nil), "", "invalid_grant", `subject "mallory"`},
		{"scope outside the trust relationship", idp.assertion("bob", nil), "write", "invalid_scope", `scope "write"`},
	}
	for _, at := range attacks {
		t.Run(at.name, func(t *testing.T) {
			wantBearerError(t, exchange(at.assertion, at.scope), at.code, at.hint)
		})
	}

	// An expired trust relationship vouches for nothing; alice's still does.
	clk.Advance(2 * time.Hour)
	wantBearerError(t, exchange(idp.assertion("bob", nil), "read"), "invalid_grant", `subject "bob"`)
	if r := exchange(idp.assertion("alice", nil), "read"); r.Status != http.StatusOK {
		t.Fatalf("alice after bob's trust expired: %d %s", r.Status, r.Body)
	}

	// A deleted one neither, from the next request on.
	if _, err := api.DeleteTrustedOAuth2JwtGrantIssuer(ctx, alice.GetId()).Execute(); err != nil {
		t.Fatalf("DeleteTrustedOAuth2JwtGrantIssuer: %v", sdkErr(err))
	}
	wantBearerError(t, exchange(idp.assertion("alice", nil), "read"), "invalid_grant", `subject "alice"`)
	if _, res, err := api.GetTrustedOAuth2JwtGrantIssuer(ctx, alice.GetId()).Execute(); err == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GetTrustedOAuth2JwtGrantIssuer after delete: %v", err)
	}
}

func wantBearerError(t *testing.T, r response, code, hint string) {
	t.Helper()
	var e struct {
		Error string `json:"error"`
		Hint  string `json:"error_hint"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || r.Status != http.StatusBadRequest || e.Error != code {
		t.Fatalf("got %d %s, want 400 %s", r.Status, r.Body, code)
	}
	if !strings.Contains(e.Hint, hint) {
		t.Errorf("error_hint %q does not say %q", e.Hint, hint)
	}
}
