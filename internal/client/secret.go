package client

import (
	"fmt"
	"io"

	"github.com/signet-oidc/signet/internal/secret"
)

const (
	// secretBytes of randomness in a minted secret: 256 bits, 43 characters.
	secretBytes = 32
	// minSecretLen is the shortest secret a caller may choose (Hydra's rule).
	minSecretLen = 6
	// maxSecretLen bounds a chosen secret; bcrypt has its own lower limit.
	maxSecretLen = 512
	// bcryptMaxLen is where bcrypt stops reading its input.
	bcryptMaxLen = 72
)

// MintSecret returns a fresh random client secret.
func MintSecret(rand io.Reader) (string, error) {
	return secret.RandomString(rand, secretBytes)
}

// needsSecret reports whether the auth method authenticates with a shared
// secret, so a client using it without one gets a minted secret.
func needsSecret(method string) bool {
	return method == AuthClientSecretBasic || method == AuthClientSecretPost
}

// settleSecret decides c's secret after a create or an update; oldHash is
// the stored hash ("" on create). On return c.SecretHash is what to store and
// c.Secret is non-empty only if a new secret was set, which the response then
// shows once.
//
//   - token_endpoint_auth_method none: no secret may be given; any old hash
//     is dropped, so a public client cannot authenticate with a stale secret.
//   - a given secret is checked and hashed;
//   - no secret given: the old hash is kept, or, if there is none and the
//     method needs one, a secret is minted.
func settleSecret(c *Client, oldHash string, h secret.Hasher, rand io.Reader) error {
	if c.TokenEndpointAuthMethod == AuthNone {
		if c.Secret != "" {
			return invalidMetadata("The field client_secret must be empty when token_endpoint_auth_method is none.")
		}
		c.SecretHash = ""
		return nil
	}
	if c.Secret == "" {
		if oldHash != "" || !needsSecret(c.TokenEndpointAuthMethod) {
			c.SecretHash = oldHash
			return nil
		}
		minted, err := MintSecret(rand)
		if err != nil {
			return fmt.Errorf("minting client secret: %w", err)
		}
		c.Secret = minted
	}
	if err := checkChosenSecret(c.Secret, h.Algorithm); err != nil {
		return err
	}
	hash, err := h.Hash(c.Secret)
	if err != nil {
		return fmt.Errorf("hashing client secret: %w", err)
	}
	c.SecretHash = hash
	return nil
}

func checkChosenSecret(s, algorithm string) error {
	limit := maxSecretLen
	if algorithm == "bcrypt" {
		limit = bcryptMaxLen
	}
	if len(s) < minSecretLen || len(s) > limit {
		return invalidMetadata("The field client_secret must be %d to %d bytes long.", minSecretLen, limit)
	}
	if !printable(s) {
		return invalidMetadata("The field client_secret must be printable UTF-8 without control characters.")
	}
	return nil
}
