package assertion

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testKeys are generated once per test binary: RSA generation is slow.
type testKeys struct {
	rsa, rsa2 *rsa.PrivateKey
	rsaSmall  *rsa.PrivateKey
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	ed        ed25519.PrivateKey
}

var keysOnce = sync.OnceValue(func() *testKeys {
	must := func(k *rsa.PrivateKey, err error) *rsa.PrivateKey {
		if err != nil {
			panic(err)
		}
		return k
	}
	k := &testKeys{rsa: must(rsa.GenerateKey(rand.Reader, 2048)), rsa2: must(rsa.GenerateKey(rand.Reader, 2048)),
		rsaSmall: must(rsa.GenerateKey(rand.Reader, 1024))}
	k.p256, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k.p384, _ = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, k.ed, _ = ed25519.GenerateKey(rand.Reader)
	return k
})

// claimsAt are valid client-assertion claims at t0.
func claimsAt() map[string]any {
	return map[string]any{
		"iss": "client-1", "sub": "client-1", "aud": "https://issuer.example/oauth2/token",
		"exp": t0.Add(5 * time.Minute).Unix(), "iat": t0.Unix(), "jti": "jti-1",
	}
}

func rulesAt() Rules {
	return Rules{Issuer: "client-1", Subject: "client-1",
		Audiences:   []string{"https://issuer.example/oauth2/token", "https://issuer.example/"},
		MaxLifetime: time.Hour, Now: t0}
}

// rawJWT assembles a compact JWS from a header, a payload and a signature.
func rawJWT(header, payload string, sig []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc(sig)
}

func pub(key any, kid, alg string) jose.JSONWebKey {
	k := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}
	return k.Public()
}

func isKind(err, kind error) bool { return err != nil && errors.Is(err, kind) }

func asError(err error, target **Error) bool { return errors.As(err, target) }
