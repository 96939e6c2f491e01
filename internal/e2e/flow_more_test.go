package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

const pairwiseSalt = "pairwise-salt-0123456789"

// signInSubjects runs a fresh browser through the flow for rp and returns
// the sub of the ID token (verified by go-oidc) and of userinfo.
func signInSubjects(t *testing.T, provider *oidc.Provider, rp *oauth2.Config) (idSub, infoSub string) {
	t.Helper()
	ctx := context.Background()
	v := oauth2.GenerateVerifier()
	code := codeFor(t, newBrowser(t, rp.RedirectURL), rp, oauth2.S256ChallengeOption(v),
		oauth2.SetAuthURLParam("nonce", "nonce-0123456789"))
	tok, err := rp.Exchange(ctx, code, oauth2.VerifierOption(v))
	if err != nil {
		t.Fatalf("exchange for %s: %v", rp.RedirectURL, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: rp.ClientID}).Verify(ctx, raw)
	if err != nil {
		t.Fatalf("go-oidc refuses the ID token of %s: %v", rp.RedirectURL, err)
	}
	info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatalf("userinfo for %s: %v", rp.RedirectURL, err)
	}
	return idt.Subject, info.Subject
}

// TestPairwiseSubjects: relying parties on different hosts that ask for
// pairwise subjects each see their own stable sub for alice, never
// "alice" and never each other's; a public client still sees "alice".
// The value is the one Hydra derives, so relying parties keep their users
// when an operator moves from Hydra to Signet.
func TestPairwiseSubjects(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t, signettest.WithEnv(
		"OIDC_SUBJECT_IDENTIFIERS_SUPPORTED_TYPES=public,pairwise",
		"OIDC_SUBJECT_IDENTIFIERS_PAIRWISE_SALT="+pairwiseSalt,
	))
	provider, err := oidc.NewProvider(context.Background(), e.srv.Issuer)
	if err != nil {
		t.Fatalf("go-oidc discovery: %v", err)
	}
	var disco struct {
		SubjectTypes []string `json:"subject_types_supported"`
	}
	if err := provider.Claims(&disco); err != nil || !slices.Contains(disco.SubjectTypes, "pairwise") {
		t.Errorf("subject_types_supported = %v (%v), want it to list pairwise", disco.SubjectTypes, err)
	}

	pairwise := func(c *hydra.OAuth2Client) { c.SetSubjectType("pairwise") }
	rpA := newRP(t, e.srv, []string{"http://127.0.0.1:5555/cb"}, pairwise)
	rpB := newRP(t, e.srv, []string{"http://localhost:5556/cb"}, pairwise)
	subs := map[string]string{}
	for _, rc := range []struct {
		rp     *oauth2.Config
		sector string
	}{{rpA, "127.0.0.1:5555"}, {rpB, "localhost:5556"}} {
		sum := sha256.Sum256([]byte(rc.sector + "alice" + pairwiseSalt))
		want := hex.EncodeToString(sum[:])
		for i := range 2 {
			idSub, infoSub := signInSubjects(t, provider, rc.rp)
			if idSub != want || infoSub != want {
				t.Errorf("%s sign-in %d: ID token sub %q, userinfo sub %q; want both %q",
					rc.sector, i+1, idSub, infoSub, want)
			}
		}
		subs[rc.sector] = want
	}
	if subs["127.0.0.1:5555"] == subs["localhost:5556"] {
		t.Error("two sectors share a pairwise subject")
	}

	idSub, infoSub := signInSubjects(t, provider, e.rp)
	if idSub != "alice" || infoSub != "alice" {
		t.Errorf("public client: ID token sub %q, userinfo sub %q; want alice", idSub, infoSub)
	}
}

// verifierCapture is a browser that stops in front of the consent
// verifier and keeps its URL and the cookies it would have sent with it.
type verifierCapture struct {
	browser *http.Client
	url     string
	cookie  string
}

func newVerifierCapture(t *testing.T) *verifierCapture {
	t.Helper()
	vc := &verifierCapture{browser: newBrowser(t, "never")}
	vc.browser.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if req.URL.Query().Get("consent_verifier") == "" {
			return nil
		}
		vc.url = req.URL.String()
		var parts []string
		for _, c := range vc.browser.Jar.Cookies(req.URL) {
			parts = append(parts, c.Name+"="+c.Value)
		}
		vc.cookie = strings.Join(parts, "; ")
		return http.ErrUseLastResponse
	}
	return vc
}

// capture runs the browser from authURL to the consent verifier.
func (vc *verifierCapture) capture(t *testing.T, authURL string) {
	t.Helper()
	resp, err := vc.browser.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	resp.Body.Close()
	if vc.url == "" || !strings.Contains(vc.cookie, "ory_hydra_consent_csrf=") {
		t.Fatalf("the browser stopped at %s without a consent verifier and its CSRF cookie (cookie %q)", resp.Request.URL, vc.cookie)
	}
}

// verifierOutcome is one raw request of a consent verifier.
type verifierOutcome struct {
	status   int
	location string
	body     string
	err      error
}

