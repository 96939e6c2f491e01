package flow

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"

	"github.com/signet-oidc/signet/internal/secret"
)

// ErrCSRF means the browser continuing a flow is not the one that started
// it: the CSRF cookie is missing or holds another value. The handler turns
// this into an error page that names the usual causes (cookie not sent back
// over plain http with SameSite=None, localhost vs 127.0.0.1, cookies
// blocked).
var ErrCSRF = errors.New("flow: CSRF cookie missing or does not match this flow")

// csrfBytes is the entropy of the browser binding (256 bits).
const csrfBytes = 32

// newCSRF returns the value for the browser cookie and the digest the flow
// keeps. Only the digest travels in the challenge, so a leaked challenge
// (login app logs, Referer headers) does not reveal what the cookie holds.
func newCSRF(r io.Reader) (value string, digest []byte, err error) {
	value, err = secret.RandomString(r, csrfBytes)
	if err != nil {
		return "", nil, err
	}
	return value, csrfDigest(value), nil
}

func csrfDigest(value string) []byte {
	sum := sha256.Sum256([]byte(value))
	return sum[:]
}

// CheckCSRF reports whether cookieValue is the value New handed out for this
// flow. An empty cookie never matches, even if the flow had no binding.
func (f *Flow) CheckCSRF(cookieValue string) error {
	if cookieValue == "" || len(f.CSRFDigest) != sha256.Size {
		return ErrCSRF
	}
	if subtle.ConstantTimeCompare(csrfDigest(cookieValue), f.CSRFDigest) != 1 {
		return ErrCSRF
	}
	return nil
}
