package oauth2

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/token"
)

// accessOnly is the last step of the grants that answer with one access
// token and nothing else (client credentials, JWT bearer, token exchange):
// a new request id, the token hooks, then the token. The grant fills
// claims except RequestID and Ext, which come from this step and from the
// hooks.
type accessOnly struct {
	Rand   io.Reader
	Hooks  *TokenHooks
	Issuer *token.Issuer
}

// issue runs the step. hook names the grant, client, subject, scopes and
// audience; claims the token's; strategy is "opaque" or "jwt".
func (s accessOnly) issue(ctx context.Context, hook *HookInput, claims token.Claims, strategy string) (*TokenResponse, error) {
	requestID, err := secret.RandomString(s.Rand, 16)
	if err != nil {
		return nil, ServerError(err)
	}
	hook.RequestID = requestID
	if err := s.Hooks.Apply(ctx, hook); err != nil {
		return nil, err
	}
	claims.RequestID, claims.Ext = requestID, hook.AccessTokenClaims
	raw, _, err := s.Issuer.Access(ctx, claims, strategy)
	if err != nil {
		return nil, ServerError(err)
	}
	return &TokenResponse{
		AccessToken: raw, TokenType: TokenTypeBearer,
		ExpiresIn: int64(claims.ExpiresAt.Sub(claims.IssuedAt) / time.Second),
		Scope:     strings.Join(claims.Scopes, " "),
	}, nil
}
