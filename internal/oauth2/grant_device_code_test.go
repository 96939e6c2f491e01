package oauth2

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/config"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// fakeDevices is an in-memory token.DeviceStore with the same conditional
// semantics as the SQL one.
type fakeDevices struct {
	mu   sync.Mutex
	recs map[string]*token.DeviceRecord
}

func (f *fakeDevices) CreateDevice(_ context.Context, d *token.DeviceRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recs[string(d.DeviceDigest)] != nil {
		return storage.ErrConflict
	}
	c := *d
	f.recs[string(d.DeviceDigest)] = &c
	return nil
}

func (f *fakeDevices) GetDevice(_ context.Context, dg []byte) (*token.DeviceRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.recs[string(dg)]
	if r == nil {
		return nil, storage.ErrNotFound
	}
	c := *r
	return &c, nil
}

func (f *fakeDevices) UseUserCode(context.Context, []byte, time.Time) (*token.DeviceRecord, error) {
	panic("unused")
}

func (f *fakeDevices) byRequest(id string) *token.DeviceRecord {
	for _, r := range f.recs {
		if r.RequestID == id {
			return r
		}
	}
	return nil
}

func (f *fakeDevices) ApproveDevice(_ context.Context, id string, a *token.DeviceApproval, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.byRequest(id)
	if r == nil || r.ApprovedAt != nil || r.DeniedAt != nil || !now.Before(r.ExpiresAt) {
		return storage.ErrAlreadyUsed
	}
	r.ApprovedAt, r.Subject, r.GrantedScopes, r.GrantedAudience, r.Session = &now, a.Subject, a.GrantedScopes, a.GrantedAudience, a.Session
	return nil
}

func (f *fakeDevices) DenyDevice(_ context.Context, id string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.byRequest(id)
	if r == nil || r.ApprovedAt != nil || r.DeniedAt != nil {
		return storage.ErrAlreadyUsed
	}
	r.DeniedAt = &now
	return nil
}

func (f *fakeDevices) PollDevice(_ context.Context, dg []byte, prev *time.Time, now time.Time, interval time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.recs[string(dg)]
	if (prev == nil) != (r.LastPolledAt == nil) || prev != nil && !prev.Equal(*r.LastPolledAt) {
		return false, nil
	}
	r.LastPolledAt, r.Interval = &now, interval
	return true, nil
}

func (f *fakeDevices) ConsumeDevice(_ context.Context, dg []byte, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.recs[string(dg)]
	if r == nil || r.ApprovedAt == nil || r.UsedAt != nil {
		return storage.ErrAlreadyUsed
	}
	r.UsedAt = &now
	return nil
}

type deviceHarness struct {
	*flowHarness
	devices *fakeDevices
	auth    *DeviceAuthorization
	grant   *DeviceCode
	tv      *client.Client
}

