package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	trustJWK  = `{"kty":"EC","kid":"idp-1","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`
	trustView = `{"id":"6f1c","issuer":"https://idp.example","subject":"alice","allow_any_subject":false,` +
		`"scope":["read","write"],"public_key":{"set":"https://idp.example","kid":"idp-1"},` +
		`"expires_at":"2030-01-01T00:00:00Z","created_at":"2026-03-01T12:00:00Z"}`
	trustAny = `{"id":"7a2d","issuer":"https://idp.example","subject":"","allow_any_subject":true,` +
		`"scope":[],"public_key":{"set":"https://idp.example","kid":"idp-2"},` +
		`"expires_at":"2031-06-30T12:00:00Z","created_at":"2026-03-01T12:00:00Z"}`
)

func TestCreateTrust(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, trustView))
	r := run(t, nil, trustJWK, "create", "jwt-bearer-issuer", "-e", f.URL, "--issuer", "https://idp.example",
		"--subject", "alice", "--scope", "read,write", "--jwk", "-", "--expires-at", "2030-01-01T00:00:00Z")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "create_jwt_bearer_issuer", r.stdout)

	got := f.only(t)
	if got.Method != http.MethodPost || got.Path != "/admin/trust/grants/jwt-bearer/issuers" {
		t.Errorf("sent %s %s", got.Method, got.Path)
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	jwk, _ := body["jwk"].(map[string]any)
	if body["issuer"] != "https://idp.example" || body["subject"] != "alice" || body["allow_any_subject"] != false ||
		body["expires_at"] != "2030-01-01T00:00:00Z" || jwk["kid"] != "idp-1" || len(body["scope"].([]any)) != 2 {
		t.Errorf("body %s", got.Body)
	}
}

func TestCreateTrustReadsAKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(path, []byte(trustJWK), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFake(t, reply(http.StatusCreated, trustAny))
	ok(t, "create", "jwt-bearer-issuer", "-e", f.URL, "--issuer", "https://idp.example", "--allow-any-subject",
		"--jwk", path, "--expires-at", "2031-06-30T12:00:00Z")
	var body map[string]any
	if err := json.Unmarshal(f.only(t).Body, &body); err != nil || body["allow_any_subject"] != true ||
		body["subject"] != "" || body["scope"] == nil {
		t.Errorf("body %v (%v): want any subject and an empty scope array", body, err)
	}
}

func TestCreateTrustChecksFlagsFirst(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, trustView))
	base := []string{"create", "jwt-bearer-issuer", "-e", f.URL}
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{"--subject", "a", "--jwk", "-", "--expires-at", "2030-01-01T00:00:00Z"}, trustJWK, "--issuer, --jwk and --expires-at are required"},
		{[]string{"--issuer", "i", "--jwk", "-", "--expires-at", "2030-01-01T00:00:00Z"}, trustJWK, "exactly one of --subject and --allow-any-subject"},
		{[]string{"--issuer", "i", "--subject", "a", "--allow-any-subject", "--jwk", "-", "--expires-at", "2030-01-01T00:00:00Z"}, trustJWK, "exactly one"},
		{[]string{"--issuer", "i", "--subject", "a", "--jwk", "-", "--expires-at", "tomorrow"}, trustJWK, "RFC 3339"},
		{[]string{"--issuer", "i", "--subject", "a", "--jwk", "-", "--expires-at", "2030-01-01T00:00:00Z"}, "not json", "not JSON"},
		{[]string{"--issuer", "i", "--subject", "a", "--jwk", "/nonexistent/key.json", "--expires-at", "2030-01-01T00:00:00Z"}, "", "--jwk"},
		{[]string{"--issuer", "i", "--subject", "a", "--jwk", "-", "--expires-at", "2030-01-01T00:00:00Z"}, strings.Repeat(" ", maxJWKInput+1), "longer than"},
	} {
		r := run(t, nil, tc.stdin, append(base, tc.args...)...)
		if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("invalid flags reached the server: %d requests", n)
	}
}

func TestGetTrust(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/7a2d") {
			reply(http.StatusOK, trustAny)(w, r)
			return
		}
		reply(http.StatusOK, trustView)(w, r)
	})
	out := ok(t, "get", "jwt-bearer-issuer", "6f1c", "7a2d", "-e", f.URL)
	golden(t, "get_jwt_bearer_issuers", out)
	if reqs := f.requests(); len(reqs) != 2 || reqs[0].Path != "/admin/trust/grants/jwt-bearer/issuers/6f1c" {
		t.Errorf("requests %+v", reqs)
	}
	if out := ok(t, "get", "jwt-bearer-issuer", "6f1c", "-e", f.URL, "--format", "json"); !strings.HasPrefix(out, `{"id":"6f1c"`) {
		t.Errorf("one ID prints one object: %s", out)
	}
}

func TestListTrust(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Link", `</admin/trust/grants/jwt-bearer/issuers?page_size=2&page_token=NEXT>; rel="next"`)
		reply(http.StatusOK, "["+trustView+","+trustAny+"]")(w, r)
	})
	r := run(t, nil, "", "list", "jwt-bearer-issuers", "-e", f.URL, "--issuer", "https://idp.example", "--page-size", "2")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	golden(t, "list_jwt_bearer_issuers", r.stdout)
	if !strings.Contains(r.stderr, "--page-token NEXT") {
		t.Errorf("stderr %q lacks the next page hint", r.stderr)
	}
	if q := f.only(t).RawQuery; q != "issuer=https%3A%2F%2Fidp.example&page_size=2" {
		t.Errorf("query %q", q)
	}
	if r := run(t, nil, "", "list", "jwt-bearer-issuers", "-e", f.URL, "--page-size", "0"); r.code != 1 {
		t.Errorf("--page-size 0: exit %d", r.code)
	}
}

func TestDeleteTrust(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/gone") {
			reply(http.StatusNotFound, `{"code":404,"status":"Not Found","message":"The requested trust relationship does not exist."}`)(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	r := run(t, nil, "", "delete", "jwt-bearer-issuer", "6f1c", "gone", "-e", f.URL)
	if r.code != 1 || r.stdout != "TRUST RELATIONSHIP ID\n6f1c\n" || !strings.Contains(r.stderr, "does not exist") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if reqs := f.requests(); len(reqs) != 2 || reqs[0].Method != http.MethodDelete {
		t.Errorf("requests %+v", reqs)
	}
}
