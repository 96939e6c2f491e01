package token

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/jwk"
)

func testJWT(t *testing.T, style string) (*JWT, *fakeKeys) {
	keys := newFakeKeys(t, jwk.SetAccessToken, jwk.SetIDToken)
	return &JWT{Signer: keys, Keys: keys, Rand: rand.Reader, ScopeClaim: func() string { return style }}, keys
}

func decodeBody(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestJWTMintClaims(t *testing.T) {
	j, keys := testJWT(t, "")
	c := testClaims()
	c.Ext = map[string]any{"tenant": "acme"}
	raw, rec, err := j.Mint(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	h := jws.Signatures[0].Header
	if h.KeyID != jwk.SetAccessToken+"-kid" || h.ExtraHeaders["typ"] != "JWT" {
		t.Fatalf("header = %+v", h)
	}
	pub := keys.public[jwk.SetAccessToken]
	if _, err := jws.Verify(&pub); err != nil {
		t.Fatal(err)
	}
	m := decodeBody(t, raw)
	want := map[string]any{
		"iss": "https://issuer.example", "sub": "machine", "client_id": "machine",
		"exp": float64(testNow.Unix() + 3600), "iat": float64(testNow.Unix()), "nbf": float64(testNow.Unix()),
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("claim %s = %v, want %v", k, m[k], v)
		}
	}
	if aud, _ := m["aud"].([]any); len(aud) != 1 || aud[0] != "https://api.example" {
		t.Errorf("aud = %v, want an array", m["aud"])
	}
	if jti, _ := m["jti"].(string); len(jti) < 20 {
		t.Errorf("jti = %v", m["jti"])
	}
	if ext, _ := m["ext"].(map[string]any); ext["tenant"] != "acme" {
		t.Errorf("ext = %v", m["ext"])
	}
	if rec.Strategy != StrategyJWT || !bytes.Equal(rec.Digest, Digest(raw)) || string(rec.Ext) != `{"tenant":"acme"}` {
		t.Errorf("record = %+v", rec)
	}
}

func TestJWTScopeClaim(t *testing.T) {
	for _, tc := range []struct {
		style      string
		scp, scope bool
	}{{"list", true, false}, {"", true, false}, {"string", false, true}, {"both", true, true}} {
		j, _ := testJWT(t, tc.style)
		raw, _, err := j.Mint(context.Background(), testClaims())
		if err != nil {
			t.Fatal(err)
		}
		m := decodeBody(t, raw)
		_, hasScp := m["scp"]
		_, hasScope := m["scope"]
		if hasScp != tc.scp || hasScope != tc.scope {
			t.Errorf("style %q: scp=%v scope=%v", tc.style, m["scp"], m["scope"])
		}
		if tc.scope && m["scope"] != "read write" {
			t.Errorf("style %q: scope = %v", tc.style, m["scope"])
		}
	}
}

func TestJWTCheck(t *testing.T) {
	j, keys := testJWT(t, "")
	raw, rec, _ := j.Mint(context.Background(), testClaims())
	if d, err := j.Check(context.Background(), raw); err != nil || !bytes.Equal(d, rec.Digest) {
		t.Fatalf("Check(valid) = %v", err)
	}

	idSigner, _, _ := keys.Signer(context.Background(), jwk.SetIDToken)
	idTok := sign(t, idSigner, `{"sub":"x"}`)
	stranger := newFakeKeys(t, jwk.SetAccessToken)
	strangerTok, _, _ := (&JWT{Signer: stranger, Keys: stranger, Rand: rand.Reader}).Mint(context.Background(), testClaims())
	pubJSON, _ := json.Marshal(keys.public[jwk.SetAccessToken])
	hsSigner, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: pubJSON}, nil)
	parts := strings.Split(raw, ".")
	noneHdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))

	cases := map[string]string{
		"id token key":         idTok,
		"foreign key":          strangerTok,
		"HS256 with pub key":   sign(t, hsSigner, `{"sub":"x"}`),
		"alg none":             noneHdr + "." + parts[1] + ".",
		"tampered payload":     parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin"}`)) + "." + parts[2],
		"truncated signature":  raw[:len(raw)-5],
		"empty":                "",
		"two parts":            parts[0] + "." + parts[1],
		"huge":                 raw + strings.Repeat("A", MaxJWTLen),
		"json serialization":   `{"payload":"e30","signatures":[]}`,
		"garbage three parts":  "é.é.é",
		"signature of another": parts[0] + "." + parts[1] + "." + strings.Split(strangerTok, ".")[2],
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := j.Check(context.Background(), tok); err != ErrMalformed {
				t.Fatalf("Check = %v, want ErrMalformed", err)
			}
		})
	}
}

func sign(t *testing.T, s jose.Signer, payload string) string {
	t.Helper()
	jws, err := s.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
