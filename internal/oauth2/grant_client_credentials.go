package oauth2

import (
	"context"
	"io"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/token"
)

// The client credentials grant, RFC 6749 section 4.4: a confidential client
// obtains an access token for itself. Section 4.4.3: no refresh token is
// issued. The token's subject is the client_id, as in Hydra.
//
// Scope: each requested scope must be covered by the client's scope under
// strategies.scope. When none is requested, nothing is granted, unless
// oauth2.client_credentials.default_grant_allowed_scope is true, in which
// case every scope of the client is granted.
//
// Audience: the space-separated "audience" parameter; each value must be
// one of the client's audience entries or lie below one (audience.go),
// else invalid_request. RFC 8707 resource indicators join it, under the
// same rule but refused with invalid_target (resource.go).
//
// Lifespan: the client's client_credentials_grant_access_token_lifespan,
// else ttl.access_token. Format: the client's access_token_strategy, else
// strategies.access_token.
//
// Token hook: oauth2.token_hook runs after scope and audience are decided
// and before the token is minted; its access_token claims become the
// token's extra claims (there is no ID token here, so its id_token claims
// are ignored).

// GrantClientCredentials is the grant_type value.
const GrantClientCredentials = "client_credentials"

// DefaultAccessTTL applies when neither the client nor ttl.access_token
// sets a lifespan (Hydra's default, also set by config defaults).
const DefaultAccessTTL = time.Hour

// ClientCredentials implements Grant for client_credentials.
type ClientCredentials struct {
	Issuer *token.Issuer
	// Config returns the current configuration snapshot (config.Live.Get).
	Config func() *config.Config
	Now    func() time.Time
	// Rand feeds the request id; crypto/rand.Reader in production.
	Rand io.Reader
	// Hooks runs oauth2.token_hook; nil runs none.
	Hooks *TokenHooks
}

var _ Grant = (*ClientCredentials)(nil)

func (g *ClientCredentials) Type() string { return GrantClientCredentials }

// AllowsPublicClients is false: section 4.4 "MUST only be used by
// confidential clients".
func (g *ClientCredentials) AllowsPublicClients() bool { return false }

// Exchange checks scope and audience and issues one access token.
func (g *ClientCredentials) Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error) {
	cfg := g.Config()
	scopes, err := grantScopes(req.Scopes, SplitScope(c.Scope),
		ScopeStrategyFor(cfg.Strategies.Scope), cfg.OAuth2.ClientCredentials.DefaultGrantAllowedScope)
	if err != nil {
		return nil, err
	}
	audience, err := TargetAudience(req, c.Audience)
	if err != nil {
		return nil, err
	}
	now := g.Now()
	return accessOnly{Rand: g.Rand, Hooks: g.Hooks, Issuer: g.Issuer}.issue(ctx, &HookInput{
		GrantType: GrantClientCredentials, Client: c, Subject: c.ID,
		RequestedScopes: req.Scopes, GrantedScopes: scopes, GrantedAudience: audience, Form: req.Form,
	}, token.Claims{
		ClientID: c.ID, Subject: c.ID, Scopes: scopes, Audience: audience,
		GrantType: GrantClientCredentials, Issuer: cfg.URLs.Self.Issuer,
		IssuedAt: now, ExpiresAt: now.Add(clientCredentialsLifespan(c, cfg)),
	}, AccessTokenStrategy(c, cfg))
}

// grantScopes decides the granted scope of a client_credentials request.
func grantScopes(requested, allowed []string, covers ScopeStrategy, defaultAll bool) ([]string, error) {
	if len(requested) == 0 {
		if defaultAll {
			return allowed, nil
		}
		return []string{}, nil
	}
	for _, s := range requested {
		if !covers(allowed, s) {
			return nil, InvalidScope("The client is not allowed to request scope %q.", httpx.Clip(s, 64))
		}
	}
	return Dedupe(requested), nil
}

func clientCredentialsLifespan(c *client.Client, cfg *config.Config) time.Duration {
	if d := c.ClientCredentialsGrantAccessTokenLifespan; d != nil && *d > 0 {
		return time.Duration(*d)
	}
	if cfg.TTL.AccessToken > 0 {
		return cfg.TTL.AccessToken
	}
	return DefaultAccessTTL
}

// AccessTokenStrategy is the client's access_token_strategy, else the
// server's (strategies.access_token); the authorization endpoint uses it
// for the access tokens of implicit and hybrid responses too.
func AccessTokenStrategy(c *client.Client, cfg *config.Config) string {
	if c.AccessTokenStrategy != "" {
		return c.AccessTokenStrategy
	}
	return cfg.Strategies.AccessToken
}
