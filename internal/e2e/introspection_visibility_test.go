package e2e

import (
	"encoding/json"
	"net/url"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestIntrospectionVisibility: oauth2.introspection.visibility decides
// which active tokens a client sees at POST /oauth2/introspect: its own,
// those whose audience names it (the default), or every one.
func TestIntrospectionVisibility(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rule                string
		owner, rs, stranger bool
	}{
		{"", true, true, false},
		{"client", true, false, false},
		{"any", true, true, true},
	} {
		t.Run("rule "+tc.rule, func(t *testing.T) {
			t.Parallel()
			var opts []signettest.Option
			if tc.rule != "" {
				opts = append(opts, signettest.WithEnv("OAUTH2_INTROSPECTION_VISIBILITY="+tc.rule))
			}
			srv := signettest.Start(t, opts...)
			rsID, rsSecret := newMachineClient(t, srv, nil)
			strangerID, strangerSecret := newMachineClient(t, srv, nil)
			ownerID, ownerSecret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetAudience([]string{rsID}) })
			cfg := ccConfig(srv, ownerID, ownerSecret, oauth2.AuthStyleInHeader, "read")
			cfg.EndpointParams = url.Values{"audience": {rsID}}
			tok := mustToken(t, cfg).AccessToken
			sees := func(id, secret string) bool {
				r := postForm(t, srv.PublicURL+"/oauth2/introspect", url.Values{"token": {tok}}, &[2]string{id, secret})
				var got struct{ Active bool }
				if err := json.Unmarshal(r.Body, &got); err != nil {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				return got.Active
			}
			if sees(ownerID, ownerSecret) != tc.owner || sees(rsID, rsSecret) != tc.rs || sees(strangerID, strangerSecret) != tc.stranger {
				t.Errorf("owner/resource server/stranger see it: %v/%v/%v, want %v/%v/%v",
					sees(ownerID, ownerSecret), sees(rsID, rsSecret), sees(strangerID, strangerSecret), tc.owner, tc.rs, tc.stranger)
			}
		})
	}
}

// TestIntrospectCLIJWT: `signet introspect token --jwt` verifies real
// RFC 9701 answers of both ports with the server's keys.
func TestIntrospectCLIJWT(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, nil)
	tok := mustToken(t, ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read")).AccessToken
	for name, args := range map[string][]string{
		"admin":  {"introspect", "token", "--jwt", "--format", "json", "-e", srv.AdminURL, tok},
		"public": {"introspect", "token", "--jwt", "--format", "json", "--public", "--client-id", id, "--client-secret", secret, "-e", srv.PublicURL, tok},
	} {
		out, errOut, code := runSignet(nil, args...)
		var got map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got["active"] != true || got["client_id"] != id {
			t.Errorf("%s: exit %d, out %q, err %q", name, code, out, errOut)
		}
	}
}
