package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// `signet perform authorization-code --par`: the request is pushed to the
// pushed authorization request endpoint first (RFC 9126 section 2), with
// the client's credentials, and the browser carries only client_id and the
// request_uri that comes back (section 4).

// pushedRequest is RFC 9126 section 2.2's answer.
type pushedRequest struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int64  `json:"expires_in"`
}

// pushAuthorization pushes req and returns the authorization URL that
// refers to it.
func (c *apiClient) pushAuthorization(ctx context.Context, disc *discovery, req *authRequest, secret string) (string, error) {
	if disc.PAREndpoint == "" {
		return "", errors.New("the provider's discovery document names no pushed_authorization_request_endpoint: it does not offer PAR")
	}
	form := req.values()
	form.Del("client_id")
	var out pushedRequest
	// Like the token request, the push goes to the public API this command
	// was pointed at (-e), not to a host the discovery document names.
	k := call{method: http.MethodPost, path: "/oauth2/par", form: form, basic: clientForm(form, req.clientID, secret), out: &out}
	if _, err := c.do(ctx, k); err != nil {
		return "", fmt.Errorf("pushing the authorization request: %w", err)
	}
	if !strings.HasPrefix(out.RequestURI, "urn:ietf:params:oauth:request_uri:") {
		return "", fmt.Errorf("the pushed authorization request endpoint answered without a request_uri urn (got %q)", sanitizeLine(out.RequestURI))
	}
	auth, err := parseAuthorizationEndpoint(disc.AuthorizationEndpoint)
	if err != nil {
		return "", err
	}
	q := auth.Query()
	q.Set("client_id", req.clientID)
	q.Set("request_uri", out.RequestURI)
	auth.RawQuery = q.Encode()
	return auth.String(), nil
}
