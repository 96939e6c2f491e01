package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestKeyAdminAPI drives every JwkAPI call of the Hydra SDK against a set
// of the operator's own.
func TestKeyAdminAPI(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	ctx := context.Background()
	api := srv.Admin.JwkAPI
	const set = "e2e.signing"

	created, res, err := api.CreateJsonWebKeySet(ctx, set).
		CreateJsonWebKeySet(hydra.CreateJsonWebKeySet{Alg: "ES256", Use: "sig", Kid: "es-1"}).Execute()
	if err != nil {
		t.Fatalf("CreateJsonWebKeySet: %v", sdkErr(err))
	}
	if res.StatusCode != http.StatusCreated || len(created.Keys) != 1 {
		t.Fatalf("create: %d %+v", res.StatusCode, created)
	}
	k := created.Keys[0]
	if k.Kid != "es-1" || k.Alg != "ES256" || k.Use != "sig" || k.Kty != "EC" || k.GetCrv() != "P-256" || k.D == nil {
		t.Errorf("created key %+v", k)
	}

	if _, _, err := api.CreateJsonWebKeySet(ctx, set).
		CreateJsonWebKeySet(hydra.CreateJsonWebKeySet{Alg: "RS256", Use: "sig", Kid: "rs-1"}).Execute(); err != nil {
		t.Fatalf("second key: %v", sdkErr(err))
	}
	got, _, err := api.GetJsonWebKeySet(ctx, set).Execute()
	if err != nil {
		t.Fatalf("GetJsonWebKeySet: %v", sdkErr(err))
	}
	if ks := kids(got.Keys); !slices.Equal(ks, []string{"es-1", "rs-1"}) {
		t.Errorf("set holds %v, want es-1 and rs-1", ks)
	}
	one, _, err := api.GetJsonWebKey(ctx, set, "rs-1").Execute()
	if err != nil || len(one.Keys) != 1 || one.Keys[0].Kid != "rs-1" || one.Keys[0].Kty != "RSA" {
		t.Fatalf("GetJsonWebKey: %v %+v", sdkErr(err), one)
	}

	// Import the public half of rs-1 under a new kid with SetJsonWebKey.
	pub := one.Keys[0]
	pub.Kid = "imported"
	pub.D, pub.P, pub.Q, pub.Dp, pub.Dq, pub.Qi = nil, nil, nil, nil, nil, nil
	put, _, err := api.SetJsonWebKey(ctx, set, "imported").JsonWebKey(pub).Execute()
	if err != nil {
		t.Fatalf("SetJsonWebKey: %v", sdkErr(err))
	}
	if put.Kid != "imported" || put.D != nil {
		t.Errorf("SetJsonWebKey returned %+v", put)
	}

	// SetJsonWebKeySet replaces the whole set.
	replaced, _, err := api.SetJsonWebKeySet(ctx, set).JsonWebKeySet(hydra.JsonWebKeySet{Keys: []hydra.JsonWebKey{pub}}).Execute()
	if err != nil {
		t.Fatalf("SetJsonWebKeySet: %v", sdkErr(err))
	}
	if ks := kids(replaced.Keys); !slices.Equal(ks, []string{"imported"}) {
		t.Errorf("SetJsonWebKeySet answered %v", ks)
	}
	after, _, err := api.GetJsonWebKeySet(ctx, set).Execute()
	if err != nil || !slices.Equal(kids(after.Keys), []string{"imported"}) {
		t.Errorf("after SetJsonWebKeySet the set holds %v (%v), want only imported", kids(after.Keys), err)
	}

	if _, err := api.DeleteJsonWebKey(ctx, set, "imported").Execute(); err != nil {
		t.Fatalf("DeleteJsonWebKey: %v", sdkErr(err))
	}
	if _, res, err := api.GetJsonWebKey(ctx, set, "imported").Execute(); err == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GetJsonWebKey after delete: status %d, want 404", res.StatusCode)
	}
	if _, _, err := api.CreateJsonWebKeySet(ctx, set).
		CreateJsonWebKeySet(hydra.CreateJsonWebKeySet{Alg: "EdDSA", Use: "sig"}).Execute(); err != nil {
		t.Fatalf("EdDSA key: %v", sdkErr(err))
	}
	if res, err := api.DeleteJsonWebKeySet(ctx, set).Execute(); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("DeleteJsonWebKeySet: %v", sdkErr(err))
	}
	if _, res, err := api.GetJsonWebKeySet(ctx, set).Execute(); err == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("GetJsonWebKeySet after delete: status %d, want 404", res.StatusCode)
	}

	// Operator sets are never published.
	published, _, err := srv.Public.WellknownAPI.DiscoverJsonWebKeys(ctx).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	for _, k := range published.Keys {
		if k.Kid == "es-1" || k.Kid == "rs-1" {
			t.Errorf("key %s of a non-broadcast set is published", k.Kid)
		}
	}
}

// TestKeyAdminRefusals: bad key requests are 4xx and create nothing.
func TestKeyAdminRefusals(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	ctx := context.Background()
	api := srv.Admin.JwkAPI
	for _, body := range []hydra.CreateJsonWebKeySet{
		{Alg: "none", Use: "sig"},
		{Alg: "HS256", Use: "sig"},
		{Alg: "RS256", Use: "bogus"},
		{Alg: "", Use: "sig"},
	} {
		_, res, err := api.CreateJsonWebKeySet(ctx, "e2e.refused").CreateJsonWebKeySet(body).Execute()
		if err == nil || res.StatusCode < 400 || res.StatusCode >= 500 {
			t.Errorf("create %+v: status %d, want 4xx", body, res.StatusCode)
		}
	}
	if _, res, err := api.GetJsonWebKeySet(ctx, "e2e.refused").Execute(); err == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("refused creates left a set behind: status %d", res.StatusCode)
	}
	body := hydra.CreateJsonWebKeySet{Alg: "RS256", Use: "sig", Kid: "dup"}
	if _, _, err := api.CreateJsonWebKeySet(ctx, "e2e.dup").CreateJsonWebKeySet(body).Execute(); err != nil {
		t.Fatal(sdkErr(err))
	}
	if _, res, err := api.CreateJsonWebKeySet(ctx, "e2e.dup").CreateJsonWebKeySet(body).Execute(); err == nil || res.StatusCode != http.StatusConflict {
		t.Errorf("a second key with the same kid: status %d, want 409", res.StatusCode)
	}
}
