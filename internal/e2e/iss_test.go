package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

// RFC 9207 issuer identification, end to end: every authorization response
// that reaches the client carries iss, and it is exactly the issuer of
// discovery, which is what a client compares it with to detect a mix-up
// (RFC 9207 section 2.4: a response whose iss is missing or differs from
// the issuer the request was sent to must be rejected).

// discoveredIssuer reads the metadata at both well-known addresses, checks
// they are the same document advertising iss, and returns its issuer.
func discoveredIssuer(t *testing.T, publicURL string) string {
	t.Helper()
	oidcDoc := send(t, http.MethodGet, publicURL+"/.well-known/openid-configuration", "", nil, nil)
	asDoc := send(t, http.MethodGet, publicURL+"/.well-known/oauth-authorization-server", "", nil, nil)
	if oidcDoc.Status != http.StatusOK || asDoc.Status != http.StatusOK || string(oidcDoc.Body) != string(asDoc.Body) {
		t.Fatalf("RFC 8414 metadata (%d) differs from the OpenID document (%d)", asDoc.Status, oidcDoc.Status)
	}
	var m struct {
		Issuer       string `json:"issuer"`
		IssSupported *bool  `json:"authorization_response_iss_parameter_supported"`
	}
	if err := json.Unmarshal(oidcDoc.Body, &m); err != nil {
		t.Fatal(err)
	}
	if m.IssSupported == nil || !*m.IssSupported || m.Issuer == "" {
		t.Fatalf("metadata: issuer %q, authorization_response_iss_parameter_supported %v", m.Issuer, m.IssSupported)
	}
	return m.Issuer
}

// checkIss is the client's RFC 9207 check: exactly one iss, equal to the
// issuer the client used. Failing it means the response came from, or was
// swapped in by, another authorization server.
func checkIss(t *testing.T, what string, v url.Values, issuer string) {
	t.Helper()
	if len(v["iss"]) != 1 || v.Get("iss") != issuer {
		t.Errorf("%s: iss %q, want exactly %q; parameters %v", what, v["iss"], issuer, v)
	}
	if v.Get("state") != "state-0123456789" {
		t.Errorf("%s: state %q lost", what, v.Get("state"))
	}
}

// TestIssuerInAuthorizationResponses covers success and error responses in
// the query, fragment and form_post modes, errors of every origin (request
// validation, prompt=none, the login and consent apps' rejections), and the
// error page, which is shown to the user and carries no iss.
func TestIssuerInAuthorizationResponses(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	issuer := discoveredIssuer(t, e.srv.PublicURL)
	pkce := oauth2.S256ChallengeOption(oauth2.GenerateVerifier())
	codeURL := func(opts ...oauth2.AuthCodeOption) string {
		return e.rp.AuthCodeURL("state-0123456789", append([]oauth2.AuthCodeOption{pkce}, opts...)...)
	}
	fragment := oauth2.SetAuthURLParam("response_mode", "fragment")
	badScope := oauth2.SetAuthURLParam("scope", "openid admin")

	// Steps that share the login app run one after the other.
	q := authorize(t, newBrowser(t, e.callback), codeURL())
	if q.Get("code") == "" {
		t.Fatalf("code flow: %v", q)
	}
	checkIss(t, "code, query", q, issuer)

	e.app.rejectLogin = true
	q = authorize(t, newBrowser(t, e.callback), codeURL())
	if q.Get("error") != "access_denied" {
		t.Fatalf("login rejected: %v", q)
	}
	checkIss(t, "login rejected, query", q, issuer)
	e.app.rejectLogin = false

	e.app.rejectConsent = true
	v := fragmentAt(t, e, codeURL(fragment))
	if v.Get("error") != "access_denied" {
		t.Fatalf("consent rejected: %v", v)
	}
	checkIss(t, "consent rejected, fragment", v, issuer)
	e.app.rejectConsent = false

	for name, got := range map[string]url.Values{
		"invalid scope, query":    authorize(t, newBrowser(t, e.callback), codeURL(badScope)),
		"invalid scope, fragment": fragmentAt(t, e, codeURL(badScope, fragment)),
		"prompt=none, fragment":   fragmentAt(t, e, codeURL(fragment, oauth2.SetAuthURLParam("prompt", "none"))),
	} {
		if got.Get("error") == "" || got.Has("code") {
			t.Errorf("%s: want an error, got %v", name, got)
		}
		checkIss(t, name, got, issuer)
	}

	// Implicit success travels in the fragment; a form_post error as
	// fields of the page that posts to the callback.
	irp := implicitRP(t, e, nil)
	v = fragmentAt(t, e, implicitURL(irp, "id_token token"))
	if v.Get("access_token") == "" || v.Get("id_token") == "" {
		t.Fatalf("implicit: %v", v)
	}
	checkIss(t, "implicit, fragment", v, issuer)
	_, _, fields := formPostAt(t, e, implicitURL(irp, "code", "response_mode", "form_post", "scope", "openid admin"))
	if fields.Get("error") != "invalid_scope" {
		t.Fatalf("form_post: %v", fields)
	}
	checkIss(t, "invalid scope, form_post", fields, issuer)

	// An untrusted redirect URI: the error stays on Signet's page.
	bad := strings.Replace(codeURL(), url.QueryEscape(e.callback), url.QueryEscape("https://evil.example/cb"), 1)
	p := visit(t, newBrowser(t, e.callback), bad, nil)
	assertErrorPage(t, p, e.srv)
	if strings.Contains(p.Body, "iss=") || strings.Contains(p.Location, "iss=") {
		t.Errorf("error page carries iss: %s", p.Body)
	}
}
