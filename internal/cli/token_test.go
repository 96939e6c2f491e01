package cli

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func form(t *testing.T, s seen) url.Values {
	t.Helper()
	if ct := s.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("content type %q", ct)
	}
	v, err := url.ParseQuery(string(s.Body))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

const issued = `{"access_token":"at-123","token_type":"bearer","expires_in":3599,"scope":"read write"}`

func TestPerformClientCredentials(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, issued))
	out := ok(t, "perform", "client-credentials", "-e", f.URL, "--client-id", "my client",
		"--client-secret", "p@ss:w0rd", "--scope", "read,write", "--audience", "https://a", "--audience", "https://b")
	golden(t, "perform_client_credentials", out)

	got := f.only(t)
	if got.Method != http.MethodPost || got.Path != "/oauth2/token" {
		t.Errorf("sent %s %s", got.Method, got.Path)
	}
	// RFC 6749 §2.3.1: both parts form-encoded before Basic.
	if a := got.Header.Get("Authorization"); a != basic("my+client", "p%40ss%3Aw0rd") {
		t.Errorf("authorization %q", a)
	}
	v := form(t, got)
	if v.Get("grant_type") != "client_credentials" || v.Get("scope") != "read write" || v.Get("audience") != "https://a https://b" {
		t.Errorf("form %v", v)
	}
	if v.Has("client_secret") {
		t.Error("the secret went into the body as well as the header")
	}
}

func TestPerformClientCredentialsJSONAndEnvSecret(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, issued))
	r := run(t, map[string]string{envPublicURL: f.URL, envClientSecret: "from-env"}, "",
		"perform", "client-credentials", "--client-id", "c", "--format", "json")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	var tok map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &tok); err != nil {
		t.Fatal(err)
	}
	if tok["access_token"] != "at-123" || tok["token_type"] != "bearer" || tok["expires_in"] != 3599.0 || tok["scope"] != "read write" || tok["expiry"] == nil {
		t.Errorf("json %v", tok)
	}
	if a := f.only(t).Header.Get("Authorization"); a != basic("c", "from-env") {
		t.Errorf("authorization %q: want the secret from $%s", a, envClientSecret)
	}
}

func TestPerformClientCredentialsError(t *testing.T) {
	f := newFake(t, reply(http.StatusBadRequest, `{"error":"invalid_scope","error_description":"scope admin is not allowed"}`))
	r := run(t, nil, "", "perform", "client-credentials", "-e", f.URL, "--client-id", "c", "--client-secret", "s", "--scope", "admin")
	if want := "Error: the server said: invalid_scope: scope admin is not allowed [HTTP 400]\n"; r.code != 1 || r.stderr != want {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if r := run(t, nil, "", "perform", "client-credentials", "-e", f.URL); r.code != 1 || !strings.Contains(r.stderr, `"client-id" not set`) {
		t.Errorf("missing --client-id: exit %d, %q", r.code, r.stderr)
	}
}

const introspected = `{"active":true,"sub":"alice","client_id":"app","scope":"openid read","exp":1767225600,"iat":1767222000,"token_use":"access_token","ext":{"tenant":"t1"}}`

func TestIntrospectToken(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, introspected))
	out := ok(t, "introspect", "token", "tok-abc", "-e", f.URL, "--scope", "read", "--scope", "openid")
	golden(t, "introspect_token", out)
	got := f.only(t)
	if got.Method != http.MethodPost || got.Path != "/admin/oauth2/introspect" {
		t.Errorf("sent %s %s", got.Method, got.Path)
	}
	if v := form(t, got); v.Get("token") != "tok-abc" || v.Get("scope") != "read openid" {
		t.Errorf("form %v", v)
	}
	// The JSON output keeps every member the server sent, ext included.
	if out := ok(t, "introspect", "token", "tok-abc", "-e", f.URL, "--format", "json"); out != introspected+"\n" {
		t.Errorf("json %q", out)
	}
}

func TestIntrospectTokenFromStdin(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, `{"active":false}`))
	r := run(t, nil, "  tok-from-pipe\n", "introspect", "token", "-", "-e", f.URL)
	if r.code != 0 || r.stdout != "ACTIVE   SUBJECT   CLIENT ID   SCOPE   EXPIRES AT   TOKEN USE\nfalse    -         -           -       -            -\n" {
		t.Errorf("exit %d (%s), stdout %q", r.code, r.stderr, r.stdout)
	}
	if v := form(t, f.only(t)); v.Get("token") != "tok-from-pipe" {
		t.Errorf("token %q", v.Get("token"))
	}
	for _, stdin := range []string{"", " \n", strings.Repeat("a", maxStdinToken+1)} {
		if r := run(t, nil, stdin, "introspect", "token", "-", "-e", f.URL); r.code != 1 {
			t.Errorf("stdin of %d bytes: exit %d", len(stdin), r.code)
		}
	}
}

func TestRevokeToken(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, ``))
	r := run(t, nil, "", "revoke", "token", "rt-1", "-e", f.URL, "--client-id", "app", "--client-secret", "s")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	got := f.only(t)
	if got.Method != http.MethodPost || got.Path != "/oauth2/revoke" || got.Header.Get("Authorization") != basic("app", "s") {
		t.Errorf("sent %s %s auth %q", got.Method, got.Path, got.Header.Get("Authorization"))
	}
	if v := form(t, got); v.Get("token") != "rt-1" || v.Has("client_id") || v.Has("client_secret") {
		t.Errorf("form %v", v)
	}
}

func TestRevokeTokenPublicClient(t *testing.T) {
	f := newFake(t, reply(http.StatusOK, ``))
	ok(t, "revoke", "token", "rt-1", "-e", f.URL, "--client-id", "spa")
	got := f.only(t)
	if got.Header.Get("Authorization") != "" {
		t.Error("a public client sent an Authorization header")
	}
	if v := form(t, got); v.Get("client_id") != "spa" || v.Get("token") != "rt-1" {
		t.Errorf("form %v", v)
	}
}

func TestDeleteTokens(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	out := ok(t, "delete", "tokens", "--client-id", "a&b", "-e", f.URL)
	if out != "CLIENT ID\na&b\n" {
		t.Errorf("stdout %q", out)
	}
	if got := f.only(t); got.Method != http.MethodDelete || got.Path != "/admin/oauth2/tokens" || got.RawQuery != "client_id=a%26b" {
		t.Errorf("sent %s %s?%s", got.Method, got.Path, got.RawQuery)
	}
}
