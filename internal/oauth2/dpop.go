package oauth2

// OAuth 2.0 Demonstrating Proof of Possession (DPoP), RFC 9449: the proof
// checks of section 4.3, shared by the token endpoint (dpop_token.go) and
// the resources Signet serves itself (userinfo).
//
//   - Exactly one DPoP header (section 4.3 item 1), at most maxDPoPProofLen
//     bytes, holding a compact JWS (item 2).
//   - typ "dpop+jwt" (item 4), an asymmetric alg of DPoPSigningAlgs (item
//     5: never "none", never a MAC), a public "jwk" header (item 6; go-jose
//     also refuses embedded private keys), and a signature by that key
//     (item 7).
//   - jti (at most maxDPoPJTILen bytes), htm, htu and iat present (item 3);
//     htm equal to the request method (item 8); htu equal to the configured
//     public URL of the endpoint after RFC 3986 section 6 normalisation,
//     query and fragment ignored (item 9); iat within ±ProofMaxAge of now
//     (item 11).
//   - ath equal to base64url(SHA-256(access token)) when an access token is
//     presented with the proof (item 10, section 4.2).
//   - nonce when oauth2.dpop.require_nonce is on (item 10, section 8); a
//     missing or stale nonce is use_dpop_nonce with a fresh DPoP-Nonce.
//   - The jti is single use within the iat window (section 11.1): one
//     UseJTI insert, scoped to the key's thumbprint so that one key cannot
//     burn another's jti values. It is the only storage access.
//
// Section 10 (dpop_jkt binding the authorization code) is in
// authorize/dpop_jkt.go and CheckCodeBinding.

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/assertion"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// DPoP names of RFC 9449.
const (
	// HeaderDPoP carries the proof (section 4.1).
	HeaderDPoP = "DPoP"
	// HeaderDPoPNonce carries a server nonce (section 8).
	HeaderDPoPNonce = "DPoP-Nonce"
	// TokenTypeDPoP is the token_type of a DPoP-bound access token (section
	// 5) and the authorization scheme it is presented with (section 7.1).
	TokenTypeDPoP = "DPoP"
	dpopJWTType   = "dpop+jwt"
)

// maxDPoPProofLen bounds the DPoP header before any parsing: an RSA-4096
// proof is about 1.5 KiB, so 8 KiB leaves room and refuses abuse.
const maxDPoPProofLen = 8 << 10

// maxDPoPJTILen bounds the jti: the RFC asks for enough randomness, not
// for length, and a bounded value keeps the replay key honest.
const maxDPoPJTILen = 256

// defaultDPoPProofMaxAge is the iat window when none is configured.
const defaultDPoPProofMaxAge = time.Minute

// dpopAlgorithms are the asymmetric algorithms go-jose verifies; HMAC and
// "none" are absent, so the parser refuses them (section 4.3 item 5).
var dpopAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// DPoPSigningAlgs is dpop_signing_alg_values_supported (section 5.1), a
// new slice each call.
func DPoPSigningAlgs() []string {
	out := make([]string, len(dpopAlgorithms))
	for i, a := range dpopAlgorithms {
		out[i] = string(a)
	}
	return out
}

// DPoPProof is a verified proof: the thumbprint of its key and its jti.
type DPoPProof struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key,
	// base64url: the cnf.jkt of tokens bound to it (section 6.1).
	JKT      string
	JTI      string
	IssuedAt time.Time
}

// DPoPTarget is what a proof must be for: the request's method and the
// endpoint's public URL, plus the access token when one is presented.
type DPoPTarget struct {
	Method string
	// URL is the endpoint's URL as clients see it (urls.self.public joined
	// with the path), not the URL this request arrived on, which a proxy
	// may have rewritten.
	URL string
	// AccessToken, when set, must be hashed into the proof's ath.
	AccessToken string
}

// DPoPVerifier checks proofs. A nil *DPoPVerifier means DPoP is disabled.
type DPoPVerifier struct {
	Replay assertion.ReplayStore
	// MaxAge is the iat window, either way.
	MaxAge time.Duration
	// Nonces, when set, makes every proof carry a valid server nonce.
	Nonces *DPoPNonces
	Now    func() time.Time
}

