package secret

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes client secrets. Hash uses the configured algorithm; Verify
// accepts any hash this package produced, whatever the current setting, so
// switching algorithms does not lock existing clients out.
type Hasher struct {
	Algorithm        string // "pbkdf2" or "bcrypt"
	PBKDF2Iterations int
	BCryptCost       int
	Rand             io.Reader
}

// ErrMismatch is returned by Verify when the secret does not match.
var ErrMismatch = errors.New("secret: mismatch")

const pbkdf2Prefix = "$pbkdf2-sha256$"

// MaxPBKDF2Iterations bounds the work one verification may cost. The count
// is read from the stored hash, so without a bound a tampered row could make
// a single token request run for hours. The configuration has the same limit.
const MaxPBKDF2Iterations = 10_000_000

// Hash returns a self-describing hash of secret.
func (h Hasher) Hash(secret string) (string, error) {
	switch h.Algorithm {
	case "bcrypt":
		if len(secret) > 72 {
			// bcrypt ignores bytes past 72; refuse rather than silently truncate.
			return "", errors.New("secret: bcrypt cannot hash secrets longer than 72 bytes")
		}
		b, err := bcrypt.GenerateFromPassword([]byte(secret), h.BCryptCost)
		return string(b), err
	case "pbkdf2", "":
		if h.PBKDF2Iterations < 1 || h.PBKDF2Iterations > MaxPBKDF2Iterations {
			return "", fmt.Errorf("secret: pbkdf2 iterations must be between 1 and %d", MaxPBKDF2Iterations)
		}
		salt := make([]byte, 16)
		if _, err := io.ReadFull(h.Rand, salt); err != nil {
			return "", err
		}
		key, err := pbkdf2.Key(sha256.New, secret, salt, h.PBKDF2Iterations, 32)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%si=%d,l=32$%s$%s", pbkdf2Prefix, h.PBKDF2Iterations,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
	default:
		return "", fmt.Errorf("secret: unknown hash algorithm %q", h.Algorithm)
	}
}

// Verify checks secret against hash in constant time.
func (h Hasher) Verify(hash, secret string) error {
	switch {
	case strings.HasPrefix(hash, pbkdf2Prefix):
		return verifyPBKDF2(hash, secret)
	case strings.HasPrefix(hash, "$2"):
		// Hash refuses secrets past bcrypt's 72 bytes; a longer candidate
		// cannot be the registered secret, though bcrypt would ignore its tail.
		if len(secret) > 72 || bcrypt.CompareHashAndPassword([]byte(hash), []byte(secret)) != nil {
			return ErrMismatch
		}
		return nil
	default:
		return ErrMismatch
	}
}

func verifyPBKDF2(hash, secret string) error {
	parts := strings.Split(strings.TrimPrefix(hash, pbkdf2Prefix), "$")
	if len(parts) != 3 {
		return ErrMismatch
	}
	var iter, length int
	for _, kv := range strings.Split(parts[0], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil {
			return ErrMismatch
		}
		switch k {
		case "i":
			iter = n
		case "l":
			length = n
		}
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[1])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || iter < 1 || iter > MaxPBKDF2Iterations || length != len(want) || length < 16 || length > 64 {
		return ErrMismatch
	}
	got, err := pbkdf2.Key(sha256.New, secret, salt, iter, length)
	if err != nil || subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}
