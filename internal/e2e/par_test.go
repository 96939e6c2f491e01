package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/app"
	"github.com/signet-oidc/signet/internal/signettest"
)

// Pushed authorization requests (RFC 9126): the relying party pushes its
// request with its credentials, sends the browser with the request_uri
// alone, and finishes with x/oauth2's Exchange; the login and consent app
// is the same hydra-client-go app as for every flow.

type parResponse struct {
	RequestURI string `json:"request_uri"`
	ExpiresIn  int64  `json:"expires_in"`
}

// push posts form to /oauth2/par as the relying party.
func (f *flowSetup) push(t *testing.T, form url.Values) response {
	t.Helper()
	return postForm(t, f.srv.PublicURL+"/oauth2/par", form, &[2]string{f.rp.ClientID, f.rp.ClientSecret})
}

// pushed pushes a valid request and returns its request_uri.
func (f *flowSetup) pushed(t *testing.T, state string, extra url.Values) string {
	t.Helper()
	form := url.Values{"response_type": {"code"}, "redirect_uri": {f.callback}, "scope": {"openid offline_access"},
		"state": {state}, "nonce": {"nonce-0123456789"}}
	for k, v := range extra {
		form[k] = v
	}
	r := f.push(t, form)
	if r.Status != http.StatusCreated {
		t.Fatalf("PAR: %d %s", r.Status, r.Body)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("PAR Cache-Control %q, want no-store", cc)
	}
	var p parResponse
	if err := json.Unmarshal(r.Body, &p); err != nil || !strings.HasPrefix(p.RequestURI, "urn:ietf:params:oauth:request_uri:") || p.ExpiresIn != 90 {
		t.Fatalf("PAR response %s: want a request_uri urn and expires_in 90", r.Body)
	}
	return p.RequestURI
}

// parAuthURL is the authorization URL of a pushed request.
func parAuthURL(srv *signettest.Server, clientID, requestURI string) string {
	return srv.PublicURL + "/oauth2/auth?" + url.Values{"client_id": {clientID}, "request_uri": {requestURI}}.Encode()
}

// refusedOnPage runs the browser to authURL and expects the error page
// with code, never a redirect to the client.
func refusedOnPage(t *testing.T, b *http.Client, authURL, code string) {
	t.Helper()
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), code) {
		t.Errorf("got %d at %s (%.200s), want the error page with %s", resp.StatusCode, resp.Request.URL, body, code)
	}
}

func TestPushedAuthorizationRequest(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			testPushedAuthorizationRequest(t, db.opts(t)...)
		})
	}
}

func testPushedAuthorizationRequest(t *testing.T, opts ...signettest.Option) {
	clk := newClock()
	f := startFlow(t, append(opts, signettest.WithAppOptions(app.WithClock(clk.Now)))...)
	verifier := oauth2.GenerateVerifier()
	uri := f.pushed(t, "state-pushed-0001", url.Values{"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)},
		"code_challenge_method": {"S256"}})
	authURL := parAuthURL(f.srv, f.rp.ClientID, uri)
	// Parameters outside the pushed request are ignored: only the pushed
	// state comes back.
	q := authorize(t, newBrowser(t, f.callback), authURL+"&state=injected-state&scope=admin")
	if q.Get("state") != "state-pushed-0001" || q.Get("code") == "" || q.Get("iss") != f.srv.Issuer {
		t.Fatalf("callback %v: want a code, the pushed state and iss", q)
	}
	tok, err := f.rp.Exchange(context.Background(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("x/oauth2 Exchange: %v", err)
	}
	if tok.Extra("id_token") == nil || tok.Extra("scope") != "openid offline_access" {
		t.Errorf("token response scope %v, id_token present %v", tok.Extra("scope"), tok.Extra("id_token") != nil)
	}

	// Replayed request_uri: the error page, not the client.
	refusedOnPage(t, newBrowser(t, f.callback), authURL, "invalid_request_uri")

	// Another client cannot use it (and does not burn it).
	otherID := newAuthCodeClient(t, f.srv, f.callback, nil)
	fresh := f.pushed(t, "state-pushed-0002", nil)
	refusedOnPage(t, newBrowser(t, f.callback), parAuthURL(f.srv, otherID, fresh), "invalid_request_uri")
	if q := authorize(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, fresh)); q.Get("code") == "" {
		t.Errorf("the owner's request_uri after another client tried it: %v", q)
	}

	// Expired.
	late := f.pushed(t, "state-pushed-0003", nil)
	clk.Advance(91 * time.Second)
	refusedOnPage(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, late), "invalid_request_uri")

	// Forged: refused without a database read beyond the client's.
	forged := flipLast(fresh)
	assertQueries(t, f.srv, "a forged request_uri (client read only)", 1, func() {
		refusedOnPage(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, forged), "invalid_request_uri")
	})
}