// dpopClaims is the proof body (section 4.2). iat is a number, possibly
// with a fraction.
type dpopClaims struct {
	JTI   string       `json:"jti"`
	HTM   string       `json:"htm"`
	HTU   string       `json:"htu"`
	IAT   *json.Number `json:"iat"`
	ATH   *string      `json:"ath"`
	Nonce *string      `json:"nonce"`
}

// proofHeader returns the one DPoP header of h: "", nil when there is
// none; invalid_dpop_proof when it is repeated, empty or oversized.
func proofHeader(h http.Header) (string, error) {
	vals := h.Values(HeaderDPoP)
	switch {
	case len(vals) == 0:
		return "", nil
	case len(vals) > 1:
		return "", InvalidDPoPProof("The request carries more than one DPoP header; send exactly one proof.")
	case vals[0] == "":
		return "", InvalidDPoPProof("The DPoP header is empty.")
	case len(vals[0]) > maxDPoPProofLen:
		return "", InvalidDPoPProof("The DPoP proof is longer than %d bytes.", maxDPoPProofLen)
	}
	return vals[0], nil
}

// Verify checks the request's proof for target: "nil, nil" when the
// request has no DPoP header (the caller decides whether one is needed).
// Refusals are *httpx.Error values of the token endpoint's shape
// (invalid_dpop_proof or use_dpop_nonce, status 400); AtResource turns
// them into a resource server's challenge.
func (v *DPoPVerifier) Verify(ctx context.Context, h http.Header, target DPoPTarget) (*DPoPProof, error) {
	raw, err := proofHeader(h)
	if raw == "" || err != nil {
		return nil, err
	}
	now := v.Now()
	proof, nonce, err := ParseDPoPProof(raw, target, now, v.maxAge())
	if err != nil {
		return nil, err
	}
	if v.Nonces != nil && (nonce == "" || !v.Nonces.Valid(nonce)) {
		return nil, v.Nonces.Challenge(nonce == "")
	}
	if err := v.spend(ctx, proof); err != nil {
		return nil, err
	}
	return proof, nil
}

func (v *DPoPVerifier) maxAge() time.Duration {
	if v.MaxAge > 0 {
		return v.MaxAge
	}
	return defaultDPoPProofMaxAge
}

// dpopReplayScope is the replay scope of proofs signed by the key jkt.
func dpopReplayScope(jkt string) string { return "dpop\x00" + jkt }

// spend records the jti until the proof can no longer pass the iat check.
func (v *DPoPVerifier) spend(ctx context.Context, p *DPoPProof) error {
	err := v.Replay.UseJTI(ctx, assertion.ReplayKey(dpopReplayScope(p.JKT), p.JTI), p.IssuedAt.Add(v.maxAge()))
	switch {
	case err == nil:
		return nil
	case errors.Is(err, storage.ErrAlreadyUsed):
		return InvalidDPoPProof("The DPoP proof's jti was used before; make a new proof, with a fresh jti, for each request.")
	default:
		return ServerError(fmt.Errorf("dpop: recording jti: %w", err))
	}
}

// ParseDPoPProof checks everything of a proof that needs no storage and
// returns it with its nonce claim (empty when absent; the caller checks
// it). It is a plain function so that every check has a test row.
func ParseDPoPProof(raw string, target DPoPTarget, now time.Time, maxAge time.Duration) (*DPoPProof, string, error) {
	if len(raw) > maxDPoPProofLen {
		return nil, "", InvalidDPoPProof("The DPoP proof is longer than %d bytes.", maxDPoPProofLen)
	}
	jws, err := jose.ParseSignedCompact(raw, dpopAlgorithms)
	if err != nil {
		return nil, "", InvalidDPoPProof("The DPoP proof is not a JWS signed with one of %s, with a public jwk header.",
			strings.Join(DPoPSigningAlgs(), ", ")).Because(err)
	}
	if len(jws.Signatures) != 1 {
		return nil, "", InvalidDPoPProof("The DPoP proof must carry exactly one signature.")
	}
	hdr := jws.Signatures[0].Protected
	if typ, _ := hdr.ExtraHeaders[jose.HeaderType].(string); typ != dpopJWTType {
		return nil, "", InvalidDPoPProof("The DPoP proof's typ header must be %q.", dpopJWTType)
	}
	key := hdr.JSONWebKey
	if key == nil || !key.Valid() || !key.IsPublic() {
		return nil, "", InvalidDPoPProof("The DPoP proof's jwk header must hold the public key that signed it.")
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, "", InvalidDPoPProof("The DPoP proof's signature does not verify with its jwk.").Because(err)
	}
	var c dpopClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, "", InvalidDPoPProof("The DPoP proof's claims are not a JSON object of the right types.")
	}
	iat, err := checkDPoPClaims(&c, target, now, maxAge)
	if err != nil {
		return nil, "", err
	}
	jkt, err := thumbprint(key)
	if err != nil {
		return nil, "", InvalidDPoPProof("The DPoP proof's jwk has no RFC 7638 thumbprint.").Because(err)
	}
	nonce := ""
	if c.Nonce != nil {
		nonce = *c.Nonce
	}
	return &DPoPProof{JKT: jkt, JTI: c.JTI, IssuedAt: iat}, nonce, nil
}

