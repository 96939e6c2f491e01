package config

import (
	"strings"
	"testing"
)

// TestIntrospectionVisibilityKey: the Signet key has its default, takes
// each rule, refuses anything else by name, and reloads.
func TestIntrospectionVisibilityKey(t *testing.T) {
	cfg, _ := mustLoad(t, nil, baseEnv(), false)
	if got := cfg.OAuth2.Introspection.Visibility; got != "client_or_audience" {
		t.Errorf("default visibility %q", got)
	}
	for _, rule := range []string{"client", "any", "client_or_audience"} {
		cfg, _ := mustLoad(t, nil, baseEnv("OAUTH2_INTROSPECTION_VISIBILITY="+rule), false)
		if cfg.OAuth2.Introspection.Visibility != rule {
			t.Errorf("visibility %q not loaded", rule)
		}
	}
	_, _, err := Load(nil, baseEnv("OAUTH2_INTROSPECTION_VISIBILITY=everyone"), false)
	if err == nil || !strings.Contains(err.Error(), "oauth2.introspection.visibility") {
		t.Errorf("an unknown rule: %v, want an error naming the key", err)
	}
	next := *cfg
	next.OAuth2.Introspection.Visibility = "any"
	if merged, d := Merge(cfg, &next); merged.OAuth2.Introspection.Visibility != "any" || len(d.Restart) != 0 {
		t.Errorf("visibility must reload: %+v", d)
	}
}