// TestPushedRequestBudget: pushing is one client read and one write (the
// secret check is cached), using it one client read and one statement
// more than a plain request. MySQL is left out: MariaDB meets the same
// budget, MySQL proper needs one statement more (no DELETE … RETURNING).
func TestPushedRequestBudget(t *testing.T) {
	t.Parallel()
	for _, db := range databases()[:2] {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			testPushedRequestBudget(t, db.opts(t)...)
		})
	}
}

func testPushedRequestBudget(t *testing.T, opts ...signettest.Option) {
	f := startFlow(t, opts...)
	f.pushed(t, "state-warm-cache-1", nil) // warms the secret cache
	var uri string
	assertQueries(t, f.srv, "PAR push (client read + insert)", 2, func() { uri = f.pushed(t, "state-budget-001", nil) })
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	toLogin := func(u string) {
		resp, err := noRedirect.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "login_challenge") {
			t.Errorf("authorization request: %d to %q, want the login app", resp.StatusCode, loc)
		}
	}
	assertQueries(t, f.srv, "authorization request, plain (client read)", 1, func() {
		toLogin(f.rp.AuthCodeURL("state-budget-002", oauth2.SetAuthURLParam("nonce", "nonce-0123456789")))
	})
	assertQueries(t, f.srv, "authorization request with a pushed request_uri (client read + consume)", 2, func() {
		toLogin(parAuthURL(f.srv, f.rp.ClientID, uri))
	})
}

// TestRequirePushedRequests: a client registered with
// require_pushed_authorization_requests gets invalid_request at its
// redirect URI for a request it did not push; the global switch does the
// same for every client and shows in discovery.
func TestRequirePushedRequests(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	id := newAuthCodeClient(t, f.srv, f.callback, map[string]any{"require_pushed_authorization_requests": true})
	got := adminGetClient(t, f.srv, id)
	if got["require_pushed_authorization_requests"] != true {
		t.Errorf("admin API shows require_pushed_authorization_requests = %v", got["require_pushed_authorization_requests"])
	}
	plain := f.srv.PublicURL + "/oauth2/auth?" + url.Values{"client_id": {id}, "response_type": {"code"},
		"redirect_uri": {f.callback}, "scope": {"openid"}, "state": {"state-require-01"}}.Encode()
	q := authorize(t, newBrowser(t, f.callback), plain)
	if q.Get("error") != "invalid_request" || q.Get("state") != "state-require-01" {
		t.Errorf("a plain request of a PAR-only client: %v, want invalid_request at the redirect URI", q)
	}

	// Switched on later with a JSON Patch, as docs/par.md shows.
	r := send(t, http.MethodPatch, f.srv.AdminURL+"/admin/clients/"+url.PathEscape(f.rp.ClientID), "application/json",
		strings.NewReader(`[{"op":"add","path":"/require_pushed_authorization_requests","value":true}]`), nil)
	if r.Status != http.StatusOK {
		t.Fatalf("PATCH: %d %s", r.Status, r.Body)
	}
	q = authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-require-00", oauth2.SetAuthURLParam("nonce", "n-0123456789")))
	if q.Get("error") != "invalid_request" {
		t.Errorf("a plain request after the PATCH: %v, want invalid_request", q)
	}

	g := startFlow(t, signettest.WithEnv("OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_REQUIRED=true"))
	q = authorize(t, newBrowser(t, g.callback), g.rp.AuthCodeURL("state-require-02", oauth2.SetAuthURLParam("nonce", "n-0123456789")))
	if q.Get("error") != "invalid_request" {
		t.Errorf("a plain request with the global switch on: %v, want invalid_request", q)
	}
	if q := authorize(t, newBrowser(t, g.callback), parAuthURL(g.srv, g.rp.ClientID, g.pushed(t, "state-require-03", nil))); q.Get("code") == "" {
		t.Errorf("a pushed request with the global switch on: %v", q)
	}
	var meta map[string]any
	r = send(t, http.MethodGet, g.srv.PublicURL+"/.well-known/oauth-authorization-server", "", nil, nil)
	if err := json.Unmarshal(r.Body, &meta); err != nil || meta["require_pushed_authorization_requests"] != true ||
		meta["pushed_authorization_request_endpoint"] != g.srv.PublicURL+"/oauth2/par" {
		t.Errorf("metadata: %v", meta)
	}
}

