package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Pushed authorization requests (RFC 9126): the flow client pushes a
// request, and then a browser brings its request_uri to /oauth2/auth, which
// redirects to the login app (not followed: the rest is the browser flow).

// push posts one authorization request to /oauth2/par and returns its
// request_uri.
func (c *flowClient) push(ctx context.Context) (string, error) {
	_, challenge := pkcePair()
	form := url.Values{"response_type": {"code"}, "redirect_uri": {c.redirect}, "scope": {"openid offline_access"},
		"state": {randomToken()}, "nonce": {randomToken()}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.public+"/oauth2/par", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		RequestURI string `json:"request_uri"`
	}
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &out) != nil || out.RequestURI == "" {
		return "", fmt.Errorf("par: %s: %s", resp.Status, truncate(string(raw), 200))
	}
	return out.RequestURI, nil
}

// pushAndAuthorize pushes a request and starts the browser flow with it.
func (c *flowClient) pushAndAuthorize(ctx context.Context) error {
	uri, err := c.push(ctx)
	if err != nil {
		return err
	}
	q := url.Values{"client_id": {c.id}, "request_uri": {uri}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.public+"/oauth2/auth?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	// The redirect to the login app is checked, not followed.
	noFollow := &http.Client{Transport: c.hc.Transport, Timeout: c.hc.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, "login_challenge=") {
		return fmt.Errorf("authorize with a pushed request: %s to %q", resp.Status, truncate(loc, 100))
	}
	return nil
}
