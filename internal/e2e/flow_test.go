package e2e

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// loginApp is a login and consent app written against Hydra's admin API
// with hydra-client-go, as an operator would write one: it knows nothing
// of Signet. Its decisions are fields, so each test picks them.
type loginApp struct {
	srv            *signettest.Server
	subject        string
	rejectLogin    bool
	rejectConsent  bool
	remember       bool
	sawLoginSkip   bool
	sawConsentSkip bool
	rejectLogout   bool
	// sawLogout is the last logout request the app was shown.
	sawLogout *hydra.OAuth2LogoutRequest
}

func (a *loginApp) handler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		challenge := r.URL.Query().Get("login_challenge")
		req, _, err := a.srv.Admin.OAuth2API.GetOAuth2LoginRequest(ctx).LoginChallenge(challenge).Execute()
		if err != nil {
			t.Errorf("login app: GetOAuth2LoginRequest: %v", sdkErr(err))
			http.Error(w, "no login request", http.StatusBadGateway)
			return
		}
		a.sawLoginSkip = req.Skip
		var to *hydra.OAuth2RedirectTo
		if a.rejectLogin {
			to, _, err = a.srv.Admin.OAuth2API.RejectOAuth2LoginRequest(ctx).LoginChallenge(challenge).
				RejectOAuth2Request(hydra.RejectOAuth2Request{Error: ptr("access_denied"), ErrorDescription: ptr("The user said no.")}).Execute()
		} else {
			body := hydra.NewAcceptOAuth2LoginRequest(a.subject)
			body.SetRemember(a.remember)
			body.SetRememberFor(3600)
			to, _, err = a.srv.Admin.OAuth2API.AcceptOAuth2LoginRequest(ctx).LoginChallenge(challenge).AcceptOAuth2LoginRequest(*body).Execute()
		}
		if err != nil {
			t.Errorf("login app: deciding: %v", sdkErr(err))
			http.Error(w, "decision failed", http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /consent", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		challenge := r.URL.Query().Get("consent_challenge")
		req, _, err := a.srv.Admin.OAuth2API.GetOAuth2ConsentRequest(ctx).ConsentChallenge(challenge).Execute()
		if err != nil {
			t.Errorf("consent app: GetOAuth2ConsentRequest: %v", sdkErr(err))
			http.Error(w, "no consent request", http.StatusBadGateway)
			return
		}
		a.sawConsentSkip = req.GetSkip()
		var to *hydra.OAuth2RedirectTo
		if a.rejectConsent {
			to, _, err = a.srv.Admin.OAuth2API.RejectOAuth2ConsentRequest(ctx).ConsentChallenge(challenge).
				RejectOAuth2Request(hydra.RejectOAuth2Request{Error: ptr("access_denied")}).Execute()
		} else {
			body := hydra.NewAcceptOAuth2ConsentRequest()
			body.SetGrantScope(req.RequestedScope)
			body.SetGrantAccessTokenAudience(req.RequestedAccessTokenAudience)
			body.SetRemember(a.remember)
			body.SetRememberFor(3600)
			body.SetSession(hydra.AcceptOAuth2ConsentRequestSession{
				IdToken:     map[string]any{"email": a.subject + "@example.com"},
				AccessToken: map[string]any{"tenant": "blue"},
			})
			to, _, err = a.srv.Admin.OAuth2API.AcceptOAuth2ConsentRequest(ctx).ConsentChallenge(challenge).AcceptOAuth2ConsentRequest(*body).Execute()
		}
		if err != nil {
			t.Errorf("consent app: deciding: %v", sdkErr(err))
			http.Error(w, "decision failed", http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		challenge := r.URL.Query().Get("logout_challenge")
		req, _, err := a.srv.Admin.OAuth2API.GetOAuth2LogoutRequest(ctx).LogoutChallenge(challenge).Execute()
		if err != nil {
			t.Errorf("logout app: GetOAuth2LogoutRequest: %v", sdkErr(err))
			http.Error(w, "no logout request", http.StatusBadGateway)
			return
		}
		a.sawLogout = req
		if a.rejectLogout {
			if _, err := a.srv.Admin.OAuth2API.RejectOAuth2LogoutRequest(ctx).LogoutChallenge(challenge).Execute(); err != nil {
				t.Errorf("logout app: reject: %v", sdkErr(err))
			}
			_, _ = w.Write([]byte("you stay signed in"))
			return
		}
		to, _, err := a.srv.Admin.OAuth2API.AcceptOAuth2LogoutRequest(ctx).LogoutChallenge(challenge).Execute()
		if err != nil {
			t.Errorf("logout app: accept: %v", sdkErr(err))
			http.Error(w, "decision failed", http.StatusBadGateway)
			return
		}
		http.Redirect(w, r, to.RedirectTo, http.StatusFound)
	})
	return mux
}

func ptr[T any](v T) *T { return &v }

// flowSetup is a Signet with a login app and a relying party client.
type flowSetup struct {
	srv      *signettest.Server
	app      *loginApp
	rp       *oauth2.Config
	callback string
}

func startFlow(t *testing.T, opts ...signettest.Option) *flowSetup {
	t.Helper()
	app := &loginApp{subject: "alice"}
	appSrv := httptest.NewServer(nil)
	t.Cleanup(appSrv.Close)
	srv := signettest.Start(t, append([]signettest.Option{signettest.WithEnv(
		"URLS_LOGIN="+appSrv.URL+"/login",
		"URLS_CONSENT="+appSrv.URL+"/consent",
		"URLS_LOGOUT="+appSrv.URL+"/logout",
	)}, opts...)...)
	app.srv = srv
	appSrv.Config.Handler = app.handler(t)

	callback := "http://127.0.0.1:5555/callback"
	c := hydra.NewOAuth2Client()
	c.SetRedirectUris([]string{callback})
	c.SetGrantTypes([]string{"authorization_code", "refresh_token"})
	c.SetResponseTypes([]string{"code"})
	c.SetScope("openid offline_access email")
	c.SetClientSecret("rp-secret-0123456789")
	created, _, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err != nil {
		t.Fatalf("creating the relying party: %v", sdkErr(err))
	}
	rp := &oauth2.Config{
		ClientID:     created.GetClientId(),
		ClientSecret: "rp-secret-0123456789",
		RedirectURL:  callback,
		Scopes:       []string{"openid", "offline_access", "email"},
		Endpoint: oauth2.Endpoint{
			AuthURL:  srv.PublicURL + "/oauth2/auth",
			TokenURL: srv.PublicURL + "/oauth2/token",
		},
	}
	return &flowSetup{srv: srv, app: app, rp: rp, callback: callback}
}

// browser is a cookie-keeping HTTP client that follows redirects until the
// relying party's callback, which it does not call: it returns that URL.
func newBrowser(t *testing.T, callback string) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), callback) {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

// authorize runs the browser from the authorization URL to the callback and
// returns the callback's query.
func authorize(t *testing.T, b *http.Client, authURL string) url.Values {
	t.Helper()
	resp, err := b.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("the flow ended at %s with %d, not at the callback", resp.Request.URL, resp.StatusCode)
	}
	return loc.Query()
}

