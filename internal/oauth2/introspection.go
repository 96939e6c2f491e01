package oauth2

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Token introspection, RFC 7662, at two places:
//
//   - POST /admin/oauth2/introspect (Handle): the admin port, whose callers
//     are trusted by network placement, as in Hydra, so section 2.1's caller
//     authentication is not done there and every token can be seen.
//   - POST /oauth2/introspect (HandleClient): the public port, which Hydra
//     does not have. Section 2.1 requires the caller to be authorized, so
//     the client authenticates exactly as at the token endpoint; public
//     clients (auth method "none") are refused, they hold no credential.
//     Section 4 warns against letting any caller probe any token, so a
//     client sees a token as active only when it was issued to it or its
//     audience names the client's id (the client is the resource server
//     the token is meant for); any other token is {"active":false},
//     indistinguishable from an unknown one.
//
// Both answer RFC 9701 JWTs on request (introspection_jwt.go).
//
// A token is active only if it was minted by one of our strategies, exists,
// is unexpired and unrevoked, and (when the optional "scope" parameter is
// given) its scopes cover every requested scope under strategies.scope.
// Anything else is exactly {"active":false} (section 2.2), with no hint of
// why. A forged or malformed token is refused in memory: zero storage
// reads. A valid one costs one indexed read.
//
// Refresh tokens (recognised by their prefix) are active while unrevoked,
// unexpired and not yet rotated; their token_use is "refresh_token" and
// "ext" is the grant's access-token session. username and obfuscated_subject are omitted (no pairwise
// subjects for client_credentials tokens).

// Introspection serves the introspection endpoint.
type Introspection struct {
	Tokens token.Store
	Opaque token.AccessStrategy
	JWT    token.AccessStrategy
	// Codes and RefreshFormat recognise and read refresh tokens.
	Codes         token.FlowStore
	RefreshFormat token.OpaqueFormat
	// Config returns the current snapshot (strategies.scope, issuer URL).
	Config func() *config.Config
	Now    func() time.Time
	// Auth authenticates callers of the public endpoint (HandleClient), as
	// at the token endpoint.
	Auth ClientAuthenticator
	// Signer signs RFC 9701 responses with the access-token key set.
	Signer IntrospectionSigner
}

// IntrospectionResponse is the contract's introspectedOAuth2Token.
type IntrospectionResponse struct {
	Active    bool            `json:"active"`
	Scope     string          `json:"scope,omitempty"`
	ClientID  string          `json:"client_id,omitempty"`
	Subject   string          `json:"sub,omitempty"`
	ExpiresAt int64           `json:"exp,omitempty"`
	IssuedAt  int64           `json:"iat,omitempty"`
	NotBefore int64           `json:"nbf,omitempty"`
	Audience  []string        `json:"aud,omitempty"`
	Issuer    string          `json:"iss,omitempty"`
	TokenType string          `json:"token_type,omitempty"`
	TokenUse  string          `json:"token_use,omitempty"`
	Ext       json.RawMessage `json:"ext,omitempty"`
	// Act is the RFC 8693 actor of a delegated token (token exchange).
	Act json.RawMessage `json:"act,omitempty"`
	// Cnf is the key a DPoP-bound token is bound to (RFC 9449 section 6.2).
	Cnf *token.Cnf `json:"cnf,omitempty"`
}

// Handle is an httpx.HandlerFunc; mount it with httpx.Renderer.OAuth.
func (i *Introspection) Handle(w http.ResponseWriter, r *http.Request) error {
	form, raw, err := parseTokenForm(r)
	if err != nil {
		return err
	}
	resp, err := i.Introspect(r.Context(), raw, SplitScope(form.Get("scope")))
	if err != nil {
		return err
	}
	return i.writeIntrospection(w, r, "", resp)
}

// HandleClient is the public endpoint: Handle for an authenticated client,
// which sees only its own tokens and those meant for it. token_type_hint
// is accepted and, as section 2.1 allows, not needed: the token's format
// says what it is.
func (i *Introspection) HandleClient(w http.ResponseWriter, r *http.Request) error {
	form, raw, err := parseTokenForm(r)
	if err != nil {
		return err
	}
	c, err := i.Auth.Authenticate(r.Context(), r, form)
	if err != nil {
		return err
	}
	if IsPublic(c) {
		return InvalidClient("Public clients cannot introspect tokens; the client must authenticate.")
	}
	resp, err := i.Introspect(r.Context(), raw, SplitScope(form.Get("scope")))
	if err != nil {
		return err
	}
	if !Visible(i.Config().OAuth2.Introspection.Visibility, resp, c.ID) {
		resp = &IntrospectionResponse{}
	}
	return i.writeIntrospection(w, r, c.ID, resp)
}

