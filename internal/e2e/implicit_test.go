package e2e

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/go-jose/go-jose/v4"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// The implicit and hybrid flows (OIDC Core 3.2, 3.3) and the response
// modes, driven by a browser that stops at the callback: the response
// there is read from the fragment, or from the form_post page, as a
// browser app would read it.

const implicitNonce = "nonce-0123456789"

var everyResponseType = []string{"code", "id_token", "id_token token", "token", "code id_token", "code token", "code id_token token"}

// implicitRP registers a confidential relying party for every response
// type (edit may narrow it).
func implicitRP(t *testing.T, e *flowEnv, edit func(c *hydra.OAuth2Client)) *oauth2.Config {
	t.Helper()
	return newRP(t, e.srv, []string{e.callback}, func(c *hydra.OAuth2Client) {
		c.SetResponseTypes(everyResponseType)
		c.SetGrantTypes([]string{"authorization_code", "implicit"})
		if edit != nil {
			edit(c)
		}
	})
}

// implicitURL is the authorization URL for response type rt, with a nonce
// and state; params override or (when "") remove parameters.
func implicitURL(rp *oauth2.Config, rt string, params ...string) string {
	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("response_type", rt), oauth2.SetAuthURLParam("nonce", implicitNonce)}
	for i := 0; i+1 < len(params); i += 2 {
		opts = append(opts, oauth2.SetAuthURLParam(params[i], params[i+1]))
	}
	u, _ := url.Parse(rp.AuthCodeURL("state-0123456789", opts...))
	q := u.Query()
	for k, v := range q {
		if len(v) == 1 && v[0] == "" {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// fragmentAt runs a browser from authURL to the callback and returns the
// parameters of its fragment, failing when any travel in the query.
func fragmentAt(t *testing.T, e *flowEnv, authURL string) url.Values {
	t.Helper()
	resp, err := newBrowser(t, e.callback).Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), e.callback) {
		t.Fatalf("the flow ended at %s with %d, not at the callback", resp.Request.URL, resp.StatusCode)
	}
	if loc.RawQuery != "" {
		t.Fatalf("callback %s carries parameters in the query", loc)
	}
	v, err := url.ParseQuery(loc.EscapedFragment())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestImplicitAndHybridFlows: every response type returns what it names;
// go-oidc verifies the ID tokens and their at_hash; c_hash binds the code;
// the access tokens introspect as active and read userinfo; hybrid codes
// redeem at the token endpoint.
func TestImplicitAndHybridFlows(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	ctx := context.Background()
	rp := implicitRP(t, e, nil)
	provider, err := oidc.NewProvider(ctx, e.srv.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	verifier := provider.Verifier(&oidc.Config{ClientID: rp.ClientID})
	for _, rt := range everyResponseType[1:] {
		t.Run(rt, func(t *testing.T) {
			v := fragmentAt(t, e, implicitURL(rp, rt))
			parts := strings.Fields(rt)
			has := func(p string) bool { return strings.Contains(" "+rt+" ", " "+p+" ") }
			if v.Get("state") != "state-0123456789" || v.Get("iss") != e.srv.Issuer || v.Has("refresh_token") {
				t.Fatalf("response %v (for %v)", v, parts)
			}
			if v.Has("code") != has("code") || v.Has("access_token") != has("token") || v.Has("id_token") != has("id_token") {
				t.Fatalf("response %v: want exactly %q", v, rt)
			}
			if has("token") {
				checkImplicitToken(t, e.srv, provider, v)
			}
			if has("id_token") {
				idt, err := verifier.Verify(ctx, v.Get("id_token"))
				if err != nil || idt.Subject != "alice" || idt.Nonce != implicitNonce {
					t.Fatalf("go-oidc: %v (sub %v)", err, idt)
				}
				if has("token") {
					if err := idt.VerifyAccessToken(v.Get("access_token")); err != nil {
						t.Errorf("at_hash: %v", err)
					}
				}
				checkCHash(t, v.Get("id_token"), v.Get("code"))
			}
			if has("code") {
				tok, err := rp.Exchange(ctx, v.Get("code"))
				if err != nil {
					t.Fatalf("redeeming the hybrid code: %v", err)
				}
				if _, err := verifier.Verify(ctx, tok.Extra("id_token").(string)); err != nil {
					t.Errorf("the token endpoint's ID token: %v", err)
				}
				if !introspect(t, e.srv, tok.AccessToken).Active {
					t.Error("the access token of the redeemed code is not active")
				}
			}
		})
	}
}

func checkImplicitToken(t *testing.T, srv *signettest.Server, provider *oidc.Provider, v url.Values) {
	t.Helper()
	if v.Get("token_type") != "bearer" || v.Get("expires_in") == "" || v.Get("scope") != "openid offline_access email" {
		t.Errorf("token_type %q expires_in %q scope %q", v.Get("token_type"), v.Get("expires_in"), v.Get("scope"))
	}
	got := introspect(t, srv, v.Get("access_token"))
	if !got.Active || got.GetScope() != "openid offline_access email" || got.GetSub() != "alice" || got.Ext["tenant"] != "blue" {
		t.Errorf("introspection active=%v scope=%q sub=%q ext=%v", got.Active, got.GetScope(), got.GetSub(), got.Ext)
	}
	info, err := provider.UserInfo(context.Background(), oauth2.StaticTokenSource(&oauth2.Token{AccessToken: v.Get("access_token")}))
	if err != nil || info.Subject != "alice" {
		t.Errorf("userinfo with the implicit token: %v", err)
	}
}

// checkCHash verifies OIDC Core 3.3.2.11's c_hash: present exactly when a
// code came with the ID token, the left half of the code's hash under the
// signing algorithm's hash.
func checkCHash(t *testing.T, rawID, code string) {
	t.Helper()
	jws, err := jose.ParseSigned(rawID, []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.ES256, jose.ES384, jose.ES512, jose.PS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		CHash string `json:"c_hash"`
	}
	if err := json.Unmarshal(jws.UnsafePayloadWithoutVerification(), &claims); err != nil {
		t.Fatal(err)
	}
	if code == "" {
		if claims.CHash != "" {
			t.Error("c_hash without a code")
		}
		return
	}
	h := map[string]crypto.Hash{"256": crypto.SHA256, "384": crypto.SHA384, "512": crypto.SHA512}[jws.Signatures[0].Header.Algorithm[2:]]
	d := h.New()
	d.Write([]byte(code))
	sum := d.Sum(nil)
	if want := base64.RawURLEncoding.EncodeToString(sum[:len(sum)/2]); claims.CHash != want {
		t.Errorf("c_hash %q, want %q", claims.CHash, want)
	}
}

// TestImplicitAttacks: what a browser app gets when the request is wrong.
// Each error goes to the fragment (never the query, where it would sit in
// logs beside the tokens of the next try), with state, and nothing is
// issued.
func TestImplicitAttacks(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	rp := implicitRP(t, e, nil)
	codeOnly := e.rp
	noImplicit := newRP(t, e.srv, []string{e.callback}, func(c *hydra.OAuth2Client) {
		// The validator accepts id_token without the implicit grant (as
		// Hydra does); the authorization endpoint refuses it at use.
		c.SetResponseTypes([]string{"code", "id_token"})
	})
	for _, tc := range []struct {
		name, url, code string
	}{
		{"tokens requested in the query", implicitURL(rp, "id_token token", "response_mode", "query"), "invalid_request"},
		{"hybrid requested in the query", implicitURL(rp, "code token", "response_mode", "query"), "invalid_request"},
		{"missing nonce, implicit", implicitURL(rp, "id_token", "nonce", ""), "invalid_request"},
		{"missing nonce, hybrid", implicitURL(rp, "code id_token", "nonce", ""), "invalid_request"},
		{"response type not registered", implicitURL(codeOnly, "token"), "unauthorized_client"},
		{"implicit without the implicit grant", implicitURL(noImplicit, "id_token"), "unauthorized_client"},
		{"unknown response type naming a token", implicitURL(rp, "token refresh_token"), "unsupported_response_type"},
		{"unknown response_mode", implicitURL(rp, "token", "response_mode", "web_message"), "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := fragmentAt(t, e, tc.url)
			if v.Get("error") != tc.code || v.Get("state") != "state-0123456789" || v.Has("access_token") || v.Has("id_token") {
				t.Errorf("response %v, want %s with state and no token", v, tc.code)
			}
		})
	}
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// formPostAt runs a browser from authURL to Signet's form_post page.
func formPostAt(t *testing.T, e *flowEnv, authURL string) (*http.Response, string, url.Values) {
	t.Helper()
	resp, err := newBrowser(t, e.callback).Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), e.srv.PublicURL+"/oauth2/auth") {
		t.Fatalf("ended at %s with %d, want Signet's form_post page", resp.Request.URL, resp.StatusCode)
	}
	fields := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(string(body), -1) {
		fields.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return resp, string(body), fields
}

// TestFormPost: the response and errors arrive as a page that posts them
// to the callback, under a policy that allows nothing else.
func TestFormPost(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	ctx := context.Background()
	rp := implicitRP(t, e, nil)
	provider, err := oidc.NewProvider(ctx, e.srv.Issuer)
	if err != nil {
		t.Fatal(err)
	}

	resp, body, v := formPostAt(t, e, implicitURL(rp, "code id_token token", "response_mode", "form_post"))
	h := resp.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") ||
		!strings.Contains(csp, "form-action http://127.0.0.1:5555;") || !strings.Contains(csp, "script-src 'sha256-") ||
		!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Errorf("headers %v", h)
	}
	if !strings.Contains(body, `<form method="post" action="`+e.callback+`">`) || !strings.Contains(body, "<noscript>") {
		t.Errorf("page:\n%s", body)
	}
	if v.Get("state") != "state-0123456789" || v.Get("code") == "" || v.Get("token_type") != "bearer" {
		t.Fatalf("posted fields %v", v)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: rp.ClientID}).Verify(ctx, v.Get("id_token"))
	if err != nil || idt.VerifyAccessToken(v.Get("access_token")) != nil {
		t.Fatalf("posted ID token: %v", err)
	}
	if _, err := rp.Exchange(ctx, v.Get("code")); err != nil {
		t.Errorf("redeeming the posted code: %v", err)
	}

	// An error of a form_post request is posted as well: here a scope the
	// client may not request, with state echoed verbatim and escaped.
	state := `s"><script>alert(1)</script>`
	_, body, v = formPostAt(t, e, implicitURL(rp, "code", "response_mode", "form_post", "scope", "openid admin", "state", state))
	if v.Get("error") != "invalid_scope" || v.Get("state") != state || strings.Count(body, "<script") != 1 {
		t.Errorf("error posted as %v:\n%s", v, body)
	}
}

