package cli

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const createdClient = `{
  "client_id": "7f3c", "client_name": "billing", "client_secret": "s3cr3t-shown-once",
  "grant_types": ["client_credentials"], "response_types": ["code"], "scope": "read write",
  "audience": ["https://api.example"], "redirect_uris": ["https://app.example/cb"],
  "token_endpoint_auth_method": "client_secret_post", "owner": "team-a",
  "metadata": {"tier": "gold"}, "access_token_strategy": "jwt", "skip_consent": true,
  "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z"
}`

func TestCreateClientSendsEveryFlag(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, createdClient))
	out := ok(t, "create", "client", "-e", f.URL,
		"--name", "billing", "--grant-type", "client_credentials", "--response-type", "code",
		"--scope", "read", "--scope", "write", "--audience", "https://api.example",
		"--redirect-uri", "https://app.example/cb", "--token-endpoint-auth-method", "client_secret_post",
		"--secret", "s3cr3t-shown-once", "--owner", "team-a", "--metadata", `{"tier":"gold"}`,
		"--access-token-strategy", "jwt", "--skip-consent", "--dpop-bound-access-tokens",
		"--post-logout-callback", "https://app.example/bye", "--allowed-cors-origin", "https://app.example",
		"--contact", "ops@example.com", "--subject-type", "pairwise", "--jwks-uri", "https://app.example/jwks",
		"--token-endpoint-auth-signing-alg", "ES256",
		"--backchannel-logout-callback", "https://app.example/bc", "--backchannel-logout-session-required")
	golden(t, "create_client", out)

	got := f.only(t)
	if got.Method != http.MethodPost || got.Path != "/admin/clients" || got.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("sent %s %s (%s)", got.Method, got.Path, got.Header.Get("Content-Type"))
	}
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"client_name": "billing", "grant_types": []any{"client_credentials"}, "response_types": []any{"code"},
		"scope": "read write", "audience": []any{"https://api.example"}, "redirect_uris": []any{"https://app.example/cb"},
		"token_endpoint_auth_method": "client_secret_post", "client_secret": "s3cr3t-shown-once", "owner": "team-a",
		"metadata": map[string]any{"tier": "gold"}, "access_token_strategy": "jwt", "skip_consent": true,
		"post_logout_redirect_uris": []any{"https://app.example/bye"}, "allowed_cors_origins": []any{"https://app.example"},
		"contacts": []any{"ops@example.com"}, "subject_type": "pairwise", "jwks_uri": "https://app.example/jwks",
		"token_endpoint_auth_signing_alg": "ES256",
		"backchannel_logout_uri":          "https://app.example/bc", "backchannel_logout_session_required": true,
		"dpop_bound_access_tokens": true,
	}
	for k, v := range want {
		if !reflect.DeepEqual(body[k], v) {
			t.Errorf("body[%q] = %#v, want %#v", k, body[k], v)
		}
	}
}

func TestCreateClientListsTakeCommasAndRepeats(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, `{"client_id":"x"}`))
	ok(t, "create", "client", "-e", f.URL, "-g", "authorization_code,refresh_token", "-g", "client_credentials",
		"-a", "openid,offline", "-c", "https://a/cb,https://b/cb")
	var body struct {
		GrantTypes   []string `json:"grant_types"`
		Scope        string   `json:"scope"`
		RedirectURIs []string `json:"redirect_uris"`
	}
	if err := json.Unmarshal(f.only(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if strings.Join(body.GrantTypes, " ") != "authorization_code refresh_token client_credentials" ||
		body.Scope != "openid offline" || len(body.RedirectURIs) != 2 {
		t.Errorf("got %+v", body)
	}
}

func TestCreateClientJSONIsTheServerAnswer(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, createdClient))
	for _, format := range []string{"json", "json-pretty"} {
		out := ok(t, "create", "client", "-e", f.URL, "--format", format)
		var got map[string]any
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, out)
		}
		if got["client_id"] != "7f3c" || got["client_secret"] != "s3cr3t-shown-once" || got["scope"] != "read write" {
			t.Errorf("%s: %v", format, got)
		}
		if isPretty := strings.Contains(out, "\n  "); isPretty != (format == "json-pretty") {
			t.Errorf("%s: indentation %v", format, isPretty)
		}
	}
}

func TestCreateClientRejectsBadMetadataLocally(t *testing.T) {
	f := newFake(t, reply(http.StatusCreated, `{}`))
	for _, m := range []string{`{"a":`, `[1,2]`, `"str"`, `null`} {
		r := run(t, nil, "", "create", "client", "-e", f.URL, "--metadata", m)
		if r.code != 1 || !strings.Contains(r.stderr, "--metadata must be a JSON object") {
			t.Errorf("--metadata %s: exit %d, stderr %q", m, r.code, r.stderr)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("server got %d requests", n)
	}
}

func TestGetClientsTableHidesSecretColumnAndSanitizes(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimPrefix(r.URL.Path, "/admin/clients/")
		reply(200, `{"client_id":"`+id+`","client_name":"evil\u001b[31m\tname","grant_types":["authorization_code","refresh_token"],`+
			`"response_types":["code"],"scope":"openid offline","audience":[],"redirect_uris":["https://`+id+`.example/cb"]}`)(w, r)
	})
	out := ok(t, "get", "client", "one", "two", "-e", f.URL)
	golden(t, "get_clients", out)
	if strings.ContainsRune(out, '\x1b') {
		t.Error("an escape sequence from the server reached the terminal")
	}
	if reqs := f.requests(); len(reqs) != 2 || reqs[0].Method != http.MethodGet || reqs[1].Path != "/admin/clients/two" {
		t.Errorf("requests %+v", reqs)
	}
}

