package devapp

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/signet-oidc/signet/internal/config"
)

// TestConfigure: the app runs only in dev mode with no login, consent or
// logout app configured, and then points all three URLs at its pages on
// the public base URL, without touching the caller's configuration.
func TestConfigure(t *testing.T) {
	const issuer = "http://localhost:4444/"
	cases := []struct {
		name                   string
		dev                    bool
		login, consent, logout string
		public                 string
		wantOn                 bool
		wantLogin              string
	}{
		{name: "dev, nothing configured", dev: true, wantOn: true, wantLogin: "http://localhost:4444/dev/login"},
		{name: "dev, urls.self.public wins over the issuer", dev: true, public: "http://127.0.0.1:9000/signet",
			wantOn: true, wantLogin: "http://127.0.0.1:9000/signet/dev/login"},
		{name: "not dev", dev: false, wantOn: false},
		{name: "dev, login app configured", dev: true, login: "https://login.example/login", wantOn: false,
			wantLogin: "https://login.example/login"},
		{name: "dev, only consent configured", dev: true, consent: "https://login.example/consent", wantOn: false},
		{name: "dev, only logout configured", dev: true, logout: "https://login.example/logout", wantOn: false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := &config.Config{Dev: tc.dev}
			in.URLs.Self.Issuer, in.URLs.Self.Public = issuer, tc.public
			in.URLs.Login, in.URLs.Consent, in.URLs.Logout = tc.login, tc.consent, tc.logout
			before := [3]string{in.URLs.Login, in.URLs.Consent, in.URLs.Logout}
			out, on := Configure(in)
			if on != tc.wantOn {
				t.Fatalf("on = %v, want %v", on, tc.wantOn)
			}
			if [3]string{in.URLs.Login, in.URLs.Consent, in.URLs.Logout} != before {
				t.Error("Configure changed the caller's configuration")
			}
			if out.URLs.Login != tc.wantLogin {
				t.Errorf("urls.login = %q, want %q", out.URLs.Login, tc.wantLogin)
			}
			if !on {
				if out.URLs.Consent != tc.consent || out.URLs.Logout != tc.logout {
					t.Errorf("with the app off, urls.consent %q and urls.logout %q must stay as configured", out.URLs.Consent, out.URLs.Logout)
				}
				return
			}
			base := tc.wantLogin[:len(tc.wantLogin)-len("login")]
			if out.URLs.Consent != base+"consent" || out.URLs.Logout != base+"logout" {
				t.Errorf("urls.consent %q, urls.logout %q: want the dev pages beside %q", out.URLs.Consent, out.URLs.Logout, tc.wantLogin)
			}
		})
	}
}

// TestConfigureDevicePages: the device pages stand in for urls.device.*
// only while the device grant is on and neither URL is configured.
func TestConfigureDevicePages(t *testing.T) {
	for _, tc := range []struct {
		name           string
		enabled        bool
		verification   string
		wantVerify     string
		wantSuccessSet bool
	}{
		{name: "grant on, nothing configured", enabled: true, wantVerify: "http://localhost:4444/dev/device", wantSuccessSet: true},
		{name: "grant on, operator's page configured", enabled: true, verification: "https://app.example/device",
			wantVerify: "https://app.example/device"},
		{name: "grant switched off", enabled: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &config.Config{Dev: true}
			in.URLs.Self.Issuer = "http://localhost:4444/"
			in.OAuth2.DeviceAuthorization.Enabled = tc.enabled
			in.URLs.Device.Verification = tc.verification
			out, on := Configure(in)
			if !on {
				t.Fatal("the app must run in dev mode with no login app")
			}
			if out.URLs.Device.Verification != tc.wantVerify || (out.URLs.Device.Success != "") != tc.wantSuccessSet {
				t.Errorf("urls.device = %+v, want verification %q (success set: %v)", out.URLs.Device, tc.wantVerify, tc.wantSuccessSet)
			}
		})
	}
}

// TestDevicePagesFollowTheSwitch: with the device grant switched off the
// device pages are not mounted, as its endpoints are not.
func TestDevicePagesFollowTheSwitch(t *testing.T) {
	e := newEnv(t, "")
	// Without a device_challenge the mounted page answers 400, not 404.
	if code := get(e.handler, DevicePath); code != http.StatusBadRequest {
		t.Fatalf("GET %s with the grant on = %d, want the page's 400", DevicePath, code)
	}
	e.cfg.OAuth2.DeviceAuthorization.Enabled = false
	mux := http.NewServeMux()
	e.app.Routes(mux)
	for _, p := range []string{DevicePath, DeviceDonePath} {
		if code := get(mux, p); code != http.StatusNotFound {
			t.Errorf("GET %s with the grant off = %d, want 404", p, code)
		}
	}
}

func get(h http.Handler, path string) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	return rec.Code
}
