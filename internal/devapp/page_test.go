package devapp

import (
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

// TestPageStyleHash keeps the policy's hash in step with the style block;
// a stale hash would leave every page unstyled.
func TestPageStyleHash(t *testing.T) {
	sum := sha256.Sum256([]byte(pageStyle))
	if want := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"; pageStyleHash != want {
		t.Fatalf("pageStyleHash = %s, want %s", pageStyleHash, want)
	}
}

// TestPageCSP: no script, no loads, no framing; forms only where a form is.
func TestPageCSP(t *testing.T) {
	for _, tc := range []struct {
		forms  bool
		action []string
		want   string
		absent string
	}{
		{false, nil, "form-action 'none'", "'self'"},
		{true, []string{"http://127.0.0.1:5555"}, "form-action 'self' http://127.0.0.1:5555", "form-action 'none'"},
		{true, nil, "base-uri 'none'", "form-action"},
	} {
		csp := pageCSP(tc.forms, tc.action)
		if !strings.HasPrefix(csp, "default-src 'none'; style-src "+pageStyleHash+"; frame-ancestors 'none'; base-uri 'none'") {
			t.Errorf("policy %q lacks the fixed directives", csp)
		}
		if !strings.Contains(csp, tc.want) || strings.Contains(csp, tc.absent) || strings.Contains(csp, "unsafe") ||
			strings.Contains(csp, "script-src") {
			t.Errorf("policy %q: want %q, not %q", csp, tc.want, tc.absent)
		}
	}
}

// TestFormActionSources: each destination becomes a source that matches
// it and nothing wider; what cannot be written safely drops the directive.
func TestFormActionSources(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string // nil: not expressible
	}{
		{"loopback with port and path", []string{"http://127.0.0.1:5555/callback?x=1"}, []string{"http://127.0.0.1:5555"}},
		{"https host, case folded scheme", []string{"HTTPS://App.Example/cb"}, []string{"https://App.Example"}},
		{"native app scheme", []string{"com.example.app:/oauth2redirect"}, []string{"com.example.app:"}},
		{"duplicates and empties", []string{"", "http://a.example/1", "http://a.example/2"}, []string{"http://a.example"}},
		{"dangerous schemes are left out", []string{"javascript:alert(1)", "data:text/html,x"}, []string{}},
		{"IPv6 literal", []string{"http://[::1]:5555/cb"}, nil},
		{"relative", []string{"/callback"}, nil},
		{"unparsable", []string{"http://a b/"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := formActionSources(tc.in...)
			if ok != (tc.want != nil) || !slices.Equal(got, tc.want) {
				t.Errorf("got %q (%v), want %q", got, ok, tc.want)
			}
		})
	}
}
