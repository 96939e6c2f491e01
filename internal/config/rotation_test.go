package config

import (
	"strings"
	"testing"
	"time"
)

// TestKeyRotationDefaults: rotation is off unless asked for, and the
// defaults are a consistent policy when it is turned on.
func TestKeyRotationDefaults(t *testing.T) {
	cfg, _, err := Load(nil, baseEnv("KEYS_ROTATION_ENABLED=true"), false)
	if err != nil {
		t.Fatal(err)
	}
	want := KeyRotation{Enabled: true, Interval: 720 * time.Hour, PublishBefore: 24 * time.Hour, RetainAfter: 168 * time.Hour}
	if cfg.Keys.Rotation != want {
		t.Errorf("keys.rotation = %+v, want %+v", cfg.Keys.Rotation, want)
	}
	off, _, err := Load(nil, baseEnv(), false)
	if err != nil || off.Keys.Rotation.Enabled {
		t.Errorf("rotation is on by default (%v)", err)
	}
}

func TestKeyRotationProblems(t *testing.T) {
	cases := []struct {
		name     string
		env      []string
		key, msg string
	}{
		{"publish_before not shorter than interval",
			[]string{"KEYS_ROTATION_INTERVAL=24h", "KEYS_ROTATION_PUBLISH_BEFORE=24h"},
			"keys.rotation.publish_before", "shorter than keys.rotation.interval"},
		{"retain_after shorter than the access token lifetime",
			[]string{"KEYS_ROTATION_RETAIN_AFTER=30m", "TTL_ACCESS_TOKEN=1h"},
			"keys.rotation.retain_after", "at least ttl.access_token and ttl.id_token (1h0m0s)"},
		{"retain_after shorter than the ID token lifetime",
			[]string{"KEYS_ROTATION_RETAIN_AFTER=2h", "TTL_ID_TOKEN=3h"},
			"keys.rotation.retain_after", "(3h0m0s)"},
		{"zero interval", []string{"KEYS_ROTATION_INTERVAL=0s"}, "keys.rotation.interval", "longer than 0s"},
		{"negative publish_before", []string{"KEYS_ROTATION_PUBLISH_BEFORE=-1h"}, "keys.rotation.publish_before", "must be a duration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps := problemsFor(t, "", baseEnv(append([]string{"KEYS_ROTATION_ENABLED=true"}, tc.env...)...), false)
			if len(ps) != 1 || ps[0].Key != tc.key || !strings.Contains(ps[0].Msg, tc.msg) {
				t.Errorf("problems %v, want one on %s containing %q", ps, tc.key, tc.msg)
			}
		})
	}
	// The same values are not checked while rotation is off.
	if ps := problemsFor(t, "", baseEnv("KEYS_ROTATION_RETAIN_AFTER=1m"), false); len(ps) != 0 {
		t.Errorf("rotation off: %v", ps)
	}
}
