package authorize

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2"
)

func TestResponseMode(t *testing.T) {
	code, implicit, hybrid := ResponseType{Code: true}, ResponseType{IDToken: true, Token: true}, ResponseType{Code: true, IDToken: true}
	web, native := "https://app.example/cb", "com.example.app:/cb"
	for _, tc := range []struct {
		name      string
		rt        ResponseType
		requested string
		uri       string
		want      string // "" means refused with invalid_request
	}{
		{"code defaults to query", code, "", web, ResponseModeQuery},
		{"implicit defaults to fragment", implicit, "", web, ResponseModeFragment},
		{"hybrid defaults to fragment", hybrid, "", web, ResponseModeFragment},
		{"code in the fragment", code, "fragment", web, ResponseModeFragment},
		{"code by form_post", code, "form_post", web, ResponseModeFormPost},
		{"implicit by form_post", implicit, "form_post", web, ResponseModeFormPost},
		{"native code in the query", code, "query", native, ResponseModeQuery},
		{"tokens in the query", implicit, "query", web, ""},
		{"hybrid in the query", hybrid, "query", web, ""},
		{"form_post to a native app", code, "form_post", native, ""},
		{"unknown mode", code, "web_message", web, ""},
		{"case matters", code, "Query", web, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := responseMode(tc.rt, tc.requested, tc.uri)
			if tc.want == "" {
				if err == nil || err.Code != "invalid_request" {
					t.Fatalf("got %q, %v; want invalid_request", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

// TestDeliveryMode: an error goes where the client looks for its answer,
// and never sends a token-type response's error through the query.
func TestDeliveryMode(t *testing.T) {
	web := "https://app.example/cb"
	for _, tc := range []struct{ rt, mode, uri, want string }{
		{"code", "", web, ResponseModeQuery},
		{"token", "", web, ResponseModeFragment},
		{"token", "query", web, ResponseModeFragment},
		{"code id_token", "query", web, ResponseModeFragment},
		{"id_token", "form_post", web, ResponseModeFormPost},
		{"code", "form_post", "com.example.app:/cb", ResponseModeQuery},
		{"code", "nonsense", web, ResponseModeQuery},
		{"token", "nonsense", web, ResponseModeFragment},
		{"token foo", "", web, ResponseModeFragment}, // unknown type naming a token
		{"token foo", "query", web, ResponseModeFragment},
		{"foo", "", web, ResponseModeQuery},
		{"", "", web, ResponseModeQuery},
		{"foo", "form_post", web, ResponseModeFormPost},
	} {
		if got := deliveryMode(tc.rt, tc.mode, tc.uri); got != tc.want {
			t.Errorf("deliveryMode(%q, %q, %q) = %q, want %q", tc.rt, tc.mode, tc.uri, got, tc.want)
		}
	}
}

func TestRedirectURL(t *testing.T) {
	params := url.Values{"access_token": {"at+/="}, "scope": {"openid email"}, "state": {"s&t=u#v"}}
	for _, tc := range []struct {
		name, uri, mode, want string
	}{
		{"fragment", "https://app.example/cb", ResponseModeFragment,
			"https://app.example/cb#access_token=at%2B%2F%3D&scope=openid+email&state=s%26t%3Du%23v"},
		{"fragment keeps the registered query", "https://app.example/cb?tenant=a", ResponseModeFragment,
			"https://app.example/cb?tenant=a#access_token=at%2B%2F%3D&scope=openid+email&state=s%26t%3Du%23v"},
		{"fragment replaces a fragment", "https://app.example/cb#old", ResponseModeFragment,
			"https://app.example/cb#access_token=at%2B%2F%3D&scope=openid+email&state=s%26t%3Du%23v"},
		{"query", "https://app.example/cb?tenant=a", ResponseModeQuery,
			"https://app.example/cb?tenant=a&access_token=at%2B%2F%3D&scope=openid+email&state=s%26t%3Du%23v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rd := &Redirect{URI: tc.uri, Mode: tc.mode, Params: params}
			got := rd.URL()
			if got != tc.want {
				t.Fatalf("URL() = %s\nwant     %s", got, tc.want)
			}
			// What a client reads back (OIDC Core 3.2.2.5: the fragment is
			// application/x-www-form-urlencoded) is what was sent.
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			raw := u.RawQuery
			if tc.mode == ResponseModeFragment {
				raw = u.EscapedFragment()
			}
			back, err := url.ParseQuery(raw)
			if err != nil || back.Get("state") != "s&t=u#v" || back.Get("access_token") != "at+/=" || back.Get("scope") != "openid email" {
				t.Fatalf("read back %v (%v)", back, err)
			}
		})
	}
}

// TestErrorRedirect: an error travels in the request's mode, with state,
// and with an error_description limited to RFC 6749 4.1.2.1's NQSCHAR.
func TestErrorRedirect(t *testing.T) {
	e := &Error{Err: oauth2.InvalidScope("The client is not allowed to request scope %q.", "a&b=c\\d é"), Redirectable: true}
	for _, tc := range []struct{ base, mode, state, wantPrefix string }{
		{"https://app.example/cb", ResponseModeQuery, "xyz", "https://app.example/cb?error="},
		{"https://app.example/cb?tenant=a%20b&x", ResponseModeQuery, "xyz", "https://app.example/cb?tenant=a%20b&x&error="},
		{"https://app.example/cb?", ResponseModeQuery, "", "https://app.example/cb?error="},
		{"com.example.app:/oauth", ResponseModeQuery, "s&t=u", "com.example.app:/oauth?error="},
		{"https://app.example/cb?tenant=a%20b", ResponseModeFragment, "xyz", "https://app.example/cb?tenant=a%20b#error="},
	} {
		e.Mode, e.State = tc.mode, tc.state
		got := e.Redirect(tc.base, azIssuer).URL()
		if !strings.HasPrefix(got, tc.wantPrefix) {
			t.Fatalf("Redirect(%q) = %q", tc.base, got)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if tc.mode == ResponseModeFragment {
			if q, err = url.ParseQuery(u.EscapedFragment()); err != nil {
				t.Fatal(err)
			}
		}
		if q.Get("error") != "invalid_scope" || q.Get("state") != tc.state || q.Has("state") != (tc.state != "") || q.Get("iss") != azIssuer {
			t.Fatalf("parameters %v", q)
		}
		desc := q.Get("error_description")
		if !strings.Contains(desc, "'a&b=c??d ??'") {
			t.Fatalf("error_description %q", desc)
		}
		for _, c := range []byte(desc) {
			if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("error_description %q holds %q", desc, c)
			}
		}
		if strings.Contains(tc.base, "tenant") && u.Query().Get("tenant") != "a b" {
			t.Fatalf("registered query lost: %v", u)
		}
	}
}

// TestRedirectWrite: query and fragment answers are uncacheable 302s.
func TestRedirectWrite(t *testing.T) {
	for _, mode := range []string{ResponseModeQuery, ResponseModeFragment} {
		w := httptest.NewRecorder()
		rd := &Redirect{URI: "https://app.example/cb", Mode: mode, Params: url.Values{"code": {"c"}}}
		rd.write(w, httptest.NewRequest(http.MethodGet, "/oauth2/auth", nil))
		if w.Code != http.StatusFound || w.Header().Get("Location") != rd.URL() || w.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: %d Location %q Cache-Control %q", mode, w.Code, w.Header().Get("Location"), w.Header().Get("Cache-Control"))
		}
	}
}
