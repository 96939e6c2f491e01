package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
)

// The device authorization grant (RFC 8628) as one measured operation: the
// device asks for codes, a new browser opens verification_uri_complete,
// the operator's verification page accepts the user code over the admin
// API, the login app accepts login and consent, the browser lands on the
// success page, and the device's first poll gets the tokens.

const grantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// createDeviceClient registers the public client of the device scenario.
func createDeviceClient(ctx context.Context, hc *http.Client, admin string) (string, error) {
	return postClient(ctx, hc, admin, map[string]any{
		"grant_types": []string{grantDeviceCode, "refresh_token"}, "scope": "openid offline_access",
		"token_endpoint_auth_method": "none",
	})
}

// device is the operator's verification page: the user code comes from
// verification_uri_complete, as if the user had typed it.
func (a *loginApp) device(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u := a.admin + "/admin/oauth2/auth/requests/device/accept?device_challenge=" + url.QueryEscape(q.Get("device_challenge"))
	a.decide(w, r, u, map[string]any{"user_code": q.Get("user_code")})
}

func (a *loginApp) deviceDone(w http.ResponseWriter, r *http.Request) {
	if e := r.URL.Query().Get("error"); e != "" {
		http.Error(w, e, http.StatusForbidden)
		return
	}
	_, _ = w.Write([]byte("ok"))
}

// deviceFlow runs one whole grant.
func (f *fixture) deviceFlow(ctx context.Context) error {
	var da struct {
		DeviceCode string `json:"device_code"`
		Complete   string `json:"verification_uri_complete"`
	}
	if err := f.devicePost(ctx, "/oauth2/device/auth", url.Values{"client_id": {f.deviceID},
		"scope": {"openid offline_access"}}, &da); err != nil {
		return err
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Transport: f.hc.Transport, Jar: jar, Timeout: f.hc.Timeout}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, da.Complete, nil)
	if err != nil {
		return err
	}
	resp, err := browser.Do(req)
	if err != nil {
		return err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(raw) != "ok" {
		return fmt.Errorf("device verification: %s at %s: %s", resp.Status, resp.Request.URL.Path, truncate(string(raw), 200))
	}
	var t tokens
	if err := f.devicePost(ctx, "/oauth2/token", url.Values{"client_id": {f.deviceID},
		"grant_type": {grantDeviceCode}, "device_code": {da.DeviceCode}}, &t); err != nil {
		return err
	}
	if t.AccessToken == "" || t.IDToken == "" || t.RefreshToken == "" {
		return fmt.Errorf("device token: access, ID or refresh token missing")
	}
	return nil
}

// devicePost is a public client's form POST on the public port.
func (f *fixture) devicePost(ctx context.Context, path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.public+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, out) != nil {
		return fmt.Errorf("%s: %s: %s", path, resp.Status, truncate(string(raw), 200))
	}
	return nil
}
