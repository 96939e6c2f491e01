package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestDevIdentityDevice: in --dev without a login app, the device grant
// runs through Signet's own pages: /dev/device asks for the code (a wrong
// one shows the form again), then the usual dev login and consent, then
// /dev/device/done; the device's poll gets the tokens.
func TestDevIdentityDevice(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	c := hydra.NewOAuth2Client()
	c.SetGrantTypes([]string{grantDeviceCode})
	c.SetScope("openid profile")
	c.SetTokenEndpointAuthMethod("none")
	created, _, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err != nil {
		t.Fatal(sdkErr(err))
	}
	d := &deviceSetup{srv: srv, clientID: created.GetClientId()}
	da := d.deviceAuth(t, d.clientID, "openid profile")

	b := newBrowser(t, "never-stop")
	p := visit(t, b, da.VerificationURI, nil)
	wantDevPage(t, p, http.StatusOK, "/dev/device", `id="user_code"`)
	if csp := strings.Join(visitHeader(t, newBrowser(t, "never-stop"), da.VerificationURI, "Content-Security-Policy"), ""); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("the device page's policy is %q", csp)
	}
	p = devSubmit(t, b, p, url.Values{"user_code": {"BCDF-GHJK"}, "action": {"accept"}})
	wantDevPage(t, p, http.StatusBadRequest, "/dev/device", "The user code is wrong", `id="user_code"`)
	p = devSubmit(t, b, p, url.Values{"user_code": {strings.ToLower(da.UserCode)}, "action": {"accept"}})
	wantDevPage(t, p, http.StatusOK, "/dev/login", `id="subject"`)
	p = devSubmit(t, b, p, url.Values{"subject": {"alice"}, "action": {"accept"}})
	wantDevPage(t, p, http.StatusOK, "/dev/consent", `name="scope" value="openid" checked`)
	p = devSubmit(t, b, p, url.Values{"scope": {"openid", "profile"}, "action": {"accept"}})
	wantDevPage(t, p, http.StatusOK, "/dev/device/done", "Your device is signed in")

	r := d.poll(t, d.clientID, da.DeviceCode)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"id_token"`) {
		t.Fatalf("poll after the dev pages: %d %s", r.Status, r.Body)
	}
}

// visitHeader is one GET in b, returning header name of the last response.
func visitHeader(t *testing.T, b *http.Client, target, name string) []string {
	t.Helper()
	resp, err := b.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Values(name)
}
