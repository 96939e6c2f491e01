package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

const (
	setIDToken     = "hydra.openid.id-token"
	setAccessToken = "hydra.jwt.access-token"
)

// broadcastBoth lists both sets explicitly, as Hydra configurations often
// do. The JWKS holds both by default anyway; these tests thereby also cover
// a configured list.
var broadcastBoth = signettest.WithEnv("WEBFINGER_JWKS_BROADCAST_KEYS=" + setIDToken + "," + setAccessToken)

// accessClaims is what a resource server reads from a JWT access token.
type accessClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	ClientID  string   `json:"client_id"`
	Audience  []string `json:"aud"`
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	Scp       []string `json:"scp"`
	JTI       string   `json:"jti"`
}

// verifier is a relying party's verifier: go-oidc fetching our JWKS. An
// empty audience skips the audience check.
func verifier(srv *signettest.Server, audience string) *oidc.IDTokenVerifier {
	keys := oidc.NewRemoteKeySet(context.Background(), srv.PublicURL+"/.well-known/jwks.json")
	return oidc.NewVerifier(srv.Issuer, keys, &oidc.Config{ClientID: audience, SkipClientIDCheck: audience == ""})
}

// TestJWTAccessTokenVerifiedAgainstJWKS: a resource server with go-oidc
// verifies a JWT access token using only the published keys.
func TestJWTAccessTokenVerifiedAgainstJWKS(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, broadcastBoth)
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAccessTokenStrategy("jwt") })
	cfg := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read", "write")
	cfg.EndpointParams = map[string][]string{"audience": {"https://api.example"}}
	tok := mustToken(t, cfg)

	verified, err := verifier(srv, "https://api.example").Verify(context.Background(), tok.AccessToken)
	if err != nil {
		t.Fatalf("go-oidc could not verify the access token against the JWKS: %v", err)
	}
	var c accessClaims
	if err := verified.Claims(&c); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	if c.Issuer != srv.Issuer || c.Subject != id || c.ClientID != id ||
		!slices.Equal(c.Audience, []string{"https://api.example"}) || !slices.Equal(c.Scp, []string{"read", "write"}) ||
		c.JTI == "" || c.ExpiresAt < now+3500 || c.ExpiresAt > now+3700 || c.IssuedAt > now+5 {
		t.Errorf("claims %+v", c)
	}
	hdr := jwsHeader(t, tok.AccessToken)
	if hdr.Algorithm != "RS256" || hdr.KeyID == "" || hdr.ExtraHeaders["typ"] != "JWT" {
		t.Errorf("header alg %q kid %q typ %v", hdr.Algorithm, hdr.KeyID, hdr.ExtraHeaders["typ"])
	}

	// Introspection agrees with the token.
	ins := introspect(t, srv, tok.AccessToken)
	if !ins.Active || ins.GetClientId() != id || ins.GetExp() != c.ExpiresAt || ins.GetScope() != "read write" {
		t.Errorf("introspection of the JWT: %+v", ins)
	}
	// A token for another audience fails the relying party's audience check.
	if _, err := verifier(srv, "https://other.example").Verify(context.Background(), tok.AccessToken); err == nil {
		t.Error("go-oidc accepted the token for an audience it was not issued to")
	}
}

// TestJWTServerWideStrategy: strategies.access_token=jwt applies to clients
// without their own access_token_strategy.
func TestJWTServerWideStrategy(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, broadcastBoth, signettest.WithEnv("STRATEGIES_ACCESS_TOKEN=jwt"))
	id, secret := newMachineClient(t, srv, nil)
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader))
	if _, err := verifier(srv, "").Verify(context.Background(), tok.AccessToken); err != nil {
		t.Fatalf("server-wide jwt strategy: %v", err)
	}
}

