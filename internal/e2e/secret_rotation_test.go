package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// rotateSecret calls POST /admin/clients/{id}/secrets/rotate. Plain HTTP:
// hydra-client-go v2.2.1 predates the rotation endpoints.
func rotateSecret(t *testing.T, srv *signettest.Server, method, id string) response {
	t.Helper()
	return send(t, method, srv.AdminURL+"/admin/clients/"+id+"/secrets/rotate", "", nil, nil)
}

// TestSecretRotation is the zero-downtime rollout an operator performs:
// rotate, both secrets work, delete the rotated one, only the new one works.
// On every database, since the rotated secrets live in stored credentials.
func TestSecretRotation(t *testing.T) {
	t.Parallel()
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			secretRotation(t, b.start(t))
		})
	}
}

func secretRotation(t *testing.T, srv *signettest.Server) {
	id, oldSecret := newMachineClient(t, srv, nil)

	r := rotateSecret(t, srv, "POST", id)
	var rotated hydra.OAuth2Client
	if err := json.Unmarshal(r.Body, &rotated); err != nil || r.Status != http.StatusOK {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	newSecret := rotated.GetClientSecret()
	if newSecret == "" || newSecret == oldSecret || rotated.GetClientId() != id || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate returned %s (Cache-Control %q)", r.Body, r.Header.Get("Cache-Control"))
	}
	mustToken(t, ccConfig(srv, id, oldSecret, oauth2.AuthStyleInHeader, "read"))
	mustToken(t, ccConfig(srv, id, newSecret, oauth2.AuthStyleInHeader, "read"))

	// An admin update in between keeps the rotated secret.
	got, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	got.SetClientName("renamed")
	if _, _, err := srv.Admin.OAuth2API.SetOAuth2Client(context.Background(), id).OAuth2Client(*got).Execute(); err != nil {
		t.Fatal(sdkErr(err))
	}
	mustToken(t, ccConfig(srv, id, oldSecret, oauth2.AuthStyleInHeader, "read"))

	r = rotateSecret(t, srv, "DELETE", id)
	var cleared hydra.OAuth2Client
	if err := json.Unmarshal(r.Body, &cleared); err != nil || r.Status != http.StatusOK || cleared.ClientSecret != nil {
		t.Fatalf("delete rotated: %d %s", r.Status, r.Body)
	}
	if _, err := ccConfig(srv, id, oldSecret, oauth2.AuthStyleInHeader, "read").Token(context.Background()); err == nil {
		t.Error("the rotated secret still works after DELETE …/secrets/rotate")
	}
	mustToken(t, ccConfig(srv, id, newSecret, oauth2.AuthStyleInHeader, "read"))
}

// TestSecretRotationClientSecretJWT: deleting the rotated secrets ends the
// old HMAC key too (its sealed copy goes with its hash).
func TestSecretRotationClientSecretJWT(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	out := createClient(t, srv, map[string]any{"client_id": "hs-rot", "token_endpoint_auth_method": "client_secret_jwt"})
	old, _ := out["client_secret"].(string)
	var rotated hydra.OAuth2Client
	if r := rotateSecret(t, srv, "POST", "hs-rot"); r.Status != http.StatusOK || json.Unmarshal(r.Body, &rotated) != nil {
		t.Fatalf("rotate: %d %s", r.Status, r.Body)
	}
	assertWith := func(secret string) response {
		return tokenWithAssertion(t, srv, jwttest.Sign(t, jose.HS256, []byte(secret), "", assertionClaims(srv, "hs-rot", time.Now())))
	}
	wantToken(t, assertWith(old), "rotated secret")
	if r := rotateSecret(t, srv, "DELETE", "hs-rot"); r.Status != http.StatusOK {
		t.Fatalf("delete rotated: %d %s", r.Status, r.Body)
	}
	wantInvalidClient(t, assertWith(old), "rotated secret after DELETE …/secrets/rotate")
	wantToken(t, assertWith(rotated.GetClientSecret()), "current secret")
}

// TestSecretRotationRefusals: no secret to rotate, or no client.
func TestSecretRotationRefusals(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	public, _, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(hydra.OAuth2Client{
		TokenEndpointAuthMethod: hydra.PtrString("none"), RedirectUris: []string{"https://spa.example/cb"},
	}).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	for _, tc := range []struct {
		method, id string
		status     int
		code       string
	}{
		{"POST", public.GetClientId(), http.StatusBadRequest, "invalid_request"},
		{"POST", "nobody", http.StatusNotFound, "not_found"},
		{"DELETE", "nobody", http.StatusNotFound, "not_found"},
	} {
		r := rotateSecret(t, srv, tc.method, tc.id)
		if e := decodeOAuthError(t, r); r.Status != tc.status || e.Error != tc.code {
			t.Errorf("%s %s: %d %+v", tc.method, tc.id, r.Status, e)
		}
	}
}
