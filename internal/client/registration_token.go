package client

// The RFC 7592 registration access token: a bearer credential (RFC 6750
// section 2.1, Authorization header only) that lets a dynamically
// registered client read, update and delete its own registration. Only its
// SHA-256 digest is stored; the token is 256 random bits, so a plain hash
// is enough to make a stolen database useless for impersonation, and
// comparing digests in constant time keeps their content from leaking.
//
// Every failure (no token, wrong token, another client's token, a client
// without a token, an unknown client) is the same 401, so the endpoint
// does not tell a stranger which client ids exist.

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
)

const (
	// registrationTokenBytes of randomness in a registration access token.
	registrationTokenBytes = 32
	// maxRegistrationToken bounds the presented token before any work.
	maxRegistrationToken = 512
)

// mintRegistrationToken returns a new token and the digest to store.
func (g *Registration) mintRegistrationToken() (token string, digest []byte, err error) {
	token, err = secret.RandomString(g.Admin.Rand, registrationTokenBytes)
	if err != nil {
		return "", nil, err
	}
	return token, registrationDigest(token), nil
}

func registrationDigest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// tokenMatches reports whether token is c's registration access token. A
// client registered through the admin API has no digest and matches no
// token.
func tokenMatches(c *Client, token string) bool {
	want := c.Credentials.RegistrationTokenDigest
	return len(want) == sha256.Size && subtle.ConstantTimeCompare(registrationDigest(token), want) == 1
}

// bearerToken reads "Authorization: Bearer <token>" (RFC 6750 section
// 2.1; the scheme is case-insensitive). It returns "" when there is none
// or the header is malformed or repeated.
func bearerToken(r *http.Request) string {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return ""
	}
	scheme, token, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" ||
		len(token) > maxRegistrationToken || strings.ContainsAny(token, " \t") {
		return ""
	}
	return token
}

// invalidToken is RFC 6750 section 3.1's 401. A request without a token
// gets the bare challenge, as section 3.1 asks for requests that lack
// authentication; a wrong token gets error="invalid_token".
func invalidToken(presented bool) *httpx.Error {
	e := httpx.NewError(http.StatusUnauthorized, "invalid_token",
		"The registration access token is missing or invalid, or the client does not exist.")
	if !presented {
		return e.WithHeader("WWW-Authenticate", `Bearer`)
	}
	return e.WithHeader("WWW-Authenticate", `Bearer error="invalid_token"`)
}
