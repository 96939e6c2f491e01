package oauth2

import (
	"context"
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
)

// ClientAuthenticator authenticates the client of a token or revocation
// request (RFC 6749 section 2.3). *clientauth.Authenticator implements it;
// the interface lives here so that oauth2 does not import clientauth, which
// imports oauth2 for its error constructors.
type ClientAuthenticator interface {
	// Authenticate returns the authenticated client, or an *httpx.Error:
	// invalid_request for malformed credentials, invalid_client (401) for
	// wrong ones, temporarily_unavailable (503) when overloaded. form is
	// the request body, already parsed strictly.
	Authenticate(ctx context.Context, r *http.Request, form url.Values) (*client.Client, error)
}

// MaxClientIDLen bounds the client_id that client authentication and the
// admin token endpoint accept, as client registration does; longer ids are
// refused before any storage access.
const MaxClientIDLen = 255

// IsPublic reports whether the client authenticates by client_id alone
// (token_endpoint_auth_method "none"). An unset method means
// client_secret_basic, so such a client is confidential.
func IsPublic(c *client.Client) bool { return c.TokenEndpointAuthMethod == client.AuthNone }

// TokenEndpoint is POST /oauth2/token (RFC 6749 section 3.2). It owns the
// phases every grant shares: strict form parsing (section 3.1: no repeated
// parameters), grant lookup, client authentication (section 2.3), the
// client's registered grant types and the public-client rule; then it hands
// over to the grant and writes the section 5.1 response.
type TokenEndpoint struct {
	Auth ClientAuthenticator
	// Grants maps grant_type to its Grant; only enabled grants are listed.
	Grants map[string]Grant
	// Observer counts issued tokens by grant type; nil counts nothing.
	Observer Observer
	// DPoP binds tokens to DPoP keys (dpop_token.go); nil: DPoP disabled.
	DPoP *DPoPBinding
}

// Handle is an httpx.HandlerFunc; mount it with httpx.Renderer.OAuth.
func (e *TokenEndpoint) Handle(w http.ResponseWriter, r *http.Request) error {
	// RFC 8707's resource is the one parameter that may repeat.
	form, err := httpx.ParseForm(r, httpx.MaxFormBody, ParamResource)
	if err != nil {
		return err
	}
	req, err := parseTokenRequest(form)
	if err != nil {
		return err
	}
	grant, ok := e.Grants[req.GrantType]
	if !ok {
		return UnsupportedGrantType("The grant_type %q is not supported or not enabled.", httpx.Clip(req.GrantType, 64))
	}
	c, err := e.Auth.Authenticate(r.Context(), r, form)
	if err != nil {
		return err
	}
	if !AllowsGrant(c, req.GrantType) {
		return UnauthorizedClient("The client is not allowed to use grant_type %q; add it to the client's grant_types.", req.GrantType)
	}
	if IsPublic(c) && !grant.AllowsPublicClients() {
		return UnauthorizedClient("The grant_type %q requires a confidential client; this client's token_endpoint_auth_method is none.", req.GrantType)
	}
	ctx, err := e.DPoP.Bind(r, c)
	if err != nil {
		return err
	}
	resp, err := grant.Exchange(ctx, req, c)
	if err != nil {
		return err
	}
	e.DPoP.Finish(ctx, w, resp)
	if e.Observer != nil {
		e.Observer.TokensIssued(req.GrantType)
	}
	writeNoStore(w)
	httpx.WriteJSON(w, http.StatusOK, resp)
	return nil
}

// writeNoStore sets the caching headers RFC 6749 section 5.1 requires on
// responses that carry tokens.
func writeNoStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}
