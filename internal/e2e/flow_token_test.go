package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/signettest"
)

// grantError is the error code of a failed x/oauth2 token request.
func grantError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return re.ErrorCode
	}
	return ""
}

// codeFor runs a browser through the flow and returns the code.
func codeFor(t *testing.T, b *http.Client, rp *oauth2.Config, opts ...oauth2.AuthCodeOption) string {
	t.Helper()
	q := authorize(t, b, rp.AuthCodeURL("state-0123456789", opts...))
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	return q.Get("code")
}

// TestPKCE: a code bound to a challenge is worthless without its verifier,
// and a public client must use PKCE at all.
func TestPKCE(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t, signettest.WithConfig(func(c *config.Config) { c.OAuth2.PKCE.EnforcedForPublicClients = true }))
	ctx := context.Background()
	for name, exchange := range map[string][]oauth2.AuthCodeOption{
		"wrong verifier":   {oauth2.VerifierOption(oauth2.GenerateVerifier())},
		"missing verifier": nil,
	} {
		verifier := oauth2.GenerateVerifier()
		code := codeFor(t, newBrowser(t, e.callback), e.rp, oauth2.S256ChallengeOption(verifier))
		if _, err := e.rp.Exchange(ctx, code, exchange...); grantError(err) != "invalid_grant" {
			t.Errorf("%s: %v, want invalid_grant", name, err)
		}
	}

	public := newRP(t, e.srv, []string{e.callback}, func(c *hydra.OAuth2Client) {
		c.SetTokenEndpointAuthMethod("none")
		c.ClientSecret = nil
	})
	public.Endpoint.AuthStyle = oauth2.AuthStyleInParams
	q := authorize(t, newBrowser(t, e.callback), public.AuthCodeURL("state-0123456789"))
	if q.Get("error") == "" || q.Get("code") != "" || q.Get("state") != "state-0123456789" {
		t.Errorf("public client without PKCE: callback %v, want an error with the state and no code", q)
	}
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, newBrowser(t, e.callback), public, oauth2.S256ChallengeOption(verifier))
	if tok, err := public.Exchange(ctx, code, oauth2.VerifierOption(verifier)); err != nil || tok.AccessToken == "" {
		t.Errorf("public client with PKCE: %v", err)
	}
}

// TestRedirectURIMismatch: an unregistered redirect URI is never
// redirected to, and a code is bound to the URI it was requested with.
func TestRedirectURIMismatch(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	ctx := context.Background()
	other := "http://127.0.0.1:5555/other"
	rp := newRP(t, e.srv, []string{e.callback, other}, nil)

	evil := *rp
	evil.RedirectURL = "https://attacker.example/cb"
	p := visit(t, newBrowser(t, e.callback), evil.AuthCodeURL("state-0123456789"), nil)
	assertErrorPage(t, p, e.srv)
	if strings.Contains(p.Location, "attacker") {
		t.Errorf("redirected to the unregistered URI: %s", p.Location)
	}

	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, newBrowser(t, e.callback), rp, oauth2.S256ChallengeOption(verifier))
	swapped := *rp
	swapped.RedirectURL = other
	if _, err := swapped.Exchange(ctx, code, oauth2.VerifierOption(verifier)); grantError(err) != "invalid_grant" {
		t.Errorf("exchange with another registered redirect_uri: %v, want invalid_grant", err)
	}
}

// refreshOutcome is one raw refresh attempt made off the test goroutine.
type refreshOutcome struct {
	status int
	body   refreshBody
	err    error
}

type refreshBody struct {
	Error        string `json:"error"`
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// refreshRaw posts grant_type=refresh_token; safe on any goroutine.
func refreshRaw(rp *oauth2.Config, refresh string) refreshOutcome {
	form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}}
	req, err := http.NewRequest(http.MethodPost, rp.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return refreshOutcome{err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(rp.ClientID), url.QueryEscape(rp.ClientSecret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return refreshOutcome{err: err}
	}
	defer resp.Body.Close()
	out := refreshOutcome{status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	out.err = json.Unmarshal(b, &out.body)
	return out
}

// TestConcurrentRefresh: a client that refreshes one token from eight
// goroutines at once gets one new token set; the seven losers are reuse,
// which revokes the whole family (no grace period is configured).
func TestConcurrentRefresh(t *testing.T) {
	t.Parallel()
	f := startFlow(t)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, newBrowser(t, f.callback), f.rp, oauth2.S256ChallengeOption(verifier))
	first, err := f.rp.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil || first.RefreshToken == "" {
		t.Fatalf("exchange: %v", err)
	}

	const n = 8
	outcomes := make([]refreshOutcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			outcomes[i] = refreshRaw(f.rp, first.RefreshToken)
		})
	}
	close(start)
	wg.Wait()

	var winner refreshBody
	wins := 0
	for i, o := range outcomes {
		switch {
		case o.err != nil:
			t.Errorf("refresh %d: %v", i, o.err)
		case o.status == http.StatusOK && o.body.RefreshToken != "":
			wins++
			winner = o.body
		case o.status != http.StatusBadRequest || o.body.Error != "invalid_grant":
			t.Errorf("refresh %d: %d %q, want 400 invalid_grant", i, o.status, o.body.Error)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d concurrent refreshes succeeded, want exactly 1", wins, n)
	}
	if introspect(t, f.srv, winner.AccessToken).Active {
		t.Error("after reuse detection, the winner's access token is still active")
	}
	if o := refreshRaw(f.rp, winner.RefreshToken); o.status != http.StatusBadRequest || o.body.Error != "invalid_grant" {
		t.Errorf("after reuse detection, the winner's refresh token: %d %q, want invalid_grant", o.status, o.body.Error)
	}
}

