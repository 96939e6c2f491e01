package oauth2

import (
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

func TestAudienceAllowed(t *testing.T) {
	cases := []struct {
		registered, requested string
		want                  bool
	}{
		// Equal, and at or below the registered path.
		{"https://api.x", "https://api.x", true},
		{"https://api.x", "https://api.x/", true},
		{"https://api.x/", "https://api.x", true},
		{"https://api.x", "https://api.x/orders", true},
		{"https://api.x/v1", "https://api.x/v1/", true},
		{"https://api.x/v1/", "https://api.x/v1", true},
		{"https://api.x/v1", "https://api.x/v1/orders/7", true},
		{"https://api.x/v1/", "https://api.x/v1/orders", true},
		{"https://api.x:8443/v1", "https://api.x:8443/v1/a", true},
		{"HTTPS://api.x", "https://api.x/a", true}, // schemes are case-insensitive (RFC 3986 3.1)
		{"https://api.x/a%20b", "https://api.x/a%20b/c", true},
		{"https://api.x/?t=a", "https://api.x/orders?t=a", true},
		// Plain strings are paths.
		{"api", "api", true},
		{"api", "api/orders", true},
		{"api", "api/", true},
		{"api", "apix", false},
		{"api/v1", "api", false},
		{"api", "https://api", false},
		// Beside, above or elsewhere.
		{"https://api.x/v1", "https://api.x/v1x", false},
		{"https://api.x/v1", "https://api.x/v", false},
		{"https://api.x/v1", "https://api.x", false},
		{"https://api.x/v1", "https://api.x/v2/v1", false},
		{"https://api.x", "https://api.xy", false},
		// Attacks on the host.
		{"https://api.x", "https://api.x.evil.com", false},
		{"https://api.x", "https://api.x.evil.com/", false},
		{"https://api.x", "https://api.x@evil.com", false},
		{"https://evil.com", "https://api.x@evil.com", false}, // userinfo is refused outright
		{"https://api.x", "https://api.x:443", false},         // ports compare as written
		{"https://api.x", "https://api.x:8443/", false},
		{"https://api.x", "http://api.x", false},
		{"https://api.x", "wss://api.x", false},
		{"https://api.x", "//api.x/a", false},
		{"https://api.x", "https://API.X", false}, // hosts compare as written: stricter is safe
		{"https://api.x", `https://api.x\@evil.com`, false},
		{"https://api.x", "https://api.x%2F@evil.com", false},
		{"https://api.x", "https://evil.com#@api.x", false},
		// Dot segments, plain and disguised, are refused.
		{"https://api.x/v1", "https://api.x/v1/../admin", false},
		{"https://api.x/v1", "https://api.x/v1/./orders", false},
		{"https://api.x/v1", "https://api.x/v1/..", false},
		{"https://api.x/v1", "https://api.x/v1/%2e%2e/admin", false},
		{"https://api.x/v1", "https://api.x/v1/%2E./admin", false},
		{"https://api.x/v1", "https://api.x/v1/..%2fadmin", false},
		{"https://api.x/v1", `https://api.x/v1/..\admin`, false},
		{"https://api.x/v1", "https://api.x/v1/..;/admin", false},
		{"api", "api/../admin", false},
		{"https://api.x/v1", "https://api.x/v1/..x/ok", true}, // not a dot segment
		// An encoded slash keeps a segment whole: "v1/x" is beside "v1".
		{"https://api.x/v1", "https://api.x/v1%2Fx", false},
		// Query and fragment must be equal (stricter than Hydra).
		{"https://api.x", "https://api.x/?tenant=b", false},
		{"https://api.x/?tenant=a", "https://api.x/?tenant=b", false},
		{"https://api.x/?tenant=a", "https://api.x/?tenant=a&tenant=b", false},
		{"https://api.x", "https://api.x/#frag", false},
		// Opaque URIs match only exactly.
		{"urn:api:x", "urn:api:x", true},
		{"urn:api:x", "urn:api:x:y", false},
		{"urn:api", "urn:other", false},
		// Exact equality wins, even for values prefix matching refuses.
		{"https://api.x/v1/../admin", "https://api.x/v1/../admin", true},
		{"1:bad", "1:bad", true},
		{"1:bad", "1:bad/x", false},
		// Empty values match nothing.
		{"", "x", false},
		{"https://api.x", "", false},
		{"", "/x", false},
	}
	for _, tc := range cases {
		if got := audienceAllowed(tc.requested, []string{tc.registered}); got != tc.want {
			t.Errorf("registered %q, requested %q: got %v, want %v", tc.registered, tc.requested, got, tc.want)
		}
	}
}

func TestAudienceAllowedAnyRegistered(t *testing.T) {
	reg := []string{"https://a.x/v1", "https://b.x"}
	for _, ok := range []string{"https://a.x/v1/z", "https://b.x/q"} {
		if !audienceAllowed(ok, reg) {
			t.Errorf("%q refused", ok)
		}
	}
	if audienceAllowed("https://c.x", reg) || audienceAllowed("https://a.x", nil) {
		t.Error("unregistered audience allowed")
	}
}

// TestClientCredentialsAudienceBelowRegistered: the token endpoint grants an
// audience below a registered one and records it as requested.
func TestClientCredentialsAudienceBelowRegistered(t *testing.T) {
	h := newHarness(t)
	raw := oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&audience=https%3A%2F%2Fapi.example%2Forders")
	if rec := h.record(t, raw); !slices.Equal(rec.Audience, []string{"https://api.example/orders"}) {
		t.Fatalf("audience = %v", rec.Audience)
	}
}

// FuzzAudienceAllowed checks the security property independently of the
// matcher's own parsing: an audience allowed without being registered
// verbatim has the registered scheme, host and query, no user information,
// and stays at or below the registered path even after a resource server
// resolves its dot segments.
func FuzzAudienceAllowed(f *testing.F) {
	for _, s := range [][2]string{
		{"https://api.x", "https://api.x/a"}, {"api", "api/../b"}, {"https://api.x", "https://api.x@e.com"},
		{"urn:a", "urn:a:b"}, {"https://a/v1", "https://a/v1/%2e%2e"}, {"https://a/v1/", "https://a/v1/b/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, registered, requested string) {
		if registered == requested || !audienceAllowed(requested, []string{registered}) {
			return
		}
		ru, err1 := url.Parse(registered)
		qu, err2 := url.Parse(requested)
		if err1 != nil || err2 != nil || qu.User != nil || qu.Scheme != ru.Scheme || qu.Host != ru.Host ||
			qu.RawQuery != ru.RawQuery || qu.Fragment != ru.Fragment {
			t.Fatalf("%q allowed by %q", requested, registered)
		}
		base := strings.TrimSuffix(path.Clean("/"+ru.Path), "/")
		if clean := path.Clean("/" + qu.Path); clean != base && !strings.HasPrefix(clean, base+"/") {
			t.Fatalf("%q (resolved %q) allowed by %q", requested, clean, registered)
		}
	})
}
