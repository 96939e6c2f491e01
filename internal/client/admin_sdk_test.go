package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"
)

// TestHydraSDKCompatibility drives the admin API with Hydra's own Go SDK:
// a program written against Hydra must work unchanged against Signet.
func TestHydraSDKCompatibility(t *testing.T) {
	env := newEnv(t)
	srv := httptest.NewServer(env.handler)
	t.Cleanup(srv.Close)
	cfg := hydra.NewConfiguration()
	cfg.Servers = hydra.ServerConfigurations{{URL: srv.URL}}
	cfg.HTTPClient = srv.Client()
	api := hydra.NewAPIClient(cfg).OAuth2API
	ctx := context.Background()

	in := hydra.NewOAuth2Client()
	in.SetClientName("sdk")
	in.SetGrantTypes([]string{"client_credentials"})
	in.SetResponseTypes([]string{"code"})
	created, _, err := api.CreateOAuth2Client(ctx).OAuth2Client(*in).Execute()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	id := created.GetClientId()
	if created.GetClientSecret() == "" {
		t.Fatal("create returned no secret")
	}

	// Read-modify-write, as SDK users do: the GET body must be a valid PUT body.
	got, _, err := api.GetOAuth2Client(ctx, id).Execute()
	if err != nil {
		t.Fatalf("get: %v", err)
	}
	got.SetOwner("team")
	if _, _, err := api.SetOAuth2Client(ctx, id).OAuth2Client(*got).Execute(); err != nil {
		t.Fatalf("set with the GET body: %v", err)
	}

	patched, _, err := api.PatchOAuth2Client(ctx, id).JsonPatch([]hydra.JsonPatch{
		{Op: "replace", Path: "/scope", Value: "read write"},
	}).Execute()
	if err != nil || patched.GetScope() != "read write" || patched.GetOwner() != "team" {
		t.Fatalf("patch: %v %+v", err, patched)
	}

	l := hydra.NewOAuth2ClientTokenLifespans()
	l.SetClientCredentialsGrantAccessTokenLifespan("5m")
	withL, _, err := api.SetOAuth2ClientLifespans(ctx, id).OAuth2ClientTokenLifespans(*l).Execute()
	if err != nil || withL.GetClientCredentialsGrantAccessTokenLifespan() != "5m0s" {
		t.Fatalf("lifespans: %v %+v", err, withL)
	}

	list, _, err := api.ListOAuth2Clients(ctx).Owner("team").PageSize(10).Execute()
	if err != nil || len(list) != 1 || list[0].GetClientId() != id {
		t.Fatalf("list: %v %+v", err, list)
	}

	if _, err := api.DeleteOAuth2Client(ctx, id).Execute(); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, resp, err := api.GetOAuth2Client(ctx, id).Execute()
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: %v", err)
	}
}
