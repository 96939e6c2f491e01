package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// The DPoP scenario (RFC 9449): client_credentials with a fresh ES256 proof
// per request, so the server checks the proof and records its jti (one
// more round trip than the plain scenario) and binds the token to the key.
// Signing the proof is the client's cost and is paid inside the measured
// request, as a real client would.

// dpopSigner signs proofs with one P-256 key.
type dpopSigner struct{ signer jose.Signer }

func newDPoPSigner() (*dpopSigner, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k},
		(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", jose.JSONWebKey{Key: k.Public()}))
	if err != nil {
		return nil, err
	}
	return &dpopSigner{signer: s}, nil
}

func (d *dpopSigner) proof(method, htu string) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	payload, _ := json.Marshal(map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti),
		"htm": method, "htu": htu, "iat": time.Now().Unix()})
	jws, err := d.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// dpopTokenRequest is tokenRequest with a DPoP proof.
func (f *fixture) dpopTokenRequest(clientID string) request {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}.Encode()
	tokenURL := f.public + "/oauth2/token"
	return func() (*http.Request, error) {
		proof, err := f.dpop.proof(http.MethodPost, tokenURL)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("DPoP", proof)
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(f.secret))
		return req, nil
	}
}
