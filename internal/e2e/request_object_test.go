package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
)

// Request objects (RFC 9101): a relying party signs its authorization
// request with go-jose and sends it by value or by reference; x/oauth2
// builds the URL and exchanges the code.

// objectClient is a relying party that registered an ES256 key.
type objectClient struct {
	f   *flowSetup
	id  string
	key *ecdsa.PrivateKey
	rp  *oauth2.Config
}

func newObjectClient(t *testing.T, f *flowSetup, extra map[string]any) *objectClient {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwks := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "rp-1", Use: "sig", Algorithm: "ES256"}}}
	meta := map[string]any{"jwks": jwks}
	for k, v := range extra {
		meta[k] = v
	}
	id := newAuthCodeClient(t, f.srv, f.callback, meta)
	rp := *f.rp
	rp.ClientID, rp.ClientSecret = id, "other-secret-0123456789"
	return &objectClient{f: f, id: id, key: key, rp: &rp}
}

// object signs claims (a valid request for this client, edited by edit).
func (o *objectClient) object(t *testing.T, key any, alg jose.SignatureAlgorithm, edit func(map[string]any)) string {
	t.Helper()
	c := map[string]any{"iss": o.id, "aud": o.f.srv.Issuer, "client_id": o.id, "exp": time.Now().Add(5 * time.Minute).Unix(),
		"response_type": "code", "redirect_uri": o.f.callback, "scope": "openid", "state": "state-in-object-1",
		"nonce": "nonce-0123456789"}
	if edit != nil {
		edit(c)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("oauth-authz-req+jwt").WithHeader("kid", "rp-1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(c)
	jws, err := s.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := jws.CompactSerialize()
	return raw
}

// authURL is x/oauth2's authorization URL carrying only client_id,
// response_type, redirect_uri and the extra parameters.
func (o *objectClient) authURL(params ...string) string {
	var opts []oauth2.AuthCodeOption
	for i := 0; i+1 < len(params); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(params[i], params[i+1]))
	}
	rp := *o.rp
	rp.Scopes = nil
	return rp.AuthCodeURL("", opts...)
}

func TestRequestObjectFlow(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	o := newObjectClient(t, f, nil)
	q := authorize(t, newBrowser(t, f.callback), o.authURL("request", o.object(t, o.key, jose.ES256, nil)))
	if q.Get("code") == "" || q.Get("state") != "state-in-object-1" {
		t.Fatalf("callback %v: want a code and the object's state", q)
	}
	tok, err := o.rp.Exchange(context.Background(), q.Get("code"))
	if err != nil || tok.Extra("id_token") == nil {
		t.Fatalf("x/oauth2 Exchange: %v", err)
	}
}

// TestRequestObjectAttacksEndToEnd: a bad object is reported to the
// registered redirect URI as invalid_request_object, with iss.
func TestRequestObjectAttacksEndToEnd(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	o := newObjectClient(t, f, nil)
	stranger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pubAsSecret, _ := json.Marshal(jose.JSONWebKey{Key: &o.key.PublicKey})
	none := func() string {
		obj := o.object(t, o.key, jose.ES256, nil)
		h := "eyJhbGciOiJub25lIn0" // {"alg":"none"}
		return h + "." + strings.Split(obj, ".")[1] + "."
	}
	cases := []struct {
		name, request string
	}{
		{"wrong signature", o.object(t, stranger, jose.ES256, nil)},
		{"alg none for a client that did not register it", none()},
		{"HS256 keyed with the public key", o.object(t, pubAsSecret, jose.HS256, nil)},
		{"object for another client_id", o.object(t, o.key, jose.ES256, func(c map[string]any) { c["client_id"] = f.rp.ClientID })},
		{"wrong aud", o.object(t, o.key, jose.ES256, func(c map[string]any) { c["aud"] = "https://other-issuer.example" })},
		{"expired object", o.object(t, o.key, jose.ES256, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := authorize(t, newBrowser(t, f.callback), o.authURL("request", c.request, "state", "state-outside-1"))
			if q.Get("error") != "invalid_request_object" || q.Get("code") != "" || q.Get("iss") != f.srv.Issuer {
				t.Errorf("callback %v: want invalid_request_object with iss and no code", q)
			}
		})
	}
}

