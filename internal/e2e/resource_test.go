package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// RFC 8707 resource indicators end to end: x/oauth2 relying parties send
// "resource" (repeated) at the token endpoint and at the authorization
// endpoint, and the tokens' audience follows; every bad or disallowed
// resource is invalid_target.

// audienceOf introspects raw on the admin port and returns its aud.
func audienceOf(t *testing.T, srv *signettest.Server, raw string) []string {
	t.Helper()
	r := postForm(t, srv.AdminURL+"/admin/oauth2/introspect", url.Values{"token": {raw}}, nil)
	var got struct {
		Active bool     `json:"active"`
		Aud    []string `json:"aud"`
	}
	if r.Status != http.StatusOK || json.Unmarshal(r.Body, &got) != nil || !got.Active {
		t.Fatalf("introspection: %d %s", r.Status, r.Body)
	}
	return got.Aud
}

func TestResourceIndicatorsClientCredentials(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, secret := newMachineClient(t, srv, func(c *hydra.OAuth2Client) {
		c.SetAudience([]string{"https://api.example/", "https://files.example"})
	})
	cfg := ccConfig(srv, id, secret, oauth2.AuthStyleInHeader, "read")
	cfg.EndpointParams = url.Values{"resource": {"https://api.example/orders", "https://files.example"}}
	tok := mustToken(t, cfg)
	if got := audienceOf(t, srv, tok.AccessToken); !slices.Equal(got, []string{"https://api.example/orders", "https://files.example"}) {
		t.Errorf("aud = %v, want both resources", got)
	}

	for name, resources := range map[string][]string{
		"not allowed":           {"https://evil.example/"},
		"beside an allowed one": {"https://api.example.evil/"},
		"dot segments":          {"https://api.example/../admin"},
		"relative":              {"/orders"},
		"fragment":              {"https://api.example/#x"},
		"one bad among good":    {"https://api.example/", "urn:bad"},
	} {
		cfg.EndpointParams = url.Values{"resource": resources}
		if _, err := cfg.Token(context.Background()); grantError(err) != "invalid_target" {
			t.Errorf("resource %s %v: %v, want invalid_target", name, resources, err)
		}
	}

	// resource may repeat; no other parameter may.
	target := srv.PublicURL + "/oauth2/token"
	for _, param := range []string{"scope", "audience", "grant_type", "client_id"} {
		form := url.Values{"grant_type": {"client_credentials"}, param: {"a", "b"}}
		if param == "grant_type" {
			form[param] = []string{"client_credentials", "client_credentials"}
		}
		r := postForm(t, target, form, &[2]string{id, secret})
		if e := decodeOAuthError(t, r); r.Status != http.StatusBadRequest || e.Error != "invalid_request" {
			t.Errorf("%s repeated: %d %s, want invalid_request", param, r.Status, r.Body)
		}
	}
}

// TestResourceIndicatorsAuthorizationCode: resources at the authorization
// endpoint reach the consent app as requested audience; at the token
// endpoint they narrow the access token to one of them, at the code
// exchange and at a refresh, while the refresh token keeps the grant.
func TestResourceIndicatorsAuthorizationCode(t *testing.T) {
	t.Parallel()
	e := startFlowEnv(t)
	rp := newRP(t, e.srv, []string{e.callback}, func(c *hydra.OAuth2Client) {
		c.SetAudience([]string{"https://api.example/", "https://files.example/"})
	})
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	authURL := rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)) +
		"&resource=" + url.QueryEscape("https://api.example/") + "&resource=" + url.QueryEscape("https://files.example/")
	q := authorize(t, newBrowser(t, e.callback), authURL)
	if q.Get("code") == "" {
		t.Fatalf("callback %v", q)
	}
	tok, err := rp.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier),
		oauth2.SetAuthURLParam("resource", "https://files.example/"))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	if got := audienceOf(t, e.srv, tok.AccessToken); !slices.Equal(got, []string{"https://files.example/"}) {
		t.Errorf("code exchange with resource: aud %v, want only the files resource", got)
	}

	refresh := func(resource string) (*oauth2.Token, error) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}, "resource": {resource}}
		r := postForm(t, rp.Endpoint.TokenURL, form, &[2]string{rp.ClientID, rp.ClientSecret})
		if r.Status != http.StatusOK {
			return nil, &oauth2.RetrieveError{ErrorCode: decodeOAuthError(t, r).Error}
		}
		var next oauth2.Token
		return &next, json.Unmarshal(r.Body, &next)
	}
	if _, err := refresh("https://evil.example/"); grantError(err) != "invalid_target" {
		t.Errorf("refresh with a resource outside the grant: %v, want invalid_target", err)
	}
	next, err := refresh("https://api.example/")
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if got := audienceOf(t, e.srv, next.AccessToken); !slices.Equal(got, []string{"https://api.example/"}) {
		t.Errorf("refresh with resource: aud %v, want the api resource", got)
	}

	// A resource the client may not obtain is refused at the authorization
	// endpoint, back at the client with the state (RFC 8707 section 2).
	bad := rp.AuthCodeURL("state-0123456789", oauth2.S256ChallengeOption(verifier)) + "&resource=" + url.QueryEscape("https://evil.example/")
	q = authorize(t, newBrowser(t, e.callback), bad)
	if q.Get("error") != "invalid_target" || q.Get("state") != "state-0123456789" || q.Get("iss") != e.srv.Issuer {
		t.Errorf("disallowed resource at /oauth2/auth: %v, want invalid_target with state and iss", q)
	}
}
