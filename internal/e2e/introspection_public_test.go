package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestPublicIntrospection: POST /oauth2/introspect on the public port
// answers only an authenticated client, and only about its own tokens.
func TestPublicIntrospection(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, nil)
	otherID, otherSecret := newMachineClient(t, srv, nil)
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read")).AccessToken
	target := srv.PublicURL + "/oauth2/introspect"
	form := url.Values{"token": {tok}, "token_type_hint": {"access_token"}}

	own := postForm(t, target, form, &[2]string{id, secret})
	var got map[string]any
	if own.Status != http.StatusOK || json.Unmarshal(own.Body, &got) != nil {
		t.Fatalf("own token: %d %s", own.Status, own.Body)
	}
	if got["active"] != true || got["client_id"] != id || got["scope"] != "read" || got["token_type"] != "Bearer" {
		t.Errorf("own token: %v", got)
	}

	other := postForm(t, target, form, &[2]string{otherID, otherSecret})
	if other.Status != http.StatusOK || strings.TrimSpace(string(other.Body)) != `{"active":false}` {
		t.Errorf("another client's token: %d %s, want exactly {\"active\":false}", other.Status, other.Body)
	}

	for name, basic := range map[string]*[2]string{"no credentials": nil, "wrong secret": {id, "nope"}} {
		r := postForm(t, target, form, basic)
		if r.Status != http.StatusUnauthorized || decodeOAuthError(t, r).Error != "invalid_client" {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
		if basic != nil && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic") {
			t.Errorf("%s: WWW-Authenticate %q", name, r.Header.Get("WWW-Authenticate"))
		}
	}
}

// TestIntrospectionJWTResponse: RFC 9701 on the public and admin endpoints;
// the JWT verifies against the published JWKS.
func TestIntrospectionJWTResponse(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, nil)
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read")).AccessToken
	jwksRes := send(t, http.MethodGet, srv.PublicURL+"/.well-known/jwks.json", "", nil, nil)
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal(jwksRes.Body, &jwks); err != nil {
		t.Fatal(err)
	}

	auth := func() string {
		req, _ := http.NewRequest(http.MethodPost, "/", nil)
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return req.Header.Get("Authorization")
	}()
	for _, tc := range []struct {
		name, target string
		header       http.Header
		aud          any
	}{
		{"public", srv.PublicURL + "/oauth2/introspect", http.Header{"Authorization": {auth}}, id},
		{"admin", srv.AdminURL + "/admin/oauth2/introspect", http.Header{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.header.Set("Accept", "application/token-introspection+jwt")
			r := send(t, http.MethodPost, tc.target, "application/x-www-form-urlencoded",
				strings.NewReader(url.Values{"token": {tok}}.Encode()), tc.header)
			if r.Status != http.StatusOK || r.Header.Get("Content-Type") != "application/token-introspection+jwt" {
				t.Fatalf("%d %v %s", r.Status, r.Header, r.Body)
			}
			jws, err := jose.ParseSigned(string(r.Body), []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.PS256, jose.EdDSA})
			if err != nil {
				t.Fatal(err)
			}
			sig := jws.Signatures[0].Protected
			if sig.ExtraHeaders["typ"] != "token-introspection+jwt" {
				t.Errorf("typ = %v", sig.ExtraHeaders["typ"])
			}
			keys := jwks.Key(sig.KeyID)
			if len(keys) != 1 {
				t.Fatalf("kid %q not in the JWKS", sig.KeyID)
			}
			payload, err := jws.Verify(keys[0])
			if err != nil {
				t.Fatal(err)
			}
			var claims map[string]any
			if err := json.Unmarshal(payload, &claims); err != nil {
				t.Fatal(err)
			}
			if claims["iss"] != srv.Issuer || claims["aud"] != tc.aud || claims["iat"] == nil {
				t.Errorf("claims %v", claims)
			}
			ti, _ := claims["token_introspection"].(map[string]any)
			if ti["active"] != true || ti["client_id"] != id {
				t.Errorf("token_introspection = %v", ti)
			}
		})
	}
}