// TestAuthorizationCodeFlow: a relying party using x/oauth2 and go-oidc
// signs a user in through a login and consent app written for Hydra,
// exchanges the code with PKCE, verifies the ID token, reads userinfo,
// refreshes, and is cut off when an old refresh token is replayed.
func TestAuthorizationCodeFlow(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	authURL := f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", "nonce-0123456789"))
	q := authorize(t, newBrowser(t, f.callback), authURL)
	if q.Get("state") != "state-0123456789" || q.Get("code") == "" {
		t.Fatalf("callback query %v: want code and the same state", q)
	}
	if q.Get("iss") != f.srv.Issuer {
		t.Errorf("callback iss = %q, want %q (RFC 9207)", q.Get("iss"), f.srv.Issuer)
	}

	tok, err := f.rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchanging the code: %v", err)
	}
	provider, err := oidc.NewProvider(ctx, f.srv.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: f.rp.ClientID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("go-oidc refuses the ID token: %v", err)
	}
	if idt.Subject != "alice" || idt.Nonce != "nonce-0123456789" {
		t.Errorf("ID token sub %q nonce %q", idt.Subject, idt.Nonce)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	if err := idt.Claims(&claims); err != nil || claims.Email != "alice@example.com" {
		t.Errorf("ID token email claim %q (%v): want the consent's session.id_token claim", claims.Email, err)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != "alice" {
		t.Fatalf("userinfo: %v %+v", err, info)
	}
	if got := introspect(t, f.srv, tok.AccessToken); !got.Active || got.Ext["tenant"] != "blue" {
		t.Errorf("introspection active=%v ext=%v: want the consent's session.access_token claims", got.Active, got.Ext)
	}

	// Code reuse fails and revokes what the code gave (RFC 6749 4.1.2).
	if _, err := f.rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
		t.Error("a code was exchanged twice")
	}
	if introspect(t, f.srv, tok.AccessToken).Active {
		t.Error("the access token of a replayed code is still active")
	}
}

