package oauth2

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/token"
)

// What the authorization_code and refresh_token grants share: a grant (the
// "family", keyed by the request ID of the login/consent flow) mints an
// access token, an ID token when "openid" was granted and a refresh token
// when offline access was granted. Every token of the family carries the
// same RequestID, so reuse of a code or of a rotated refresh token can
// revoke them all (RFC 6749 section 4.1.2, RFC 9700 section 4.14.2).
//
// Token hooks (token_hook.go) run before anything is minted. What a hook
// returns replaces the session's claims for this response and is stored in
// the refresh token's session, as Hydra does: the hooks run again at every
// refresh, seeing the claims the last answer left, and if the hook is later
// removed from the config, refreshed tokens keep those claims.

// Grant type values.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantRefreshToken      = "refresh_token"
)

// Refresh-token lifetimes when ttl.refresh_token is 0 (unset) and the
// stored expiry of a token that never expires (ttl.refresh_token -1).
// Year 9999 fits every database's timestamp column.
const defaultRefreshTTL = 720 * time.Hour

var neverExpires = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultIDTokenTTL applies when neither the client nor ttl.id_token sets one.
const DefaultIDTokenTTL = time.Hour

// family is one grant's durable facts, read from a code or refresh record.
type family struct {
	Client    *client.Client
	RequestID string
	Subject   string
	Scopes    []string
	Audience  []string
	Session   token.GrantSession
	// SessionJSON is the stored session, copied verbatim into refresh records.
	SessionJSON json.RawMessage
	GrantType   string
	// AccessAudience, when set, is the access token's audience: a part of
	// Audience selected by RFC 8707 resource indicators (resource.go).
	// Refresh tokens keep Audience.
	AccessAudience []string
}

// familyLifespans are the client overrides of one grant; nil means ttl.*.
type familyLifespans struct {
	Access, IDToken, Refresh *client.Duration
}

// decodeSession reads the GrantSession a code or refresh record carries.
// A record Signet wrote always decodes, so a failure is a server error.
func decodeSession(raw json.RawMessage) (token.GrantSession, error) {
	var s token.GrantSession
	if len(raw) == 0 {
		return s, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return s, ServerError(err)
	}
	return s, nil
}

// Lifespan is the client's override when positive, else the server's ttl,
// else fallback. The grants use it, and so does the authorization endpoint
// for the tokens of implicit and hybrid responses.
func Lifespan(override *client.Duration, ttl, fallback time.Duration) time.Duration {
	if override != nil && *override > 0 {
		return time.Duration(*override)
	}
	if ttl > 0 {
		return ttl
	}
	return fallback
}

// refreshExpiry follows ttl.refresh_token: negative means never, 0 the
// default. A client override always wins.
func refreshExpiry(now time.Time, override *client.Duration, ttl time.Duration) time.Time {
	if override != nil && *override > 0 {
		return now.Add(time.Duration(*override))
	}
	if ttl < 0 {
		return neverExpires
	}
	if ttl == 0 {
		ttl = defaultRefreshTTL
	}
	return now.Add(ttl)
}

// offlineGranted: a refresh token is issued only when the user granted
// offline access and the client registered the refresh_token grant.
func offlineGranted(c *client.Client, scopes []string) bool {
	wants := slices.Contains(scopes, "offline") || slices.Contains(scopes, "offline_access")
	return wants && AllowsGrant(c, GrantRefreshToken)
}

// narrowScopes applies RFC 6749 section 6: the requested scope "MUST NOT
// include any scope not originally granted", and omitting it means the
// original scope. Matching is exact: the record holds what the user
// consented to, not patterns.
func narrowScopes(requested, granted []string) ([]string, error) {
	if len(requested) == 0 {
		return granted, nil
	}
	for _, s := range requested {
		if !slices.Contains(granted, s) {
			return nil, InvalidScope("The scope %q was not granted originally, so a refresh cannot request it.", httpx.Clip(s, 64))
		}
	}
	return Dedupe(requested), nil
}

// runHooks lets the token hooks replace the session's extra claims.
// requested is the scope the client asked for at the token endpoint (nil
// for none); scopes is the scope being granted.
func (f *family) runHooks(ctx context.Context, hooks *TokenHooks, req *TokenRequest, requested, scopes []string) error {
	in := &HookInput{
		GrantType: f.GrantType, Client: f.Client, Subject: f.Subject, RequestID: f.RequestID,
		GrantedScopes: scopes, GrantedAudience: f.Audience, RequestedScopes: requested, Form: req.Form,
		Login: &f.Session, AccessTokenClaims: f.Session.AccessToken, IDTokenClaims: f.Session.IDToken,
	}
	changed, err := hooks.apply(ctx, in)
	if err != nil || !changed {
		return err
	}
	f.Session.AccessToken, f.Session.IDToken = in.AccessTokenClaims, in.IDTokenClaims
	raw, err := json.Marshal(f.Session)
	if err != nil {
		return ServerError(err)
	}
	f.SessionJSON = raw
	return nil
}

