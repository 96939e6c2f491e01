package trust

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"
)

// TestHydraSDKCompatibility drives the trust API with Hydra's Go SDK: a
// program that manages trusted issuers on Hydra works unchanged on Signet.
func TestHydraSDKCompatibility(t *testing.T) {
	env := newAdminEnv(t)
	srv := httptest.NewServer(env.handler)
	t.Cleanup(srv.Close)
	cfg := hydra.NewConfiguration()
	cfg.Servers = hydra.ServerConfigurations{{URL: srv.URL}}
	cfg.HTTPClient = srv.Client()
	api := hydra.NewAPIClient(cfg).OAuth2API
	ctx := t.Context()

	var key hydra.JsonWebKey
	if err := json.Unmarshal(jwkJSON(t, &env.keys.ec256.PublicKey, "sdk-key", "ES256", "sig"), &key); err != nil {
		t.Fatal(err)
	}
	expires := env.now.Add(time.Hour).Truncate(time.Second)
	in := hydra.NewTrustOAuth2JwtGrantIssuer(expires, "https://sdk.example", key, []string{"read", "write"})
	in.SetSubject("alice")
	created, _, err := api.TrustOAuth2JwtGrantIssuer(ctx).TrustOAuth2JwtGrantIssuer(*in).Execute()
	if err != nil {
		t.Fatalf("trust: %v", err)
	}
	if created.GetIssuer() != "https://sdk.example" || created.GetSubject() != "alice" || created.GetAllowAnySubject() ||
		!created.GetExpiresAt().Equal(expires) || len(created.GetScope()) != 2 {
		t.Errorf("created = %+v", created)
	}
	if pk := created.PublicKey; pk == nil || pk.GetSet() != "https://sdk.example" || pk.GetKid() != "sdk-key" {
		t.Errorf("public_key = %+v", pk)
	}

	list, _, err := api.ListTrustedOAuth2JwtGrantIssuers(ctx).Issuer("https://sdk.example").MaxItems(10).Execute()
	if err != nil || len(list) != 1 || list[0].GetId() != created.GetId() {
		t.Fatalf("list: %v %+v", err, list)
	}
	got, _, err := api.GetTrustedOAuth2JwtGrantIssuer(ctx, created.GetId()).Execute()
	if err != nil || got.GetId() != created.GetId() || got.PublicKey.GetKid() != "sdk-key" {
		t.Fatalf("get: %v %+v", err, got)
	}
	if _, err := api.DeleteTrustedOAuth2JwtGrantIssuer(ctx, created.GetId()).Execute(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, resp, err := api.GetTrustedOAuth2JwtGrantIssuer(ctx, created.GetId()).Execute()
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: %v %v", err, resp)
	}

	// The SDK's own refusal path: a private key is refused with a reason.
	var priv hydra.JsonWebKey
	if err := json.Unmarshal(jwkJSON(t, env.keys.ec256, "sdk-key", "ES256", "sig"), &priv); err != nil {
		t.Fatal(err)
	}
	in.Jwk = priv
	_, resp, err = api.TrustOAuth2JwtGrantIssuer(ctx).TrustOAuth2JwtGrantIssuer(*in).Execute()
	if err == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("private key: %v %v", err, resp)
	}
}