// TestRefreshRotation: each refresh rotates the refresh token; replaying
// an old one revokes the whole family.
func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	q := authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
	first, err := f.rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil || first.RefreshToken == "" {
		t.Fatalf("exchange: %v, refresh token %q (offline_access was granted)", err, first.RefreshToken)
	}
	second, err := f.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	if err != nil || second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh: %v; want a new refresh token", err)
	}
	if _, err := f.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token(); err == nil {
		t.Fatal("a rotated refresh token was accepted again")
	}
	if introspect(t, f.srv, second.AccessToken).Active {
		t.Error("after refresh token reuse, the family's newest access token is still active")
	}
	if _, err := f.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token(); err == nil {
		t.Error("after reuse detection, the newest refresh token still works")
	}
}

// TestFlowRejections: the login and the consent app can refuse; the client
// gets the error with its state, and nothing is issued.
func TestFlowRejections(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                string
		rejectLogin, reject bool
	}{
		{"login rejected", true, false},
		{"consent rejected", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := startFlow(t)
			f.app.rejectLogin, f.app.rejectConsent = tc.rejectLogin, tc.reject
			verifier := oauth2.GenerateVerifier()
			q := authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
			if q.Get("error") != "access_denied" || q.Get("state") != "state-0123456789" || q.Get("code") != "" {
				t.Errorf("callback %v: want error=access_denied with the state and no code", q)
			}
		})
	}
}

// TestRememberedLoginAndConsent: a remembered login and consent let the
// second flow skip both questions (the apps see skip=true and accept).
func TestRememberedLoginAndConsent(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	f.app.remember = true
	b := newBrowser(t, f.callback)
	for i := range 2 {
		verifier := oauth2.GenerateVerifier()
		q := authorize(t, b, f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)))
		if q.Get("code") == "" {
			t.Fatalf("flow %d: %v", i+1, q)
		}
		if i == 1 && (!f.app.sawLoginSkip || !f.app.sawConsentSkip) {
			t.Errorf("second flow: login skip %v, consent skip %v; want both remembered", f.app.sawLoginSkip, f.app.sawConsentSkip)
		}
	}
	// prompt=none works once a session and a consent are remembered.
	verifier := oauth2.GenerateVerifier()
	q := authorize(t, b, f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	if q.Get("code") == "" {
		t.Errorf("prompt=none with a remembered session: %v", q)
	}
	// A fresh browser has no session: prompt=none answers login_required.
	q = authorize(t, newBrowser(t, f.callback), f.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("prompt", "none")))
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none without a session: %v, want login_required", q)
	}
}