// parseTokenForm reads the form that introspection and revocation share:
// a required "token" and optional others.
func parseTokenForm(r *http.Request) (url.Values, string, error) {
	form, err := httpx.ParseForm(r, httpx.MaxFormBody)
	if err != nil {
		return nil, "", err
	}
	raw := form.Get("token")
	if raw == "" {
		return nil, "", InvalidRequest("The token parameter is missing.")
	}
	return form, raw, nil
}

// Introspect decides what to say about raw.
func (i *Introspection) Introspect(ctx context.Context, raw string, scopes []string) (*IntrospectionResponse, error) {
	inactive := &IntrospectionResponse{}
	if strings.HasPrefix(raw, token.PrefixRefreshToken) {
		return i.introspectRefresh(ctx, raw, scopes)
	}
	digest, err := token.Check(ctx, raw, i.Opaque, i.JWT)
	if errors.Is(err, token.ErrMalformed) {
		return inactive, nil
	}
	if err != nil {
		return nil, ServerError(err)
	}
	rec, err := i.Tokens.GetAccess(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return nil, ServerError(err)
	}
	cfg := i.Config()
	if !isLive(rec, i.Now()) || !coversAll(ScopeStrategyFor(cfg.Strategies.Scope), rec.Scopes, scopes) {
		return inactive, nil
	}
	ext, act := splitAct(rec.Ext)
	return &IntrospectionResponse{
		Active:    true,
		Scope:     strings.Join(rec.Scopes, " "),
		ClientID:  rec.ClientID,
		Subject:   rec.Subject,
		ExpiresAt: rec.ExpiresAt.Unix(),
		IssuedAt:  rec.IssuedAt.Unix(),
		NotBefore: rec.IssuedAt.Unix(),
		Audience:  rec.Audience,
		Issuer:    cfg.URLs.Self.Issuer,
		TokenType: introspectedTokenType(rec.JKT),
		TokenUse:  "access_token",
		Ext:       nonEmptyObject(ext),
		Act:       act,
		Cnf:       token.CnfOf(rec.JKT),
	}, nil
}

// isLive: unrevoked and not yet expired.
func isLive(rec *token.AccessRecord, now time.Time) bool {
	return rec.RevokedAt == nil && now.Before(rec.ExpiresAt)
}

func coversAll(covers ScopeStrategy, granted, requested []string) bool {
	for _, s := range requested {
		if !covers(granted, s) {
			return false
		}
	}
	return true
}

// nonEmptyObject drops null and {} so "ext" is omitted when empty.
func nonEmptyObject(raw json.RawMessage) json.RawMessage {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" || s == "{}" {
		return nil
	}
	return raw
}

// introspectRefresh is Introspect for a refresh token: one read when the
// MAC is valid, none otherwise.
func (i *Introspection) introspectRefresh(ctx context.Context, raw string, scopes []string) (*IntrospectionResponse, error) {
	inactive := &IntrospectionResponse{}
	digest, err := i.RefreshFormat.Check(raw)
	if err != nil {
		return inactive, nil
	}
	rec, err := i.Codes.GetRefresh(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return inactive, nil
	}
	if err != nil {
		return nil, ServerError(err)
	}
	cfg := i.Config()
	live := rec.RevokedAt == nil && rec.UsedAt == nil && i.Now().Before(rec.ExpiresAt)
	if !live || !coversAll(ScopeStrategyFor(cfg.Strategies.Scope), rec.Scopes, scopes) {
		return inactive, nil
	}
	session, err := decodeSession(rec.Session)
	if err != nil {
		return nil, err
	}
	var ext json.RawMessage
	if len(session.AccessToken) > 0 {
		if ext, err = json.Marshal(session.AccessToken); err != nil {
			return nil, ServerError(err)
		}
	}
	resp := &IntrospectionResponse{
		Active: true, Scope: strings.Join(rec.Scopes, " "), ClientID: rec.ClientID, Subject: rec.Subject,
		IssuedAt: rec.IssuedAt.Unix(), NotBefore: rec.IssuedAt.Unix(), Audience: rec.Audience,
		Issuer: cfg.URLs.Self.Issuer, TokenType: introspectedTokenType(rec.JKT), TokenUse: "refresh_token", Ext: ext,
		Cnf: token.CnfOf(rec.JKT),
	}
	if rec.ExpiresAt.Before(neverExpires) {
		resp.ExpiresAt = rec.ExpiresAt.Unix()
	}
	return resp, nil
}
