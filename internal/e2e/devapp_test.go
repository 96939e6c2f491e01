package e2e

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/signettest"
)

// The development identity app: a dev-mode Signet without urls.login,
// urls.consent and urls.logout serves its own pages under /dev/, and a
// browser signs in through them with nothing else running.

const devCallback = "http://127.0.0.1:5555/callback"

// startDevIdentity starts a dev-mode Signet with no login app (signettest
// loads its configuration in dev mode) and registers a relying party.
func startDevIdentity(t *testing.T, opts ...signettest.Option) (*signettest.Server, *oauth2.Config) {
	t.Helper()
	srv := signettest.Start(t, opts...)
	rp := newRP(t, srv, []string{devCallback}, func(c *hydra.OAuth2Client) {
		c.SetClientName("Dev identity test app")
		c.SetScope("openid offline_access profile")
	})
	rp.Scopes = []string{"openid", "offline_access", "profile"}
	return srv, rp
}

var (
	devFormAction = regexp.MustCompile(`<form method="post" action="([a-z]+)">`)
	devHidden     = regexp.MustCompile(`<input type="hidden" name="([a-z_]+)" value="([^"]*)">`)
)

// devSubmit submits the form of the dev page p as a browser does: its
// hidden fields plus fields (the typed name, the ticked boxes, the button
// pressed), to the form's action, following redirects until the callback.
func devSubmit(t *testing.T, b *http.Client, p page, fields url.Values) page {
	t.Helper()
	m := devFormAction.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no form on the page at %s (%d):\n%s", p.At, p.Status, p.Body)
	}
	form := url.Values{}
	for _, h := range devHidden.FindAllStringSubmatch(p.Body, -1) {
		form.Set(h[1], html.UnescapeString(h[2]))
	}
	for k, vs := range fields {
		form[k] = vs
	}
	target := p.At.ResolveReference(&url.URL{Path: m[1]})
	resp, err := b.PostForm(target.String(), form)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return page{Status: resp.StatusCode, Type: resp.Header.Get("Content-Type"), Body: string(body),
		At: resp.Request.URL, Location: resp.Header.Get("Location")}
}

// wantDevPage checks that the browser stopped on the dev page at path.
func wantDevPage(t *testing.T, p page, status int, path string, wants ...string) {
	t.Helper()
	if p.Status != status || p.At.Path != path {
		t.Fatalf("the browser is at %s with %d, want %s with %d:\n%s", p.At, p.Status, path, status, p.Body)
	}
	for _, w := range append(wants, "Development only — do not use in production") {
		if !strings.Contains(p.Body, w) {
			t.Errorf("the page at %s lacks %q", path, w)
		}
	}
}

// callbackOf is the query the relying party's callback received.
func callbackOf(t *testing.T, p page) url.Values {
	t.Helper()
	if p.Status != http.StatusFound || !strings.HasPrefix(p.Location, devCallback+"?") {
		t.Fatalf("the flow ended at %s with %d (Location %q), not at the callback:\n%s", p.At, p.Status, p.Location, p.Body)
	}
	u, _ := url.Parse(p.Location)
	return u.Query()
}

// devSignIn signs alice in through the dev pages in browser b and returns
// the callback's query.
func devSignIn(t *testing.T, b *http.Client, authURL string, remember bool) url.Values {
	t.Helper()
	login := visit(t, b, authURL, nil)
	wantDevPage(t, login, http.StatusOK, "/dev/login", `id="subject"`, "Dev identity test app", "<code>profile</code>")
	fields := url.Values{"subject": {"alice"}, "action": {"accept"}}
	if remember {
		fields.Set("remember", "true")
	}
	consent := devSubmit(t, b, login, fields)
	wantDevPage(t, consent, http.StatusOK, "/dev/consent", `name="scope" value="openid" checked`, "Signed in as <strong>alice</strong>")
	fields = url.Values{"scope": {"openid", "offline_access", "profile"}, "action": {"accept"}}
	if remember {
		fields.Set("remember", "true")
	}
	return callbackOf(t, devSubmit(t, b, consent, fields))
}

// TestDevIdentityCodeFlow: a whole code flow through the dev pages, the
// ID token verified with go-oidc; the remembered second flow asks nothing.
func TestDevIdentityCodeFlow(t *testing.T) {
	t.Parallel()
	srv, rp := startDevIdentity(t)
	ctx := context.Background()
	b := newBrowser(t, devCallback)
	verifier := oauth2.GenerateVerifier()
	q := devSignIn(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "nonce-0123456789")), true)
	if q.Get("state") != "state-0123456789" || q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	tok, err := rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	provider, err := oidc.NewProvider(ctx, srv.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: rp.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc refuses the ID token: %v", err)
	}
	var claims struct {
		Name  string `json:"name"`
		Nonce string `json:"nonce"`
	}
	if err := idt.Claims(&claims); err != nil || idt.Subject != "alice" || claims.Name != "alice" || claims.Nonce != "nonce-0123456789" {
		t.Errorf("ID token sub %q name %q nonce %q (%v)", idt.Subject, claims.Name, claims.Nonce, err)
	}
	if tok.RefreshToken == "" {
		t.Error("offline_access was granted but no refresh token came")
	}

	// Remembered login and consent: the dev pages accept the skipped
	// requests themselves and the browser goes straight to the callback.
	verifier = oauth2.GenerateVerifier()
	q = authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	if q.Get("code") == "" {
		t.Fatalf("second flow: %v", q)
	}
	if _, err := rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Errorf("second code: %v", err)
	}
}

