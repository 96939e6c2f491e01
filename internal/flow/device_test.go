package flow

import (
	"crypto/rand"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/token"
)

func TestUserCodeLimiter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := &UserCodeLimiter{PerChallenge: 2, Budget: 3, Window: time.Minute, Now: func() time.Time { return now }}
	if l.allow("a") != limitOK {
		t.Fatal("a fresh limiter refuses")
	}
	l.fail("a")
	l.fail("a")
	if got := l.allow("a"); got != limitChallenge {
		t.Errorf("after 2 failures of a: %v, want the per-challenge limit", got)
	}
	if got := l.allow("b"); got != limitOK {
		t.Errorf("another challenge: %v, want ok", got)
	}
	l.fail("b")
	if got := l.allow("c"); got != limitBudget {
		t.Errorf("after 3 failures in all: %v, want the budget limit for every challenge", got)
	}
	now = now.Add(time.Minute)
	if got := l.allow("a"); got != limitOK {
		t.Errorf("next window: %v, want ok", got)
	}
}

func TestAcceptDevice(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f, csrf, err := NewDevice(rand.Reader, now)
	if err != nil || csrf == "" || f.State != StateDeviceRequested || !f.Request.Device {
		t.Fatalf("NewDevice: %+v %q %v", f, csrf, err)
	}
	// A device flow cannot go to the login app before a user code binds it.
	if err := f.RequestLogin("s", nil); err == nil {
		t.Error("RequestLogin from device requested was allowed")
	}
	d := &token.DeviceRecord{RequestID: "req-1", ClientID: "tv", Scopes: []string{"openid"}, Audience: []string{"api"}}
	if err := f.AcceptDevice(d); err != nil {
		t.Fatal(err)
	}
	if f.ID != "req-1" || f.ClientID != "tv" || f.State != StateInitialised || f.Request.Scope[0] != "openid" {
		t.Errorf("after AcceptDevice: %+v", f)
	}
	if err := f.AcceptDevice(d); err == nil {
		t.Error("a second AcceptDevice was allowed")
	}
	plain, _, _ := New(rand.Reader, now, "c", Request{})
	plain.State = StateDeviceRequested
	if err := plain.AcceptDevice(d); err == nil {
		t.Error("AcceptDevice on a flow that is not a device flow was allowed")
	}
}
