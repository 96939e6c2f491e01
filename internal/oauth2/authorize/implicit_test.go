package authorize

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/flow"
	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

// azImplicitClient is a browser app registered for every response type.
func azImplicitClient() *client.Client {
	c := azClient()
	c.ResponseTypes = []string{"code", "token id_token", "id_token", "token", "code id_token", "code token", "code id_token token"}
	c.GrantTypes = []string{"authorization_code", "implicit"}
	c.ImplicitGrantAccessTokenLifespan = oauth2test.Dur(5 * time.Minute)
	c.ImplicitGrantIDTokenLifespan = oauth2test.Dur(7 * time.Minute)
	return c
}

// finish runs a flow from query through login and consent, granting scope,
// and returns the answer to the client.
func (b *azBrowser) finish(e *azEnv, query string, scope ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	consent := b.toConsent(e, b.toLogin(e, query), flow.AcceptLoginBody{Subject: "alice", ACR: "1", AMR: []string{"pwd"}})
	rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: scope,
		Session: &flow.ConsentSessionClaims{IDToken: json.RawMessage(`{"email":"a@example.com"}`),
			AccessToken: json.RawMessage(`{"tenant":"blue"}`)}})
	if err != nil {
		e.t.Fatal(err)
	}
	return b.follow(e, rt.RedirectTo)
}

