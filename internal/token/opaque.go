package token

import (
	"context"
	"io"
	"strings"
)

// Opaque access tokens (the default strategy).
//
// Format: "signet_at_" + base64url(32 random bytes) + "." + base64url(MAC),
// where MAC is HMAC-SHA256 under the keyring's "opaque access token" key
// over everything before the dot, truncated to 24 bytes (192 bits; a forger
// must guess it outright, so this is far beyond brute force).
//
// The MAC lets Check refuse a forged, truncated or altered token without a
// database read; the database only ever sees SHA-256 of the whole string.
// Keys come from secrets.system: the first signs, every key verifies, so
// tokens minted before a secret rotation stay valid until they expire.

// OpaqueMACPurpose is the keyring purpose the MAC keys are derived for:
// wire it as keyring.MACKeys(token.OpaqueMACPurpose).
const OpaqueMACPurpose = "opaque access token"

// Opaque mints and checks opaque access tokens. Build it once; it holds no
// per-request state.
type Opaque struct {
	// MACKeys are derived from secrets.system; the first signs, all verify.
	MACKeys [][]byte
	// Rand is crypto/rand.Reader in production.
	Rand io.Reader
}

var _ AccessStrategy = (*Opaque)(nil)

func (o *Opaque) format() OpaqueFormat {
	return OpaqueFormat{Prefix: PrefixAccessToken, MACKeys: o.MACKeys, Rand: o.Rand}
}

// Mint returns a fresh opaque token and its record.
func (o *Opaque) Mint(_ context.Context, c Claims) (string, *AccessRecord, error) {
	raw, err := o.format().New()
	if err != nil {
		return "", nil, err
	}
	rec, err := newRecord(raw, StrategyOpaque, c)
	if err != nil {
		return "", nil, err
	}
	return raw, rec, nil
}

// Check verifies the shape and MAC of raw in memory and returns its digest.
func (o *Opaque) Check(_ context.Context, raw string) ([]byte, error) {
	return o.format().Check(raw)
}

// IsOpaque reports whether raw has the opaque access token prefix; it says
// nothing about validity. Introspection uses it to pick the strategy to
// check with.
func IsOpaque(raw string) bool { return strings.HasPrefix(raw, PrefixAccessToken) }