// TestConsentRevocation: revoking alice's consent for one client cuts off
// that client's tokens and leaves another client's alone.
func TestConsentRevocation(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	e.app.remember = true
	ctx := context.Background()
	admin := e.srv.Admin.OAuth2API
	other := newRP(t, e.srv, []string{e.callback}, nil)
	tokens := map[string]*oauth2.Token{}
	for _, rp := range []*oauth2.Config{e.rp, other} {
		v := oauth2.GenerateVerifier()
		tok, err := rp.Exchange(ctx, codeFor(t, newBrowser(t, e.callback), rp, oauth2.S256ChallengeOption(v)), oauth2.VerifierOption(v))
		if err != nil || tok.RefreshToken == "" {
			t.Fatalf("exchange: %v", err)
		}
		tokens[rp.ClientID] = tok
	}

	listed, _, err := admin.ListOAuth2ConsentSessions(ctx).Subject("alice").Execute()
	if err != nil {
		t.Fatalf("ListOAuth2ConsentSessions: %v", sdkErr(err))
	}
	seen := map[string]bool{}
	for _, s := range listed {
		if s.ConsentRequest != nil && s.ConsentRequest.Client != nil {
			seen[s.ConsentRequest.Client.GetClientId()] = s.GetRemember()
		}
	}
	if !seen[e.rp.ClientID] || !seen[other.ClientID] {
		t.Errorf("remembered consents listed for clients %v, want both %s and %s", seen, e.rp.ClientID, other.ClientID)
	}

	if _, err := admin.RevokeOAuth2ConsentSessions(ctx).Subject("alice").Client(e.rp.ClientID).Execute(); err != nil {
		t.Fatalf("RevokeOAuth2ConsentSessions: %v", sdkErr(err))
	}
	revoked, kept := tokens[e.rp.ClientID], tokens[other.ClientID]
	if introspect(t, e.srv, revoked.AccessToken).Active {
		t.Error("the access token of a revoked consent is still active")
	}
	if _, err := e.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: revoked.RefreshToken}).Token(); err == nil {
		t.Error("the refresh token of a revoked consent still works")
	}
	if !introspect(t, e.srv, kept.AccessToken).Active {
		t.Error("revoking one client's consent deactivated another client's access token")
	}
	if _, err := other.TokenSource(ctx, &oauth2.Token{RefreshToken: kept.RefreshToken}).Token(); err != nil {
		t.Errorf("revoking one client's consent broke another client's refresh: %v", err)
	}
	after, _, err := admin.ListOAuth2ConsentSessions(ctx).Subject("alice").Execute()
	if err != nil {
		t.Fatalf("ListOAuth2ConsentSessions: %v", sdkErr(err))
	}
	for _, s := range after {
		if s.ConsentRequest != nil && s.ConsentRequest.Client != nil && s.ConsentRequest.Client.GetClientId() == e.rp.ClientID {
			t.Error("the revoked consent is still listed")
		}
	}
}

// TestFlowOnEveryDatabase: the happy path and a refresh rotation, on
// SQLite, PostgreSQL and MySQL, verified by go-oidc.
func TestFlowOnEveryDatabase(t *testing.T) {
	t.Parallel()
	for _, db := range databases() {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			e := startFlowEnv(t, db.opts(t)...)
			ctx := context.Background()
			v := oauth2.GenerateVerifier()
			tok, err := e.rp.Exchange(ctx, codeFor(t, newBrowser(t, e.callback), e.rp,
				oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("nonce", "nonce-0123456789")), oauth2.VerifierOption(v))
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			provider, err := oidc.NewProvider(ctx, e.srv.Issuer)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := tok.Extra("id_token").(string)
			idt, err := provider.Verifier(&oidc.Config{ClientID: e.rp.ClientID}).Verify(ctx, raw)
			if err != nil || idt.Subject != "alice" || idt.Nonce != "nonce-0123456789" {
				t.Fatalf("ID token: %v", err)
			}
			next, err := e.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
			if err != nil || next.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh: %v", err)
			}
			if !introspect(t, e.srv, next.AccessToken).Active {
				t.Error("the refreshed access token is inactive")
			}
		})
	}
}
