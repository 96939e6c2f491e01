package jwk

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/storage"
)

// adminServer mounts the admin routes the way app/routes.go will.
func adminServer(t *testing.T, m *Manager) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	rd := httpx.Renderer{Log: slog.New(slog.DiscardHandler)}
	Admin{Manager: m}.Routes(mux, rd.OAuth)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// call sends a request and decodes the JSON response into a map.
func call(t *testing.T, srv *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: response is not JSON: %s", method, path, raw)
		}
	}
	return res.StatusCode, out
}

// jwkJSON encodes a key with kid, alg and use, optionally editing fields.
func jwkJSON(t *testing.T, key any, kid, alg string, edit func(map[string]any)) string {
	t.Helper()
	raw, err := jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	if edit != nil {
		edit(m)
	}
	out, _ := json.Marshal(m)
	return string(out)
}

func mustRSA(t *testing.T, bits int) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEC(t *testing.T, c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func field(t *testing.T, keyJSON, name string) any {
	var m map[string]any
	_ = json.Unmarshal([]byte(keyJSON), &m)
	return m[name]
}

func TestAdminKeyLifecycle(t *testing.T) {
	srv := adminServer(t, newManager(t, newFakeStore()))

	status, body := call(t, srv, "POST", "/admin/keys/my-set", `{"alg":"ES256","use":"sig","kid":"k1"}`)
	keys, _ := body["keys"].([]any)
	if status != 201 || len(keys) != 1 || keys[0].(map[string]any)["d"] == nil {
		t.Fatalf("create: %d %v; want 201 with the private key", status, body)
	}
	if status, body = call(t, srv, "POST", "/admin/keys/my-set", `{"alg":"EdDSA","use":"sig","kid":""}`); status != 201 {
		t.Fatalf("create with empty kid: %d %v", status, body)
	}
	if status, body = call(t, srv, "GET", "/admin/keys/my-set", ""); status != 200 || len(body["keys"].([]any)) != 2 {
		t.Fatalf("get set: %d %v", status, body)
	}
	status, body = call(t, srv, "GET", "/admin/keys/my-set/k1", "")
	if keys, _ := body["keys"].([]any); status != 200 || len(keys) != 1 || keys[0].(map[string]any)["kid"] != "k1" {
		t.Fatalf("get key: %d %v", status, body)
	}
	if status, body = call(t, srv, "POST", "/admin/keys/my-set", `{"alg":"ES256","use":"sig","kid":"k1"}`); status != 409 {
		t.Fatalf("duplicate kid: %d %v", status, body)
	}
	if status, _ = call(t, srv, "DELETE", "/admin/keys/my-set/k1", ""); status != 204 {
		t.Fatalf("delete key: %d", status)
	}
	status, body = call(t, srv, "GET", "/admin/keys/my-set/k1", "")
	if status != 404 || body["error"] != "not_found" || body["error_description"] == "" {
		t.Fatalf("get deleted key: %d %v; want 404 errorOAuth2", status, body)
	}
	if status, _ = call(t, srv, "DELETE", "/admin/keys/my-set", ""); status != 204 {
		t.Fatalf("delete set: %d", status)
	}
	for _, path := range []string{"/admin/keys/my-set", "/admin/keys/nope/k"} {
		if status, _ = call(t, srv, "GET", path, ""); status != 404 {
			t.Fatalf("GET %s after delete: %d, want 404", path, status)
		}
		if status, _ = call(t, srv, "DELETE", path, ""); status != 404 {
			t.Fatalf("DELETE %s after delete: %d, want 404", path, status)
		}
	}
}

func TestAdminCreateRefusesBadBodies(t *testing.T) {
	srv := adminServer(t, newManager(t, newFakeStore()))
	cases := map[string]string{
		"symmetric alg": `{"alg":"HS256","use":"sig","kid":"a"}`,
		"unknown field": `{"alg":"ES256","use":"sig","kid":"a","k":"x"}`,
		"malformed":     `{"alg":"ES256"`,
		"bad use":       `{"alg":"ES256","use":"both","kid":"a"}`,
		"alg not text":  `{"alg":256,"use":"sig","kid":"a"}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			status, out := call(t, srv, "POST", "/admin/keys/s", body)
			if status != 400 || out["error"] != "invalid_request" {
				t.Fatalf("%d %v; want 400 invalid_request", status, out)
			}
		})
	}
}

func TestImportRefusesUnsafeKeys(t *testing.T) {
	store := newFakeStore()
	srv := adminServer(t, newManager(t, store))
	ec256, ec256b, ec521 := mustEC(t, elliptic.P256()), mustEC(t, elliptic.P256()), mustEC(t, elliptic.P521())
	rsaA, rsaB := mustRSA(t, 2048), mustRSA(t, 2048)
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	otherEdPub, _, _ := ed25519.GenerateKey(rand.Reader)
	rsaBJSON := jwkJSON(t, rsaB, "k1", "RS256", nil)

	cases := []struct{ name, body string }{
		{"symmetric key", `{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQ","kid":"k1","alg":"HS256","use":"sig"}`},
		{"symmetric key claiming RS256", `{"kty":"oct","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQ","kid":"k1","alg":"RS256","use":"sig"}`},
		{"kid differs from URL", jwkJSON(t, ec256, "other", "ES256", nil)},
		{"ES256 on P-521", jwkJSON(t, ec521, "k1", "ES256", nil)},
		{"RS256 on an EC key", jwkJSON(t, ec256, "k1", "RS256", nil)},
		{"EdDSA on an RSA key", jwkJSON(t, rsaA, "k1", "EdDSA", nil)},
		{"RSA 1024", jwkJSON(t, &mustRSA(t, 1024).PublicKey, "k1", "RS256", nil)},
		{"malformed JSON", `{"kty":"EC",`},
		{"not an object", `"key"`},
		{"missing alg", jwkJSON(t, ec256, "k1", "", nil)},
		{"missing use", jwkJSON(t, ec256, "k1", "ES256", func(m map[string]any) { delete(m, "use") })},
		{"alg none", jwkJSON(t, ec256, "k1", "none", nil)},
		{"EC private d of another key", jwkJSON(t, ec256, "k1", "ES256", func(m map[string]any) {
			m["d"] = field(t, jwkJSON(t, ec256b, "x", "ES256", nil), "d")
		})},
		{"RSA private half of another key", jwkJSON(t, rsaA, "k1", "RS256", func(m map[string]any) {
			for _, f := range []string{"d", "p", "q", "dp", "dq", "qi"} {
				m[f] = field(t, rsaBJSON, f)
			}
		})},
		{"Ed25519 private with another x", jwkJSON(t, edPriv, "k1", "EdDSA", func(m map[string]any) {
			m["x"] = field(t, jwkJSON(t, otherEdPub, "x", "EdDSA", nil), "x")
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, out := call(t, srv, "PUT", "/admin/keys/s/k1", c.body)
			if status != 400 || out["error"] != "invalid_request" {
				t.Fatalf("%d %v; want 400 invalid_request", status, out)
			}
			if c.name == "kid differs from URL" {
				return // a set has no URL kid to differ from
			}
			if status, _ := call(t, srv, "PUT", "/admin/keys/s", `{"keys":[`+c.body+`]}`); status != 400 {
				t.Fatalf("as a set: %d, want 400", status)
			}
		})
	}
	if recs := store.records("s"); len(recs) != 0 {
		t.Fatalf("refused imports stored %d keys", len(recs))
	}
}

func TestImportSetIsAllOrNothingAndReplaces(t *testing.T) {
	store := newFakeStore()
	m := newManager(t, store)
	srv := adminServer(t, m)
	ctx := context.Background()
	if _, err := m.Generate(ctx, "s", "ES256", "sig", "old"); err != nil {
		t.Fatal(err)
	}
	good := jwkJSON(t, mustEC(t, elliptic.P256()), "new1", "ES256", nil)
	pubOnly := jwkJSON(t, &mustRSA(t, 2048).PublicKey, "new2", "RS256", nil)
	for name, body := range map[string]string{
		"duplicate kid":   `{"keys":[` + good + `,` + good + `]}`,
		"one bad key":     `{"keys":[` + good + `,{"kty":"oct","k":"AAAA","kid":"x","alg":"HS256","use":"sig"}]}`,
		"no keys":         `{"keys":[]}`,
		"unknown member":  `{"keys":[` + good + `],"extra":1}`,
		"keys not a list": `{"keys":{}}`,
	} {
		if status, out := call(t, srv, "PUT", "/admin/keys/s", body); status != 400 {
			t.Fatalf("%s: %d %v, want 400", name, status, out)
		}
	}
	if _, err := m.Get(ctx, "s", "old"); err != nil {
		t.Fatalf("a refused import touched the set: %v", err)
	}

	status, out := call(t, srv, "PUT", "/admin/keys/s", `{"keys":[`+good+`,`+pubOnly+`]}`)
	if status != 200 || len(out["keys"].([]any)) != 2 {
		t.Fatalf("import: %d %v", status, out)
	}
	if _, err := m.Get(ctx, "s", "old"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("PUT on a set must replace it; old key: %v", err)
	}
	for _, r := range store.records("s") {
		if (r.KID == "new1") != (r.SealedPrivate != nil) {
			t.Fatalf("key %s: sealed private=%v; only the private import is sealed", r.KID, r.SealedPrivate != nil)
		}
	}
	if kid := signAndVerify(t, m, "s"); kid != "new1" {
		t.Fatalf("signs with %s, want the first imported key new1", kid)
	}
}

func TestImportOnePublicKeyCannotSign(t *testing.T) {
	m := newManager(t, newFakeStore())
	srv := adminServer(t, m)
	body := jwkJSON(t, &mustRSA(t, 2048).PublicKey, "pub", "RS256", nil)
	status, out := call(t, srv, "PUT", "/admin/keys/verify-only/pub", body)
	if status != 200 || out["kid"] != "pub" || out["d"] != nil {
		t.Fatalf("import public key: %d %v", status, out)
	}
	if _, _, err := m.Signer(context.Background(), "verify-only"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("a public-only set must not sign: %v", err)
	}
	ks, _ := m.PublicKeys(context.Background(), "verify-only")
	if len(ks.Keys) != 1 || ks.Keys[0].KeyID != "pub" {
		t.Fatalf("public keys: %+v", ks.Keys)
	}
}

func TestImportWrongContentType(t *testing.T) {
	srv := adminServer(t, newManager(t, newFakeStore()))
	res, err := srv.Client().Post(srv.URL+"/admin/keys/s", "text/plain", strings.NewReader(`{"alg":"ES256","use":"sig","kid":"a"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnsupportedMediaType {
		t.Fatalf("status %d, want 415", res.StatusCode)
	}
}
