package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-jose/go-jose/v4"
)

// The provider's endpoints as `perform authorization-code` uses them.
// Back-channel requests (discovery, token, JWKS) go to -e/--endpoint, the
// way `perform client-credentials` reaches the token endpoint; only the
// browser is sent to the authorization_endpoint discovery names, because it
// must stay on the issuer's host for the sign-in cookies to come back.

// discovery is the part of the OpenID Provider Metadata used here
// (OpenID Connect Discovery 1.0 section 3).
type discovery struct {
	Issuer                string   `json:"issuer"`
	AuthorizationEndpoint string   `json:"authorization_endpoint"`
	IDTokenSigningAlgs    []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethods  []string `json:"code_challenge_methods_supported"`
	// PAREndpoint is RFC 9126's pushed_authorization_request_endpoint.
	PAREndpoint string `json:"pushed_authorization_request_endpoint"`
}

// discover reads /.well-known/openid-configuration.
func (c *apiClient) discover(ctx context.Context) (*discovery, error) {
	var d discovery
	if _, err := c.do(ctx, call{method: http.MethodGet, path: "/.well-known/openid-configuration", out: &d}); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("reading the discovery document: %w (is Signet running? try: signet serve all --dev)", err)
		}
		return nil, fmt.Errorf("reading the discovery document: %w", err)
	}
	if d.Issuer == "" {
		return nil, errors.New("the discovery document names no issuer")
	}
	if _, err := parseAuthorizationEndpoint(d.AuthorizationEndpoint); err != nil {
		return nil, fmt.Errorf("the discovery document's authorization_endpoint %q: %w", d.AuthorizationEndpoint, err)
	}
	if len(d.CodeChallengeMethods) > 0 && !slices.Contains(d.CodeChallengeMethods, "S256") {
		return nil, fmt.Errorf("the provider does not offer PKCE with S256 (code_challenge_methods_supported: %q)", d.CodeChallengeMethods)
	}
	return &d, nil
}

// parseAuthorizationEndpoint accepts an absolute http(s) URL. Unlike the
// CLI's endpoints it may carry a query, which RFC 6749 section 3.1 says
// must be kept.
func parseAuthorizationEndpoint(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, errors.New("not a URL")
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, errors.New("scheme must be http or https")
	case u.Host == "":
		return nil, errors.New("missing host")
	case u.Fragment != "":
		return nil, errors.New("must not carry a fragment")
	}
	return u, nil
}

// keySet reads the provider's public keys, /.well-known/jwks.json.
func (c *apiClient) keySet(ctx context.Context) (jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if _, err := c.do(ctx, call{method: http.MethodGet, path: "/.well-known/jwks.json", out: &set}); err != nil {
		return set, fmt.Errorf("reading the provider's JWKS: %w", err)
	}
	return set, nil
}

// tokenResponse is RFC 6749 section 5.1 with OIDC's id_token.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in,omitempty"`
	Scope        string `json:"scope,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	IDToken      string `json:"id_token,omitempty"`
}

// exchangeCode redeems the code (RFC 6749 section 4.1.3) with the PKCE
// verifier (RFC 7636 section 4.5). With a secret the client authenticates
// with client_secret_basic; without one it is a public client and names
// itself in the body.
func (c *apiClient) exchangeCode(ctx context.Context, id, secret, code, redirectURI, verifier string) (*tokenResponse, error) {
	form := url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	}
	k := call{method: http.MethodPost, path: "/oauth2/token", form: form}
	if secret != "" {
		k.basic = &basicAuth{id: id, secret: secret}
	} else {
		form.Set("client_id", id)
	}
	var tok tokenResponse
	k.out = &tok
	if _, err := c.do(ctx, k); err != nil {
		return nil, fmt.Errorf("exchanging the code: %w", err)
	}
	if tok.AccessToken == "" {
		return nil, errors.New("the token endpoint answered without an access_token")
	}
	return &tok, nil
}

// authRequest is one authorization request (RFC 6749 section 4.1.1, OIDC
// Core section 3.1.2.1) and its per-run secrets.
type authRequest struct {
	clientID, redirectURI string
	scope, audience       []string
	prompt                string
	maxAge                int // seconds; negative leaves max_age out
	state, nonce          string
	pkce                  pkce
}

// newAuthRequest draws fresh state, nonce and PKCE verifier.
func newAuthRequest(clientID, redirectURI string, scope, audience []string) *authRequest {
	return &authRequest{clientID: clientID, redirectURI: redirectURI, scope: scope, audience: audience,
		maxAge: -1, state: randomToken(), nonce: randomToken(), pkce: newPKCE()}
}

// url is the authorization URL on endpoint, keeping any query it has.
func (a *authRequest) url(endpoint string) (string, error) {
	u, err := parseAuthorizationEndpoint(endpoint)
	if err != nil {
		return "", err
	}
	q := u.Query()
	for k, vs := range a.values() {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// values are the request's parameters, for the URL or a pushed request.
func (a *authRequest) values() url.Values {
	q := url.Values{}
	q.Set("response_type", "code")
	q.Set("client_id", a.clientID)
	q.Set("redirect_uri", a.redirectURI)
	q.Set("scope", strings.Join(a.scope, " "))
	q.Set("state", a.state)
	q.Set("nonce", a.nonce)
	q.Set("code_challenge", a.pkce.challenge)
	q.Set("code_challenge_method", "S256")
	if len(a.audience) > 0 {
		q.Set("audience", strings.Join(a.audience, " "))
	}
	if a.prompt != "" {
		q.Set("prompt", a.prompt)
	}
	if a.maxAge >= 0 {
		q.Set("max_age", strconv.Itoa(a.maxAge))
	}
	return q
}
