package authorize

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/token"
)

// Tokens issued by the authorization endpoint itself: the implicit flow
// (RFC 6749 section 4.2.2, OpenID Connect Core 1.0 section 3.2.2.5) and
// the hybrid flow (OIDC Core section 3.3.2.5), after the consent step.
//
//   - "token": an access token of grant type "implicit", minted with the
//     client's access token strategy, living implicit_grant_access_token_
//     lifespan else ttl.access_token. It carries the flow ID as request
//     ID, so revoking the consent (whose ID is the flow ID) revokes it.
//   - "id_token": an ID token with nonce, auth_time, acr, amr, sid and the
//     consent's id_token claims, living implicit_grant_id_token_lifespan
//     else ttl.id_token; at_hash when an access token comes with it
//     (3.2.2.10), c_hash when a code does (3.3.2.11).
//   - "code" with either: the code is stored as for "code" alone, and the
//     ID token the token endpoint mints from it later is the usual one.
//
// No refresh token is ever issued here (RFC 6749 section 4.2.2: "The
// authorization server MUST NOT issue a refresh token"). Token hooks are
// not called: as in Hydra, they belong to the token endpoint.

// issueResponse marks the flow finished, issues what rt asks for and
// returns the response parameters (state and iss are added by the
// clientReply).
func (a *Endpoint) issueResponse(ctx context.Context, cfg *config.Config, f *flow.Flow, c *client.Client,
	rt ResponseType, subject string, now time.Time) (url.Values, error) {
	if err := f.IssueCode(); err != nil {
		return nil, err
	}
	session, err := grantSession(f)
	if err != nil {
		return nil, err
	}
	v := url.Values{"scope": {strings.Join(f.Consent.GrantedScope, " ")}}
	var code, access string
	if rt.Code {
		if code, err = a.issueCode(ctx, cfg, f, subject, session, now); err != nil {
			return nil, err
		}
		v.Set("code", code)
	}
	if rt.Token {
		var ttl time.Duration
		if access, ttl, err = a.implicitAccess(ctx, cfg, f, c, subject, session, now); err != nil {
			return nil, err
		}
		v.Set("access_token", access)
		v.Set("token_type", oauth2.TokenTypeBearer)
		v.Set("expires_in", strconv.FormatInt(int64(ttl/time.Second), 10))
	}
	if rt.IDToken {
		idToken, err := a.implicitIDToken(ctx, cfg, f, c, subject, session, now, access, code)
		if err != nil {
			return nil, err
		}
		v.Set("id_token", idToken)
	}
	return v, nil
}

// implicitAccess mints and stores the access token (one write).
func (a *Endpoint) implicitAccess(ctx context.Context, cfg *config.Config, f *flow.Flow, c *client.Client,
	subject string, session token.GrantSession, now time.Time) (string, time.Duration, error) {
	if a.Issuer == nil {
		return "", 0, errors.New("authorize: response_type token requested but the authorization endpoint has no token issuer")
	}
	ttl := oauth2.Lifespan(c.ImplicitGrantAccessTokenLifespan, cfg.TTL.AccessToken, oauth2.DefaultAccessTTL)
	claims := token.Claims{
		ClientID: c.ID, Subject: subject, Scopes: f.Consent.GrantedScope, Audience: f.Consent.GrantedAudience,
		GrantType: client.GrantImplicit, Issuer: cfg.IssuerURL(), IssuedAt: now, ExpiresAt: now.Add(ttl),
		Ext: session.AccessToken, RequestID: f.ID,
	}
	raw, _, err := a.Issuer.Access(ctx, claims, oauth2.AccessTokenStrategy(c, cfg))
	if err != nil {
		return "", 0, fmt.Errorf("issuing an implicit access token: %w", err)
	}
	return raw, ttl, nil
}

// implicitIDToken mints the ID token; accessRaw and code, when set, are
// bound into it by at_hash and c_hash.
func (a *Endpoint) implicitIDToken(ctx context.Context, cfg *config.Config, f *flow.Flow, c *client.Client,
	subject string, session token.GrantSession, now time.Time, accessRaw, code string) (string, error) {
	if a.IDTokens == nil {
		return "", errors.New("authorize: response_type id_token requested but the authorization endpoint has no ID token minter")
	}
	claims := token.IDTokenClaims{
		Issuer: cfg.IssuerURL(), Subject: subject, Audience: []string{c.ID},
		ExpiresAt: now.Add(oauth2.Lifespan(c.ImplicitGrantIDTokenLifespan, cfg.TTL.IDToken, oauth2.DefaultIDTokenTTL)), IssuedAt: now,
		AuthTime: session.AuthTime, RequestedAt: session.RequestedAt, Nonce: session.Nonce,
		ACR: session.ACR, AMR: session.AMR, SessionID: session.SessionID,
		AccessToken: accessRaw, Code: code, Extra: session.IDToken,
	}
	raw, _, err := a.IDTokens.Mint(ctx, claims)
	if err != nil {
		return "", fmt.Errorf("issuing an implicit ID token: %w", err)
	}
	return raw, nil
}