// TestRequestURI: an object by reference at a registered URL is fetched;
// an unregistered one, and one on a private address with
// clients.http.disallow_private_ip_ranges, are refused.
func TestRequestURI(t *testing.T) {
	t.Parallel()
	var object string
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/oauth-authz-req+jwt")
		_, _ = w.Write([]byte(object))
	}))
	t.Cleanup(host.Close)
	for _, guarded := range []bool{false, true} {
		var opts []signettest.Option
		if guarded {
			opts = append(opts, signettest.WithEnv("CLIENTS_HTTP_DISALLOW_PRIVATE_IP_RANGES=true"))
		}
		f := startFlow(t, opts...)
		o := newObjectClient(t, f, map[string]any{"request_uris": []string{host.URL + "/req.jwt"}})
		object = o.object(t, o.key, jose.ES256, nil)
		q := authorize(t, newBrowser(t, f.callback), o.authURL("request_uri", host.URL+"/req.jwt"))
		switch {
		case !guarded && q.Get("code") == "":
			t.Errorf("a registered request_uri: %v, want a code", q)
		case guarded && q.Get("error") != "invalid_request_uri":
			t.Errorf("a request_uri on a loopback address with the guard on: %v, want invalid_request_uri", q)
		}
		q = authorize(t, newBrowser(t, f.callback), o.authURL("request_uri", host.URL+"/other.jwt"))
		if q.Get("error") != "invalid_request_uri" {
			t.Errorf("an unregistered request_uri: %v, want invalid_request_uri", q)
		}
	}
}

// TestPushedRequestObject: a signed object pushed to /oauth2/par; the
// pushed request_uri then stands for it.
func TestPushedRequestObject(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	o := newObjectClient(t, f, nil)
	r := postForm(t, f.srv.PublicURL+"/oauth2/par", url.Values{"request": {o.object(t, o.key, jose.ES256, func(c map[string]any) {
		c["aud"] = f.srv.Issuer
	})}}, &[2]string{o.id, "other-secret-0123456789"})
	var p parResponse
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &p) != nil {
		t.Fatalf("PAR with a request object: %d %s", r.Status, r.Body)
	}
	q := authorize(t, newBrowser(t, f.callback), parAuthURL(f.srv, o.id, p.RequestURI))
	if q.Get("code") == "" || q.Get("state") != "state-in-object-1" {
		t.Errorf("callback %v", q)
	}
	r = postForm(t, f.srv.PublicURL+"/oauth2/par", url.Values{"request": {o.object(t, o.key, jose.ES256, func(c map[string]any) {
		c["exp"] = time.Now().Add(-time.Hour).Unix()
	})}}, &[2]string{o.id, "other-secret-0123456789"})
	if e := decodeOAuthError(t, r); r.Status != http.StatusBadRequest || e.Error != "invalid_request_object" {
		t.Errorf("PAR with an expired object: %d %s", r.Status, r.Body)
	}
}

// TestPushedRequestObjectDPoP: a DPoP proof sent with a pushed request
// object binds the code to the proof's key as it does for a plain push
// (RFC 9449 section 10.1), and a dpop_jkt inside the object that names
// another key is refused.
func TestPushedRequestObjectDPoP(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := startFlow(t, signettest.WithAppOptions(app.WithClock(clk.Now)))
	o := newObjectClient(t, f, nil)
	o.rp.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	key, thief := newDPoPKey(t, clk), newDPoPKey(t, clk)
	parURL := f.srv.PublicURL + "/oauth2/par"
	push := func(object string) response {
		req, _ := http.NewRequest(http.MethodPost, parURL, nil)
		req.SetBasicAuth(url.QueryEscape(o.id), url.QueryEscape("other-secret-0123456789"))
		h := http.Header{"Authorization": {req.Header.Get("Authorization")}, "DPoP": {key.proof(t, http.MethodPost, parURL, "")}}
		return send(t, http.MethodPost, parURL, "application/x-www-form-urlencoded",
			strings.NewReader(url.Values{"request": {object}}.Encode()), h)
	}
	wantOAuthError(t, "an object whose dpop_jkt names another key than the proof's",
		push(o.object(t, o.key, jose.ES256, func(c map[string]any) { c["dpop_jkt"] = thief.jkt })),
		http.StatusBadRequest, "invalid_dpop_proof")

	r := push(o.object(t, o.key, jose.ES256, nil))
	var p parResponse
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &p) != nil {
		t.Fatalf("PAR with a request object and a DPoP proof: %d %s", r.Status, r.Body)
	}
	q := authorize(t, newBrowser(t, f.callback), parAuthURL(f.srv, o.id, p.RequestURI))
	if _, err := o.rp.Exchange(context.Background(), q.Get("code")); grantError(err) != "invalid_dpop_proof" {
		t.Errorf("exchanging the code of a DPoP-pushed object without a proof: %v, want invalid_dpop_proof", err)
	}
}
