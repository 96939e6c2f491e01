package e2e

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/signet-oidc/signet/internal/signettest"
	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

// A relying party built on golang.org/x/oauth2 talks RFC 7523 to Signet:
// x/oauth2 has no JWT client authentication and its jwt package sends no
// client credentials (which Hydra and Signet require), so, as a real
// service would, the test puts a fresh assertion into each token request
// through clientcredentials.Config.EndpointParams (which may override
// grant_type) behind an oauth2.TokenSource.

// assertionSource is an oauth2.TokenSource that signs a new assertion for
// every token request.
type assertionSource struct {
	ctx  context.Context
	cfg  clientcredentials.Config
	sign func() string
	// param receives the assertion: client_assertion or assertion.
	param string
	fixed url.Values
}

func (s *assertionSource) Token() (*oauth2.Token, error) {
	cfg := s.cfg
	cfg.EndpointParams = url.Values{s.param: {s.sign()}}
	for k, v := range s.fixed {
		cfg.EndpointParams[k] = v
	}
	return cfg.Token(s.ctx)
}

func TestXOAuth2PrivateKeyJWT(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	k := assertionKeysOnce()
	createClient(t, srv, map[string]any{"client_id": "x-pk", "token_endpoint_auth_method": "private_key_jwt",
		"jwks": jwttest.PublicJWKS(jose.JSONWebKey{Key: k.ec, KeyID: "ec-1", Use: "sig"}), "scope": "read"})
	src := &assertionSource{ctx: context.Background(), param: "client_assertion",
		cfg: clientcredentials.Config{ClientID: "x-pk", TokenURL: srv.PublicURL + "/oauth2/token",
			Scopes: []string{"read"}, AuthStyle: oauth2.AuthStyleInParams},
		fixed: url.Values{"client_assertion_type": {assertionType}},
		sign: func() string {
			return jwttest.Sign(t, jose.ES256, k.ec, "ec-1", assertionClaims(srv, "x-pk", time.Now()))
		}}
	for range 2 { // two requests, two assertions: neither is a replay
		tok, err := src.Token()
		if err != nil {
			t.Fatalf("x/oauth2 with private_key_jwt: %v", err)
		}
		if ins := introspect(t, srv, tok.AccessToken); !ins.Active || ins.GetClientId() != "x-pk" || ins.GetScope() != "read" {
			t.Fatalf("introspection: %+v", ins)
		}
	}
}

func TestXOAuth2JWTBearer(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	k := assertionKeysOnce()
	trustIssuer(t, srv, &k.rsa.PublicKey, "alice", []string{"read"}, time.Now().Add(time.Hour))
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
		c.SetGrantTypes([]string{bearerGrant})
		c.SetScope("read")
	})
	idp := &bearerIdP{t: t, key: k.rsa, clk: newClock(), tokenURL: srv.PublicURL + "/oauth2/token"}
	src := &assertionSource{ctx: context.Background(), param: "assertion",
		cfg:   *ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read"),
		fixed: url.Values{"grant_type": {bearerGrant}},
		sign:  func() string { return idp.assertion("alice", nil) }}
	// Through x/oauth2's caching source, as an application would hold it;
	// the resource server (here introspection) sees the assertion's subject.
	tok, err := oauth2.ReuseTokenSource(nil, src).Token()
	if err != nil {
		t.Fatalf("x/oauth2 with the jwt-bearer grant: %v", err)
	}
	if ins := introspect(t, srv, tok.AccessToken); !ins.Active || ins.GetSub() != "alice" || ins.GetClientId() != id {
		t.Fatalf("introspection: %+v", ins)
	}
	if _, err := src.Token(); err != nil {
		t.Fatalf("second token with a fresh assertion: %v", err)
	}
}
