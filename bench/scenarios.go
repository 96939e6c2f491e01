package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// scenario is one measured operation kind; Unit names what one counted
// operation is (a request, or a whole browser flow).
type scenario struct {
	Name string
	Unit string
	Op   operation
}

// fixture holds what the scenarios share: three clients, a live token and
// one refresh token per worker.
type fixture struct {
	hc            *http.Client
	public, admin string
	opaqueID      string
	jwtID         string
	secret        string
	token         string
	flow          *flowClient
	deviceID      string
	refreshPool   chan string
	assertions    *assertionFixture
	exchange      *exchangeFixture
	dpop          *dpopSigner
}

func setup(ctx context.Context, hc *http.Client, public, admin, redirect string) (*fixture, error) {
	f := &fixture{hc: hc, public: public, admin: admin, secret: "bench-client-secret-0123456789"}
	var err error
	if f.opaqueID, err = createClient(ctx, hc, admin, f.secret, "opaque"); err != nil {
		return nil, err
	}
	if f.jwtID, err = createClient(ctx, hc, admin, f.secret, "jwt"); err != nil {
		return nil, err
	}
	if f.assertions, err = setupAssertions(ctx, hc, public, admin, f.secret); err != nil {
		return nil, err
	}
	if f.exchange, err = setupExchange(ctx, hc, public, admin, f.secret); err != nil {
		return nil, err
	}
	if f.dpop, err = newDPoPSigner(); err != nil {
		return nil, err
	}
	f.flow = &flowClient{hc: hc, public: public, secret: f.secret, redirect: redirect}
	if f.flow.id, err = createFlowClient(ctx, hc, admin, f.secret, redirect); err != nil {
		return nil, err
	}
	if f.deviceID, err = createDeviceClient(ctx, hc, admin); err != nil {
		return nil, err
	}
	req, _ := f.tokenRequest(f.opaqueID)()
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("could not obtain a token for the introspection scenario (status %d)", resp.StatusCode)
	}
	f.token = tok.AccessToken
	return f, nil
}

func createClient(ctx context.Context, hc *http.Client, admin, secret, strategy string) (string, error) {
	return postClient(ctx, hc, admin, map[string]any{
		"client_secret": secret, "grant_types": []string{"client_credentials"},
		"scope":                      "read write",
		"token_endpoint_auth_method": "client_secret_basic", "access_token_strategy": strategy,
	})
}

func postClient(ctx context.Context, hc *http.Client, admin string, fields map[string]any) (string, error) {
	body, _ := json.Marshal(fields)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, admin+"/admin/clients", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var c struct {
		ID string `json:"client_id"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &c) != nil {
		return "", fmt.Errorf("creating a client: %s: %s", resp.Status, truncate(string(raw), 300))
	}
	return c.ID, nil
}

// createFlowClient registers the confidential client of the browser flow.
func createFlowClient(ctx context.Context, hc *http.Client, admin, secret, redirect string) (string, error) {
	return postClient(ctx, hc, admin, map[string]any{
		"client_secret": secret, "grant_types": []string{"authorization_code", "refresh_token"},
		"response_types": []string{"code"}, "redirect_uris": []string{redirect},
		"scope": "openid offline_access", "token_endpoint_auth_method": "client_secret_basic",
	})
}

// fillRefreshPool runs n browser flows and keeps their refresh tokens, one
// rotation chain per worker of the refresh scenario. It runs after the
// browser flow scenario's count, so it is not measured.
func (f *fixture) fillRefreshPool(ctx context.Context, n int) error {
	f.refreshPool = make(chan string, n)
	for i := 0; i < n; i++ {
		t, err := f.flow.browserFlow(ctx)
		if err != nil {
			return fmt.Errorf("obtaining refresh tokens: %w", err)
		}
		f.refreshPool <- t.RefreshToken
	}
	return nil
}

func (f *fixture) tokenRequest(clientID string) request {
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"read"}}.Encode()
	return func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, f.public+"/oauth2/token", strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(f.secret))
		return req, nil
	}
}

func (f *fixture) introspectRequest(token string) request {
	form := url.Values{"token": {token}}.Encode()
	return func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, f.admin+"/admin/oauth2/introspect", strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}
}

func get(u string) request {
	return func() (*http.Request, error) { return http.NewRequest(http.MethodGet, u, nil) }
}

func (f *fixture) scenarios() []scenario {
	// A forged token: the live token with one character inside its MAC
	// changed (not the last one, whose low bits base64 may not carry).
	i := len(f.token) - 5
	repl := byte('A')
	if f.token[i] == 'A' {
		repl = 'B'
	}
	forged := f.token[:i] + string(repl) + f.token[i+1:]
	ok := func(r request) operation { return single(f.hc, r, http.StatusOK) }
	return []scenario{
		{"client_credentials (opaque)", "req", ok(f.tokenRequest(f.opaqueID))},
		{"client_credentials (jwt)", "req", ok(f.tokenRequest(f.jwtID))},
		{"client_credentials (opaque, DPoP)", "req", ok(f.dpopTokenRequest(f.opaqueID))},
		{"client_credentials (private_key_jwt)", "req", ok(f.assertions.privateKeyJWTRequest)},
		{"jwt-bearer grant", "req", ok(f.assertions.jwtBearerRequest(f.secret))},
		{"token exchange", "req", ok(f.exchangeRequest())},
		{"introspection (valid)", "req", ok(f.introspectRequest(f.token))},
		{"introspection (forged)", "req", ok(f.introspectRequest(forged))},
		{"jwks", "req", ok(get(f.public + "/.well-known/jwks.json"))},
		{"discovery", "req", ok(get(f.public + "/.well-known/openid-configuration"))},
		{"browser flow", "flow", func(ctx context.Context) error { _, err := f.flow.browserFlow(ctx); return err }},
		{"par push", "req", func(ctx context.Context) error { _, err := f.flow.push(ctx); return err }},
		{"par push + authorize", "push+auth", f.flow.pushAndAuthorize},
		{"refresh", "req", func(ctx context.Context) error { return f.flow.refreshChains(f.refreshPool)(ctx) }},
		{"device grant", "flow", f.deviceFlow},
	}
}

// queryCount reads the server's database round-trip counter from its
// Prometheus endpoint on the admin port.
func queryCount(ctx context.Context, hc *http.Client, admin string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, admin+"/admin/metrics/prometheus", nil)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "signet_db_queries_total ") {
			return strconv.ParseFloat(strings.TrimPrefix(line, "signet_db_queries_total "), 64)
		}
	}
	return 0, fmt.Errorf("signet_db_queries_total not found in the metrics")
}

// addSigningKey generates a key in set (hydra.jwt.access-token or
// hydra.openid.id-token) through the admin API; being the newest, it signs
// every token of that kind after that.
func addSigningKey(ctx context.Context, hc *http.Client, admin, set, alg string) error {
	body, _ := json.Marshal(map[string]string{"alg": alg, "use": "sig", "kid": "bench-" + strings.ToLower(alg) + "-" + set})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, admin+"/admin/keys/"+set, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		raw, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("adding a %s key to %s: %s: %s", alg, set, resp.Status, truncate(string(raw), 300))
	}
	return nil
}
