package oauth2

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
)

func TestParseResources(t *testing.T) {
	got, err := ParseResources([]string{"https://a.example/x", "urn:example:api", "https://a.example/x", "https://b.example/?t=1"})
	if err != nil || strings.Join(got, " ") != "https://a.example/x urn:example:api https://b.example/?t=1" {
		t.Fatalf("ParseResources = %v, %v", got, err)
	}
	if got, err := ParseResources(nil); got != nil || err != nil {
		t.Fatalf("no resource: %v %v", got, err)
	}
	for _, bad := range []string{
		"", "/relative", "relative/path", "//host.example/x", "https://a.example/#frag", "https://a.example/#",
		"https:", "https://a.example/%zz", "https://" + strings.Repeat("a", maxResourceLen),
	} {
		_, err := ParseResources([]string{"https://ok.example", bad})
		wantOAuthError(t, err, "invalid_target", "")
	}
}

func TestCheckResourcesAndNarrowing(t *testing.T) {
	allowed := []string{"https://api.example/v1", "urn:example:api"}
	if err := CheckResources([]string{"https://api.example/v1/orders", "urn:example:api"}, allowed); err != nil {
		t.Fatalf("allowed resources refused: %v", err)
	}
	for _, bad := range []string{"https://api.example/v2", "https://api.example/v1/../admin", "https://api.example/v1x", "urn:example:other"} {
		wantOAuthError(t, CheckResources([]string{bad}, allowed), "invalid_target", "has not been allowed")
	}
	granted := []string{"https://api.example/", "https://files.example/"}
	got, err := narrowAudience([]string{"https://files.example/"}, granted)
	if err != nil || len(got) != 1 || got[0] != "https://files.example/" {
		t.Fatalf("narrowAudience = %v, %v", got, err)
	}
	if got, _ := narrowAudience(nil, granted); len(got) != 2 {
		t.Fatalf("no resource must keep the grant's audience, got %v", got)
	}
	_, err = narrowAudience([]string{"https://evil.example/"}, granted)
	wantOAuthError(t, err, "invalid_target", "not part of the audience")
}

// TestClientCredentialsResource: repeated resource reaches the token as
// audience through the real endpoint; every other repeated parameter is
// still refused, and resource outside the client's audience is
// invalid_target.
func TestClientCredentialsResource(t *testing.T) {
	h := newHarness(t)
	post := func(form string) map[string]any {
		w := oauth2test.Do(h.tokenH, http.MethodPost, "/oauth2/token", oauth2test.Req{Form: form, User: "machine", Pass: oauth2test.SecretMachine})
		return oauth2test.Decode(t, w)
	}
	body := post("grant_type=client_credentials&resource=" + url.QueryEscape("https://api.example/a") +
		"&resource=" + url.QueryEscape("https://other.example") + "&audience=" + url.QueryEscape("https://api.example"))
	raw, _ := body["access_token"].(string)
	if raw == "" {
		t.Fatalf("no token: %v", body)
	}
	intro := oauth2test.Decode(t, oauth2test.Do(h.intro, http.MethodPost, "/admin/oauth2/introspect", oauth2test.Req{Form: "token=" + url.QueryEscape(raw)}))
	aud, _ := intro["aud"].([]any)
	if len(aud) != 3 || aud[0] != "https://api.example" || aud[1] != "https://api.example/a" || aud[2] != "https://other.example" {
		t.Errorf("aud = %v: want the audience then each resource", intro["aud"])
	}
	for form, want := range map[string]string{
		"grant_type=client_credentials&resource=https%3A%2F%2Fevil.example":            "invalid_target",
		"grant_type=client_credentials&resource=%2Frelative":                           "invalid_target",
		"grant_type=client_credentials&resource=https%3A%2F%2Fapi.example%2F%23x":      "invalid_target",
		"grant_type=client_credentials&scope=read&scope=write":                         "invalid_request",
		"grant_type=client_credentials&grant_type=client_credentials":                  "invalid_request",
		"grant_type=client_credentials&audience=https%3A%2F%2Fevil.example&resource=x": "invalid_target",
	} {
		if got := post(form)["error"]; got != want {
			t.Errorf("%s: error %v, want %s", form, got, want)
		}
	}
}

// FuzzParseResources: a stranger's resource values never panic the parser,
// and whatever it accepts is an absolute URI without a fragment.
func FuzzParseResources(f *testing.F) {
	for _, seed := range []string{"https://a.example/x", "urn:a:b", "/rel", "https://a/#", "https://a/%zz", "https:", "\x00", "https://[::1]:80/x?y#z"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got, err := ParseResources([]string{v})
		if err != nil {
			return
		}
		u, perr := url.Parse(got[0])
		if perr != nil || !u.IsAbs() || strings.Contains(got[0], "#") {
			t.Fatalf("accepted %q", v)
		}
	})
}
