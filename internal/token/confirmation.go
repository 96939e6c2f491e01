package token

import "context"

// Key confirmation of DPoP-bound tokens (RFC 9449 section 6; the "cnf"
// claim of RFC 7800 section 3.1). The token endpoint verifies the request's
// DPoP proof and puts the thumbprint of its key into the request context;
// every access token minted under that context, by whichever grant, is
// bound to the key. The thumbprint is request data (it came with this
// request's proof), so it travels in the context like the request id, and
// no grant can forget to bind.

type confirmationKey struct{}

// WithConfirmation returns ctx carrying jkt, the base64url RFC 7638
// SHA-256 thumbprint of the key this request proved possession of. An
// empty jkt returns ctx unchanged.
func WithConfirmation(ctx context.Context, jkt string) context.Context {
	if jkt == "" {
		return ctx
	}
	return context.WithValue(ctx, confirmationKey{}, jkt)
}

// Confirmation is the jkt of WithConfirmation, or "" when the request
// proved possession of no key.
func Confirmation(ctx context.Context) string {
	jkt, _ := ctx.Value(confirmationKey{}).(string)
	return jkt
}

// Cnf is the "cnf" member of JWT access tokens and introspection
// responses for a DPoP-bound token (RFC 9449 sections 6.1 and 6.2).
type Cnf struct {
	JKT string `json:"jkt"`
}

// CnfOf returns the cnf of a token bound to jkt, nil for an unbound one.
func CnfOf(jkt string) *Cnf {
	if jkt == "" {
		return nil
	}
	return &Cnf{JKT: jkt}
}
