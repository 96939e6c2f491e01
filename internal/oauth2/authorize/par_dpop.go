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
// dpop_jkt with that key's thumbprint (dpop_jkt.go), whether the request
// is pushed as form fields or as a request object. A dpop_jkt sent as well
// (in the form or inside the object) must name the same key. The proof is checked as at the token
// endpoint (htm POST, htu the PAR endpoint's URL, iat window, jti replay,
// nonce when oauth2.dpop.require_nonce), which costs one more write, only
// when a proof is sent. With DPoP disabled the header is ignored, as at
// the token endpoint.

// paramDPoPJKT is RFC 9449 section 10's authorization request parameter.
const paramDPoPJKT = "dpop_jkt"

// proofKey checks r's proof, if any, and returns the thumbprint of its
// key; "" without a proof. With p.DPoP nil (DPoP disabled) the header is
// ignored.
func (p *PAR) proofKey(ctx context.Context, r *http.Request) (string, error) {
	if p.DPoP == nil {
		return "", nil
	}
	proof, err := p.DPoP.Verify(ctx, r.Header, oauth2.DPoPTarget{Method: http.MethodPost, URL: p.DPoPURL})
	if err != nil || proof == nil {
		return "", err
	}
	return proof.JKT, nil
}

// bindProofKey records the proof's key jkt as the request's dpop_jkt. It
// runs on the parameters that are stored, after a pushed request object
// has replaced the form, so a proof binds the code whether the request
// came as form fields or inside an object, and a dpop_jkt from either
// must name the proof's key.
func bindProofKey(params url.Values, jkt string) error {
	if jkt == "" {
		return nil
	}
	if v := params.Get(paramDPoPJKT); v != "" && v != jkt {
		return oauth2.InvalidDPoPProof("The dpop_jkt parameter names another key than the one that signed the DPoP proof.")
	}
	params.Set(paramDPoPJKT, jkt)
	return nil
}

// dpopNonce sets a fresh server nonce on a successful push when nonces are
// required, so the client's next proof (at the token endpoint) can use it.
func (p *PAR) dpopNonce(w http.ResponseWriter) {
	if p.DPoP != nil && p.DPoP.Nonces != nil {
		w.Header().Set(oauth2.HeaderDPoPNonce, p.DPoP.Nonces.Issue())
	}
}
