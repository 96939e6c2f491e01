package oauth2

// DPoP at the protected resources Signet serves itself (userinfo), RFC 9449
// section 7.
//
//   - A DPoP-bound token must come as "Authorization: DPoP <token>" with a
//     proof for this request (htm, htu) whose ath hashes the token and
//     whose key is the token's key (section 7.1). Sent as a bearer token
//     (header or form body) it is refused: section 7.2 forbids a downgrade.
//   - A token that is not bound must not use the DPoP scheme: the scheme
//     claims a binding the server never made.
//   - Refusals are 401 with a DPoP challenge (section 7.1):
//     WWW-Authenticate: DPoP error="invalid_token" or "invalid_dpop_proof"
//     with the supported algs; a missing or stale nonce is
//     error="use_dpop_nonce" with a fresh DPoP-Nonce header (section 9).

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
)

// Authorization schemes a resource accepts an access token with.
const (
	SchemeBearer = "Bearer"
	SchemeDPoP   = TokenTypeDPoP
)

// DPoPResource checks DPoP at one resource endpoint. A nil *DPoPResource
// means DPoP is disabled: the DPoP scheme is then not recognised, and a
// bound token (issued before DPoP was switched off) is refused.
type DPoPResource struct {
	Verifier *DPoPVerifier
	// URL is the resource's public URL, the htu of its proofs.
	URL string
}

// Check decides whether raw, presented with scheme ("Bearer" for the
// header or the form body, "DPoP" for the DPoP scheme), may be used, given
// jkt, the key the token is bound to ("" for a bearer token).
func (d *DPoPResource) Check(ctx context.Context, r *http.Request, scheme, raw, jkt string) error {
	if scheme != SchemeDPoP {
		if jkt != "" {
			return d.refuse("invalid_token", "The access token is bound to a DPoP key; send it as \"Authorization: DPoP <token>\" with a DPoP proof.")
		}
		return nil
	}
	if d == nil {
		return d.refuse("invalid_request", "DPoP is disabled on this server.")
	}
	if jkt == "" {
		return d.refuse("invalid_token", "The access token is not bound to a DPoP key; send it as a Bearer token.")
	}
	proof, err := d.Verifier.Verify(ctx, r.Header, DPoPTarget{Method: r.Method, URL: d.URL, AccessToken: raw})
	if err != nil {
		return d.atResource(err)
	}
	if proof == nil {
		return d.refuse("invalid_dpop_proof", "A DPoP-bound access token needs a DPoP proof in the DPoP header.")
	}
	if proof.JKT != jkt {
		return d.refuse("invalid_token", "The access token is bound to another key than the one that signed the DPoP proof.")
	}
	return nil
}

// atResource turns a token-endpoint-shaped refusal of the verifier into
// the resource's 401 challenge, keeping its DPoP-Nonce header.
func (d *DPoPResource) atResource(err error) error {
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status >= 500 {
		return err
	}
	desc := he.Hint
	if desc == "" {
		desc = he.Description
	}
	out := d.refuse(he.Code, desc)
	for _, v := range he.Header.Values(HeaderDPoPNonce) {
		out.WithHeader(HeaderDPoPNonce, v)
	}
	return out
}

// refuse is a 401 (400 for invalid_request) with the DPoP challenge.
func (d *DPoPResource) refuse(code, description string) *httpx.Error {
	status := http.StatusUnauthorized
	if code == "invalid_request" {
		status = http.StatusBadRequest
	}
	return httpx.NewError(status, code, "%s", description).
		WithHeader("WWW-Authenticate", DPoPChallenge(code, description))
}

// DPoPChallenge is the WWW-Authenticate value of section 7.1. The
// description is our own text; quotes, backslashes and control characters
// are dropped anyway so that no value can break out of its quoted string.
func DPoPChallenge(code, description string) string {
	clean := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return -1
		}
		return r
	}, description)
	if code == "" {
		return fmt.Sprintf(`DPoP algs="%s"`, strings.Join(DPoPSigningAlgs(), " "))
	}
	return fmt.Sprintf(`DPoP error=%q, error_description="%s", algs="%s"`, code, clean, strings.Join(DPoPSigningAlgs(), " "))
}
