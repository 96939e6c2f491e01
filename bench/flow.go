package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// loginApp is the operator's login and consent app, run in the bench's own
// process: it accepts every login and consent over the admin API exactly as
// a real app would (read the request, accept it, redirect the browser), so
// a measured flow includes the app's four admin calls.
type loginApp struct {
	hc    *http.Client
	admin string // set once the server under test is up
	ln    net.Listener
	srv   *http.Server
}

// listenLoginApp binds the app first, because the server under test needs
// its URL (URLS_LOGIN, URLS_CONSENT) before it starts.
func listenLoginApp(hc *http.Client) (*loginApp, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a := &loginApp{hc: hc, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login", a.login)
	mux.HandleFunc("GET /consent", a.consent)
	mux.HandleFunc("GET /device", a.device)
	mux.HandleFunc("GET /device/done", a.deviceDone)
	a.srv = &http.Server{Handler: mux}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *loginApp) url() string { return "http://" + a.ln.Addr().String() }

func (a *loginApp) close() { _ = a.srv.Close() }

func (a *loginApp) login(w http.ResponseWriter, r *http.Request) {
	ch := url.QueryEscape(r.URL.Query().Get("login_challenge"))
	base := a.admin + "/admin/oauth2/auth/requests/login"
	if err := a.adminJSON(r.Context(), http.MethodGet, base+"?login_challenge="+ch, nil, nil); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	a.decide(w, r, base+"/accept?login_challenge="+ch, map[string]any{"subject": "bench-user"})
}

func (a *loginApp) consent(w http.ResponseWriter, r *http.Request) {
	ch := url.QueryEscape(r.URL.Query().Get("consent_challenge"))
	base := a.admin + "/admin/oauth2/auth/requests/consent"
	var req struct {
		Scope    []string `json:"requested_scope"`
		Audience []string `json:"requested_access_token_audience"`
	}
	if err := a.adminJSON(r.Context(), http.MethodGet, base+"?consent_challenge="+ch, nil, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	a.decide(w, r, base+"/accept?consent_challenge="+ch, map[string]any{
		"grant_scope": req.Scope, "grant_access_token_audience": req.Audience,
		"session": map[string]any{"id_token": map[string]any{"email": "bench@example.test"}},
	})
}

// decide accepts and sends the browser where the server says.
func (a *loginApp) decide(w http.ResponseWriter, r *http.Request, u string, body any) {
	var to struct {
		RedirectTo string `json:"redirect_to"`
	}
	if err := a.adminJSON(r.Context(), http.MethodPut, u, body, &to); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, to.RedirectTo, http.StatusFound)
}

func (a *loginApp) adminJSON(ctx context.Context, method, u string, in, out any) error {
	var rd io.Reader
	if in != nil {
		raw, _ := json.Marshal(in)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, strings.SplitN(u, "?", 2)[0], resp.Status, truncate(string(raw), 200))
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// tokens is the part of a token response the flows use.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
}

// flowClient is a confidential client registered for the code flow.
type flowClient struct {
	hc                   *http.Client // shared keep-alive transport, no cookie jar
	public               string
	id, secret, redirect string
}

// browserFlow runs one complete, non-remembered flow: a new browser (its
// own cookie jar) starts at /oauth2/auth with PKCE S256, state and nonce,
// follows the redirects through the login app's login and consent pages
// back to the client's redirect URI, and the client exchanges the code.
func (c *flowClient) browserFlow(ctx context.Context) (tokens, error) {
	verifier, challenge := pkcePair()
	state, nonce := randomToken(), randomToken()
	q := url.Values{
		"client_id": {c.id}, "response_type": {"code"}, "redirect_uri": {c.redirect},
		"scope": {"openid offline_access"}, "state": {state}, "nonce": {nonce},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Transport: c.hc.Transport, Jar: jar, Timeout: c.hc.Timeout,
		// Stop at the client's redirect URI: the code is in its query.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), c.redirect) {
				return http.ErrUseLastResponse
			}
			if len(via) > 10 {
				return errors.New("more than 10 redirects")
			}
			return nil
		}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.public+"/oauth2/auth?"+q.Encode(), nil)
	if err != nil {
		return tokens{}, err
	}
	resp, err := browser.Do(req)
	if err != nil {
		return tokens{}, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther || loc == nil {
		return tokens{}, fmt.Errorf("authorize: %s at %s: %s", resp.Status, resp.Request.URL.Path, truncate(string(raw), 200))
	}
	cb := loc.Query()
	if cb.Get("state") != state || cb.Get("code") == "" {
		return tokens{}, fmt.Errorf("callback without code or with another state: %s", truncate(loc.RawQuery, 200))
	}
	return c.token(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"redirect_uri": {c.redirect}, "code_verifier": {verifier}})
}

// token posts form to /oauth2/token with client_secret_basic.
func (c *flowClient) token(ctx context.Context, form url.Values) (tokens, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.public+"/oauth2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return tokens{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	resp, err := c.hc.Do(req)
	if err != nil {
		return tokens{}, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var t tokens
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &t) != nil {
		return tokens{}, fmt.Errorf("token (%s): %s: %s", form.Get("grant_type"), resp.Status, truncate(string(raw), 200))
	}
	if t.AccessToken == "" || t.IDToken == "" || t.RefreshToken == "" {
		return tokens{}, fmt.Errorf("token (%s): access, ID or refresh token missing", form.Get("grant_type"))
	}
	return t, nil
}

// refresh redeems rt and returns the rotated set.
func (c *flowClient) refresh(ctx context.Context, rt string) (tokens, error) {
	return c.token(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

// refreshChains gives each worker its own rotation chain: an operation takes
// a refresh token from the pool, redeems it and puts the new one back, so
// with as many tokens as workers no two requests ever share a token.
func (c *flowClient) refreshChains(pool chan string) operation {
	return func(ctx context.Context) error {
		rt := <-pool
		t, err := c.refresh(ctx, rt)
		if err != nil {
			pool <- rt // most likely still valid; a reuse would show as errors
			return err
		}
		pool <- t.RefreshToken
		return nil
	}
}

func pkcePair() (verifier, challenge string) {
	verifier = randomToken() + randomToken()
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