// TestImplicitTokenDiesWithConsent: the implicit access token belongs to
// the consent, so revoking the consent revokes it.
func TestImplicitTokenDiesWithConsent(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	rp := implicitRP(t, e, nil)
	v := fragmentAt(t, e, implicitURL(rp, "token"))
	if !introspect(t, e.srv, v.Get("access_token")).Active {
		t.Fatal("the implicit access token is not active")
	}
	if _, err := e.srv.Admin.OAuth2API.RevokeOAuth2ConsentSessions(context.Background()).Subject("alice").Client(rp.ClientID).Execute(); err != nil {
		t.Fatalf("RevokeOAuth2ConsentSessions: %v", sdkErr(err))
	}
	if introspect(t, e.srv, v.Get("access_token")).Active {
		t.Error("the implicit access token outlived its consent")
	}
}

// TestHybridOnEveryDatabase: a hybrid flow on SQLite, PostgreSQL and MySQL.
func TestHybridOnEveryDatabase(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			e := startFlowEnv(t, db.opts(t)...)
			rp := implicitRP(t, e, nil)
			v := fragmentAt(t, e, implicitURL(rp, "code id_token token"))
			if !introspect(t, e.srv, v.Get("access_token")).Active {
				t.Error("the implicit access token is not active")
			}
			if _, err := rp.Exchange(context.Background(), v.Get("code")); err != nil {
				t.Errorf("redeeming the hybrid code: %v", err)
			}
		})
	}
}
