package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// The token exchange scenario (RFC 8693): a client allowed to impersonate
// exchanges its own access token for a new one, narrowed to "read". One
// request costs the client read, the subject token read and the new
// token's write.

const exchangeGrant = "urn:ietf:params:oauth:grant-type:token-exchange"

// exchangeFixture is the exchanging client and its subject token.
type exchangeFixture struct {
	clientID, subject string
}

func setupExchange(ctx context.Context, hc *http.Client, public, admin, secret string) (*exchangeFixture, error) {
	id, err := postClient(ctx, hc, admin, map[string]any{
		"client_secret": secret, "grant_types": []string{"client_credentials", exchangeGrant},
		"scope": "read write", "token_endpoint_auth_method": "client_secret_basic",
		"token_exchange": map[string]any{"impersonation": true},
	})
	if err != nil {
		return nil, err
	}
	f := &fixture{hc: hc, public: public, secret: secret}
	req, _ := f.tokenRequest(id)()
	resp, err := hc.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return nil, fmt.Errorf("could not obtain the subject token of the token exchange scenario (status %d)", resp.StatusCode)
	}
	return &exchangeFixture{clientID: id, subject: tok.AccessToken}, nil
}

func (f *fixture) exchangeRequest() request {
	form := url.Values{"grant_type": {exchangeGrant}, "scope": {"read"}, "subject_token": {f.exchange.subject},
		"subject_token_type": {"urn:ietf:params:oauth:token-type:access_token"}}.Encode()
	return func() (*http.Request, error) {
		req, err := http.NewRequest(http.MethodPost, f.public+"/oauth2/token", strings.NewReader(form))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(f.exchange.clientID), url.QueryEscape(f.secret))
		return req, nil
	}
}
