package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// goldenHost replaces the random loopback address in golden files.
const goldenHost = "http://signet.test"

// TestDiscoveryDocument pins the wire shape of the provider metadata and
// checks that Hydra's SDK and its endpoints agree with it.
func TestDiscoveryDocument(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	r := send(t, http.MethodGet, srv.PublicURL+"/.well-known/openid-configuration", "", nil, nil)
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("discovery: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	golden(t, "discovery.golden", indentJSON(t, bytes.ReplaceAll(r.Body, []byte(srv.PublicURL), []byte(goldenHost))))

	// RFC 8414 serves the same document.
	as := send(t, http.MethodGet, srv.PublicURL+"/.well-known/oauth-authorization-server", "", nil, nil)
	if !bytes.Equal(as.Body, r.Body) {
		t.Error("/.well-known/oauth-authorization-server differs from the OpenID document")
	}

	doc, _, err := srv.Public.OidcAPI.DiscoverOidcConfiguration(context.Background()).Execute()
	if err != nil {
		t.Fatalf("DiscoverOidcConfiguration: %v", sdkErr(err))
	}
	if doc.Issuer != srv.Issuer {
		t.Errorf("issuer %q, want %q", doc.Issuer, srv.Issuer)
	}
	// Every advertised endpoint that is mounted answers on the public port
	// (not 404), so discovery cannot promise what is not served.
	for name, ep := range map[string]string{
		"token_endpoint":      doc.TokenEndpoint,
		"jwks_uri":            doc.JwksUri,
		"revocation_endpoint": doc.GetRevocationEndpoint(),
	} {
		u, err := url.Parse(ep)
		if err != nil || !strings.HasPrefix(ep, srv.PublicURL) {
			t.Errorf("%s %q is not on the public URL", name, ep)
			continue
		}
		method := http.MethodPost
		if name == "jwks_uri" {
			method = http.MethodGet
		}
		if res := send(t, method, srv.PublicURL+u.Path, "", nil, nil); res.Status == http.StatusNotFound {
			t.Errorf("%s %s answers 404", name, ep)
		}
	}
}

// TestHealthAndVersion: the probes and version through the SDK, on both
// ports as Hydra serves them.
func TestHealthAndVersion(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	ctx := context.Background()
	for name, c := range map[string]*hydra.APIClient{"admin": srv.Admin, "public": srv.Public} {
		alive, _, err := c.MetadataAPI.IsAlive(ctx).Execute()
		if err != nil || alive.GetStatus() != "ok" {
			t.Errorf("%s IsAlive: %v %+v", name, sdkErr(err), alive)
		}
		ready, _, err := c.MetadataAPI.IsReady(ctx).Execute()
		if err != nil || ready.GetStatus() != "ok" {
			t.Errorf("%s IsReady: %v %+v", name, sdkErr(err), ready)
		}
		v, _, err := c.MetadataAPI.GetVersion(ctx).Execute()
		if err != nil || v.GetVersion() == "" {
			t.Errorf("%s GetVersion: %v %+v", name, sdkErr(err), v)
		}
	}
}

// TestErrorBodies pins the two error wire shapes: errorOAuth2 on the
// token endpoint and most admin routes, genericError where the contract
// says so.
func TestErrorBodies(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, _ := newMachineClient(t, srv, nil)
	hdr := http.Header{"X-Request-Id": {goldenRequestID}}
	form := func(v url.Values) *strings.Reader { return strings.NewReader(v.Encode()) }
	basic := func(user, pass string) http.Header {
		h := hdr.Clone()
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, pass)
		h.Set("Authorization", req.Header.Get("Authorization"))
		return h
	}
	for _, tc := range []struct {
		file string
		do   func() response
	}{
		{"error_invalid_client.golden", func() response {
			return send(t, http.MethodPost, srv.PublicURL+"/oauth2/token", "application/x-www-form-urlencoded",
				form(url.Values{"grant_type": {"client_credentials"}}), basic(id, "wrong"))
		}},
		{"error_unsupported_grant_type.golden", func() response {
			return send(t, http.MethodPost, srv.PublicURL+"/oauth2/token", "application/x-www-form-urlencoded",
				form(url.Values{"grant_type": {"password"}}), basic(id, "wrong"))
		}},
		{"error_client_not_found.golden", func() response {
			return send(t, http.MethodGet, srv.AdminURL+"/admin/clients/no-such-client", "", nil, hdr)
		}},
		{"error_client_delete_not_found.golden", func() response {
			return send(t, http.MethodDelete, srv.AdminURL+"/admin/clients/no-such-client", "", nil, hdr)
		}},
		{"error_wrong_content_type.golden", func() response {
			return send(t, http.MethodPost, srv.AdminURL+"/admin/clients", "text/plain", strings.NewReader("{}"), hdr)
		}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := tc.do()
			var b bytes.Buffer
			fmt.Fprintf(&b, "HTTP %d\n", r.Status)
			for _, h := range []string{"Content-Type", "Cache-Control", "WWW-Authenticate"} {
				if v := r.Header.Get(h); v != "" {
					fmt.Fprintf(&b, "%s: %s\n", h, v)
				}
			}
			b.WriteByte('\n')
			b.Write(indentJSON(t, r.Body))
			golden(t, tc.file, b.Bytes())
		})
	}
}

// TestSDKDecodesErrors: SDK users branch on the decoded error model, so
// each route's error body must decode into the model the SDK expects.
func TestSDKDecodesErrors(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	ctx := context.Background()
	api := srv.Admin.OAuth2API

	_, _, err := api.GetOAuth2Client(ctx, "ghost").Execute()
	var oe *hydra.GenericOpenAPIError
	if !errors.As(err, &oe) {
		t.Fatalf("GetOAuth2Client error %T %v", err, err)
	}
	if m, ok := oe.Model().(hydra.ErrorOAuth2); !ok || m.GetError() != "not_found" || m.GetErrorDescription() == "" {
		t.Errorf("GetOAuth2Client 404 decoded as %#v", oe.Model())
	}

	_, err = api.DeleteOAuth2Client(ctx, "ghost").Execute()
	if !errors.As(err, &oe) {
		t.Fatalf("DeleteOAuth2Client error %T %v", err, err)
	}
	if m, ok := oe.Model().(hydra.GenericError); !ok || m.GetMessage() == "" || m.GetCode() != 404 {
		t.Errorf("DeleteOAuth2Client 404 decoded as %#v", oe.Model())
	}

	bad := hydra.NewOAuth2Client()
	bad.SetGrantTypes([]string{"magic"})
	_, _, err = api.CreateOAuth2Client(ctx).OAuth2Client(*bad).Execute()
	if !errors.As(err, &oe) {
		t.Fatalf("CreateOAuth2Client error %T %v", err, err)
	}
	if m, ok := oe.Model().(hydra.ErrorOAuth2); !ok || m.GetError() == "" {
		t.Errorf("CreateOAuth2Client 400 decoded as %#v", oe.Model())
	}

	_, _, err = srv.Admin.JwkAPI.GetJsonWebKeySet(ctx, "no-such-set").Execute()
	if !errors.As(err, &oe) {
		t.Fatalf("GetJsonWebKeySet error %T %v", err, err)
	}
	if m, ok := oe.Model().(hydra.ErrorOAuth2); !ok || m.GetError() != "not_found" {
		t.Errorf("GetJsonWebKeySet 404 decoded as %#v", oe.Model())
	}
}
