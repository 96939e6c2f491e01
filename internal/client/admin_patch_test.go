package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

func TestPatch(t *testing.T) {
	cases := []struct {
		name     string
		patch    string
		ctype    string
		status   int
		fragment string
		check    func(t *testing.T, c Client, body map[string]any)
	}{
		{name: "replace scope", patch: `[{"op":"replace","path":"/scope","value":"openid email"}]`, status: 200,
			check: func(t *testing.T, c Client, _ map[string]any) {
				if c.Scope != "openid email" {
					t.Errorf("scope %q", c.Scope)
				}
			}},
		{name: "add redirect uri", patch: `[{"op":"add","path":"/redirect_uris/-","value":"https://b.example/cb"}]`,
			ctype: "application/json-patch+json", status: 200,
			check: func(t *testing.T, c Client, _ map[string]any) {
				if len(c.RedirectURIs) != 2 || c.RedirectURIs[1] != "https://b.example/cb" {
					t.Errorf("redirect_uris %v", c.RedirectURIs)
				}
			}},
		{name: "set secret", patch: `[{"op":"add","path":"/client_secret","value":"patched-secret"}]`, status: 200,
			check: func(t *testing.T, c Client, body map[string]any) {
				if body["client_secret"] != "patched-secret" || c.Secret != "" {
					t.Errorf("the new secret must be returned once and stored only as a hash: %v / %q", body["client_secret"], c.Secret)
				}
			}},
		{name: "server-owned fields ignored", patch: `[{"op":"replace","path":"/created_at","value":"2000-01-01T00:00:00Z"}]`, status: 200,
			check: func(t *testing.T, c Client, _ map[string]any) {
				if c.CreatedAt.Year() == 2000 {
					t.Error("created_at was patched")
				}
			}},
		{name: "change client_id", patch: `[{"op":"replace","path":"/client_id","value":"other"}]`, status: 400, fragment: "client_id"},
		{name: "remove client_id", patch: `[{"op":"remove","path":"/client_id"}]`, status: 400, fragment: "client_id"},
		{name: "unknown op", patch: `[{"op":"merge","path":"/scope","value":"x"}]`, status: 400, fragment: "merge"},
		{name: "missing path", patch: `[{"op":"remove"}]`, status: 400, fragment: "path"},
		{name: "missing value", patch: `[{"op":"add","path":"/scope"}]`, status: 400, fragment: "value"},
		{name: "typo member", patch: `[{"op":"add","pth":"/scope","value":"x"}]`, status: 400, fragment: "pth"},
		{name: "not an array", patch: `{"op":"add","path":"/scope","value":"x"}`, status: 400, fragment: "JSON"},
		{name: "missing target", patch: `[{"op":"replace","path":"/nope/deeper","value":1}]`, status: 400, fragment: "could not be applied"},
		{name: "failed test op", patch: `[{"op":"test","path":"/scope","value":"nope"},{"op":"replace","path":"/scope","value":"x"}]`, status: 400, fragment: "could not be applied"},
		{name: "unknown field added", patch: `[{"op":"add","path":"/evil","value":1}]`, status: 400, fragment: "evil"},
		{name: "invalid result", patch: `[{"op":"replace","path":"/grant_types","value":["password"]}]`, status: 400, fragment: "grant_types"},
		{name: "wrong type result", patch: `[{"op":"replace","path":"/redirect_uris","value":"https://x"}]`, status: 400, fragment: "redirect_uris"},
		{name: "redirect with fragment", patch: `[{"op":"add","path":"/redirect_uris/0","value":"https://x.example/#f"}]`, status: 400, fragment: "fragment"},
		{name: "wrong content type", patch: `[]`, ctype: "text/plain", status: 415, fragment: "Content-Type"},
		{name: "merge patch content type", patch: `{}`, ctype: "application/merge-patch+json", status: 415, fragment: "Content-Type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t)
			wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"p","redirect_uris":["https://a.example/cb"]}`), http.StatusCreated)
			before := env.store.snapshot(t)
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			rec := env.do(t, "PATCH", "/admin/clients/p", tc.patch, ctype)
			wantStatus(t, rec, tc.status)
			if !strings.Contains(rec.Body.String(), tc.fragment) {
				t.Errorf("body %s does not mention %q", rec.Body, tc.fragment)
			}
			if tc.status != 200 {
				if env.store.snapshot(t) != before {
					t.Error("a refused patch changed the store")
				}
				return
			}
			tc.check(t, env.store.clients["p"], decodeClient(t, rec))
		})
	}
}

func TestPatchKeepsSecretAndReportsMissingClient(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"k"}`), http.StatusCreated)
	hash := env.store.clients["k"].SecretHash
	rec := env.do(t, "PATCH", "/admin/clients/k", `[{"op":"replace","path":"/client_name","value":"n"}]`)
	wantStatus(t, rec, http.StatusOK)
	if _, ok := decodeClient(t, rec)["client_secret"]; ok || env.store.clients["k"].SecretHash != hash {
		t.Error("a patch not touching the secret must keep the hash and not show a secret")
	}
	wantStatus(t, env.do(t, "PATCH", "/admin/clients/none", `[]`), http.StatusNotFound)
}

