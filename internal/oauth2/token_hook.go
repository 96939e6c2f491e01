package oauth2

import (
	"context"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
)

// TokenHooks calls the operator's oauth2.token_hook (and, for the refresh
// grant, oauth2.refresh_token_hook) before a grant issues tokens. A nil
// *TokenHooks calls nothing.
type TokenHooks struct{}

// HookInput is what a grant is about to issue. The hook may replace the
// two claim maps; the grant then mints with what Apply left in them.
type HookInput struct {
	GrantType       string
	Client          *client.Client
	Subject         string
	RequestID       string
	GrantedScopes   []string
	GrantedAudience []string
	// Form is the token request; credentials are removed before sending.
	Form url.Values
	// AccessTokenClaims and IDTokenClaims are session.access_token and
	// session.id_token: the extra claims of the access token and ID token.
	AccessTokenClaims map[string]any
	IDTokenClaims     map[string]any
}

// Apply runs the hooks configured for in.GrantType. It returns an
// *httpx.Error when a hook denies the request or fails.
func (h *TokenHooks) Apply(ctx context.Context, in *HookInput) error {
	return nil
}
