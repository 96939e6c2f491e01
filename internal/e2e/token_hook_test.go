package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// hookSeen is one call the operator's token hook received.
type hookSeen struct {
	APIKey string
	Raw    string
	Body   struct {
		Session struct {
			Extra   map[string]any `json:"extra"`
			IDToken struct {
				Subject string `json:"subject"`
				Claims  struct {
					Ext map[string]any `json:"ext"`
				} `json:"id_token_claims"`
			} `json:"id_token"`
		} `json:"session"`
		Request struct {
			ClientID      string              `json:"client_id"`
			GrantedScopes []string            `json:"granted_scopes"`
			GrantTypes    []string            `json:"grant_types"`
			Payload       map[string][]string `json:"payload"`
		} `json:"request"`
	}
}

// tokenHook is an operator's hook written against Hydra's documented
// shape: it keeps the claims it is sent and adds its own, or denies.
type tokenHook struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []hookSeen
	deny bool
}

func newTokenHook(t *testing.T) *tokenHook {
	h := &tokenHook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		s := hookSeen{APIKey: r.Header.Get("X-Hook-Key"), Raw: string(raw)}
		if err := json.Unmarshal(raw, &s.Body); err != nil || r.URL.Path != "/token-hook" {
			t.Errorf("token hook: %s %s: %v", r.URL.Path, raw, err)
		}
		h.mu.Lock()
		h.seen = append(h.seen, s)
		deny := h.deny
		h.mu.Unlock()
		if deny {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		access, id := map[string]any{}, map[string]any{}
		for k, v := range s.Body.Session.Extra {
			access[k] = v
		}
		for k, v := range s.Body.Session.IDToken.Claims.Ext {
			id[k] = v
		}
		access["hook_grant"] = strings.Join(s.Body.Request.GrantTypes, " ")
		id["hook_id"] = true
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"session": map[string]any{"access_token": access, "id_token": id}})
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *tokenHook) last(t *testing.T) hookSeen {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) == 0 {
		t.Fatal("the token hook was not called")
	}
	return h.seen[len(h.seen)-1]
}

func (h *tokenHook) setDeny(v bool) { h.mu.Lock(); h.deny = v; h.mu.Unlock() }

// TestTokenHook: oauth2.token_hook, configured the way an operator does
// (environment variables, api key header), sees every grant and its
// claims end up in introspection's ext and in the ID token; a hook that
// answers 403 refuses the token request.
func TestTokenHook(t *testing.T) {
	t.Parallel()
	hook := newTokenHook(t)
	f := startFlow(t, signettest.WithEnv(
		"OAUTH2_TOKEN_HOOK_URL="+hook.srv.URL+"/token-hook",
		"OAUTH2_TOKEN_HOOK_AUTH_TYPE=api_key",
		"OAUTH2_TOKEN_HOOK_AUTH_CONFIG_IN=header",
		"OAUTH2_TOKEN_HOOK_AUTH_CONFIG_NAME=X-Hook-Key",
		"OAUTH2_TOKEN_HOOK_AUTH_CONFIG_VALUE=hook-key-0123456789",
	))
	ctx := context.Background()

	// client_credentials
	// client_secret_post, so the secret is in the form the hook must not see.
	id, secret := newMachineClient(t, f.srv, func(c *hydra.OAuth2Client) { c.SetTokenEndpointAuthMethod("client_secret_post") })
	tok := mustToken(t, ccConfig(f.srv, id, secret, oauth2.AuthStyleInParams, "read"))
	seen := hook.last(t)
	if seen.APIKey != "hook-key-0123456789" || seen.Body.Request.ClientID != id ||
		strings.Join(seen.Body.Request.GrantedScopes, " ") != "read" || strings.Contains(seen.Raw, secret) {
		t.Errorf("client_credentials: the hook saw key %q and %s", seen.APIKey, seen.Raw)
	}
	if got := introspect(t, f.srv, tok.AccessToken); got.Ext["hook_grant"] != "client_credentials" {
		t.Errorf("client_credentials: introspection ext = %v", got.Ext)
	}

	// authorization_code: the hook sees the consent's claims and keeps them.
	verifier := oauth2.GenerateVerifier()
	code := codeFor(t, newBrowser(t, f.callback), f.rp, oauth2.S256ChallengeOption(verifier))
	first, err := f.rp.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	seen = hook.last(t)
	if seen.Body.Session.Extra["tenant"] != "blue" || seen.Body.Session.IDToken.Claims.Ext["email"] != "alice@example.com" ||
		seen.Body.Session.IDToken.Subject != "alice" || seen.Body.Request.Payload["code"] != nil ||
		strings.Contains(seen.Raw, verifier) || strings.Contains(seen.Raw, code) {
		t.Errorf("authorization_code: the hook saw %s", seen.Raw)
	}
	if got := introspect(t, f.srv, first.AccessToken).Ext; got["tenant"] != "blue" || got["hook_grant"] != "authorization_code" {
		t.Errorf("authorization_code: introspection ext = %v", got)
	}
	provider, err := oidc.NewProvider(ctx, f.srv.Issuer)
	if err != nil {
		t.Fatal(err)
	}
	verify := func(tok *oauth2.Token) map[string]any {
		raw, _ := tok.Extra("id_token").(string)
		idt, err := provider.Verifier(&oidc.Config{ClientID: f.rp.ClientID}).Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		var claims map[string]any
		_ = idt.Claims(&claims)
		return claims
	}
	if c := verify(first); c["hook_id"] != true || c["email"] != "alice@example.com" || c["sub"] != "alice" {
		t.Errorf("authorization_code: ID token claims %v", c)
	}

	// refresh_token: the hook runs again and sees what it returned before.
	second, err := f.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken}).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	seen = hook.last(t)
	if seen.Body.Session.Extra["hook_grant"] != "authorization_code" || strings.Contains(seen.Raw, first.RefreshToken) {
		t.Errorf("refresh_token: the hook saw %s", seen.Raw)
	}
	if got := introspect(t, f.srv, second.AccessToken).Ext; got["tenant"] != "blue" || got["hook_grant"] != "refresh_token" {
		t.Errorf("refresh_token: introspection ext = %v", got)
	}
	if c := verify(second); c["hook_id"] != true {
		t.Errorf("refresh_token: ID token claims %v", c)
	}

	// A denying hook: 403 access_denied, and nothing issued.
	hook.setDeny(true)
	r := postForm(t, f.srv.PublicURL+"/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {id}, "client_secret": {secret}}, nil)
	if e := decodeOAuthError(t, r); r.Status != http.StatusForbidden || e.Error != "access_denied" {
		t.Errorf("denied client_credentials: %d %s", r.Status, r.Body)
	}
	if _, err := f.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token(); grantError(err) != "access_denied" {
		t.Errorf("denied refresh: %v", err)
	}
	// The refused refresh did not spend the refresh token.
	hook.setDeny(false)
	if _, err := f.rp.TokenSource(ctx, &oauth2.Token{RefreshToken: second.RefreshToken}).Token(); err != nil {
		t.Errorf("refresh after a denied one: %v", err)
	}
}
