package assertion

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Parsing of RFC 7515 compact JWS carrying RFC 7519 claims. The JSON
// serialization is refused (RFC 7523 section 2.1 and 2.2 define the
// assertion as a JWT, which RFC 7519 section 7.2 parses in compact form),
// and so is everything a verifier would have to understand to be safe but
// that no assertion needs: "crit" and unencoded payloads (RFC 7797).

// MaxLength bounds a raw assertion before any decoding. Real assertions
// are well under 2 KiB; 16 KiB leaves room for an x5c chain in the header.
const MaxLength = 16 << 10

// AsymmetricAlgorithms are the signature algorithms verified with public
// keys: RSA PKCS#1 v1.5, RSA-PSS, ECDSA and EdDSA (Ed25519).
func AsymmetricAlgorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{
		jose.RS256, jose.RS384, jose.RS512,
		jose.PS256, jose.PS384, jose.PS512,
		jose.ES256, jose.ES384, jose.ES512,
		jose.EdDSA,
	}
}

// HMACAlgorithms are the MAC algorithms verified with a shared secret. They
// are only ever usable when the caller passes a secret in Keys.HMAC.
func HMACAlgorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{jose.HS256, jose.HS384, jose.HS512}
}

// isKnown reports whether alg is one this package can verify; "none" never is.
func isKnown(alg jose.SignatureAlgorithm) bool {
	return slices.Contains(AsymmetricAlgorithms(), alg) || slices.Contains(HMACAlgorithms(), alg)
}

// JWT is a parsed, not yet verified assertion.
type JWT struct {
	jws    *jose.JSONWebSignature
	alg    jose.SignatureAlgorithm
	kid    string
	claims Claims
}

// header is the part of the protected header read before go-jose parses
// it, to explain a disallowed algorithm precisely.
type header struct {
	Alg string `json:"alg"`
}

// Parse checks raw's size and shape, requires its "alg" to be in algs (a
// required allow-list: pass AsymmetricAlgorithms, HMACAlgorithms, or a
// client's registered algorithm) and decodes its claims. It verifies
// nothing: call Verify before trusting anything but Algorithm, KeyID and
// Unverified.
func Parse(raw string, algs []jose.SignatureAlgorithm) (*JWT, error) {
	if len(algs) == 0 || !allKnown(algs) {
		return nil, refuse(ErrMalformed, "No signature algorithm is acceptable here.")
	}
	if raw == "" {
		return nil, refuse(ErrMalformed, "The assertion is empty.")
	}
	if len(raw) > MaxLength {
		return nil, refuse(ErrMalformed, "The assertion is longer than %d bytes.", MaxLength)
	}
	if strings.Count(raw, ".") != 2 {
		return nil, refuse(ErrMalformed, "The assertion must be a JWT in JWS compact serialization (three base64url parts separated by dots).")
	}
	alg, err := peekAlg(raw)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(algs, alg) {
		return nil, refuse(ErrMalformed, "The assertion is signed with alg %q, which is not accepted here; accepted: %s.",
			clip(string(alg)), joinAlgs(algs))
	}
	jws, err := jose.ParseSignedCompact(raw, algs)
	if err != nil {
		return nil, refuse(ErrMalformed, "The assertion is not a valid JWS.").because(err)
	}
	if len(jws.Signatures) != 1 {
		return nil, refuse(ErrMalformed, "The assertion must carry exactly one signature.")
	}
	h := jws.Signatures[0].Header
	for _, name := range []jose.HeaderKey{"crit", "b64"} {
		if _, ok := h.ExtraHeaders[name]; ok {
			return nil, refuse(ErrMalformed, "The assertion's JOSE header must not contain %q.", name)
		}
	}
	claims, err := decodeClaims(jws.UnsafePayloadWithoutVerification())
	if err != nil {
		return nil, err
	}
	return &JWT{jws: jws, alg: alg, kid: h.KeyID, claims: claims}, nil
}

func allKnown(algs []jose.SignatureAlgorithm) bool {
	for _, a := range algs {
		if !isKnown(a) {
			return false
		}
	}
	return true
}

// peekAlg reads "alg" from the protected header.
func peekAlg(raw string) (jose.SignatureAlgorithm, error) {
	seg, _, _ := strings.Cut(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return "", refuse(ErrMalformed, "The assertion's JOSE header is not base64url-encoded.")
	}
	var h header
	if err := json.Unmarshal(b, &h); err != nil {
		return "", refuse(ErrMalformed, "The assertion's JOSE header is not a JSON object.")
	}
	switch {
	case h.Alg == "":
		return "", refuse(ErrMalformed, "The assertion's JOSE header has no \"alg\".")
	case strings.EqualFold(h.Alg, "none"):
		return "", refuse(ErrMalformed, "Unsigned assertions (alg \"none\") are never accepted.")
	}
	return jose.SignatureAlgorithm(h.Alg), nil
}

// claimsJSON is the wire form of the registered claims we check. Other
// claims are allowed and ignored (RFC 7523 section 3, item 8).
type claimsJSON struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.Audience     `json:"aud"`
	Expiry    *jwt.NumericDate `json:"exp"`
	NotBefore *jwt.NumericDate `json:"nbf"`
	IssuedAt  *jwt.NumericDate `json:"iat"`
	ID        string           `json:"jti"`
}

// decodeClaims requires the payload to be exactly one JSON object whose
// registered claims have their RFC 7519 types.
func decodeClaims(payload []byte) (Claims, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Claims{}, refuse(ErrMalformed, "The assertion's payload must be a JSON object of claims.")
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	var c claimsJSON
	if err := dec.Decode(&c); err != nil {
		return Claims{}, refuse(ErrMalformed, "The assertion's claims are not valid: iss, sub and jti must be strings, aud a string or an array of strings, exp, nbf and iat numbers.").because(err)
	}
	if dec.More() {
		return Claims{}, refuse(ErrMalformed, "The assertion's payload has data after the JSON object.")
	}
	out := Claims{Issuer: c.Issuer, Subject: c.Subject, Audience: []string(c.Audience), ID: c.ID, Payload: trimmed}
	out.Expiry, out.NotBefore, out.IssuedAt = timeOf(c.Expiry), timeOf(c.NotBefore), timeOf(c.IssuedAt)
	return out, nil
}

// timeOf converts a present NumericDate; absent stays the zero time (which
// no NumericDate produces: time.Unix(0, 0) is 1970, not year 1).
func timeOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time().UTC()
}

// Algorithm is the header's "alg", already checked against the allow-list.
func (t *JWT) Algorithm() jose.SignatureAlgorithm { return t.alg }

// KeyID is the header's "kid", or "".
func (t *JWT) KeyID() string { return t.kid }

// Unverified returns the claims before the signature is checked. Use them
// only to find the keys (the client or the trusted issuer), never to
// decide anything else.
func (t *JWT) Unverified() Claims { return t.claims }

// clip bounds an attacker-chosen string echoed in a message.
func clip(s string) string {
	const n = 32
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func joinAlgs(algs []jose.SignatureAlgorithm) string {
	parts := make([]string, len(algs))
	for i, a := range algs {
		parts[i] = string(a)
	}
	return strings.Join(parts, ", ")
}
