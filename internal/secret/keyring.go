package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// MinSecretLen is the shortest accepted system secret (as Hydra requires).
const MinSecretLen = 16

// ErrOpen is returned when sealed data cannot be opened by any secret: it
// was tampered with, bound to other associated data, or sealed with a secret
// that is no longer configured.
var ErrOpen = errors.New("secret: sealed data cannot be opened with any configured secret")

const sealVersion = 1

// Keyring derives AES-256-GCM keys from the configured secrets. The first
// secret seals; every secret opens.
type Keyring struct {
	secrets [][]byte
	aeads   []cipher.AEAD
	ids     [][4]byte
	rand    io.Reader
}

// NewKeyring builds a keyring; rand is the nonce source (crypto/rand.Reader
// in production).
func NewKeyring(secrets []string, rand io.Reader) (*Keyring, error) {
	if len(secrets) == 0 {
		return nil, errors.New("secret: at least one system secret is required")
	}
	k := &Keyring{rand: rand}
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("secret: secrets.system[%d] is shorter than %d characters", i, MinSecretLen)
		}
		key := k.derive([]byte(s), "signet aead v1", 32)
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(key)
		k.secrets = append(k.secrets, []byte(s))
		k.aeads = append(k.aeads, aead)
		k.ids = append(k.ids, [4]byte(sum[:4]))
	}
	return k, nil
}

func (k *Keyring) derive(secret []byte, purpose string, n int) []byte {
	key, err := hkdf.Key(sha256.New, secret, nil, purpose, n)
	if err != nil {
		panic(err) // only for n beyond HKDF's limit, a programming error
	}
	return key
}

// Seal encrypts plaintext with the first secret. aad binds the ciphertext to
// its context (a key id, a purpose) so it cannot be moved elsewhere.
// Layout: version(1) | key id(4) | nonce(12) | ciphertext+tag.
func (k *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	aead := k.aeads[0]
	out := make([]byte, 5+aead.NonceSize(), 5+aead.NonceSize()+len(plaintext)+aead.Overhead())
	out[0] = sealVersion
	copy(out[1:5], k.ids[0][:])
	if _, err := io.ReadFull(k.rand, out[5:]); err != nil {
		return nil, err
	}
	return aead.Seal(out, out[5:], plaintext, aad), nil
}

// Open decrypts what Seal produced with any configured secret.
func (k *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	ns := k.aeads[0].NonceSize()
	if len(sealed) < 5+ns || sealed[0] != sealVersion {
		return nil, ErrOpen
	}
	for i, aead := range k.aeads {
		if [4]byte(sealed[1:5]) != k.ids[i] {
			continue
		}
		pt, err := aead.Open(nil, sealed[5:5+ns], sealed[5+ns:], aad)
		if err == nil {
			return pt, nil
		}
	}
	return nil, ErrOpen
}

// MACKeys derives one HMAC key per secret for a purpose (for example
// "opaque access token"). The first key signs; all keys verify.
func (k *Keyring) MACKeys(purpose string) [][]byte {
	keys := make([][]byte, len(k.secrets))
	for i, s := range k.secrets {
		keys[i] = k.derive(s, "signet mac v1 "+purpose, 32)
	}
	return keys
}
