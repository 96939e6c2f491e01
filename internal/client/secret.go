package client

import (
	"errors"
	"fmt"
	"io"

	"github.com/signet-oidc/signet/internal/secret"
)

const (
	// secretBytes of randomness in a minted secret: 256 bits, 43 characters.
	secretBytes = 32
	// jwtSecretBytes of randomness in a minted client_secret_jwt secret: 54
	// bytes give 72 characters, the longest bcrypt can hash and long enough
	// for HS512, whose key RFC 7518 section 3.2 wants at least 64 bytes.
	jwtSecretBytes = 54
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

// mintFor returns a fresh secret fit for the auth method: longer for
// client_secret_jwt, whose secret is an HMAC key.
func mintFor(method string, rand io.Reader) (string, error) {
	n := secretBytes
	if method == AuthClientSecretJWT {
		n = jwtSecretBytes
	}
	s, err := secret.RandomString(rand, n)
	if err != nil {
		return "", fmt.Errorf("minting client secret: %w", err)
	}
	return s, nil
}

// needsSecret reports whether the auth method authenticates with a shared
// secret, so a client using it without one gets a minted secret.
func needsSecret(method string) bool {
	return method == AuthClientSecretBasic || method == AuthClientSecretPost || method == AuthClientSecretJWT
}

// settleSecret decides c's secret after a create (old is nil) or an update.
// On entry c.Credentials are old's (replace carries them over). On return
// c.SecretHash and c.Credentials are what to store, and c.Secret is
// non-empty only if a new secret was set, which the response shows once.
//
//   - token_endpoint_auth_method none: no secret may be given; the hash, the
//     sealed copy and the rotated secrets are dropped, so a public client
//     cannot authenticate with a stale secret.
//   - a given secret replaces the current one. It is a replacement, not a
//     rotation: rotated secrets are dropped too (POST …/secrets/rotate is
//     how to keep the old one working for a while).
//   - no secret given: the old hash is kept, or, if there is none and the
//     method needs one, a secret is minted.
//   - client_secret_jwt needs the plaintext (sealed); switching to it without
//     giving a secret is refused, since a hash cannot be turned back into
//     the secret. Minting instead would silently invalidate the secret the
//     client uses today. Switching away drops every sealed copy.
func (a *Admin) settleSecret(c, old *Client) error {
	oldHash := ""
	if old != nil {
		oldHash = old.SecretHash
	}
	method := c.TokenEndpointAuthMethod
	switch {
	case method == AuthNone:
		if c.Secret != "" {
			return invalidMetadata("The field client_secret must be empty when token_endpoint_auth_method is none.")
		}
		c.SecretHash = ""
		c.Credentials.SealedSecret, c.Credentials.Rotated = nil, nil
		return nil
	case c.Secret != "":
		return a.replaceSecret(c, c.Secret)
	case oldHash == "" && needsSecret(method):
		minted, err := mintFor(method, a.Rand)
		if err != nil {
			return err
		}
		return a.replaceSecret(c, minted)
	}
	c.SecretHash = oldHash
	if method != AuthClientSecretJWT {
		dropSealed(&c.Credentials)
		return nil
	}
	if len(c.Credentials.SealedSecret) == 0 {
		return invalidMetadata("Switching token_endpoint_auth_method to client_secret_jwt needs a new client_secret in the same request: the server keeps only a hash of the current secret and cannot use it as an HMAC key.")
	}
	// The kept secret must still be long enough if the algorithm changed.
	plain, err := a.openSealed(c)
	if errors.Is(err, secret.ErrOpen) {
		// Not the caller's doing, but the caller can repair it.
		return invalidMetadata("The stored client_secret_jwt secret cannot be opened with the configured secrets.system (was the secret that sealed it removed?); set a new client_secret.").Because(err)
	}
	if err != nil {
		return err
	}
	return checkHMACKey(c, plain)
}

// openSealed returns the plaintext of c's sealed secret.
func (a *Admin) openSealed(c *Client) (string, error) {
	if a.Keyring == nil {
		return "", fmt.Errorf("client %q uses client_secret_jwt but no keyring is configured", c.ID)
	}
	return OpenSecret(a.Keyring, c.ID, c.Credentials.SealedSecret)
}

// replaceSecret makes plain the client's only secret: checked, hashed,
// sealed for client_secret_jwt, and shown once in the response.
func (a *Admin) replaceSecret(c *Client, plain string) error {
	if err := checkChosenSecret(plain, a.Hasher.Algorithm); err != nil {
		return err
	}
	if err := checkHMACKey(c, plain); err != nil {
		return err
	}
	hash, sealed, err := a.storedForms(c, plain)
	if err != nil {
		return err
	}
	c.Secret, c.SecretHash = plain, hash
	c.Credentials.SealedSecret, c.Credentials.Rotated = sealed, nil
	return nil
}

// storedForms returns what is kept of plain: its hash and, for a
// client_secret_jwt client, its sealed copy (nil otherwise).
func (a *Admin) storedForms(c *Client, plain string) (hash string, sealed []byte, err error) {
	hash, err = a.Hasher.Hash(plain)
	if err != nil {
		return "", nil, fmt.Errorf("hashing client secret: %w", err)
	}
	if c.TokenEndpointAuthMethod != AuthClientSecretJWT {
		return hash, nil, nil
	}
	if a.Keyring == nil {
		return "", nil, fmt.Errorf("client %q uses client_secret_jwt but no keyring is configured", c.ID)
	}
	sealed, err = SealSecret(a.Keyring, c.ID, plain)
	if err != nil {
		return "", nil, err
	}
	return hash, sealed, nil
}

// dropSealed forgets every sealed secret; the hashes keep working for the
// methods that only need a hash.
func dropSealed(cr *Credentials) {
	cr.SealedSecret = nil
	if len(cr.Rotated) == 0 {
		return
	}
	kept := make([]StoredSecret, len(cr.Rotated))
	for i, s := range cr.Rotated {
		s.Sealed = nil
		kept[i] = s
	}
	cr.Rotated = kept
}

// checkHMACKey applies RFC 7518 section 3.2 to a client_secret_jwt secret:
// "A key of the same size as the hash output (for instance, 256 bits for
// "HS256") or larger MUST be used". Without a registered algorithm the
// client may use any HS algorithm its secret is long enough for, so the
// floor is HS256's.
func checkHMACKey(c *Client, plain string) error {
	if c.TokenEndpointAuthMethod != AuthClientSecretJWT {
		return nil
	}
	alg := c.TokenEndpointAuthSigningAlg
	if alg == "" {
		alg = "HS256"
	}
	if need := hmacKeyBytes(alg); len(plain) < need {
		return invalidMetadata("The field client_secret must be at least %d bytes long for client_secret_jwt with %s: it is the HMAC key (RFC 7518 section 3.2); leave it empty to have one minted.", need, alg)
	}
	return nil
}

// hmacKeyBytes is the shortest key an HMAC algorithm accepts (its hash
// output size).
func hmacKeyBytes(alg string) int {
	switch alg {
	case "HS384":
		return 48
	case "HS512":
		return 64
	default:
		return 32
	}
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
