package oauth2

// DPoP at the token endpoint, RFC 9449 section 5, for every grant alike:
// TokenEndpoint calls Bind after client authentication and before the
// grant, and Finish on the response, so no grant can skip either.
//
//   - A request with a valid proof gets tokens bound to the proof's key:
//     Bind puts the key's thumbprint into the context, token.Issuer binds
//     every access token minted under it (JWTs carry cnf.jkt, every record
//     stores it), and the response's token_type is "DPoP".
//   - A client registered with dpop_bound_access_tokens (section 5.2) is
//     refused without a proof: invalid_dpop_proof.
//   - Refresh tokens of public clients are bound to the key too (section
//     5, "refresh tokens issued to public clients are bound"); refreshing
//     one needs a proof by the same key (CheckRefreshBinding). Refresh
//     tokens of confidential clients stay unbound, as the section allows:
//     the client authenticates, and the new access token is bound when a
//     proof comes with the refresh.
//   - With oauth2.dpop.enabled off, the DPoP header is ignored as if absent
//     (nothing is advertised), and clients that require DPoP are refused.
//
// Storage: the proof's jti, one insert, done after client authentication
// so that strangers cannot fill the replay table.

import (
	"context"
	"net/http"
	"strings"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/token"
)

// DPoPBinding binds the token endpoint's tokens to DPoP keys. A nil
// *DPoPBinding means DPoP is disabled.
type DPoPBinding struct {
	Verifier *DPoPVerifier
	// URL is the token endpoint's public URL, the htu every proof names.
	URL string
}

// Bind verifies the request's proof, if any, and returns the context
// under which the grant mints its tokens.
func (b *DPoPBinding) Bind(r *http.Request, c *client.Client) (context.Context, error) {
	ctx := r.Context()
	if b == nil {
		if c.DPoPBoundAccessTokens {
			return nil, InvalidDPoPProof("The client requires DPoP-bound tokens, but DPoP is disabled on this server (oauth2.dpop.enabled).")
		}
		return ctx, nil
	}
	proof, err := b.Verifier.Verify(ctx, r.Header, DPoPTarget{Method: r.Method, URL: b.URL})
	if err != nil {
		return nil, err
	}
	if proof == nil {
		if c.DPoPBoundAccessTokens {
			return nil, InvalidDPoPProof("The client is registered with dpop_bound_access_tokens, so every token request needs a DPoP proof.")
		}
		return ctx, nil
	}
	return token.WithConfirmation(ctx, proof.JKT), nil
}

// Finish marks a bound response (section 5: token_type "DPoP") and, when
// nonces are required, hands the client the next nonce (section 8.2).
func (b *DPoPBinding) Finish(ctx context.Context, w http.ResponseWriter, resp *TokenResponse) {
	if b == nil {
		return
	}
	// Only an access token's type changes: a grant that answers with
	// another kind of token (RFC 8693's "N_A") keeps its token_type.
	if token.Confirmation(ctx) != "" && strings.EqualFold(resp.TokenType, TokenTypeBearer) {
		resp.TokenType = TokenTypeDPoP
	}
	if b.Verifier.Nonces != nil {
		w.Header().Set(HeaderDPoPNonce, b.Verifier.Nonces.Issue())
	}
}

// refreshJKT is the key a new refresh token of c is bound to: the
// request's key for a public client, none for a confidential one.
func refreshJKT(ctx context.Context, c *client.Client) string {
	if !IsPublic(c) {
		return ""
	}
	return token.Confirmation(ctx)
}

// CheckRefreshBinding refuses to rotate a refresh token bound to a key
// unless the request proved possession of that key.
func CheckRefreshBinding(ctx context.Context, rec *token.RefreshRecord) error {
	if rec.JKT == "" {
		return nil
	}
	switch token.Confirmation(ctx) {
	case rec.JKT:
		return nil
	case "":
		return InvalidDPoPProof("The refresh token is bound to a DPoP key; send a DPoP proof signed with that key.")
	default:
		return InvalidDPoPProof("The refresh token is bound to another DPoP key than the one that signed this proof.")
	}
}

// introspectedTokenType is the token_type introspection reports: "DPoP"
// for a token bound to a key (RFC 9449 section 6.2), else "Bearer".
func introspectedTokenType(jkt string) string {
	if jkt != "" {
		return TokenTypeDPoP
	}
	return "Bearer"
}

// CheckCodeBinding refuses to redeem a code bound to a key by dpop_jkt
// (RFC 9449 section 10) unless the request proved possession of that key.
func CheckCodeBinding(ctx context.Context, rec *token.CodeRecord) error {
	if rec.DPoPJKT == "" {
		return nil
	}
	switch token.Confirmation(ctx) {
	case rec.DPoPJKT:
		return nil
	case "":
		return InvalidDPoPProof("The authorization request carried dpop_jkt, so the code needs a DPoP proof signed with that key.")
	default:
		return InvalidDPoPProof("The DPoP proof is signed with another key than the dpop_jkt of the authorization request.")
	}
}
