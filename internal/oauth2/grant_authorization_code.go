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

// The authorization code grant's token request, RFC 6749 section 4.1.3,
// with PKCE (RFC 7636 section 4.6) and the OpenID Connect ID token (OIDC
// Core section 3.1.3).
//
//   - "code" is required. Its MAC is checked in memory first, so a forged
//     code costs no storage access.
//   - The code is consumed atomically before any other check: of two
//     concurrent exchanges exactly one proceeds. A replayed code revokes
//     every token already issued from it (section 4.1.2: the server
//     "SHOULD revoke (when possible) all tokens previously issued based on
//     that authorization code").
//   - The code must be unexpired, issued to this client, and, when the
//     authorization request carried redirect_uri, presented with exactly
//     the same value (section 4.1.3).
//   - PKCE: the stored challenge is verified; a public client must have used
//     PKCE (RFC 9700 section 2.1.1), since it has no secret to bind the code.
//   - A code requested with dpop_jkt needs a DPoP proof by that key
//     (RFC 9449 section 10; dpop_token.go).
//
// Storage: ConsumeCode, CreateAccess, and CreateRefresh when offline access
// was granted.
//
// Token hook: runs after the code is consumed and checked, before minting.
// Unlike Hydra, whose code survives a failed hook, the code is spent
// first: consuming it atomically is what lets exactly one of two
// concurrent exchanges proceed, and no database lock is held across the
// hook's HTTP call. A refused or failed hook therefore means a new
// authorization request.
//
// Lifespans: the client's authorization_code_grant_{access,id,refresh}_
// token_lifespan, else ttl.{access_token,id_token,refresh_token}.

// AuthorizationCode implements Grant for authorization_code.
type AuthorizationCode struct {
	Codes         token.FlowStore
	Issuer        *token.Issuer
	IDTokens      *token.IDTokens
	CodeFormat    token.OpaqueFormat
	RefreshFormat token.OpaqueFormat
	// Config returns the current configuration snapshot (config.Live.Get).
	Config func() *config.Config
	Now    func() time.Time
	// Hooks runs oauth2.token_hook; nil runs none.
	Hooks *TokenHooks
}

var _ Grant = (*AuthorizationCode)(nil)

func (g *AuthorizationCode) Type() string { return GrantAuthorizationCode }

// AllowsPublicClients is true: native and browser apps use this grant, with
// PKCE in place of a secret.
func (g *AuthorizationCode) AllowsPublicClients() bool { return true }

// Exchange redeems the code for the family's tokens.
func (g *AuthorizationCode) Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error) {
	now := g.Now()
	rec, err := g.redeem(ctx, req, c, now)
	if err != nil {
		return nil, err
	}
	session, err := decodeSession(rec.Session)
	if err != nil {
		return nil, err
	}
	f := &family{
		Client: c, RequestID: rec.RequestID, Subject: rec.Subject, Scopes: rec.Scopes,
		Audience: rec.Audience, Session: session, SessionJSON: rec.Session, GrantType: GrantAuthorizationCode,
	}
	if f.AccessAudience, err = resourceAudience(req, rec.Audience); err != nil {
		return nil, err
	}
	if err := f.runHooks(ctx, g.Hooks, req, nil, f.Scopes); err != nil {
		return nil, err
	}
	return g.issue(ctx, f, now)
}

// redeem consumes the code and checks everything it is bound to.
func (g *AuthorizationCode) redeem(ctx context.Context, req *TokenRequest, c *client.Client, now time.Time) (*token.CodeRecord, error) {
	raw := req.Form.Get("code")
	if raw == "" {
		return nil, InvalidRequest("The code parameter is missing.")
	}
	digest, err := g.CodeFormat.Check(raw)
	if err != nil {
		return nil, InvalidGrant("The authorization code is malformed or was not issued by this server.")
	}
	rec, err := g.Codes.ConsumeCode(ctx, digest, now)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil, InvalidGrant("The authorization code is unknown.")
	case errors.Is(err, storage.ErrAlreadyUsed) && rec != nil:
		if err := g.Codes.RevokeFamily(ctx, rec.RequestID, now); err != nil {
			return nil, ServerError(err)
		}
		return nil, InvalidGrant("The authorization code was already used; every token issued from it is revoked.")
	case err != nil:
		return nil, ServerError(err)
	}
	if err := checkCode(rec, req, c, now); err != nil {
		return nil, err
	}
	if err := CheckCodeBinding(ctx, rec); err != nil {
		return nil, err
	}
	return rec, nil
}

// checkCode verifies the bindings of a freshly consumed code.
func checkCode(rec *token.CodeRecord, req *TokenRequest, c *client.Client, now time.Time) error {
	if !now.Before(rec.ExpiresAt) {
		return InvalidGrant("The authorization code has expired.")
	}
	if rec.ClientID != c.ID {
		return InvalidGrant("The authorization code was issued to another client.")
	}
	// When the authorization request omitted redirect_uri, section 4.1.3
	// does not require it here; when it carried one, it must match exactly.
	if rec.RedirectURI != "" && req.Form.Get("redirect_uri") != rec.RedirectURI {
		return InvalidGrant("The redirect_uri does not match the one of the authorization request.")
	}
	if rec.CodeChallenge == "" && IsPublic(c) {
		return InvalidGrant("A public client must use PKCE: the authorization request had no code_challenge.")
	}
	return VerifyPKCE(rec.CodeChallenge, rec.CodeChallengeMethod, req.Form.Get("code_verifier"))
}

// issue mints and stores the family's first tokens; the ID token carries
// the authorization request's nonce.
func (g *AuthorizationCode) issue(ctx context.Context, f *family, now time.Time) (*TokenResponse, error) {
	return f.issueFirst(ctx, firstTokens{Issuer: g.Issuer, IDTokens: g.IDTokens, RefreshFormat: g.RefreshFormat,
		Refreshes: g.Codes, Config: g.Config()}, now, familyLifespans{
		Access:  f.Client.AuthorizationCodeGrantAccessTokenLifespan,
		IDToken: f.Client.AuthorizationCodeGrantIDTokenLifespan,
		Refresh: f.Client.AuthorizationCodeGrantRefreshTokenLifespan,
	}, true)
}