func newDeviceHarness(t *testing.T) *deviceHarness {
	h := &deviceHarness{flowHarness: newFlowHarness(t), devices: &fakeDevices{recs: map[string]*token.DeviceRecord{}}}
	h.tv = &client.Client{ID: "tv", GrantTypes: []string{client.GrantDeviceCode, GrantRefreshToken},
		TokenEndpointAuthMethod: client.AuthNone, Scope: "openid offline read"}
	h.db.Clients["tv"] = h.tv
	mac := [][]byte{[]byte("device-mac-key-0123456789abcdef0")}
	dc := token.OpaqueFormat{Prefix: token.PrefixDeviceCode, MACKeys: mac, Rand: rand.Reader}
	uc, err := token.NewUserCodeFormat("", 0, "", mac, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	getCfg := func() *config.Config { return h.cfg }
	h.auth = &DeviceAuthorization{Store: h.devices, DeviceCodes: dc, UserCodes: uc, VerifyURL: "https://issuer.example/oauth2/device/verify",
		Config: getCfg, Now: h.clock.Now, Rand: rand.Reader}
	h.grant = &DeviceCode{Devices: h.devices, Codes: h.flows, Issuer: &token.Issuer{Store: h.db, Opaque: h.opaque, JWT: h.jwt, Now: h.clock.Now},
		IDTokens: &token.IDTokens{Signer: h.idKeys, Keys: h.idKeys, Now: h.clock.Now}, DeviceCodes: dc, RefreshFormat: h.rtFormat,
		Config: getCfg, Now: h.clock.Now}
	return h
}

func (h *deviceHarness) poll(c *client.Client, code string) (*TokenResponse, string) {
	resp, err := h.grant.Exchange(context.Background(), &TokenRequest{GrantType: client.GrantDeviceCode,
		Form: url.Values{"device_code": {code}}}, c)
	return resp, oauth2test.ErrCode(err)
}

func (h *deviceHarness) approve(t *testing.T, code string) {
	t.Helper()
	rec, err := h.devices.GetDevice(context.Background(), token.Digest(code))
	if err != nil {
		t.Fatal(err)
	}
	session, _ := json.Marshal(token.GrantSession{SessionID: "sid-1"})
	if err := h.devices.ApproveDevice(context.Background(), rec.RequestID, &token.DeviceApproval{Subject: "alice",
		GrantedScopes: []string{"openid", "offline"}, GrantedAudience: []string{}, Session: session}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

func TestDeviceAuthorization(t *testing.T) {
	h := newDeviceHarness(t)
	resp, err := h.auth.Authorize(context.Background(), h.tv, &TokenRequest{Scopes: []string{"openid", "offline"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.DeviceCode, token.PrefixDeviceCode) || len(resp.UserCode) != 9 || resp.UserCode[4] != '-' ||
		resp.ExpiresIn != 600 || resp.Interval != 5 || resp.VerificationURIComplete != resp.VerificationURI+"?user_code="+resp.UserCode {
		t.Fatalf("response %+v", resp)
	}
	rec, _ := h.devices.GetDevice(context.Background(), token.Digest(resp.DeviceCode))
	norm, _ := h.auth.UserCodes.Normalize(resp.UserCode)
	if rec == nil || string(rec.UserDigest) != string(h.auth.UserCodes.Digest(norm)) || rec.ClientID != "tv" {
		t.Fatalf("stored %+v", rec)
	}
	for name, c := range map[string]struct {
		client *client.Client
		scopes []string
		aud    []string
		res    []string
		code   string
	}{
		"grant type not registered": {&client.Client{ID: "web", GrantTypes: []string{GrantAuthorizationCode}}, nil, nil, nil, "unauthorized_client"},
		"scope not allowed":         {h.tv, []string{"admin"}, nil, nil, "invalid_scope"},
		"audience not allowed":      {h.tv, nil, []string{"https://api.example"}, nil, "invalid_request"},
		"resource not allowed":      {h.tv, nil, nil, []string{"https://api.example"}, "invalid_target"},
	} {
		_, err := h.auth.Authorize(context.Background(), c.client, &TokenRequest{Scopes: c.scopes, Audience: c.aud, Resources: c.res})
		if got := oauth2test.ErrCode(err); got != c.code {
			t.Errorf("%s: %q, want %q", name, got, c.code)
		}
	}
}

func TestDeviceCodeGrant(t *testing.T) {
	h := newDeviceHarness(t)
	da, err := h.auth.Authorize(context.Background(), h.tv, &TokenRequest{Scopes: []string{"openid", "offline"}})
	if err != nil {
		t.Fatal(err)
	}
	other := &client.Client{ID: "other", GrantTypes: []string{client.GrantDeviceCode}, TokenEndpointAuthMethod: client.AuthNone}
	steps := []struct {
		what    string
		advance time.Duration
		client  *client.Client
		code    string
		want    string
	}{
		{"forged", 0, h.tv, token.PrefixDeviceCode + "forged", "invalid_grant"},
		{"another client", 0, other, da.DeviceCode, "invalid_grant"},
		{"first poll", 0, h.tv, da.DeviceCode, "authorization_pending"},
		{"too soon", 4 * time.Second, h.tv, da.DeviceCode, "slow_down"},       // interval 5 s → 10 s
		{"still too soon", 9 * time.Second, h.tv, da.DeviceCode, "slow_down"}, // 10 s → 15 s
		{"waited", 15 * time.Second, h.tv, da.DeviceCode, "authorization_pending"},
	}
	for _, s := range steps {
		h.clock.Add(s.advance)
		if _, got := h.poll(s.client, s.code); got != s.want {
			t.Fatalf("%s: %q, want %q", s.what, got, s.want)
		}
	}
	if rec, _ := h.devices.GetDevice(context.Background(), token.Digest(da.DeviceCode)); rec.Interval != 15*time.Second {
		t.Errorf("stored interval %s, want 15s", rec.Interval)
	}
	h.approve(t, da.DeviceCode)
	resp, code := h.poll(h.tv, da.DeviceCode)
	if code != "" || resp.IDToken == "" || resp.RefreshToken == "" || resp.Scope != "openid offline" {
		t.Fatalf("approved: %+v %q", resp, code)
	}
	rec := h.accessRecord(t, resp.AccessToken)
	if rec.Subject != "alice" || rec.GrantType != client.GrantDeviceCode || rec.ClientID != "tv" {
		t.Errorf("access record %+v", rec)
	}
	if _, got := h.poll(h.tv, da.DeviceCode); got != "invalid_grant" {
		t.Errorf("replay: %q, want invalid_grant", got)
	}
	h.clock.Add(10 * time.Minute)
	if _, got := h.poll(h.tv, da.DeviceCode); got != "expired_token" {
		t.Errorf("after expiry: %q, want expired_token", got)
	}
}

func TestDeviceCodeDenied(t *testing.T) {
	h := newDeviceHarness(t)
	da, _ := h.auth.Authorize(context.Background(), h.tv, &TokenRequest{})
	rec, _ := h.devices.GetDevice(context.Background(), token.Digest(da.DeviceCode))
	if err := h.devices.DenyDevice(context.Background(), rec.RequestID, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if _, got := h.poll(h.tv, da.DeviceCode); got != "access_denied" {
		t.Errorf("denied: %q", got)
	}
	err := DeviceAccessDenied()
	if err.Status != 400 {
		t.Errorf("access_denied at the token endpoint is %d, want 400 (RFC 8628 section 3.5)", err.Status)
	}
}

// TestDeviceCodeResources: RFC 8707 resources join the requested audience
// at the device endpoint and narrow the access token's audience at the
// token endpoint; a resource outside the grant is refused before the
// device code is spent.
func TestDeviceCodeResources(t *testing.T) {
	h := newDeviceHarness(t)
	h.tv.Audience = []string{"https://api.example", "https://other.example"}
	da, err := h.auth.Authorize(context.Background(), h.tv,
		&TokenRequest{Scopes: []string{"openid"}, Audience: []string{"https://other.example"}, Resources: []string{"https://api.example"}})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := h.devices.GetDevice(context.Background(), token.Digest(da.DeviceCode))
	if strings.Join(rec.Audience, " ") != "https://other.example https://api.example" {
		t.Fatalf("requested audience %v", rec.Audience)
	}
	session, _ := json.Marshal(token.GrantSession{})
	if err := h.devices.ApproveDevice(context.Background(), rec.RequestID, &token.DeviceApproval{Subject: "alice",
		GrantedScopes: []string{"openid"}, GrantedAudience: []string{"https://api.example"}, Session: session}, h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	pollWith := func(resources ...string) (*TokenResponse, string) {
		resp, err := h.grant.Exchange(context.Background(), &TokenRequest{GrantType: client.GrantDeviceCode,
			Resources: resources, Form: url.Values{"device_code": {da.DeviceCode}}}, h.tv)
		return resp, oauth2test.ErrCode(err)
	}
	if _, code := pollWith("https://other.example"); code != "invalid_target" {
		t.Fatalf("resource outside the grant: %q, want invalid_target", code)
	}
	resp, code := pollWith("https://api.example")
	if code != "" {
		t.Fatalf("the code was spent by the refused request: %q", code)
	}
	if a := h.accessRecord(t, resp.AccessToken); strings.Join(a.Audience, " ") != "https://api.example" {
		t.Errorf("access token audience %v", a.Audience)
	}
}
