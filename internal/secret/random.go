package secret

import (
	"crypto/subtle"
	"encoding/base64"
	"io"
)

// RandomString returns n random bytes from r, base64url-encoded without
// padding (n=32 gives 256 bits, 43 characters).
func RandomString(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Equal compares two strings in constant time (for their common length;
// the length itself is not secret).
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
