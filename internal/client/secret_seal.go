package client

import (
	"fmt"

	"github.com/signet-oidc/signet/internal/secret"
)

// Sealed secrets: a client registered for client_secret_jwt proves itself
// with an HMAC keyed by its secret (RFC 7523 section 2.2), which a hash
// cannot check. For those clients alone the secret is also kept encrypted
// with the system keyring, bound to the client ID so that a sealed value
// copied onto another client does not open.

// sealAAD binds a sealed secret to its client.
func sealAAD(clientID string) []byte { return []byte("signet client secret\x00" + clientID) }

// SealSecret encrypts the client's secret for storage.
func SealSecret(k *secret.Keyring, clientID, plaintext string) ([]byte, error) {
	sealed, err := k.Seal([]byte(plaintext), sealAAD(clientID))
	if err != nil {
		return nil, fmt.Errorf("client: sealing secret: %w", err)
	}
	return sealed, nil
}

// OpenSecret decrypts a secret sealed by SealSecret for the same client.
func OpenSecret(k *secret.Keyring, clientID string, sealed []byte) (string, error) {
	plain, err := k.Open(sealed, sealAAD(clientID))
	if err != nil {
		return "", fmt.Errorf("client: opening sealed secret: %w", err)
	}
	return string(plain), nil
}
