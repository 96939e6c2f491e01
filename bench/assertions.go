package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// The two scenarios that verify a signed JWT per request (RFC 7523):
// client_credentials authenticated with private_key_jwt, and the JWT
// bearer grant from a trusted issuer. Each request carries a fresh
// assertion (a new jti), as real clients send, so the server records one
// jti per request. Signing happens in the load generator with ES256, which
// costs it about as much as verifying costs the server.

const benchIssuer = "https://bench-idp.example"

// assertionFixture holds the signing key shared by the private_key_jwt
// client and the trusted issuer, and the two client ids.
type assertionFixture struct {
	signer       jose.Signer
	keyClientID  string // private_key_jwt, client_credentials
	bearerClient string // client_secret_basic, jwt-bearer
	tokenURL     string
}

func setupAssertions(ctx context.Context, hc *http.Client, public, admin, secret string) (*assertionFixture, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "bench-es256", Algorithm: "ES256", Use: "sig"}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", pub.KeyID))
	if err != nil {
		return nil, err
	}
	f := &assertionFixture{signer: signer, tokenURL: public + "/oauth2/token"}
	if f.keyClientID, err = postClient(ctx, hc, admin, map[string]any{
		"grant_types": []string{"client_credentials"}, "scope": "read",
		"token_endpoint_auth_method": "private_key_jwt", "token_endpoint_auth_signing_alg": "ES256",
		"jwks": jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}},
	}); err != nil {
		return nil, err
	}
	if f.bearerClient, err = postClient(ctx, hc, admin, map[string]any{
		"client_secret": secret, "grant_types": []string{"urn:ietf:params:oauth:grant-type:jwt-bearer"},
		"scope": "read", "token_endpoint_auth_method": "client_secret_basic",
	}); err != nil {
		return nil, err
	}
	return f, trustIssuer(ctx, hc, admin, pub)
}

// trustIssuer lets benchIssuer's assertions about any subject get "read".
func trustIssuer(ctx context.Context, hc *http.Client, admin string, pub jose.JSONWebKey) error {
	body, _ := json.Marshal(map[string]any{
		"issuer": benchIssuer, "allow_any_subject": true, "scope": []string{"read"}, "jwk": pub,
		"expires_at": time.Now().Add(24 * time.Hour).UTC().Format(time.RFC3339),
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, admin+"/admin/trust/grants/jwt-bearer/issuers", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("trusting the bench issuer: %s: %s", resp.Status, truncate(string(raw), 300))
	}
	return nil
}

// sign makes a fresh assertion from iss about sub for the token endpoint.
func (f *assertionFixture) sign(iss, sub string) (string, error) {
	now := time.Now()
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", err
	}
	claims := jwt.Claims{Issuer: iss, Subject: sub, Audience: jwt.Audience{f.tokenURL},
		Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute)), IssuedAt: jwt.NewNumericDate(now),
		ID: fmt.Sprintf("%x", jti)}
	return jwt.Signed(f.signer).Claims(claims).Serialize()
}

// privateKeyJWTRequest is client_credentials with a client assertion.
func (f *assertionFixture) privateKeyJWTRequest() (*http.Request, error) {
	a, err := f.sign(f.keyClientID, f.keyClientID)
	if err != nil {
		return nil, err
	}
	return formPost(f.tokenURL, url.Values{"grant_type": {"client_credentials"}, "scope": {"read"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}), nil
}

// jwtBearerRequest exchanges an assertion about a user of the trusted issuer.
func (f *assertionFixture) jwtBearerRequest(secret string) request {
	return func() (*http.Request, error) {
		a, err := f.sign(benchIssuer, "user-1")
		if err != nil {
			return nil, err
		}
		req := formPost(f.tokenURL, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"},
			"scope": {"read"}, "assertion": {a}})
		req.SetBasicAuth(url.QueryEscape(f.bearerClient), url.QueryEscape(secret))
		return req, nil
	}
}

func formPost(u string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
