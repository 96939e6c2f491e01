package token

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
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

const (
	opaquePrefix   = "signet_at_"
	opaqueRandLen  = 32
	opaqueMACLen   = 24
	opaqueBodyLen  = len(opaquePrefix) + (opaqueRandLen*8+5)/6 // 10 + 43
	opaqueTotalLen = opaqueBodyLen + 1 + (opaqueMACLen*8+5)/6  // + "." + 32
)

var b64 = base64.RawURLEncoding.Strict()

// Opaque mints and checks opaque access tokens. Build it once; it holds no
// per-request state.
type Opaque struct {
	// MACKeys are derived from secrets.system; the first signs, all verify.
	MACKeys [][]byte
	// Rand is crypto/rand.Reader in production.
	Rand io.Reader
}

var _ AccessStrategy = (*Opaque)(nil)

// Mint returns a fresh opaque token and its record.
func (o *Opaque) Mint(_ context.Context, c Claims) (string, *AccessRecord, error) {
	if len(o.MACKeys) == 0 {
		return "", nil, errors.New("token: opaque strategy has no MAC key")
	}
	random := make([]byte, opaqueRandLen)
	if _, err := io.ReadFull(o.Rand, random); err != nil {
		return "", nil, err
	}
	buf := make([]byte, 0, opaqueTotalLen)
	buf = append(buf, opaquePrefix...)
	buf = b64.AppendEncode(buf, random)
	mac := opaqueMAC(o.MACKeys[0], buf)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, mac)
	raw := string(buf)
	rec, err := newRecord(raw, StrategyOpaque, c)
	if err != nil {
		return "", nil, err
	}
	return raw, rec, nil
}

// Check verifies the shape and MAC of raw in memory and returns its digest.
func (o *Opaque) Check(_ context.Context, raw string) ([]byte, error) {
	if !IsOpaque(raw) || len(raw) != opaqueTotalLen || raw[opaqueBodyLen] != '.' {
		return nil, ErrMalformed
	}
	body := raw[:opaqueBodyLen]
	// Strict decoding refuses non-canonical encodings, so exactly one string
	// maps to each random value.
	if _, err := b64.DecodeString(body[len(opaquePrefix):]); err != nil {
		return nil, ErrMalformed
	}
	got, err := b64.DecodeString(raw[opaqueBodyLen+1:])
	if err != nil || len(got) != opaqueMACLen {
		return nil, ErrMalformed
	}
	ok := 0
	for _, key := range o.MACKeys {
		// Every key is tried, so timing does not reveal which one matched.
		if hmac.Equal(got, opaqueMAC(key, []byte(body))) {
			ok = 1
		}
	}
	if ok == 0 {
		return nil, ErrMalformed
	}
	return Digest(raw), nil
}

// IsOpaque reports whether raw has the opaque token prefix; it says nothing
// about validity. Introspection uses it to pick the strategy to check with.
func IsOpaque(raw string) bool {
	return len(raw) >= len(opaquePrefix) && raw[:len(opaquePrefix)] == opaquePrefix
}

func opaqueMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)[:opaqueMACLen]
}
