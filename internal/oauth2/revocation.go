package oauth2

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Token revocation, RFC 7009, at POST /oauth2/revoke.
//
//   - The client authenticates as at the token endpoint (section 2.1);
//     public clients identify themselves by client_id.
//   - "token" is required; "token_type_hint" is optional and, as section
//     2.1 allows, unknown hints are ignored rather than refused.
//   - A malformed, forged or unknown token gets 200 with an empty body
//     (section 2.2: "invalid tokens do not cause an error response").
//   - A token issued to another client is not revoked and the request is
//     refused with unauthorized_client (section 2.1: the server "verifies
//     whether the token was issued to the client making the revocation
//     request. If this validation fails, the request is refused"), as
//     Hydra does.
//
//   - A refresh token (recognised by its prefix, whatever the hint says)
//     revokes its whole family: every access and refresh token of the same
//     grant (section 2.1: the server "SHOULD also invalidate all access
//     tokens based on the same authorization grant").

// Revocation serves the revocation endpoint.
type Revocation struct {
	Auth   ClientAuthenticator
	Tokens token.Store
	Opaque token.AccessStrategy
	JWT    token.AccessStrategy
	// Codes and RefreshFormat recognise and revoke refresh tokens.
	Codes         token.FlowStore
	RefreshFormat token.OpaqueFormat
	Now           func() time.Time
}

// Handle is an httpx.HandlerFunc; mount it with httpx.Renderer.OAuth.
func (v *Revocation) Handle(w http.ResponseWriter, r *http.Request) error {
	form, raw, err := parseTokenForm(r)
	if err != nil {
		return err
	}
	c, err := v.Auth.Authenticate(r.Context(), r, form)
	if err != nil {
		return err
	}
	if err := v.Revoke(r.Context(), c, raw); err != nil {
		return err
	}
	writeNoStore(w)
	w.WriteHeader(http.StatusOK)
	return nil
}

// Revoke revokes raw if it belongs to c. The common case costs one write:
// only when that write finds nothing does a read tell "unknown" (fine)
// from "another client's" (refused).
func (v *Revocation) Revoke(ctx context.Context, c *client.Client, raw string) error {
	if strings.HasPrefix(raw, token.PrefixRefreshToken) {
		return v.revokeRefresh(ctx, c, raw)
	}
	digest, err := token.Check(ctx, raw, v.Opaque, v.JWT)
	if errors.Is(err, token.ErrMalformed) {
		return nil
	}
	if err != nil {
		return ServerError(err)
	}
	err = v.Tokens.RevokeAccess(ctx, digest, c.ID, v.Now())
	if err == nil {
		return nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return ServerError(err)
	}
	rec, err := v.Tokens.GetAccess(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return ServerError(err)
	}
	if rec.ClientID != c.ID {
		return UnauthorizedClient("The token was not issued to this client, so this client cannot revoke it.")
	}
	return nil
}

// revokeRefresh revokes the family of a refresh token of c: one read to
// learn the owner and the family, one transaction to revoke it. Revoking
// the family also revokes the presented token itself.
func (v *Revocation) revokeRefresh(ctx context.Context, c *client.Client, raw string) error {
	digest, err := v.RefreshFormat.Check(raw)
	if err != nil {
		return nil // section 2.2: invalid tokens do not cause an error
	}
	rec, err := v.Codes.GetRefresh(ctx, digest)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		return ServerError(err)
	}
	if rec.ClientID != c.ID {
		return UnauthorizedClient("The token was not issued to this client, so this client cannot revoke it.")
	}
	if err := v.Codes.RevokeFamily(ctx, rec.RequestID, v.Now()); err != nil {
		return ServerError(err)
	}
	return nil
}
