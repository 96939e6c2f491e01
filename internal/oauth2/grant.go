package oauth2

import (
	"context"
	"net/url"
	"slices"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

// Grant is one grant_type of the token endpoint (RFC 6749 sections 4.1.3,
// 4.4.2, 6; RFC 7523 section 2.1). The endpoint runs every shared check
// (form parsing, client authentication, the client's grant_types, public
// clients) before Exchange, so no grant can forget them.
type Grant interface {
	// Type is the grant_type value.
	Type() string
	// AllowsPublicClients reports whether clients with
	// token_endpoint_auth_method "none" may use the grant.
	AllowsPublicClients() bool
	// Exchange issues tokens for an authenticated, authorized client.
	// Protocol failures are *httpx.Error values from this package's
	// constructors; anything else is rendered as server_error.
	Exchange(ctx context.Context, req *TokenRequest, c *client.Client) (*TokenResponse, error)
}

// TokenRequest is the parsed token request. Parameters shared by several
// grants are decoded here; grant-specific ones are read from Form.
type TokenRequest struct {
	GrantType string
	// Scopes is the requested scope split on spaces (RFC 6749 section
	// 3.3); each item is a syntactically valid scope-token.
	Scopes []string
	// Audience is the requested audience, space-separated as Hydra accepts.
	Audience []string
	// Resources are the RFC 8707 resource indicators (resource.go),
	// checked for syntax; nil when none was sent.
	Resources []string
	Form      url.Values
}

// TokenResponse is the contract's oAuth2TokenExchange (RFC 6749 section 5.1).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	Scope        string `json:"scope"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
	// IssuedTokenType is RFC 8693 section 2.2.1's, set by token exchange only.
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// TokenTypeBearer is the token_type of every access token response; Hydra
// writes it in lower case (RFC 6749 section 7.1 says it is case-insensitive).
const TokenTypeBearer = "bearer"

// parseTokenRequest decodes the shared parameters of a strictly parsed
// form (repeats, bad encoding and size were refused by httpx.ParseForm).
func parseTokenRequest(form url.Values) (*TokenRequest, error) {
	if form.Get("grant_type") == "" {
		return nil, InvalidRequest("The grant_type parameter is missing.")
	}
	return parseTarget(form)
}

// parseTarget decodes scope, audience and resource, which the token and
// device authorization endpoints read alike.
func parseTarget(form url.Values) (req *TokenRequest, err error) {
	req = &TokenRequest{GrantType: form.Get("grant_type"), Form: form}
	req.Scopes = SplitScope(form.Get("scope"))
	for _, s := range req.Scopes {
		if !ValidScopeToken(s) {
			return nil, InvalidScope("The requested scope %q contains characters RFC 6749 section 3.3 does not allow.", httpx.Clip(s, 64))
		}
	}
	req.Audience = SplitScope(form.Get("audience"))
	if req.Resources, err = ParseResources(form[ParamResource]); err != nil {
		return nil, err
	}
	return req, nil
}

// AllowsGrant reports whether the client registered grantType. A client
// with no grant_types has Hydra's default, authorization_code only.
func AllowsGrant(c *client.Client, grantType string) bool {
	if len(c.GrantTypes) == 0 {
		return grantType == "authorization_code"
	}
	return slices.Contains(c.GrantTypes, grantType)
}
