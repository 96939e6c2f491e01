package authorize

import (
	"slices"

	"github.com/signet-oidc/signet/internal/oauth2"
)

// RFC 8707 section 2.1 at the authorization endpoint: resource indicators
// (oauth2/resource.go) are requested audience. They are checked against the
// client's audience in Request.check (invalid_target, redirected), and
// carried through the flow merged into the audience, so the consent app
// sees them in requested_access_token_audience and grants them as
// audience; the token endpoint can later narrow the access token to some
// of them.

// resources reads the repeatable resource parameter, keeping the first
// problem (invalid_target) for Validate.
func (p *paramReader) resources() []string {
	rs, err := oauth2.ParseResources(p.q[oauth2.ParamResource])
	if err != nil {
		p.fail(asHTTPError(err))
		return nil
	}
	return rs
}

// TargetAudience is the audience the flow asks consent for: the audience
// parameter and the resources, without repeats.
func (r *Request) TargetAudience() []string {
	if len(r.Resources) == 0 {
		return r.Audience
	}
	return oauth2.Dedupe(append(slices.Clone(r.Audience), r.Resources...))
}
