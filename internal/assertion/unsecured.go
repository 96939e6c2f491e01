package assertion

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// Two entry points for request objects (RFC 9101), whose claim rules are
// not RFC 7523's: the caller checks iss, aud and the times itself.
//
//   - VerifySignature checks only the signature, with the same key
//     selection as Verify, and returns the now authentic claims;
//   - ParseUnsecured reads an unsecured JWT (RFC 7519 section 6, alg
//     "none"), which Parse never accepts. Only a caller that knows the
//     sender registered "none" may use it (OIDC Core section 6.1 and
//     RFC 9101 section 10.2 "request_object_signing_alg": "none").

// VerifySignature checks t's signature with the fitting keys and returns
// its claims. It applies no claim rule at all.
func (t *JWT) VerifySignature(keys Keys) (*Claims, error) {
	if err := t.verifySignature(keys); err != nil {
		return nil, err
	}
	c := t.claims
	return &c, nil
}

// ParseUnsecured decodes raw as an unsecured JWT: a protected header that
// is exactly {"alg":"none"} (with an optional "typ"), a payload of claims
// and an empty signature part. Anything else is ErrMalformed.
func ParseUnsecured(raw string) (*Claims, error) {
	if len(raw) > MaxLength {
		return nil, refuse(ErrMalformed, "The JWT is longer than %d bytes.", MaxLength)
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 || parts[2] != "" {
		return nil, refuse(ErrMalformed, "An unsecured JWT must be two base64url parts followed by a dot and an empty signature.")
	}
	hb, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return nil, refuse(ErrMalformed, "The JWT's JOSE header is not base64url-encoded.")
	}
	var h map[string]json.RawMessage
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, refuse(ErrMalformed, "The JWT's JOSE header is not a JSON object.")
	}
	var alg string
	if err := json.Unmarshal(h["alg"], &alg); err != nil || alg != "none" {
		return nil, refuse(ErrMalformed, "An unsecured JWT must have alg \"none\" in its header.")
	}
	for name := range h {
		if name != "alg" && name != "typ" {
			return nil, refuse(ErrMalformed, "An unsecured JWT's header may hold only alg and typ, not %q.", clip(name))
		}
	}
	pb, err := base64.RawURLEncoding.Strict().DecodeString(parts[1])
	if err != nil {
		return nil, refuse(ErrMalformed, "The JWT's payload is not base64url-encoded.")
	}
	c, err := decodeClaims(pb)
	if err != nil {
		return nil, err
	}
	return &c, nil
}