// TestPARBadInput: every malformed push gets a precise OAuth error.
func TestPARBadInput(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	target := f.srv.PublicURL + "/oauth2/par"
	basic := &[2]string{f.rp.ClientID, f.rp.ClientSecret}
	valid := "response_type=code&redirect_uri=" + url.QueryEscape(f.callback) + "&scope=openid&state=state-bad-input&nonce=n-0123456789"
	auth := func() http.Header {
		req, _ := http.NewRequest(http.MethodPost, target, nil)
		req.SetBasicAuth(basic[0], basic[1])
		return http.Header{"Authorization": req.Header["Authorization"]}
	}
	cases := []struct {
		name, contentType, body string
		header                  http.Header
		status                  int
		code                    string
	}{
		{"repeated parameter", "application/x-www-form-urlencoded", valid + "&scope=openid", auth(), 400, "invalid_request"},
		{"wrong content type", "application/json", `{"response_type":"code"}`, auth(), 415, "invalid_request"},
		{"oversized body", "application/x-www-form-urlencoded", valid + "&pad=" + strings.Repeat("a", 70<<10), auth(), 413, ""},
		{"bad UTF-8", "application/x-www-form-urlencoded", valid + "&login_hint=%ff%fe", auth(), 400, "invalid_request"},
		{"no client authentication", "application/x-www-form-urlencoded", valid, nil, 401, "invalid_client"},
		{"wrong secret", "application/x-www-form-urlencoded", valid, func() http.Header {
			req, _ := http.NewRequest(http.MethodPost, target, nil)
			req.SetBasicAuth(basic[0], "wrong-secret")
			return http.Header{"Authorization": req.Header["Authorization"]}
		}(), 401, "invalid_client"},
		{"request_uri pushed", "application/x-www-form-urlencoded", valid + "&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Ax", auth(), 400, "invalid_request"},
		{"client_id of another client", "application/x-www-form-urlencoded", valid + "&client_id=someone-else", auth(), 400, "invalid_request"},
		{"unregistered redirect_uri", "application/x-www-form-urlencoded", strings.Replace(valid, "callback", "elsewhere", 1), auth(), 400, "invalid_request"},
		{"scope not allowed", "application/x-www-form-urlencoded", strings.Replace(valid, "scope=openid", "scope=admin", 1), auth(), 400, "invalid_scope"},
		{"unsupported response_type", "application/x-www-form-urlencoded", strings.Replace(valid, "response_type=code", "response_type=bogus", 1), auth(), 400, "unsupported_response_type"},
		{"bad request object", "application/x-www-form-urlencoded", valid + "&request=a.b.c", auth(), 400, "invalid_request_object"},
		{"resources the client may not target (repeats parse)", "application/x-www-form-urlencoded",
			valid + "&resource=https%3A%2F%2Fapi.example%2Fa&resource=https%3A%2F%2Fapi.example%2Fb", auth(), 400, "invalid_target"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, http.MethodPost, target, c.contentType, strings.NewReader(c.body), c.header)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			if c.code != "" {
				if e := decodeOAuthError(t, r); e.Error != c.code {
					t.Errorf("error %q (%s), want %q", e.Error, e.Description, c.code)
				}
			}
		})
	}
}

