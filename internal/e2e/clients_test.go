package e2e

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"testing"

	hydra "github.com/ory/hydra-client-go/v2"
	"golang.org/x/oauth2"

	"github.com/signet-oidc/signet/internal/signettest"
)

// TestClientLifecycle walks one client through every admin call a Hydra
// SDK user makes, and checks after each change that the token endpoint
// sees it.
func TestClientLifecycle(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	ctx := context.Background()
	api := srv.Admin.OAuth2API

	in := hydra.NewOAuth2Client()
	in.SetClientId("billing-service")
	in.SetClientName("Billing")
	in.SetGrantTypes([]string{"client_credentials"})
	in.SetScope("read write")
	in.SetAudience([]string{"https://api.example"})
	in.SetTokenEndpointAuthMethod("client_secret_post")
	in.SetMetadata(map[string]any{"team": "payments"})
	created, res, err := api.CreateOAuth2Client(ctx).OAuth2Client(*in).Execute()
	if err != nil {
		t.Fatalf("create: %v", sdkErr(err))
	}
	if res.StatusCode != http.StatusCreated {
		t.Errorf("create status = %d, want 201", res.StatusCode)
	}
	secret := created.GetClientSecret()
	if created.GetClientId() != "billing-service" || secret == "" || created.GetCreatedAt().IsZero() {
		t.Fatalf("create returned %+v", created)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a response holding a secret must not be cached; Cache-Control = %q", res.Header.Get("Cache-Control"))
	}

	// The secret is shown once and never again.
	got, _, err := api.GetOAuth2Client(ctx, "billing-service").Execute()
	if err != nil {
		t.Fatalf("get: %v", sdkErr(err))
	}
	if got.GetClientSecret() != "" {
		t.Error("GET shows the client secret")
	}
	if got.GetClientName() != "Billing" || got.GetScope() != "read write" ||
		got.GetTokenEndpointAuthMethod() != "client_secret_post" || got.GetMetadata().(map[string]any)["team"] != "payments" {
		t.Errorf("get returned %+v", got)
	}
	post := ccConfig(srv, "billing-service", secret, oauth2.AuthStyleInParams, "read")
	mustToken(t, post)

	// PUT with the GET body keeps the secret (it is not in the body).
	got.SetClientName("Billing v2")
	set, _, err := api.SetOAuth2Client(ctx, "billing-service").OAuth2Client(*got).Execute()
	if err != nil {
		t.Fatalf("set: %v", sdkErr(err))
	}
	if set.GetClientName() != "Billing v2" || set.GetClientSecret() != "" {
		t.Errorf("set returned %+v", set)
	}
	mustToken(t, post)

	patched, _, err := api.PatchOAuth2Client(ctx, "billing-service").JsonPatch([]hydra.JsonPatch{
		{Op: "replace", Path: "/scope", Value: "read write admin"},
		{Op: "add", Path: "/audience/-", Value: "https://other.example"},
	}).Execute()
	if err != nil {
		t.Fatalf("patch: %v", sdkErr(err))
	}
	if patched.GetScope() != "read write admin" || !slices.Equal(patched.GetAudience(), []string{"https://api.example", "https://other.example"}) ||
		patched.GetClientName() != "Billing v2" {
		t.Errorf("patch returned %+v", patched)
	}
	if tok := mustToken(t, ccConfig(srv, "billing-service", secret, oauth2.AuthStyleInParams, "admin")); tok.AccessToken == "" {
		t.Error("the patched scope is not grantable")
	}

	l := hydra.NewOAuth2ClientTokenLifespans()
	l.SetClientCredentialsGrantAccessTokenLifespan("5m")
	withL, _, err := api.SetOAuth2ClientLifespans(ctx, "billing-service").OAuth2ClientTokenLifespans(*l).Execute()
	if err != nil {
		t.Fatalf("lifespans: %v", sdkErr(err))
	}
	if withL.GetClientCredentialsGrantAccessTokenLifespan() != "5m0s" {
		t.Errorf("lifespan = %q, want 5m0s", withL.GetClientCredentialsGrantAccessTokenLifespan())
	}
	if ins := introspect(t, srv, mustToken(t, post).AccessToken); ins.GetExp()-ins.GetIat() != 300 {
		t.Errorf("a token after the lifespan change lives %ds, want 300", ins.GetExp()-ins.GetIat())
	}

	if res, err := api.DeleteOAuth2Client(ctx, "billing-service").Execute(); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v", sdkErr(err))
	}
	_, res, err = api.GetOAuth2Client(ctx, "billing-service").Execute()
	if err == nil || res.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: status %v, err %v", res.StatusCode, err)
	}
	if _, err := post.Token(ctx); !isOAuthError(err, "invalid_client") {
		t.Errorf("token for a deleted client: %v, want invalid_client", err)
	}
	res, err = api.DeleteOAuth2Client(ctx, "billing-service").Execute()
	if err == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("second delete: status %d, want 404", res.StatusCode)
	}
}