// TestDevIdentityPassword: with dev_identity.password set, the login page
// asks for it, a wrong one shows the form again, the right one continues.
func TestDevIdentityPassword(t *testing.T) {
	t.Parallel()
	_, rp := startDevIdentity(t, signettest.WithEnv("DEV_IDENTITY_PASSWORD=correct-horse-battery"))
	b := newBrowser(t, devCallback)
	login := visit(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
	wantDevPage(t, login, http.StatusOK, "/dev/login", `id="password"`)
	again := devSubmit(t, b, login, url.Values{"subject": {"alice"}, "password": {"correct-horse"}, "action": {"accept"}})
	wantDevPage(t, again, http.StatusForbidden, "/dev/login", `id="error"`, "The password is not right.", `id="password"`)
	consent := devSubmit(t, b, again, url.Values{"subject": {"alice"}, "password": {"correct-horse-battery"}, "action": {"accept"}})
	wantDevPage(t, consent, http.StatusOK, "/dev/consent")
}

// TestDevIdentityDeny: Deny on either page sends the client access_denied
// with its state, and no code.
func TestDevIdentityDeny(t *testing.T) {
	t.Parallel()
	_, rp := startDevIdentity(t)
	for _, atConsent := range []bool{false, true} {
		b := newBrowser(t, devCallback)
		p := visit(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), nil)
		if atConsent {
			p = devSubmit(t, b, p, url.Values{"subject": {"alice"}, "action": {"accept"}})
		}
		q := callbackOf(t, devSubmit(t, b, p, url.Values{"action": {"reject"}}))
		if q.Get("error") != "access_denied" || q.Get("state") != "state-0123456789" || q.Has("code") {
			t.Errorf("deny at consent=%v: callback %v", atConsent, q)
		}
	}
}

// TestDevIdentityLogout: the logout page asks; No keeps the session, Yes
// ends it.
func TestDevIdentityLogout(t *testing.T) {
	t.Parallel()
	srv, rp := startDevIdentity(t)
	b := newBrowser(t, devCallback)
	devSignIn(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())), true)
	silent := func() url.Values {
		return authorize(t, b, rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()),
			oauth2.SetAuthURLParam("prompt", "none")))
	}

	ask := visit(t, b, srv.PublicURL+"/oauth2/sessions/logout", nil)
	wantDevPage(t, ask, http.StatusOK, "/dev/logout", "Sign out of Signet?", "<strong>alice</strong>", `id="accept"`, `id="reject"`)
	kept := devSubmit(t, b, ask, url.Values{"action": {"reject"}})
	wantDevPage(t, kept, http.StatusOK, "/dev/logout", "You are still signed in")
	if q := silent(); q.Get("code") == "" {
		t.Fatalf("after No, prompt=none: %v; the session should be alive", q)
	}

	ask = visit(t, b, srv.PublicURL+"/oauth2/sessions/logout", nil)
	done := devSubmit(t, b, ask, url.Values{"action": {"accept"}})
	if done.Status != http.StatusOK || done.At.Path != "/oauth2/sessions/logout" || !strings.Contains(done.Body, "You are signed out") {
		t.Fatalf("after Yes the browser is at %s with %d:\n%s", done.At, done.Status, done.Body)
	}
	if q := silent(); q.Get("error") != "login_required" {
		t.Errorf("after Yes, prompt=none: %v; want login_required", q)
	}
}

// TestDevIdentityNotMounted: outside dev mode, or with any of the three
// apps configured, the pages do not exist.
func TestDevIdentityNotMounted(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]signettest.Option{
		"not dev":              signettest.WithConfig(func(c *config.Config) { c.Dev = false }),
		"a login app is set":   signettest.WithEnv("URLS_LOGIN=https://login.example/login"),
		"a logout app is set":  signettest.WithEnv("URLS_LOGOUT=https://login.example/logout"),
		"a consent app is set": signettest.WithEnv("URLS_CONSENT=https://login.example/consent"),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := signettest.Start(t, opt)
			public, _ := srv.App.Routes()
			if slices.ContainsFunc(public, func(p string) bool { return strings.Contains(p, "/dev/") }) {
				t.Errorf("dev routes mounted: %v", public)
			}
			for _, r := range []struct{ method, path string }{
				{http.MethodGet, "/dev/login?login_challenge=x"}, {http.MethodPost, "/dev/consent"}, {http.MethodGet, "/dev/logout"},
			} {
				res := send(t, r.method, srv.PublicURL+r.path, "application/x-www-form-urlencoded", nil, nil)
				if res.Status != http.StatusNotFound {
					t.Errorf("%s %s: %d, want 404", r.method, r.path, res.Status)
				}
			}
		})
	}
}
