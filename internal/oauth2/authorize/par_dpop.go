package authorize

import (
	"context"
	"net/http"
	"net/url"

	"github.com/signet-oidc/signet/internal/oauth2"
)

// DPoP at the pushed authorization request endpoint, RFC 9449 section
// 10.1: a client that pushes its request with a DPoP proof binds the
// authorization code to the proof's key, exactly as if it had sent
// dpop_jkt with that key's thumbprint (dpop_jkt.go). A dpop_jkt sent as
// well must name the same key. The proof is checked as at the token
// endpoint (htm POST, htu the PAR endpoint's URL, iat window, jti replay,
// nonce when oauth2.dpop.require_nonce), which costs one more write, only
// when a proof is sent. With DPoP disabled the header is ignored, as at
// the token endpoint.

// paramDPoPJKT is RFC 9449 section 10's authorization request parameter.
const paramDPoPJKT = "dpop_jkt"

// bindPushed checks r's proof, if any, and records its thumbprint in form
// as dpop_jkt. With p.DPoP nil (DPoP disabled) the header is ignored.
func (p *PAR) bindPushed(ctx context.Context, r *http.Request, form url.Values) error {
	if p.DPoP == nil {
		return nil
	}
	proof, err := p.DPoP.Verify(ctx, r.Header, oauth2.DPoPTarget{Method: http.MethodPost, URL: p.DPoPURL})
	if err != nil || proof == nil {
		return err
	}
	if jkt := form.Get(paramDPoPJKT); jkt != "" && jkt != proof.JKT {
		return oauth2.InvalidDPoPProof("The dpop_jkt parameter names another key than the one that signed the DPoP proof.")
	}
	form.Set(paramDPoPJKT, proof.JKT)
	return nil
}

// dpopNonce sets a fresh server nonce on a successful push when nonces are
// required, so the client's next proof (at the token endpoint) can use it.
func (p *PAR) dpopNonce(w http.ResponseWriter) {
	if p.DPoP != nil && p.DPoP.Nonces != nil {
		w.Header().Set(oauth2.HeaderDPoPNonce, p.DPoP.Nonces.Issue())
	}
}
