package cli

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// A set as a server returns it right after generating keys: private halves
// included (an RSA key trimmed to the members that matter here) and one
// symmetric key.
const generatedSet = `{"keys":[
  {"kty":"RSA","kid":"k1","alg":"RS256","use":"sig","n":"AQAB-n","e":"AQAB","d":"PRIVATE-d","p":"PRIVATE-p","q":"PRIVATE-q","dp":"PRIVATE-dp","dq":"PRIVATE-dq","qi":"PRIVATE-qi"},
  {"kty":"oct","kid":"k2","alg":"HS256","use":"sig","k":"PRIVATE-k"}
]}`

func TestCreateJWKS(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, generatedSet))
	out := ok(t, "create", "jwks", "my set", "-e", f.URL, "--alg", "ES256", "--use", "enc", "--key-id", "k9")
	golden(t, "create_jwks", out)

	got := f.only(t)
	if got.Method != http.MethodPost || got.Path != "/admin/keys/my set" {
		t.Errorf("sent %s %s", got.Method, got.Path)
	}
	if string(got.Body) != `{"alg":"ES256","use":"enc","kid":"k9"}` {
		t.Errorf("body %s", got.Body)
	}
}

func TestCreateJWKSDefaultsAndChecks(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, generatedSet))
	ok(t, "create", "jwks", "s", "-e", f.URL)
	if body := string(f.only(t).Body); body != `{"alg":"RS256","use":"sig","kid":""}` {
		t.Errorf("defaults: body %s", body)
	}
	for _, args := range [][]string{{"--use", "both"}, {"--alg", ""}} {
		r := run(t, nil, "", append([]string{"create", "jwks", "s", "-e", f.URL}, args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, args[0]+" must") {
			t.Errorf("%v: exit %d, %q", args, r.code, r.stderr)
		}
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("invalid flags reached the server: %d requests", n)
	}
}

func TestGetJWKSPublicStripsPrivateMaterial(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, generatedSet))
	out := ok(t, "get", "jwks", "s", "-e", f.URL, "--public", "--format", "json")
	if strings.Contains(out, "PRIVATE") {
		t.Fatalf("--public printed private key material: %s", out)
	}
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	if err := json.Unmarshal([]byte(out), &set); err != nil || len(set.Keys) != 1 || set.Keys[0]["n"] != "AQAB-n" || set.Keys[0]["kid"] != "k1" {
		t.Errorf("public set %s (%v): want only the RSA key with its public members", out, err)
	}
	if got := f.only(t); got.Method != http.MethodGet || got.Path != "/admin/keys/s" {
		t.Errorf("sent %s %s", got.Method, got.Path)
	}
	// Without --public the JSON is what the server sent.
	if out := ok(t, "get", "jwks", "s", "-e", f.URL, "--format", "json"); !strings.Contains(out, "PRIVATE-d") {
		t.Errorf("plain get lost members: %s", out)
	}
}

func TestGetJWKSEmptySetPrintsEmptyArray(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, `{}`))
	if out := ok(t, "get", "jwks", "s", "-e", f.URL, "--format", "json"); out != `{"keys":[]}`+"\n" {
		t.Errorf("got %q", out)
	}
}

func TestDeleteJWKS(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	out := ok(t, "delete", "jwks", "a", "b", "-e", f.URL)
	if out != "SET ID\na\nb\n" {
		t.Errorf("stdout %q", out)
	}
	if reqs := f.requests(); len(reqs) != 2 || reqs[0].Method != http.MethodDelete || reqs[1].Path != "/admin/keys/b" {
		t.Errorf("requests %+v", reqs)
	}
}
