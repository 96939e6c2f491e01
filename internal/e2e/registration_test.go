package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// withRegistration turns dynamic client registration on the way an
// operator does, through the environment.
func withRegistration() signettest.Option {
	return signettest.WithEnv("OIDC_DYNAMIC_CLIENT_REGISTRATION_ENABLED=true")
}

// asHolder is the context the Hydra SDK reads a bearer token from.
func asHolder(token string) context.Context {
	return context.WithValue(context.Background(), hydra.ContextAccessToken, token)
}

// TestDynamicClientRegistration walks a self-registered client through
// RFC 7591 and RFC 7592 with hydra-client-go on every database, and uses it
// for a token in between.
func TestDynamicClientRegistration(t *testing.T) {
	t.Parallel()
	for _, b := range backends(withRegistration()) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			dynamicRegistrationLifecycle(t, b.start(t))
		})
	}
}

func dynamicRegistrationLifecycle(t *testing.T, srv *signettest.Server) {
	oidc := srv.Public.OidcAPI
	in := hydra.NewOAuth2Client()
	in.SetClientName("self-registered")
	in.SetGrantTypes([]string{"client_credentials"})
	in.SetScope("read")
	created, res, err := oidc.CreateOidcDynamicClient(context.Background()).OAuth2Client(*in).Execute()
	if err != nil {
		t.Fatalf("CreateOidcDynamicClient: %v", sdkErr(err))
	}
	id, secret, token := created.GetClientId(), created.GetClientSecret(), created.GetRegistrationAccessToken()
	if res.StatusCode != http.StatusCreated || id == "" || secret == "" || token == "" {
		t.Fatalf("registration: status %d, %+v", res.StatusCode, created)
	}
	if created.GetRegistrationClientUri() != srv.PublicURL+"/oauth2/register/"+id {
		t.Errorf("registration_client_uri = %q", created.GetRegistrationClientUri())
	}

	// The client really works.
	mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read"))

	// Read with the token; the admin API shows no token.
	got, _, err := oidc.GetOidcDynamicClient(asHolder(token), id).Execute()
	if err != nil {
		t.Fatalf("GetOidcDynamicClient: %v", sdkErr(err))
	}
	if got.GetClientName() != "self-registered" || got.ClientSecret != nil || got.RegistrationAccessToken != nil {
		t.Errorf("read: %+v", got)
	}
	admin, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil || admin.RegistrationAccessToken != nil {
		t.Fatalf("admin GET: %v, registration_access_token %v", sdkErr(err), admin.RegistrationAccessToken)
	}

	// Update what was read; the token is rotated.
	got.SetClientName("renamed")
	got.SetScope("read write")
	set, _, err := oidc.SetOidcDynamicClient(asHolder(token), id).OAuth2Client(*got).Execute()
	if err != nil {
		t.Fatalf("SetOidcDynamicClient: %v", sdkErr(err))
	}
	next := set.GetRegistrationAccessToken()
	if set.GetClientName() != "renamed" || next == "" || next == token {
		t.Fatalf("update: %+v", set)
	}
	if _, res, err := oidc.GetOidcDynamicClient(asHolder(token), id).Execute(); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the token replaced by the update still reads the client")
	}
	// The secret survived the update.
	mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "write"))

	// Delete; afterwards the token is useless.
	res, err = oidc.DeleteOidcDynamicClient(asHolder(next), id).Execute()
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("DeleteOidcDynamicClient: %v", sdkErr(err))
	}
	if _, res, err := oidc.GetOidcDynamicClient(asHolder(next), id).Execute(); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a deleted client's token still reads it")
	}
	if res, err := oidc.DeleteOidcDynamicClient(asHolder(next), id).Execute(); err == nil || res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a deleted client's token deletes again")
	}
	if _, err := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader).Token(context.Background()); err == nil {
		t.Error("a deleted client still gets tokens")
	}
}

