package jwk

import (
	"context"

	"github.com/go-jose/go-jose/v4"
)

// The key sets Signet creates at first start (Hydra's names, so that
// webfinger.jwks.broadcast_keys and existing tooling keep working).
const (
	SetIDToken     = "hydra.openid.id-token"
	SetAccessToken = "hydra.jwt.access-token"
)

// SignerSource gives the newest private key of a set as a ready signer.
// Consumers (token, oidc) see only this, never the Manager. Signers are built
// once per key and cached; the returned JSONWebKey is the public half, for
// kid and alg.
type SignerSource interface {
	Signer(ctx context.Context, set string) (jose.Signer, jose.JSONWebKey, error)
}

// KeySource gives the public keys of one or more sets, from memory.
type KeySource interface {
	PublicKeys(ctx context.Context, sets ...string) (jose.JSONWebKeySet, error)
}
