package config

import "testing"

func TestCookieAttributes(t *testing.T) {
	for _, tc := range []struct {
		name         string
		dev, secure  bool
		mode         string
		wantSecure   bool
		wantSameSite string
	}{
		{"production is always Secure", false, false, "None", true, "None"},
		{"dev over http downgrades None", true, false, "None", false, "Lax"},
		{"dev with secure keeps None", true, true, "None", true, "None"},
		{"dev keeps Strict", true, false, "Strict", false, "Strict"},
		{"production keeps Lax", false, false, "Lax", true, "Lax"},
	} {
		c := &Config{Dev: tc.dev}
		c.Serve.Cookies.Secure, c.Serve.Cookies.SameSiteMode = tc.secure, tc.mode
		if c.CookieSecure() != tc.wantSecure || c.CookieSameSite() != tc.wantSameSite {
			t.Errorf("%s: Secure %v SameSite %q, want %v %q", tc.name, c.CookieSecure(), c.CookieSameSite(), tc.wantSecure, tc.wantSameSite)
		}
	}
}