func TestClientCreateConflict(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	id, _ := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetClientId("taken") })
	c := hydra.NewOAuth2Client()
	c.SetClientId(id)
	c.SetClientName("intruder")
	_, res, err := srv.Admin.OAuth2API.CreateOAuth2Client(context.Background()).OAuth2Client(*c).Execute()
	if err == nil || res.StatusCode != http.StatusConflict {
		t.Fatalf("second create with the same id: status %d, err %v; want 409", res.StatusCode, err)
	}
	got, _, err := srv.Admin.OAuth2API.GetOAuth2Client(context.Background(), id).Execute()
	if err != nil || got.GetClientName() != "machine" {
		t.Errorf("the conflicting create changed the stored client: %+v %v", got, err)
	}
}

// TestClientPagination walks the listing with the SDK, following the
// rel="next" Link header as Hydra's documentation tells SDK users to.
func TestClientPagination(t *testing.T) {
	t.Parallel()
	srv := signettest.Start(t)
	want := map[string]bool{}
	for range 7 {
		id, _ := newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetOwner("pager") })
		want[id] = true
	}
	newMachineClient(t, srv, func(c *hydra.OAuth2Client) { c.SetOwner("someone-else") })

	seen := map[string]bool{}
	pages := 0
	token := ""
	for {
		req := srv.Admin.OAuth2API.ListOAuth2Clients(context.Background()).Owner("pager").PageSize(3)
		if token != "" {
			req = req.PageToken(token)
		}
		list, res, err := req.Execute()
		if err != nil {
			t.Fatalf("list page %d: %v", pages+1, sdkErr(err))
		}
		pages++
		if len(list) > 3 {
			t.Fatalf("page %d has %d clients, page_size was 3", pages, len(list))
		}
		for _, c := range list {
			if seen[c.GetClientId()] {
				t.Errorf("client %s listed twice", c.GetClientId())
			}
			seen[c.GetClientId()] = true
			if c.GetClientSecret() != "" {
				t.Error("a listing shows a client secret")
			}
		}
		token = nextPageToken(t, res.Header.Get("Link"))
		if token == "" || pages > 10 {
			break
		}
	}
	if pages != 3 {
		t.Errorf("7 clients at 3 per page took %d pages, want 3", pages)
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("client %s never listed", id)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d clients, want the %d of owner pager", len(seen), len(want))
	}

	byName, _, err := srv.Admin.OAuth2API.ListOAuth2Clients(context.Background()).ClientName("machine").PageSize(100).Execute()
	if err != nil || len(byName) != 8 {
		t.Errorf("client_name filter: %d clients, %v; want 8", len(byName), err)
	}
}

var linkNext = regexp.MustCompile(`<([^>]*)>;\s*rel="next"`)

// nextPageToken reads page_token from the rel="next" link, or "" on the
// last page. It also checks that rel="first" is always there.
func nextPageToken(t *testing.T, link string) string {
	t.Helper()
	if !regexp.MustCompile(`rel="first"`).MatchString(link) {
		t.Errorf("Link header %q has no rel=\"first\"", link)
	}
	m := linkNext.FindStringSubmatch(link)
	if m == nil {
		return ""
	}
	u, err := url.Parse(m[1])
	if err != nil {
		t.Fatalf("rel=next link %q: %v", m[1], err)
	}
	if u.Query().Get("owner") != "pager" {
		t.Errorf("rel=next link %q drops the owner filter", m[1])
	}
	return u.Query().Get("page_token")
}

// isOAuthError reports whether err is x/oauth2's view of an error response
// with the given code.
func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}