// accessClaims is the access token of the family.
func (f *family) accessClaims(cfg *config.Config, scopes []string, now time.Time, ttl time.Duration) token.Claims {
	return token.Claims{
		ClientID: f.Client.ID, Subject: f.Subject, Scopes: scopes, Audience: f.accessAudience(),
		GrantType: f.GrantType, Issuer: cfg.IssuerURL(), IssuedAt: now, ExpiresAt: now.Add(ttl),
		Ext: f.Session.AccessToken, RequestID: f.RequestID,
	}
}

// accessAudience is AccessAudience when resources narrowed it, else Audience.
func (f *family) accessAudience() []string {
	if f.AccessAudience != nil {
		return f.AccessAudience
	}
	return f.Audience
}

// idToken mints the ID token when "openid" is among scopes; "" otherwise.
// auth_time stays the original authentication's on refresh (OIDC Core
// section 12.2).
func (f *family) idToken(ctx context.Context, ids *token.IDTokens, cfg *config.Config, scopes []string,
	now time.Time, override *client.Duration, accessRaw string, withNonce bool) (string, error) {
	if !slices.Contains(scopes, "openid") {
		return "", nil
	}
	s := f.Session
	claims := token.IDTokenClaims{
		Issuer: cfg.IssuerURL(), Subject: f.Subject, Audience: []string{f.Client.ID},
		ExpiresAt: now.Add(Lifespan(override, cfg.TTL.IDToken, DefaultIDTokenTTL)), IssuedAt: now,
		AuthTime: s.AuthTime, RequestedAt: s.RequestedAt, ACR: s.ACR, AMR: s.AMR,
		SessionID: s.SessionID, AccessToken: accessRaw, Extra: s.IDToken,
	}
	if withNonce {
		claims.Nonce = s.Nonce
	}
	raw, _, err := ids.Mint(ctx, claims)
	if err != nil {
		return "", ServerError(err)
	}
	return raw, nil
}

// newRefresh mints a refresh token of the family with its full scopes
// (section 6: a rotated token keeps the original scope).
// A public client's token is bound to the request's DPoP key, if any
// (dpop_token.go).
func (f *family) newRefresh(ctx context.Context, format token.OpaqueFormat, now, expires time.Time) (string, *token.RefreshRecord, error) {
	raw, err := format.New()
	if err != nil {
		return "", nil, ServerError(err)
	}
	return raw, &token.RefreshRecord{
		Digest: token.Digest(raw), ClientID: f.Client.ID, RequestID: f.RequestID, Subject: f.Subject,
		Scopes: f.Scopes, Audience: f.Audience, Session: f.SessionJSON,
		IssuedAt: now, ExpiresAt: expires, JKT: refreshJKT(ctx, f.Client),
	}, nil
}

// familyResponse is the section 5.1 response.
func familyResponse(access string, ttl time.Duration, scopes []string, idToken, refresh string) *TokenResponse {
	return &TokenResponse{
		AccessToken: access, TokenType: TokenTypeBearer, ExpiresIn: int64(ttl / time.Second),
		Scope: strings.Join(scopes, " "), IDToken: idToken, RefreshToken: refresh,
	}
}

// firstTokens is what minting a family's first tokens needs.
type firstTokens struct {
	Issuer        *token.Issuer
	IDTokens      *token.IDTokens
	RefreshFormat token.OpaqueFormat
	Refreshes     interface {
		CreateRefresh(ctx context.Context, r *token.RefreshRecord) error
	}
	Config *config.Config
}

// issueFirst mints and stores the first tokens of a family granted through
// login and consent (the code and device grants): the access token, an ID
// token with openid, and a refresh token with offline access. withNonce
// copies the authorization request's nonce into the ID token.
func (f *family) issueFirst(ctx context.Context, d firstTokens, now time.Time, ls familyLifespans, withNonce bool) (*TokenResponse, error) {
	cfg := d.Config
	ttl := Lifespan(ls.Access, cfg.TTL.AccessToken, DefaultAccessTTL)
	access, _, err := d.Issuer.Access(ctx, f.accessClaims(cfg, f.Scopes, now, ttl), AccessTokenStrategy(f.Client, cfg))
	if err != nil {
		return nil, ServerError(err)
	}
	idToken, err := f.idToken(ctx, d.IDTokens, cfg, f.Scopes, now, ls.IDToken, access, withNonce)
	if err != nil {
		return nil, err
	}
	var refresh string
	if offlineGranted(f.Client, f.Scopes) {
		raw, rec, err := f.newRefresh(ctx, d.RefreshFormat, now, refreshExpiry(now, ls.Refresh, cfg.TTL.RefreshToken))
		if err != nil {
			return nil, err
		}
		if err := d.Refreshes.CreateRefresh(ctx, rec); err != nil {
			return nil, ServerError(err)
		}
		refresh = raw
	}
	return familyResponse(access, ttl, f.Scopes, idToken, refresh), nil
}
