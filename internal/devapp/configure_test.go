package devapp

import (
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
