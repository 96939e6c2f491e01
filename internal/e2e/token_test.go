package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestClientCredentialsBothAuthMethods issues tokens with x/oauth2 through
// client_secret_basic and client_secret_post, and checks what a resource
// server learns about each token by introspection.
func TestClientCredentialsBothAuthMethods(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			clientCredentialsBothAuthMethods(t, b.start(t))
		})
	}
}

func clientCredentialsBothAuthMethods(t *testing.T, srv *signettest.Server) {
	for _, tc := range []struct {
		method string
		style  oauth2.AuthStyle
	}{
		{"client_secret_basic", oauth2.AuthStyleInHeader},
		{"client_secret_post", oauth2.AuthStyleInParams},
	} {
		t.Run(tc.method, func(t *testing.T) {
			id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
				c.SetTokenEndpointAuthMethod(tc.method)
				// Characters that Basic credentials must form-encode.
				c.SetClientId("svc:" + tc.method + "/é")
			})
			cfg := ccConfig(srv, id, secret, tc.style, "read")
			cfg.EndpointParams = url.Values{"audience": {"https://api.example"}}
			tok := mustToken(t, cfg)
			if tok.TokenType != "bearer" || tok.RefreshToken != "" {
				t.Errorf("token_type %q, refresh token %q; want bearer and none (RFC 6749 4.4.3)", tok.TokenType, tok.RefreshToken)
			}
			if tok.Extra("scope") != "read" {
				t.Errorf("granted scope %q, want read", tok.Extra("scope"))
			}
			if in := time.Until(tok.Expiry); in < 59*time.Minute || in > time.Hour {
				t.Errorf("token expires in %v, want the default hour", in)
			}
			ins := introspect(t, srv, tok.AccessToken)
			if !ins.Active || ins.GetClientId() != id || ins.GetSub() != id || ins.GetScope() != "read" ||
				ins.GetIss() != srv.Issuer || strings.Join(ins.GetAud(), " ") != "https://api.example" ||
				ins.GetTokenType() != "Bearer" || ins.GetTokenUse() != "access_token" {
				t.Errorf("introspection: %+v", ins)
			}
		})
	}
}

// TestTokenRefusals are the requests a token endpoint must refuse, with
// the RFC 6749 section 5.2 code and status a client library relies on.
func TestTokenRefusals(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	basicID, basicSecret := newMachineClient(t, srv, nil)
	postID, postSecret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetTokenEndpointAuthMethod("client_secret_post") })
	codeID, codeSecret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
		c.SetGrantTypes([]string{"authorization_code"})
		c.SetResponseTypes([]string{"code"})
		c.SetRedirectUris([]string{"https://app.example/cb"})
	})
	cc := func(extra ...string) url.Values {
		v := url.Values{"grant_type": {"client_credentials"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	tokenURL := srv.PublicURL + "/oauth2/token"
	for _, tc := range []struct {
		name       string
		form       url.Values
		basic      *[2]string
		status     int
		code       string
		wwwAuthReq bool
	}{
		{"wrong secret basic", cc(), &[2]string{basicID, basicSecret + "x"}, 401, "invalid_client", true},
		{"wrong secret post", cc("client_id", postID, "client_secret", "nope"), nil, 401, "invalid_client", false},
		{"unknown client basic", cc(), &[2]string{"no-such-client", "secret"}, 401, "invalid_client", true},
		{"unknown client post", cc("client_id", "no-such-client", "client_secret", "x"), nil, 401, "invalid_client", false},
		{"basic client using post", cc("client_id", basicID, "client_secret", basicSecret), nil, 401, "invalid_client", false},
		{"post client using basic", cc(), &[2]string{postID, postSecret}, 401, "invalid_client", true},
		{"no credentials", cc(), nil, 401, "invalid_client", false},
		{"empty secret", cc(), &[2]string{basicID, ""}, 401, "invalid_client", true},
		{"two auth methods", cc("client_secret", basicSecret), &[2]string{basicID, basicSecret}, 400, "invalid_request", false},
		{"scope not registered", cc("scope", "read delete"), &[2]string{basicID, basicSecret}, 400, "invalid_scope", false},
		{"scope with bad characters", cc("scope", "read\"x"), &[2]string{basicID, basicSecret}, 400, "invalid_scope", false},
		{"audience not registered", cc("audience", "https://evil.example"), &[2]string{basicID, basicSecret}, 400, "invalid_request", false},
		{"audience prefix of a registered one", cc("audience", "https://api.exam"), &[2]string{basicID, basicSecret}, 400, "invalid_request", false},
		{"grant not registered for client", cc(), &[2]string{codeID, codeSecret}, 400, "unauthorized_client", false},
		{"unsupported grant type", url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, &[2]string{basicID, basicSecret}, 400, "unsupported_grant_type", false},
		{"missing grant type", url.Values{}, &[2]string{basicID, basicSecret}, 400, "invalid_request", false},
		{"client assertion", cc("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", "client_assertion", "a.b.c"), nil, 401, "invalid_client", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postForm(t, tokenURL, tc.form, tc.basic)
			e := decodeOAuthError(t, r)
			if r.Status != tc.status || e.Error != tc.code {
				t.Fatalf("got %d %s (%s), want %d %s", r.Status, e.Error, e.Description, tc.status, tc.code)
			}
			if got := r.Header.Get("WWW-Authenticate"); tc.wwwAuthReq && !strings.HasPrefix(got, "Basic") {
				t.Errorf("a 401 after Basic auth must carry WWW-Authenticate: Basic (RFC 6749 5.2); got %q", got)
			}
			if r.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", r.Header.Get("Cache-Control"))
			}
		})
	}

	// The same refusals as a relying-party library sees them.
	if _, err := ccConfig(srv, basicID, "wrong", oauth2.AuthStyleInHeader).Token(context.Background()); !isOAuthError(err, "invalid_client") {
		t.Errorf("x/oauth2 with a wrong secret: %v, want invalid_client", err)
	}
	if _, err := ccConfig(srv, basicID, basicSecret, oauth2.AuthStyleInHeader, "admin").Token(context.Background()); !isOAuthError(err, "invalid_scope") {
		t.Errorf("x/oauth2 with a bad scope: %v, want invalid_scope", err)
	}
}

// TestTokenUnknownClientAndWrongSecretLookAlike: the description must not
// let a caller probe which client ids exist.
func TestTokenUnknownClientAndWrongSecretLookAlike(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, _ := newMachineClient(t, srv, nil)
	form := url.Values{"grant_type": {"client_credentials"}}
	wrong := postForm(t, srv.PublicURL+"/oauth2/token", form, &[2]string{id, "wrong"})
	unknown := postForm(t, srv.PublicURL+"/oauth2/token", form, &[2]string{"ghost", "wrong"})
	if string(wrong.Body) != string(unknown.Body) || wrong.Status != unknown.Status {
		t.Errorf("wrong secret and unknown client differ:\n%s\n%s", wrong.Body, unknown.Body)
	}
}

// TestTokenResponseHeaders: RFC 6749 section 5.1 forbids caching tokens.
func TestTokenResponseHeaders(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, nil)
	r := postForm(t, srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"}}, &[2]string{id, secret})
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("Pragma") != "no-cache" {
		t.Errorf("Cache-Control %q, Pragma %q; want no-store, no-cache", r.Header.Get("Cache-Control"), r.Header.Get("Pragma"))
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q", r.Header.Get("Content-Type"))
	}
}
