package oauth2

// DPoP server nonces, RFC 9449 section 8 (oauth2.dpop.require_nonce). A
// nonce limits how long a proof made ahead of time stays usable.
//
// Nonces are stateless: base64url of the issue time (8 bytes, Unix
// seconds, big-endian) and an HMAC-SHA256 of it under a key derived from
// secrets.system for this purpose, cut to 16 bytes. Every instance sharing
// the system secrets accepts every other's nonces with no storage, and
// after a secret rotation the old secret still verifies. A nonce is valid
// from its issue time for Lifespan (and a few seconds earlier, for clocks
// that disagree).

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

// DPoPNoncePurpose derives the nonce MAC keys from the system keyring.
const DPoPNoncePurpose = "dpop nonce"

const (
	nonceMACLen = 16
	nonceLen    = 8 + nonceMACLen
	// nonceSkew lets a nonce of an instance whose clock runs a little ahead
	// pass on another.
	nonceSkew = 5 * time.Second
)

// DPoPNonces issues and checks nonces.
type DPoPNonces struct {
	// Keys are the MAC keys (secret.Keyring.MACKeys); the first signs.
	Keys     [][]byte
	Lifespan time.Duration
	Now      func() time.Time
}

// Issue returns a fresh nonce.
func (n *DPoPNonces) Issue() string {
	var b [nonceLen]byte
	binary.BigEndian.PutUint64(b[:8], uint64(n.Now().Unix()))
	copy(b[8:], n.mac(n.Keys[0], b[:8]))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Valid reports whether nonce was issued by an instance sharing the keys
// and is still within its lifespan.
func (n *DPoPNonces) Valid(nonce string) bool {
	if base64.RawURLEncoding.EncodedLen(nonceLen) != len(nonce) {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(b) != nonceLen {
		return false
	}
	ok := false
	for _, k := range n.Keys {
		ok = hmac.Equal(b[8:], n.mac(k, b[:8])) || ok
	}
	if !ok {
		return false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(b[:8])), 0)
	now := n.Now()
	return !issued.After(now.Add(nonceSkew)) && now.Before(issued.Add(n.Lifespan))
}

func (n *DPoPNonces) mac(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)[:nonceMACLen]
}

// Challenge is section 8's refusal: use_dpop_nonce with a fresh nonce in
// the DPoP-Nonce header. missing says whether the proof had none at all.
func (n *DPoPNonces) Challenge(missing bool) *httpx.Error {
	hint := "The DPoP proof's nonce is stale or was not issued by this server; make a new proof with the nonce of the DPoP-Nonce header."
	if missing {
		hint = "This server requires a nonce in DPoP proofs; make a new proof with the nonce of the DPoP-Nonce header."
	}
	return httpx.NewError(http.StatusBadRequest, "use_dpop_nonce",
		"Authorization server requires nonce in DPoP proof.").
		WithHint("%s", hint).WithHeader(HeaderDPoPNonce, n.Issue())
}
