package authorize

import (
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

func TestMatchRedirectURI(t *testing.T) {
	web := []string{"https://app.example.com/cb", "https://app.example.com/cb?tenant=a"}
	native := []string{"http://127.0.0.1/cb", "http://[::1]:8080/cb?x=1", "http://localhost:3000/cb", "com.example.app:/oauth"}
	cases := []struct {
		name       string
		requested  string
		registered []string
		want       string // "" means refused
	}{
		{"exact", "https://app.example.com/cb", web, "https://app.example.com/cb"},
		{"exact with registered query", "https://app.example.com/cb?tenant=a", web, "https://app.example.com/cb?tenant=a"},
		{"omitted, one registered", "", web[:1], "https://app.example.com/cb"},
		{"omitted, two registered", "", web, ""},
		{"omitted, none registered", "", nil, ""},
		{"private-use scheme", "com.example.app:/oauth", native, "com.example.app:/oauth"},
		// RFC 8252 7.3: any port on loopback IP literals.
		{"ipv4 loopback any port", "http://127.0.0.1:51234/cb", native, "http://127.0.0.1:51234/cb"},
		{"ipv4 loopback no port", "http://127.0.0.1/cb", native, "http://127.0.0.1/cb"},
		{"ipv6 loopback other port", "http://[::1]:9/cb?x=1", native, "http://[::1]:9/cb?x=1"},
		{"ipv6 loopback without port", "http://[::1]/cb?x=1", native, "http://[::1]/cb?x=1"},
		// Attacks and near misses.
		{"localhost other port", "http://localhost:3001/cb", native, ""},
		{"loopback other path", "http://127.0.0.1:5000/cb2", native, ""},
		{"loopback path suffix", "http://127.0.0.1:5000/cb/../x", native, ""},
		{"loopback query added", "http://127.0.0.1:5000/cb?a=b", native, ""},
		{"loopback query dropped", "http://[::1]:8080/cb", native, ""},
		{"loopback https", "https://127.0.0.1:5000/cb", native, ""},
		{"loopback userinfo", "http://127.0.0.1@evil.com/cb", native, ""},
		{"loopback port then userinfo", "http://127.0.0.1:80@evil.com/cb", native, ""},
		{"loopback-looking host", "http://127.0.0.1.evil.com/cb", native, ""},
		{"loopback empty port", "http://127.0.0.1:/cb", native, ""},
		{"loopback port zero", "http://127.0.0.1:0/cb", native, ""},
		{"loopback port too big", "http://127.0.0.1:65536/cb", native, ""},
		{"loopback port sign", "http://127.0.0.1:+80/cb", native, ""},
		{"loopback fragment", "http://127.0.0.1:5000/cb#x", native, ""},
		{"other loopback address", "http://127.0.0.2:5000/cb", native, ""},
		{"non-loopback other port", "https://app.example.com:8443/cb", web, ""},
		{"userinfo", "https://app.example.com@evil.com/cb", web, ""},
		{"host case", "https://APP.example.com/cb", web, ""},
		{"scheme case", "HTTPS://app.example.com/cb", web, ""},
		{"trailing slash", "https://app.example.com/cb/", web, ""},
		{"dot segments", "https://app.example.com/cb/../cb", web, ""},
		{"encoded path", "https://app.example.com/%63b", web, ""},
		{"query added", "https://app.example.com/cb?next=evil", web, ""},
		{"query changed", "https://app.example.com/cb?tenant=b", web, ""},
		{"fragment", "https://app.example.com/cb#", web, ""},
		{"prefix of registered", "https://app.example.com/c", web, ""},
		{"too long", "https://app.example.com/cb" + strings.Repeat("a", 2048), web, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MatchRedirectURI(tc.requested, tc.registered)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("matched %q, want refusal", got)
				}
				if oauth2test.ErrCode(err) != "invalid_request" {
					t.Fatalf("code = %q, want invalid_request", oauth2test.ErrCode(err))
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
