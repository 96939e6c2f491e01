package config

import (
	"strings"
	"testing"
)

// TestFeatureSwitches: the optional specifications of issue 8 are on by
// default, each switches off by its own key, and the switches are read at
// start-up only (a reload keeps the running value and says so).
func TestFeatureSwitches(t *testing.T) {
	cases := []struct {
		key, env string
		get      func(*Config) *bool
	}{
		{"oauth2.pushed_authorization_requests.enabled", "OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_ENABLED",
			func(c *Config) *bool { return &c.OAuth2.PushedAuthorizationRequests.Enabled }},
		{"oauth2.request_objects.enabled", "OAUTH2_REQUEST_OBJECTS_ENABLED",
			func(c *Config) *bool { return &c.OAuth2.RequestObjects.Enabled }},
		{"oauth2.token_exchange.enabled", "OAUTH2_TOKEN_EXCHANGE_ENABLED",
			func(c *Config) *bool { return &c.OAuth2.TokenExchange.Enabled }},
		{"oauth2.device_authorization.enabled", "OAUTH2_DEVICE_AUTHORIZATION_ENABLED",
			func(c *Config) *bool { return &c.OAuth2.DeviceAuthorization.Enabled }},
		{"oauth2.introspection.public_enabled", "OAUTH2_INTROSPECTION_PUBLIC_ENABLED",
			func(c *Config) *bool { return &c.OAuth2.Introspection.PublicEnabled }},
	}
	def, _ := mustLoad(t, nil, baseEnv(), false)
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			if !*tc.get(def) {
				t.Errorf("%s is off by default; every switch defaults to on", tc.key)
			}
			off, _ := mustLoad(t, nil, baseEnv(tc.env+"=false"), false)
			if *tc.get(off) {
				t.Errorf("%s=false did not switch it off", tc.env)
			}
			parts := strings.Split(tc.key, ".")
			yaml := ""
			for i, p := range parts {
				yaml += strings.Repeat("  ", i) + p + ":"
				if i == len(parts)-1 {
					yaml += " false"
				}
				yaml += "\n"
			}
			fromFile, _ := mustLoad(t, []string{writeFile(t, "c.yaml", yaml)}, baseEnv(), false)
			if *tc.get(fromFile) {
				t.Errorf("%s: false in a file did not switch it off", tc.key)
			}
			if _, _, err := Load(nil, baseEnv(tc.env+"=sometimes"), false); err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("a non-boolean value: %v, want an error naming %s", err, tc.key)
			}
			next := *def
			*tc.get(&next) = false
			merged, d := Merge(def, &next)
			if !*tc.get(merged) || !strings.Contains(strings.Join(d.Restart, " "), tc.key) {
				t.Errorf("%s must need a restart: merged %v, diff %+v", tc.key, *tc.get(merged), d)
			}
		})
	}
}

// TestPARRequiredNeedsPAR: requiring pushed requests while the endpoint is
// switched off would lock every client out, so start-up refuses it and
// names both keys.
func TestPARRequiredNeedsPAR(t *testing.T) {
	ps := problemsFor(t, "", baseEnv("OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_REQUIRED=true",
		"OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_ENABLED=false"), false)
	if len(ps) != 1 {
		t.Fatalf("problems %v, want one", ps)
	}
	s := ps[0].String()
	for _, key := range []string{"oauth2.pushed_authorization_requests.required", "oauth2.pushed_authorization_requests.enabled"} {
		if !strings.Contains(s, key) {
			t.Errorf("%q does not name %s", s, key)
		}
	}
	if ps := problemsFor(t, "", baseEnv("OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_REQUIRED=true"), false); len(ps) != 0 {
		t.Errorf("required with PAR on: %v", ps)
	}
	if ps := problemsFor(t, "", baseEnv("OAUTH2_PUSHED_AUTHORIZATION_REQUESTS_ENABLED=false"), false); len(ps) != 0 {
		t.Errorf("PAR off, not required: %v", ps)
	}
}
