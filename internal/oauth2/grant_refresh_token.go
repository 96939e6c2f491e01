package oauth2

import (
	"context"
	"errors"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// The refresh token grant, RFC 6749 section 6, with rotation (RFC 9700
// section 4.14.2) and a fresh ID token (OIDC Core section 12.2).
//
//   - "refresh_token" is required; its MAC is checked in memory first.
//   - The token must exist, be unrevoked, unexpired and issued to this
//     client. A token already rotated is refused and, beyond the grace of
//     oauth2.grant.refresh_token.rotation_grace_period/_reuse_count, its
//     whole family is revoked: reuse means the token leaked.
//   - A token bound to a DPoP key (a public client's, RFC 9449 section 5)
//     needs a proof signed with that key (dpop_token.go).
//   - "scope" may narrow the grant for the new access token; anything not
//     originally granted is invalid_scope. The rotated refresh token keeps
//     the original scope (section 6).
//   - The ID token keeps auth_time, acr, amr and sid of the original login
//     and omits the nonce, which belonged to the authorization request.
//
// Storage: GetRefresh, then RotateRefresh, which marks the old token used
// and writes the new refresh and access tokens in one transaction.
//
// Hooks: oauth2.refresh_token_hook, then oauth2.token_hook, run before
// anything is minted or rotated, so a refused or failed hook leaves the
// presented refresh token usable.
//
// Lifespans: the client's refresh_token_grant_{access,id,refresh}_token_
// lifespan, else ttl.{access_token,id_token,refresh_token}.

// RefreshToken implements Grant for refresh_token.
type RefreshToken struct {
	Codes         token.FlowStore
	Issuer        *token.Issuer
	IDTokens      *token.IDTokens
	RefreshFormat token.OpaqueFormat
	// Config returns the current configuration snapshot (config.Live.Get).
	Config func() *config.Config
	Now    func() time.Time
	// Hooks runs oauth2.refresh_token_hook and oauth2.token_hook; nil runs none.
	Hooks *TokenHooks
}

var _ Grant = (*RefreshToken)(nil)

func (g *RefreshToken) Type() string { return GrantRefreshToken }

// AllowsPublicClients is true: a public client that obtained a refresh
// token through PKCE may use it; rotation limits the damage of a leak.
func (g *RefreshToken) AllowsPublicClients() bool { return true }

// Exchange rotates the refresh token and issues the family's next tokens.
func (g *RefreshToken) Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error) {
	now := g.Now()
	rec, err := g.lookup(ctx, req, c, now)
	if err != nil {
		return nil, err
	}
	scopes, err := narrowScopes(req.Scopes, rec.Scopes)
	if err != nil {
		return nil, err
	}
	session, err := decodeSession(rec.Session)
	if err != nil {
		return nil, err
	}
	f := &family{
		Client: c, RequestID: rec.RequestID, Subject: rec.Subject, Scopes: rec.Scopes,
		Audience: rec.Audience, Session: session, SessionJSON: rec.Session, GrantType: GrantRefreshToken,
	}
	if f.AccessAudience, err = resourceAudience(req, rec.Audience); err != nil {
		return nil, err
	}
	if err := f.runHooks(ctx, g.Hooks, req, req.Scopes, scopes); err != nil {
		return nil, err
	}
	return g.rotate(ctx, f, rec.Digest, scopes, now)
}

// lookup reads the presented token and refuses what may not be refreshed.
func (g *RefreshToken) lookup(ctx context.Context, req *TokenRequest, c *client.Client, now time.Time) (*token.RefreshRecord, error) {
	raw := req.Form.Get("refresh_token")
	if raw == "" {
		return nil, InvalidRequest("The refresh_token parameter is missing.")
	}
	digest, err := g.RefreshFormat.Check(raw)
	if err != nil {
		return nil, InvalidGrant("The refresh token is malformed or was not issued by this server.")
	}
	rec, err := g.Codes.GetRefresh(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, InvalidGrant("The refresh token is unknown.")
	}
	if err != nil {
		return nil, ServerError(err)
	}
	switch {
	case rec.ClientID != c.ID:
		return nil, InvalidGrant("The refresh token was issued to another client.")
	case rec.RevokedAt != nil:
		return nil, InvalidGrant("The refresh token has been revoked.")
	case !now.Before(rec.ExpiresAt):
		return nil, InvalidGrant("The refresh token has expired.")
	}
	if err := CheckRefreshBinding(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// rotate mints everything first, then stores it in one transaction, so a
// failed mint never burns the presented token.
func (g *RefreshToken) rotate(ctx context.Context, f *family, old []byte, scopes []string, now time.Time) (*TokenResponse, error) {
	cfg := g.Config()
	ls := familyLifespans{
		Access:  f.Client.RefreshTokenGrantAccessTokenLifespan,
		IDToken: f.Client.RefreshTokenGrantIDTokenLifespan,
		Refresh: f.Client.RefreshTokenGrantRefreshTokenLifespan,
	}
	ttl := Lifespan(ls.Access, cfg.TTL.AccessToken, DefaultAccessTTL)
	access, accessRec, err := g.Issuer.MintAccess(ctx, f.accessClaims(cfg, scopes, now, ttl), AccessTokenStrategy(f.Client, cfg))
	if err != nil {
		return nil, ServerError(err)
	}
	refresh, next, err := f.newRefresh(ctx, g.RefreshFormat, now, refreshExpiry(now, ls.Refresh, cfg.TTL.RefreshToken))
	if err != nil {
		return nil, err
	}
	idToken, err := f.idToken(ctx, g.IDTokens, cfg, scopes, now, ls.IDToken, access, false)
	if err != nil {
		return nil, err
	}
	grace := token.Grace{
		Period:     cfg.OAuth2.Grant.RefreshToken.RotationGracePeriod,
		ReuseCount: cfg.OAuth2.Grant.RefreshToken.RotationGraceReuseCount,
	}
	err = g.Codes.RotateRefresh(ctx, old, now, grace, next, accessRec)
	switch {
	case errors.Is(err, storage.ErrAlreadyUsed):
		if err := g.Codes.RevokeFamily(ctx, f.RequestID, now); err != nil {
			return nil, ServerError(err)
		}
		return nil, InvalidGrant("The refresh token was already used; every token of this grant is revoked.")
	case errors.Is(err, storage.ErrNotFound):
		return nil, InvalidGrant("The refresh token is unknown.")
	case err != nil:
		return nil, ServerError(err)
	}
	return familyResponse(access, ttl, scopes, idToken, refresh), nil
}