func TestGetClientJSONOneIsObjectManyIsArray(t *testing.T) {
	f := newFake(t, reply(200, `{"client_id":"x"}`))
	if out := ok(t, "get", "client", "x", "-e", f.URL, "--format", "json"); !strings.HasPrefix(out, `{"client_id":"x"`) {
		t.Errorf("one: %s", out)
	}
	if out := ok(t, "get", "client", "x", "y", "-e", f.URL, "--format", "json"); !strings.HasPrefix(out, `[{"client_id":"x"`) {
		t.Errorf("many: %s", out)
	}
}

func TestListClientsFollowsLinkHeader(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", `</admin/clients?page_size=2&page_token=p1>; rel="first"`)
		w.Header().Add("Link", `</admin/clients?page_size=2&page_token=p3>; rel="next"`)
		reply(200, `[{"client_id":"a","client_name":"A"},{"client_id":"b","client_name":"B"}]`)(w, r)
	})
	r := run(t, nil, "", "list", "clients", "-e", f.URL, "--page-size", "2", "--page-token", "p2")
	if r.code != 0 {
		t.Fatal(r.stderr)
	}
	golden(t, "list_clients", r.stdout)
	if r.stderr != "More clients: run again with --page-token p3\n" {
		t.Errorf("stderr %q", r.stderr)
	}
	if q := f.only(t).RawQuery; q != "page_size=2&page_token=p2" {
		t.Errorf("query %q", q)
	}

	var page struct {
		Items []struct {
			ID string `json:"client_id"`
		} `json:"items"`
		Next string `json:"next_page_token"`
		Last bool   `json:"is_last_page"`
	}
	out := ok(t, "list", "clients", "-e", f.URL, "--format", "json")
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Items) != 2 || page.Next != "p3" || page.Last {
		t.Errorf("json %s: %+v %v", out, page, err)
	}
}

func TestListClientsEmptyLastPage(t *testing.T) {
	f := newFake(t, reply(200, `[]`))
	if out := ok(t, "list", "clients", "-e", f.URL, "--format", "json"); out != `{"items":[],"next_page_token":"","is_last_page":true}`+"\n" {
		t.Errorf("got %s", out)
	}
}

func TestListClientsPageSizeBounds(t *testing.T) {
	f := newFake(t, reply(200, `[]`))
	for _, n := range []string{"0", "-1", "1001"} {
		if r := run(t, nil, "", "list", "clients", "-e", f.URL, "--page-size", n); r.code != 1 || !strings.Contains(r.stderr, "between 1 and 1000") {
			t.Errorf("--page-size %s: exit %d, %q", n, r.code, r.stderr)
		}
	}
	if len(f.requests()) != 0 {
		t.Error("a bad page size reached the server")
	}
}

func TestUpdateClientPutsTheWholeClient(t *testing.T) {
	f := newFake(t, reply(200, `{"client_id":"abc","client_name":"renamed","grant_types":["client_credentials"]}`))
	out := ok(t, "update", "client", "abc", "-e", f.URL, "--name", "renamed", "--grant-type", "client_credentials")
	got := f.only(t)
	var body map[string]any
	_ = json.Unmarshal(got.Body, &body)
	if got.Method != http.MethodPut || got.Path != "/admin/clients/abc" || body["client_id"] != "abc" || body["client_name"] != "renamed" {
		t.Errorf("sent %s %s %v", got.Method, got.Path, body)
	}
	if _, hasSecret := body["client_secret"]; hasSecret {
		t.Error("update without --secret must not send a secret (the server keeps the old one)")
	}
	if strings.Contains(out, "CLIENT SECRET") {
		t.Error("no secret returned, so no secret column")
	}
}

func TestDeleteClientsContinuesPastFailures(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/missing") {
			reply(404, `{"error":"not_found","error_description":"no such client"}`)(w, r)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	r := run(t, nil, "", "delete", "client", "a", "missing", "b", "-e", f.URL)
	if r.code != 1 {
		t.Errorf("exit %d, want 1 when any deletion failed", r.code)
	}
	golden(t, "delete_clients", r.stdout)
	if want := "Error: deleting \"missing\": the server said: not_found: no such client [HTTP 404]\n"; r.stderr != want {
		t.Errorf("stderr %q\nwant   %q", r.stderr, want)
	}
	if reqs := f.requests(); len(reqs) != 3 || reqs[2].Method != http.MethodDelete {
		t.Errorf("requests %+v", reqs)
	}
	if out := ok(t, "delete", "client", "a", "b", "-e", f.URL, "--format", "json"); out != `["a","b"]`+"\n" {
		t.Errorf("json %q", out)
	}
}

func TestNextPageToken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		links []string
		want  string
	}{
		{"none", nil, ""},
		{"next only", []string{`</admin/clients?page_token=n1&page_size=5>; rel="next"`}, "n1"},
		{"one header, several links", []string{`</c?page_token=f>; rel="first", </c?page_token=n2>; rel="next"`}, "n2"},
		{"unquoted rel, other params", []string{`</c?page_token=n3>; title="x"; rel=next`}, "n3"},
		{"last only", []string{`</c?page_token=l>; rel="last"`}, ""},
		{"garbage", []string{`not a link`, `<%zz>; rel="next"`}, ""},
	} {
		if got := nextPageToken(tc.links); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