// TestJWKSPublishesBothWellKnownSets: like Hydra, the JWKS always holds
// the ID token and the access-token sets, whatever
// webfinger.jwks.broadcast_keys lists, so a resource server can verify JWT
// access tokens offline with no configuration; never any private material.
func TestJWKSPublishesBothWellKnownSets(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	ctx := context.Background()
	idSet, _, err := srv.Admin.JwkAPI.GetJsonWebKeySet(ctx, setIDToken).Execute()
	if err != nil {
		t.Fatalf("GetJsonWebKeySet: %v", sdkErr(err))
	}
	atSet, _, err := srv.Admin.JwkAPI.GetJsonWebKeySet(ctx, setAccessToken).Execute()
	if err != nil {
		t.Fatalf("GetJsonWebKeySet: %v", sdkErr(err))
	}
	published, _, err := srv.Public.WellknownAPI.DiscoverJsonWebKeys(ctx).Execute()
	if err != nil {
		t.Fatalf("DiscoverJsonWebKeys: %v", sdkErr(err))
	}
	want := append(kids(idSet.Keys), kids(atSet.Keys)...)
	slices.Sort(want)
	got := kids(published.Keys)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("published kids %v, want the ID token and access-token sets' %v", got, want)
	}
	for _, k := range published.Keys {
		if k.D != nil || k.P != nil || k.Q != nil || k.Dp != nil || k.Dq != nil || k.Qi != nil || k.K != nil {
			t.Errorf("published key %s carries private material", k.Kid)
		}
	}

	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAccessTokenStrategy("jwt") })
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader))
	if _, err := verifier(srv, "").Verify(ctx, tok.AccessToken); err != nil {
		t.Errorf("a JWT access token does not verify against the default JWKS: %v", err)
	}
}

// TestKeyRotation: a key added to the access-token set signs at once; old
// tokens stay valid while their key exists; deleting a key makes its
// tokens inactive (the secure answer: nothing can vouch for them).
func TestKeyRotation(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t, broadcastBoth)
	ctx := context.Background()
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAccessTokenStrategy("jwt") })
	cfg := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader)
	rp := verifier(srv, "")

	old := mustToken(t, cfg).AccessToken
	oldKid := jwsHeader(t, old).KeyID
	if _, err := rp.Verify(ctx, old); err != nil {
		t.Fatalf("verify before rotation: %v", err)
	}

	created, res, err := srv.Admin.JwkAPI.CreateJsonWebKeySet(ctx, setAccessToken).
		CreateJsonWebKeySet(hydra.CreateJsonWebKeySet{Alg: "RS256", Use: "sig", Kid: "rotated-1"}).Execute()
	if err != nil {
		t.Fatalf("CreateJsonWebKeySet: %v", sdkErr(err))
	}
	if res.StatusCode != http.StatusCreated || len(created.Keys) != 1 || created.Keys[0].Kid != "rotated-1" || created.Keys[0].D == nil {
		t.Fatalf("create returned %d %+v; want 201 with the new private key", res.StatusCode, created)
	}

	fresh := mustToken(t, cfg).AccessToken
	if kid := jwsHeader(t, fresh).KeyID; kid != "rotated-1" {
		t.Fatalf("a token minted after rotation is signed by %q, want rotated-1", kid)
	}
	// The relying party's cached key set lacks the new kid and refetches.
	if _, err := rp.Verify(ctx, fresh); err != nil {
		t.Errorf("verify after rotation: %v", err)
	}
	if !introspect(t, srv, old).Active || !introspect(t, srv, fresh).Active {
		t.Fatal("after rotation both the old and the new token must be active")
	}
	published, _, err := srv.Public.WellknownAPI.DiscoverJsonWebKeys(ctx).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	if ks := kids(published.Keys); !slices.Contains(ks, oldKid) || !slices.Contains(ks, "rotated-1") {
		t.Errorf("during rotation the JWKS must publish both keys; got %v", ks)
	}

	if _, err := srv.Admin.JwkAPI.DeleteJsonWebKey(ctx, setAccessToken, oldKid).Execute(); err != nil {
		t.Fatalf("DeleteJsonWebKey: %v", sdkErr(err))
	}
	if introspect(t, srv, old).Active {
		t.Error("a token whose signing key was deleted is still active")
	}
	if !introspect(t, srv, fresh).Active {
		t.Error("deleting the old key deactivated the new key's token")
	}
	published, _, err = srv.Public.WellknownAPI.DiscoverJsonWebKeys(ctx).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	if ks := kids(published.Keys); slices.Contains(ks, oldKid) || !slices.Contains(ks, "rotated-1") {
		t.Errorf("after deletion the JWKS publishes %v; want rotated-1 and not %s", ks, oldKid)
	}
	if kid := jwsHeader(t, mustToken(t, cfg).AccessToken).KeyID; kid != "rotated-1" {
		t.Errorf("after deleting the old key tokens are signed by %q", kid)
	}
}

// jwsHeader parses the protected header of a compact JWS without verifying.
func jwsHeader(t *testing.T, raw string) jose.Header {
	t.Helper()
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.RS512, jose.ES512, jose.EdDSA})
	if err != nil {
		t.Fatalf("not a JWS: %v", err)
	}
	return jws.Signatures[0].Header
}

func kids(keys []hydra.JsonWebKey) []string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k.Kid)
	}
	slices.Sort(out)
	return out
}