// checkDPoPClaims checks section 4.3 items 3 and 8 to 11 and returns iat.
func checkDPoPClaims(c *dpopClaims, target DPoPTarget, now time.Time, maxAge time.Duration) (time.Time, error) {
	switch {
	case c.JTI == "" || c.HTM == "" || c.HTU == "" || c.IAT == nil:
		return time.Time{}, InvalidDPoPProof("The DPoP proof needs the claims jti, htm, htu and iat.")
	case len(c.JTI) > maxDPoPJTILen:
		return time.Time{}, InvalidDPoPProof("The DPoP proof's jti is longer than %d bytes.", maxDPoPJTILen)
	case c.HTM != target.Method:
		return time.Time{}, InvalidDPoPProof("The DPoP proof's htm must be %s, the method of this request.", target.Method)
	case !sameHTU(c.HTU, target.URL):
		return time.Time{}, InvalidDPoPProof("The DPoP proof's htu must be %s, the URL of this endpoint.", target.URL)
	}
	iat, ok := numericDate(*c.IAT)
	if !ok {
		return time.Time{}, InvalidDPoPProof("The DPoP proof's iat is not a NumericDate.")
	}
	if d := now.Sub(iat); d > maxAge || d < -maxAge {
		return time.Time{}, InvalidDPoPProof("The DPoP proof's iat is more than %s away from the server's time; make a new proof.", maxAge)
	}
	if target.AccessToken == "" {
		return iat, nil // ath is about a presented token; none is here
	}
	if c.ATH == nil || subtle.ConstantTimeCompare([]byte(*c.ATH), []byte(accessTokenHash(target.AccessToken))) != 1 {
		return time.Time{}, InvalidDPoPProof("The DPoP proof's ath must be the base64url SHA-256 of the presented access token.")
	}
	return iat, nil
}

// numericDate reads a JSON number of seconds; out-of-range values fail.
func numericDate(n json.Number) (time.Time, bool) {
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f < 0 || f > 1<<40 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// accessTokenHash is the ath of a proof presented with token (section 4.2).
func accessTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// thumbprint is the RFC 7638 SHA-256 thumbprint of key, base64url.
func thumbprint(key *jose.JSONWebKey) (string, error) {
	tp, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// sameHTU compares a proof's htu with the endpoint's URL after the
// syntax- and scheme-based normalisation of RFC 3986 sections 6.2.2 and
// 6.2.3 (case of scheme and host, default port, percent-encoding, empty
// path), ignoring the query and fragment (RFC 9449 section 4.3 item 9).
func sameHTU(htu, endpoint string) bool {
	a, ok := normalHTU(htu)
	if !ok {
		return false
	}
	b, ok := normalHTU(endpoint)
	return ok && a == b
}

func normalHTU(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // an IPv6 literal keeps its brackets
	}
	if port != "" {
		host = net.JoinHostPort(strings.Trim(host, "[]"), port)
	}
	// Re-escaping the decoded path normalises percent-encoding: %7e and ~
	// compare equal, as do %2f and %2F.
	path := (&url.URL{Path: u.Path}).EscapedPath()
	if path == "" {
		path = "/"
	}
	return scheme + "://" + host + path, true
}

// InvalidDPoPProof: section 7.1's code, also used at the token endpoint
// (section 5), with status 400.
func InvalidDPoPProof(hint string, args ...any) *httpx.Error {
	return httpx.NewError(http.StatusBadRequest, "invalid_dpop_proof",
		"The DPoP proof is missing, invalid or does not match the request.").
		WithHint(hint, args...)
}