// TestDynamicClientRegistrationRefusals are the requests strangers can send.
func TestDynamicClientRegistrationRefusals(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, withRegistration())
	oidc := srv.Public.OidcAPI
	register := func() *hydra.OAuth2Client {
		c, _, err := oidc.CreateOidcDynamicClient(context.Background()).OAuth2Client(*hydra.NewOAuth2Client()).Execute()
		if err != nil {
			t.Fatalf("CreateOidcDynamicClient: %v", sdkErr(err))
		}
		return c
	}
	a, b := register(), register()
	adminMade, _ := newMachineClient(t, srv, nil)

	t.Run("tokens", func(t *testing.T) {
		for _, tc := range []struct{ name, id, token string }{
			{"wrong token", a.GetClientId(), "not-the-token"},
			{"token of another client", a.GetClientId(), b.GetRegistrationAccessToken()},
			{"client made by the admin API", adminMade, a.GetRegistrationAccessToken()},
			{"unknown client", "nobody", a.GetRegistrationAccessToken()},
		} {
			_, res, err := oidc.GetOidcDynamicClient(asHolder(tc.token), tc.id).Execute()
			if err == nil || res.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			var oe *hydra.GenericOpenAPIError
			if errors.As(err, &oe) && !strings.Contains(string(oe.Body()), `"error":"invalid_token"`) {
				t.Errorf("%s: body %s", tc.name, oe.Body())
			}
		}
		r := send(t, "GET", srv.PublicURL+"/oauth2/register/"+a.GetClientId(), "", nil, nil)
		if r.Status != http.StatusUnauthorized || r.Header.Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("no token: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("admin-only fields", func(t *testing.T) {
		for field, value := range map[string]any{"skip_consent": true, "metadata": map[string]int{"a": 1},
			"client_id": "chosen", "client_secret": "chosen-secret", "access_token_strategy": "jwt",
			"client_credentials_grant_access_token_lifespan": "24h"} {
			body, _ := json.Marshal(map[string]any{field: value})
			r := send(t, "POST", srv.PublicURL+"/oauth2/register", "application/json", strings.NewReader(string(body)), nil)
			if e := decodeOAuthError(t, r); r.Status != http.StatusBadRequest || e.Error != "invalid_client_metadata" || !strings.Contains(e.Description, field) {
				t.Errorf("%s: %d %+v", body, r.Status, e)
			}
		}
	})

	t.Run("bad redirect", func(t *testing.T) {
		r := send(t, "POST", srv.PublicURL+"/oauth2/register", "application/json", strings.NewReader(`{"redirect_uris":["/relative"]}`), nil)
		if e := decodeOAuthError(t, r); r.Status != http.StatusBadRequest || e.Error != "invalid_redirect_uri" {
			t.Errorf("%d %+v", r.Status, e)
		}
	})
}

// TestDynamicClientRegistrationDisabled: off by default, and then every
// route is a 404 in the OAuth error shape, as in Hydra.
func TestDynamicClientRegistrationDisabled(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	_, res, err := srv.Public.OidcAPI.CreateOidcDynamicClient(context.Background()).OAuth2Client(*hydra.NewOAuth2Client()).Execute()
	if err == nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("registration while disabled: %v", err)
	}
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		r := send(t, method, srv.PublicURL+"/oauth2/register/x", "application/json", strings.NewReader(`{}`),
			http.Header{"Authorization": {"Bearer t"}})
		if r.Status != http.StatusNotFound {
			t.Errorf("%s while disabled: %d %s", method, r.Status, r.Body)
		}
	}
}

// TestDynamicClientSecretJWT: a self-registered client_secret_jwt client
// gets a secret long enough for HS512, sealed, so its HMAC assertions work.
func TestDynamicClientSecretJWT(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, withRegistration())
	in := hydra.NewOAuth2Client()
	in.SetGrantTypes([]string{"client_credentials"})
	in.SetTokenEndpointAuthMethod("client_secret_jwt")
	in.SetTokenEndpointAuthSigningAlg("HS512")
	c, _, err := srv.Public.OidcAPI.CreateOidcDynamicClient(context.Background()).OAuth2Client(*in).Execute()
	if err != nil {
		t.Fatalf("CreateOidcDynamicClient: %v", sdkErr(err))
	}
	claims := assertionClaims(srv, c.GetClientId(), time.Now())
	wantToken(t, tokenWithAssertion(t, srv, jwttest.Sign(t, jose.HS512, []byte(c.GetClientSecret()), "", claims)), "HS512 assertion")
}