// requestVerifier sends one request without following redirects; safe on
// any goroutine.
func requestVerifier(target, cookie string) verifierOutcome {
	req, err := http.NewRequest(http.MethodGet, target, nil)
	if err != nil {
		return verifierOutcome{err: err}
	}
	req.Header.Set("Cookie", cookie)
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		return verifierOutcome{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return verifierOutcome{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(b), err: err}
}

// TestConsentVerifierReplay: a consent verifier yields one code. Replayed
// with the flow's cookies after completion, or submitted several times at
// once, the extra requests get the "already completed" page; replayed
// from another browser they get the CSRF page. No replay reaches the
// client's callback.
func TestConsentVerifierReplay(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	authURL := func() string {
		return e.rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(oauth2.GenerateVerifier()))
	}

	t.Run("after completion", func(t *testing.T) {
		vc := newVerifierCapture(t)
		vc.capture(t, authURL())
		q := authorize(t, e.untilCallback(t, vc.browser), vc.url)
		if q.Get("code") == "" || q.Get("state") != "state-0123456789" {
			t.Fatalf("the browser that started the flow did not finish it: %v", q)
		}
		again := visit(t, newBrowser(t, e.callback), vc.url, http.Header{"Cookie": {vc.cookie}})
		assertErrorPage(t, again, e.srv, "already completed")
		other := visit(t, newBrowser(t, e.callback), vc.url, nil)
		assertErrorPage(t, other, e.srv, "request_forbidden", "Likely causes")
	})

	t.Run("double submit", func(t *testing.T) {
		vc := newVerifierCapture(t)
		vc.capture(t, authURL())
		const n = 4
		outcomes := make([]verifierOutcome, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				outcomes[i] = requestVerifier(vc.url, vc.cookie)
			})
		}
		close(start)
		wg.Wait()
		codes := 0
		for i, o := range outcomes {
			switch {
			case o.err != nil:
				t.Errorf("request %d: %v", i, o.err)
			case o.status == http.StatusFound && strings.HasPrefix(o.location, e.callback):
				loc, _ := url.Parse(o.location)
				if loc.Query().Get("code") != "" {
					codes++
				} else {
					t.Errorf("request %d reached the callback without a code: %s", i, o.location)
				}
			case o.status != http.StatusBadRequest || o.location != "" || !strings.Contains(o.body, "already completed"):
				t.Errorf("request %d: %d (Location %q): %s\nwant one code and the \"already completed\" page for the rest", i, o.status, o.location, o.body)
			}
		}
		if codes != 1 {
			t.Errorf("%d of %d concurrent submits of one consent verifier got a code, want exactly 1", codes, n)
		}
	})
}

// TestErrorURL: with urls.error set, errors that cannot go back to the
// client (unknown client, unregistered redirect URI, a verifier from
// another browser) send the browser to the operator's error page with
// error, error_description and error_hint, never to a redirect URI.
func TestErrorURL(t *testing.T) {
	t.Parallel()
	errPage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("operator error page"))
	}))
	t.Cleanup(errPage.Close)
	e := startFlowEnv(t, signettest.WithEnv("URLS_ERROR="+errPage.URL+"/error?theme=dark"))

	unknown := *e.rp
	unknown.ClientID = "no-such-client"
	evil := *e.rp
	evil.RedirectURL = "https://attacker.example/cb"
	cases := []struct {
		name     string
		target   func(t *testing.T) string
		wantErr  string
		wantHint bool
	}{
		{"unknown client_id", func(*testing.T) string { return unknown.AuthCodeURL("state-0123456789") }, "invalid_client", false},
		{"unregistered redirect_uri", func(*testing.T) string { return evil.AuthCodeURL("state-0123456789") }, "", false},
		{"login verifier from another browser", func(t *testing.T) string {
			_, ch := e.challengeAt(t, e.rp.AuthCodeURL("state-0123456789"))
			return e.acceptLogin(t, ch)
		}, "request_forbidden", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// The browser stops at the client's or the attacker's URI, so a
			// wrong redirect shows up as a failed check, not a dial error.
			b := newBrowser(t, e.callback)
			b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
				if u := req.URL.String(); strings.HasPrefix(u, e.callback) || strings.HasPrefix(u, evil.RedirectURL) {
					return http.ErrUseLastResponse
				}
				return nil
			}
			p := visit(t, b, tc.target(t), nil)
			if p.Status != http.StatusOK || p.At.Host != strings.TrimPrefix(errPage.URL, "http://") || p.At.Path != "/error" {
				t.Fatalf("the browser ended at %s with %d (Location %q), want the operator's error page", p.At, p.Status, p.Location)
			}
			q := p.At.Query()
			if q.Get("theme") != "dark" {
				t.Errorf("urls.error's own query was dropped: %v", q)
			}
			if q.Get("error") == "" || q.Get("error_description") == "" {
				t.Errorf("error page query %v: want error and error_description", q)
			}
			if tc.wantErr != "" && q.Get("error") != tc.wantErr {
				t.Errorf("error = %q, want %q", q.Get("error"), tc.wantErr)
			}
			if tc.wantHint && q.Get("error_hint") == "" {
				t.Errorf("error page query %v: want error_hint", q)
			}
			if q.Get("code") != "" || q.Get("state") != "" {
				t.Errorf("the error page was handed a code or the client's state: %v", q)
			}
		})
	}
}
