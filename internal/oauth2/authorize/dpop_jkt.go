package authorize

// DPoP authorization code binding, RFC 9449 section 10: the client sends
// dpop_jkt, the thumbprint of the DPoP key it will use, with the
// authorization request; the code it gets can only be redeemed at the token
// endpoint with a proof signed by that key, so a code stolen on its way
// back to the client is worthless to the thief. The value travels in the
// sealed flow and is stored with the code (token.CodeRecord.DPoPJKT); the
// token endpoint checks it (oauth2.CheckCodeBinding).

import (
	"encoding/base64"

	"github.com/signet-oidc/signet/internal/oauth2"
)

// jktLen is the length of a base64url SHA-256 thumbprint (RFC 7638).
const jktLen = 43

// dpopJKT reads dpop_jkt: absent, or a base64url SHA-256 thumbprint.
func (p *paramReader) dpopJKT() string {
	v := p.str("dpop_jkt", maxAuthzStringLen)
	if v == "" {
		return ""
	}
	if b, err := base64.RawURLEncoding.DecodeString(v); err != nil || len(v) != jktLen || len(b) != 32 {
		p.fail(oauth2.InvalidRequest("The dpop_jkt parameter must be the base64url SHA-256 JWK thumbprint (RFC 7638) of the client's DPoP key."))
		return ""
	}
	return v
}
