package oauth2

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Resource indicators, RFC 8707. A client names the protected resources it
// wants a token for with "resource" (section 2), at the authorization
// endpoint (section 2.1) and at the token endpoint (section 2.2). Signet
// maps each resource onto the token's audience, the claim resource servers
// already check, so "resource" and Hydra's "audience" select the same
// thing and are checked by the same rule (audience.go): a resource must be
// covered by the client's registered audience.
//
//   - The parameter may be repeated (section 2: "Multiple resource
//     parameters may be used"); it is the only one that may, so the strict
//     parsers allow exactly it (httpx.ParseForm, httpx.ParseQuery).
//   - Each value must be an absolute URI without a fragment (section 2);
//     anything else, and a resource the client may not obtain, is
//     invalid_target (section 2, status 400). A query is allowed (section 2
//     says SHOULD NOT, not MUST NOT) and matched exactly, as for audience.
//   - Authorization endpoint: the resources join the requested audience,
//     so the consent app sees them in requested_access_token_audience and
//     grants them like any audience.
//   - Token endpoint, client_credentials and jwt-bearer: the resources join
//     the requested audience. authorization_code and refresh_token: the
//     resources narrow the access token's audience to a part of what was
//     granted (section 2.2's "downscoping"); a resource outside the grant
//     is invalid_target. The refresh token keeps the whole grant, so the
//     next refresh can ask for another resource. token exchange: the
//     resources are targets, checked against the client's token exchange
//     audiences (grant_token_exchange.go).
//
// Not done: resource-specific scopes (which scope belongs to which
// resource); every granted scope goes to every resource, as with audience.

// ParamResource is the RFC 8707 parameter name.
const ParamResource = "resource"

// maxResourceLen bounds one resource value, as client audience entries.
const maxResourceLen = 2048

// InvalidTarget is RFC 8707 section 2's invalid_target: the resource is
// invalid, unknown, malformed, or not allowed.
func InvalidTarget(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_target",
		"The requested resource is invalid, missing, unknown, or malformed.").
		WithHint(hint, args...)
}

// ParseResources checks the values of the resource parameter and returns
// them without repeats; none gives nil.
func ParseResources(values []string) ([]string, error) {
	for _, v := range values {
		if err := checkResourceURI(v); err != nil {
			return nil, err
		}
	}
	if len(values) == 0 {
		return nil, nil
	}
	return Dedupe(values), nil
}

// checkResourceURI is section 2's syntax rule: "MUST be an absolute URI
// ... MUST NOT include a fragment component".
func checkResourceURI(v string) error {
	if len(v) > maxResourceLen {
		return InvalidTarget("A resource is longer than %d bytes.", maxResourceLen)
	}
	u, err := url.Parse(v)
	switch {
	case v == "" || err != nil:
		return InvalidTarget("The resource %q is not a URI.", httpx.Clip(v, 128))
	case !u.IsAbs():
		return InvalidTarget("The resource %q is not an absolute URI (RFC 8707 section 2).", httpx.Clip(v, 128))
	case strings.Contains(v, "#"): // also an empty fragment, which url.Parse does not report
		return InvalidTarget("The resource %q has a fragment, which RFC 8707 section 2 forbids.", httpx.Clip(v, 128))
	case u.Host == "" && u.Opaque == "":
		return InvalidTarget("The resource %q names no host.", httpx.Clip(v, 128))
	}
	return nil
}

// CheckResources requires every resource to be covered by the client's
// registered audience (audienceAllowed): invalid_target otherwise.
func CheckResources(resources, allowed []string) error {
	for _, r := range resources {
		if !audienceAllowed(r, allowed) {
			return InvalidTarget("The resource %q has not been allowed for this client (see its audience).", httpx.Clip(r, 128))
		}
	}
	return nil
}

// TargetAudience is the audience a client asks for at the token endpoint
// for a new grant (client_credentials, jwt-bearer): the audience parameter
// (invalid_request when not allowed, as Hydra answers) joined by the
// resources (invalid_target when not allowed).
func TargetAudience(req *TokenRequest, allowed []string) ([]string, error) {
	if err := CheckAudience(req.Audience, allowed); err != nil {
		return nil, err
	}
	if err := CheckResources(req.Resources, allowed); err != nil {
		return nil, err
	}
	if len(req.Resources) == 0 {
		return req.Audience, nil
	}
	return Dedupe(append(slices.Clone(req.Audience), req.Resources...)), nil
}

// narrowAudience applies section 2.2 to an existing grant: with resources,
// the access token's audience is exactly them, each of which must be
// covered by the granted audience; without, it is the granted audience.
func narrowAudience(resources, granted []string) ([]string, error) {
	if len(resources) == 0 {
		return granted, nil
	}
	for _, r := range resources {
		if !audienceAllowed(r, granted) {
			return nil, InvalidTarget("The resource %q is not part of the audience this grant was given.", httpx.Clip(r, 128))
		}
	}
	return resources, nil
}

// resourceAudience is narrowAudience for a family grant: nil (keep the
// grant's audience) when the request has no resource.
func resourceAudience(req *TokenRequest, granted []string) ([]string, error) {
	if len(req.Resources) == 0 {
		return nil, nil
	}
	return narrowAudience(req.Resources, granted)
}