// newAuthCodeClient registers a confidential authorization-code client
// through the admin API's JSON, with extra metadata, and returns its id.
func newAuthCodeClient(t *testing.T, srv *signettest.Server, callback string, extra map[string]any) string {
	t.Helper()
	body := map[string]any{"redirect_uris": []string{callback}, "grant_types": []string{"authorization_code"},
		"response_types": []string{"code"}, "scope": "openid offline_access", "client_secret": "other-secret-0123456789"}
	for k, v := range extra {
		body[k] = v
	}
	raw, _ := json.Marshal(body)
	r := send(t, http.MethodPost, srv.AdminURL+"/admin/clients", "application/json", strings.NewReader(string(raw)), nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("creating a client: %d %s", r.Status, r.Body)
	}
	var c struct {
		ID string `json:"client_id"`
	}
	_ = json.Unmarshal(r.Body, &c)
	return c.ID
}

func adminGetClient(t *testing.T, srv *signettest.Server, id string) map[string]any {
	t.Helper()
	r := send(t, http.MethodGet, srv.AdminURL+"/admin/clients/"+url.PathEscape(id), "", nil, nil)
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("reading client %s: %d %s", id, r.Status, r.Body)
	}
	return m
}

// TestPushedRequestDPoP: a push with a DPoP proof binds the code to the
// proof's key (RFC 9449 section 10.1): the exchange needs a proof of that
// key. A proof for another URL, a replayed proof and a dpop_jkt of another
// key are refused at the push.
func TestPushedRequestDPoP(t *testing.T) {
	t.Parallel()
	clk := newClock()
	f := startFlow(t, signettest.WithAppOptions(app.WithClock(clk.Now)))
	// No auto-detection: its retry with the secret in the body would hide
	// the first answer.
	f.rp.Endpoint.AuthStyle = oauth2.AuthStyleInHeader
	key, thief := newDPoPKey(t, clk), newDPoPKey(t, clk)
	parURL := f.srv.PublicURL + "/oauth2/par"
	pushWith := func(proof string, extra url.Values) response {
		form := url.Values{"response_type": {"code"}, "redirect_uri": {f.callback}, "scope": {"openid"},
			"state": {"state-dpop-00001"}, "nonce": {"nonce-0123456789"}}
		for k, v := range extra {
			form[k] = v
		}
		req, _ := http.NewRequest(http.MethodPost, parURL, nil)
		req.SetBasicAuth(url.QueryEscape(f.rp.ClientID), url.QueryEscape(f.rp.ClientSecret))
		h := http.Header{"Authorization": {req.Header.Get("Authorization")}, "DPoP": {proof}}
		return send(t, http.MethodPost, parURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), h)
	}
	proof := key.proof(t, http.MethodPost, parURL, "")
	r := pushWith(proof, nil)
	var p parResponse
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &p) != nil {
		t.Fatalf("PAR with a DPoP proof: %d %s", r.Status, r.Body)
	}
	wantOAuthError(t, "a replayed proof", pushWith(proof, nil), http.StatusBadRequest, "invalid_dpop_proof")
	wantOAuthError(t, "a proof for the token endpoint", pushWith(key.proof(t, http.MethodPost, f.srv.PublicURL+"/oauth2/token", ""), nil),
		http.StatusBadRequest, "invalid_dpop_proof")
	wantOAuthError(t, "dpop_jkt of another key", pushWith(key.proof(t, http.MethodPost, parURL, ""), url.Values{"dpop_jkt": {thief.jkt}}),
		http.StatusBadRequest, "invalid_dpop_proof")

	q := authorize(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, p.RequestURI))
	if _, err := f.rp.Exchange(context.Background(), q.Get("code")); grantError(err) != "invalid_dpop_proof" {
		t.Errorf("exchanging without a proof: %v, want invalid_dpop_proof", err)
	}
	r = pushWith(key.proof(t, http.MethodPost, parURL, ""), nil)
	if r.Status != http.StatusCreated || json.Unmarshal(r.Body, &p) != nil {
		t.Fatalf("second push: %d %s", r.Status, r.Body)
	}
	q = authorize(t, newBrowser(t, f.callback), parAuthURL(f.srv, f.rp.ClientID, p.RequestURI))
	tok, err := f.rp.Exchange(dpopContext(t, key), q.Get("code"))
	if err != nil || tok.TokenType != "DPoP" {
		t.Fatalf("exchanging with the bound key: %v %+v", err, tok)
	}
}
