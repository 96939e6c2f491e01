package cli

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// DPoP proofs (RFC 9449 section 4) for `perform client-credentials --dpop`:
// an ephemeral P-256 key signs one proof per request, naming the method and
// the URL the request goes to.

// dpopProver holds the key and its RFC 7638 thumbprint.
type dpopProver struct {
	signer jose.Signer
	jkt    string
}

func newDPoPProver() (*dpopProver, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: k.Public()}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k},
		(&jose.SignerOptions{}).WithType("dpop+jwt").WithHeader("jwk", pub))
	if err != nil {
		return nil, err
	}
	tp, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	return &dpopProver{signer: s, jkt: base64.RawURLEncoding.EncodeToString(tp)}, nil
}

// proof is a proof for method and htu, with the server's nonce if any.
func (d *dpopProver) proof(method, htu, nonce string) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := map[string]any{"jti": base64.RawURLEncoding.EncodeToString(jti), "htm": method, "htu": htu,
		"iat": time.Now().Unix()}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := d.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// doWithDPoP is do with a proof for k when dpop is set; a use_dpop_nonce
// answer (section 8) is retried once with the nonce it carries.
func (c *apiClient) doWithDPoP(ctx context.Context, k call, dpop *dpopProver) error {
	if dpop == nil {
		_, err := c.do(ctx, k)
		return err
	}
	htu := c.resolve(k.path, nil).String()
	nonce := ""
	for attempt := 0; ; attempt++ {
		p, err := dpop.proof(k.method, htu, nonce)
		if err != nil {
			return err
		}
		k.header = http.Header{"Dpop": {p}}
		_, err = c.do(ctx, k)
		var se *serverError
		if attempt > 0 || !errors.As(err, &se) || se.Code != "use_dpop_nonce" || se.header.Get("DPoP-Nonce") == "" {
			return err
		}
		nonce = se.header.Get("DPoP-Nonce")
	}
}
