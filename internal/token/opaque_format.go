package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"strings"
)

// The prefixes of Signet's opaque strings. The prefix is covered by the
// MAC, so one kind can never be passed off as another (a code as an access
// token, say), and secret scanners can recognise each kind.
const (
	PrefixAccessToken  = "signet_at_"
	PrefixRefreshToken = "signet_rt_"
	PrefixCode         = "signet_ac_"
)

const (
	opaqueRandLen = 32 // 256 bits of randomness
	opaqueMACLen  = 24 // 192 bits: a forger must guess it outright
)

var b64 = base64.RawURLEncoding.Strict()

// OpaqueFormat mints and checks one kind of opaque string:
// Prefix + base64url(32 random bytes) + "." + base64url(MAC), where MAC is
// HMAC-SHA256 over everything before the dot, truncated to 24 bytes. Check
// refuses forged, truncated or altered strings without any storage access;
// storage only ever sees Digest of the whole string. The first MAC key
// signs and every key verifies, so strings minted before a rotation of
// secrets.system stay valid.
type OpaqueFormat struct {
	Prefix  string
	MACKeys [][]byte
	Rand    io.Reader
}

func (f OpaqueFormat) bodyLen() int  { return len(f.Prefix) + (opaqueRandLen*8+5)/6 }
func (f OpaqueFormat) totalLen() int { return f.bodyLen() + 1 + (opaqueMACLen*8+5)/6 }

// New returns a fresh string of this kind.
func (f OpaqueFormat) New() (string, error) {
	if len(f.MACKeys) == 0 {
		return "", errors.New("token: opaque format has no MAC key")
	}
	random := make([]byte, opaqueRandLen)
	if _, err := io.ReadFull(f.Rand, random); err != nil {
		return "", err
	}
	buf := make([]byte, 0, f.totalLen())
	buf = append(buf, f.Prefix...)
	buf = b64.AppendEncode(buf, random)
	mac := opaqueMAC(f.MACKeys[0], buf)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, mac)
	return string(buf), nil
}

// Check verifies the shape and MAC of raw and returns its storage digest,
// or ErrMalformed.
func (f OpaqueFormat) Check(raw string) ([]byte, error) {
	n := f.bodyLen()
	if !strings.HasPrefix(raw, f.Prefix) || len(raw) != f.totalLen() || raw[n] != '.' {
		return nil, ErrMalformed
	}
	body := raw[:n]
	// Strict decoding refuses non-canonical encodings, so exactly one string
	// maps to each random value.
	if _, err := b64.DecodeString(body[len(f.Prefix):]); err != nil {
		return nil, ErrMalformed
	}
	got, err := b64.DecodeString(raw[n+1:])
	if err != nil || len(got) != opaqueMACLen {
		return nil, ErrMalformed
	}
	ok := 0
	for _, key := range f.MACKeys {
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

func opaqueMAC(key, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return m.Sum(nil)[:opaqueMACLen]
}