// FuzzJSONPatch feeds arbitrary patch documents to Admin.Patch. Properties:
// no panic; every refusal is a 4xx *httpx.Error that leaves the store as it
// was; every accepted patch leaves a client that passes Validate, keeps its
// id and stores no plaintext secret.
func FuzzJSONPatch(f *testing.F) {
	for _, seed := range []string{
		`[]`,
		`[{"op":"replace","path":"/scope","value":"openid"}]`,
		`[{"op":"add","path":"/redirect_uris/-","value":"https://b.example/cb"}]`,
		`[{"op":"remove","path":"/grant_types"}]`,
		`[{"op":"copy","from":"/redirect_uris","path":"/contacts"}]`,
		`[{"op":"move","from":"/client_name","path":"/owner"}]`,
		`[{"op":"add","path":"/client_secret","value":"abcdef"}]`,
		`[{"op":"replace","path":"/client_id","value":"x"}]`,
		`[{"op":"add","path":"/metadata","value":{"a":1}}]`,
		`[{"op":"replace","path":"/token_endpoint_auth_method","value":"none"}]`,
		`[{"op":"replace","path":"/jwks","value":{"keys":[{"kty":"oct","k":"AA"}]}}]`,
		`[{"op":"copy","from":"","path":"/metadata"}]`,
		`[{"op":"test","path":"/client_id","value":"p"}]`,
		`[{"op":"add","path":"/redirect_uris/99999999999","value":"x"}]`,
		`[{"op":"replace","path":"/implicit_grant_id_token_lifespan","value":"-5s"}]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		env := newEnv(t)
		if _, err := env.admin.Create(context.Background(), &Client{ID: "p", Name: "n", RedirectURIs: []string{"https://a.example/cb"}}); err != nil {
			t.Fatal(err)
		}
		before := env.store.snapshot(t)
		_, err := env.admin.Patch(context.Background(), "p", doc)
		if err != nil {
			var he *httpx.Error
			if !errors.As(err, &he) || he.Status < 400 || he.Status > 499 {
				t.Fatalf("refusal is not a 4xx: %v", err)
			}
			if env.store.snapshot(t) != before {
				t.Fatal("a refused patch changed the store")
			}
			return
		}
		got := env.store.clients["p"]
		if len(env.store.clients) != 1 || got.ID != "p" || env.store.plaintext {
			t.Fatalf("accepted patch broke an invariant: %+v", got)
		}
		if err := Validate(&got); err != nil {
			t.Fatalf("accepted patch stored an invalid client: %v", err)
		}
	})
}