// azFragment returns the parameters of a fragment answer at azRedirect,
// failing when anything travels in the query.
func azFragment(t *testing.T, w *httptest.ResponseRecorder) url.Values {
	t.Helper()
	u := azLocation(t, w)
	if got := u.Scheme + "://" + u.Host + u.Path; got != azRedirect || u.RawQuery != "" {
		t.Fatalf("redirected to %s; want %s with parameters in the fragment only", u, azRedirect)
	}
	v, err := url.ParseQuery(u.EscapedFragment())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// verifyIDToken checks the signature with the ID token key and returns
// the claims.
func verifyIDToken(t *testing.T, e *azEnv, raw string) map[string]any {
	t.Helper()
	jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify(e.keys.Public(jwk.SetIDToken))
	if err != nil {
		t.Fatalf("ID token signature: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

// leftHalf is OIDC Core 3.3.2.11's hash of value for ES256.
func leftHalf(value string) string {
	sum := sha256.Sum256([]byte(value))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// TestImplicitAndHybridResponses: each response type returns exactly what
// it names, bound together by at_hash and c_hash, and stores exactly what
// it returns.
func TestImplicitAndHybridResponses(t *testing.T) {
	for _, tc := range []struct {
		rt                   string
		code, token, idToken bool
	}{
		{"token", false, true, false},
		{"id_token", false, false, true},
		{"token id_token", false, true, true},
		{"code id_token", true, false, true},
		{"code token", true, true, false},
		{"id_token code token", true, true, true},
	} {
		t.Run(tc.rt, func(t *testing.T) {
			e := newAZEnv(t, azImplicitClient())
			v := azFragment(t, newAZBrowser().finish(e, azQuery("response_type", tc.rt), "openid", "offline"))
			if v.Get("state") != azState || v.Get("iss") != azIssuer || v.Get("scope") != "openid offline" || v.Has("refresh_token") {
				t.Fatalf("response %v", v)
			}
			if v.Has("code") != tc.code || v.Has("access_token") != tc.token || v.Has("id_token") != tc.idToken {
				t.Fatalf("response %v: want code %v, access_token %v, id_token %v", v, tc.code, tc.token, tc.idToken)
			}
			want := 2 // the login verifier and the consent
			if tc.code {
				want++
			}
			if tc.token {
				want++
				checkImplicitAccess(t, e, v)
			}
			if e.db.writes() != want || len(e.db.codes) != map[bool]int{true: 1}[tc.code] {
				t.Fatalf("%d writes, %d codes; want %d writes", e.db.writes(), len(e.db.codes), want)
			}
			if tc.idToken {
				checkImplicitIDToken(t, e, v)
			}
		})
	}
}

func checkImplicitAccess(t *testing.T, e *azEnv, v url.Values) {
	t.Helper()
	if v.Get("token_type") != "bearer" || v.Get("expires_in") != "300" {
		t.Fatalf("token_type %q expires_in %q; want bearer and the client's implicit lifespan", v.Get("token_type"), v.Get("expires_in"))
	}
	rec := e.db.access[0]
	digest, err := e.az.Issuer.Opaque.Check(t.Context(), v.Get("access_token"))
	if err != nil || string(digest) != string(rec.Digest) {
		t.Fatalf("stored digest does not match the token sent: %v", err)
	}
	if rec.GrantType != "implicit" || rec.ClientID != "app" || rec.Subject != "alice" || rec.RequestID != e.db.consents[0].ID ||
		!rec.ExpiresAt.Equal(e.now.Add(5*time.Minute)) || !slices.Equal(rec.Scopes, []string{"openid", "offline"}) ||
		!strings.Contains(string(rec.Ext), `"tenant":"blue"`) {
		t.Fatalf("access record %+v", rec)
	}
}

func checkImplicitIDToken(t *testing.T, e *azEnv, v url.Values) {
	t.Helper()
	c := verifyIDToken(t, e, v.Get("id_token"))
	if c["sub"] != "alice" || c["nonce"] != "nonce-1" || c["iss"] != azIssuer || c["acr"] != "1" ||
		c["email"] != "a@example.com" || c["exp"] != float64(e.now.Add(7*time.Minute).Unix()) || c["auth_time"] == nil {
		t.Fatalf("ID token claims %v", c)
	}
	if aud, _ := c["aud"].([]any); len(aud) != 1 || aud[0] != "app" {
		t.Fatalf("aud %v", c["aud"])
	}
	for claim, value := range map[string]string{"at_hash": v.Get("access_token"), "c_hash": v.Get("code")} {
		switch {
		case value == "" && c[claim] != nil:
			t.Errorf("%s present without the value it hashes", claim)
		case value != "" && c[claim] != leftHalf(value):
			t.Errorf("%s = %v, want %s", claim, c[claim], leftHalf(value))
		}
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// formFields reads the hidden inputs of a form_post page.
func formFields(t *testing.T, w *httptest.ResponseRecorder) url.Values {
	t.Helper()
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `action="`+azRedirect+`"`) {
		t.Fatalf("status %d, want the form_post page to %s:\n%s", w.Code, azRedirect, w.Body.String())
	}
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(w.Body.String(), -1) {
		v.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	return v
}

func TestImplicitFormPost(t *testing.T) {
	e := newAZEnv(t, azImplicitClient())
	w := newAZBrowser().finish(e, azQuery("response_type", "id_token token", "response_mode", "form_post"), "openid")
	v := formFields(t, w)
	if v.Get("state") != azState || v.Get("access_token") == "" || v.Get("token_type") != "bearer" {
		t.Fatalf("form fields %v", v)
	}
	if c := verifyIDToken(t, e, v.Get("id_token")); c["at_hash"] != leftHalf(v.Get("access_token")) {
		t.Fatalf("at_hash %v", c["at_hash"])
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "form-action https://app.example;") {
		t.Fatalf("CSP %q", csp)
	}

	// An error of a form_post request is posted too.
	b := newAZBrowser()
	rt, err := e.admin.RejectLogin(b.toLogin(e, azQuery("response_mode", "form_post")), flow.RejectBody{Error: "access_denied"})
	if err != nil {
		t.Fatal(err)
	}
	if v := formFields(t, b.follow(e, rt.RedirectTo)); v.Get("error") != "access_denied" || v.Get("state") != azState {
		t.Fatalf("rejection posted %v", v)
	}
}

// TestImplicitRequestErrors: requests the endpoint refuses before login go
// back to the client in the fragment, with state, and store nothing.
func TestImplicitRequestErrors(t *testing.T) {
	noImplicit := azImplicitClient()
	noImplicit.GrantTypes = []string{"authorization_code"}
	for _, tc := range []struct {
		name   string
		client *client.Client
		query  string
		code   string
	}{
		{"token response in the query", azImplicitClient(), azQuery("response_type", "token", "response_mode", "query"), "invalid_request"},
		{"hybrid response in the query", azImplicitClient(), azQuery("response_type", "code id_token", "response_mode", "query"), "invalid_request"},
		{"missing nonce, implicit", azImplicitClient(), azQuery("response_type", "id_token", "nonce", ""), "invalid_request"},
		{"missing nonce, hybrid", azImplicitClient(), azQuery("response_type", "code id_token token", "nonce", ""), "invalid_request"},
		{"id_token without openid", azImplicitClient(), azQuery("response_type", "id_token", "scope", "offline"), "invalid_scope"},
		{"response type not registered", azClient(), azQuery("response_type", "id_token token"), "unauthorized_client"},
		{"implicit grant type missing", noImplicit, azQuery("response_type", "token"), "unauthorized_client"},
		{"unknown response_mode", azImplicitClient(), azQuery("response_type", "token", "response_mode", "jwt"), "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newAZEnv(t, tc.client)
			v := azFragment(t, newAZBrowser().get(e, tc.query))
			if v.Get("error") != tc.code || v.Get("state") != azState || e.db.writes() != 0 {
				t.Fatalf("response %v, %d writes; want %s with state and no writes", v, e.db.writes(), tc.code)
			}
		})
	}
	// Nonce is not required when no ID token comes from this endpoint.
	e := newAZEnv(t, azImplicitClient())
	if v := azFragment(t, newAZBrowser().finish(e, azQuery("response_type", "code token", "nonce", ""), "openid")); v.Get("access_token") == "" {
		t.Fatalf("code token without nonce: %v", v)
	}
}

// TestImplicitAfterLoginAndConsent: the answers decided in the login and
// consent steps use the request's mode too.
func TestImplicitAfterLoginAndConsent(t *testing.T) {
	t.Run("login rejected", func(t *testing.T) {
		e := newAZEnv(t, azImplicitClient())
		b := newAZBrowser()
		rt, err := e.admin.RejectLogin(b.toLogin(e, azQuery("response_type", "token")), flow.RejectBody{Error: "access_denied"})
		if err != nil {
			t.Fatal(err)
		}
		if v := azFragment(t, b.follow(e, rt.RedirectTo)); v.Get("error") != "access_denied" || v.Get("state") != azState {
			t.Fatalf("response %v", v)
		}
	})
	t.Run("consent withheld openid", func(t *testing.T) {
		e := newAZEnv(t, azImplicitClient())
		v := azFragment(t, newAZBrowser().finish(e, azQuery("response_type", "id_token token"), "offline"))
		if v.Get("error") != "access_denied" || v.Has("access_token") || len(e.db.access) != 0 || len(e.db.consents) != 0 {
			t.Fatalf("response %v, %d tokens, %d consents", v, len(e.db.access), len(e.db.consents))
		}
	})
	t.Run("client lost the response type mid-flow", func(t *testing.T) {
		e := newAZEnv(t, azImplicitClient())
		b := newAZBrowser()
		consent := b.toConsent(e, b.toLogin(e, azQuery("response_type", "token")), flow.AcceptLoginBody{Subject: "alice"})
		e.db.putClient(azClient()) // registered for code only now
		rt, err := e.admin.AcceptConsent(consent, flow.AcceptConsentBody{GrantScope: []string{"openid"}})
		if err != nil {
			t.Fatal(err)
		}
		if v := azFragment(t, b.follow(e, rt.RedirectTo)); v.Get("error") != "unauthorized_client" || len(e.db.access) != 0 {
			t.Fatalf("response %v, %d tokens", v, len(e.db.access))
		}
	})
}

// TestImplicitWithoutIssuer: a server wired without a token issuer shows
// the error page rather than answering without the token asked for.
func TestImplicitWithoutIssuer(t *testing.T) {
	e := newAZEnv(t, azImplicitClient())
	e.az.Issuer = nil
	azPage(t, newAZBrowser().finish(e, azQuery("response_type", "token"), "openid"))
}
