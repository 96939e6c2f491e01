package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	hydra "github.com/ory/hydra-client-go/v2"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
	"github.com/signet-oidc/signet/internal/storage"
)

// fakeStore is an in-memory Store holding copies, so tests see exactly what
// the admin API handed to storage.
type fakeStore struct {
	mu        sync.Mutex
	clients   map[string]Client
	plaintext bool // set if a secret ever reached storage
	updates   int  // successful UpdateClient calls
	// afterGet, if set, runs after every GetClient, outside the lock: the
	// concurrency tests hold readers there to line their reads up.
	afterGet func()
}

func newFakeStore() *fakeStore { return &fakeStore{clients: map[string]Client{}} }

func (s *fakeStore) CreateClient(_ context.Context, c *Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[c.ID]; ok {
		return storage.ErrConflict
	}
	s.plaintext = s.plaintext || c.Secret != ""
	s.clients[c.ID] = *c
	return nil
}

func (s *fakeStore) GetClient(_ context.Context, id string) (*Client, error) {
	s.mu.Lock()
	c, ok := s.clients[id]
	hook := s.afterGet
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if !ok {
		return nil, storage.ErrNotFound
	}
	return &c, nil
}

// UpdateClient is the compare-and-swap the SQL store makes (proved by the
// storage conformance suite): only over the version read.
func (s *fakeStore) UpdateClient(_ context.Context, c, read *Client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !c.UpdatedAt.After(read.UpdatedAt) {
		return errors.New("fake store: updated_at must move forward")
	}
	cur, ok := s.clients[c.ID]
	if !ok {
		return storage.ErrNotFound
	}
	if !cur.UpdatedAt.Equal(read.UpdatedAt) || !reflect.DeepEqual(cur.Credentials, read.Credentials) {
		return storage.ErrConflict
	}
	s.plaintext = s.plaintext || c.Secret != ""
	s.updates++
	s.clients[c.ID] = *c
	return nil
}

func (s *fakeStore) DeleteClient(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.clients[id]; !ok {
		return storage.ErrNotFound
	}
	delete(s.clients, id)
	return nil
}

func (s *fakeStore) ListClients(_ context.Context, f Filter, p storage.Page) ([]*Client, storage.PageResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.clients))
	for id, c := range s.clients {
		if id > p.Token && (f.Name == "" || c.Name == f.Name) && (f.Owner == "" || c.Owner == f.Owner) {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	var out []*Client
	for _, id := range ids {
		if len(out) == p.Size {
			return out, storage.PageResult{Next: out[len(out)-1].ID}, nil
		}
		c := s.clients[id]
		out = append(out, &c)
	}
	return out, storage.PageResult{}, nil
}

// snapshot returns a deep-enough copy of the stored clients for
// "unchanged" assertions.
func (s *fakeStore) snapshot(t *testing.T) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := json.Marshal(s.clients)
	if err != nil {
		t.Fatal(err)
	}
	hashes := make([]string, 0, len(s.clients))
	for _, c := range s.clients {
		hashes = append(hashes, c.ID+"="+c.SecretHash)
	}
	sort.Strings(hashes)
	return string(b) + strings.Join(hashes, ",")
}

type testEnv struct {
	admin   *Admin
	store   *fakeStore
	handler http.Handler
	now     time.Time
}

func newEnv(t testing.TB) *testEnv {
	env := &testEnv{store: newFakeStore(), now: time.Date(2026, 1, 2, 3, 4, 5, 6789, time.UTC)}
	rnd := rand.NewChaCha8([32]byte{1})
	keyring, err := secret.NewKeyring([]string{"client-test-system-secret"}, rnd)
	if err != nil {
		t.Fatal(err)
	}
	env.admin = &Admin{
		Store:   env.store,
		Hasher:  secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rnd},
		Keyring: keyring,
		Now:     func() time.Time { return env.now },
		Rand:    rnd,
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rd := httpx.Renderer{Log: log}
	mux := http.NewServeMux()
	env.admin.Routes(mux, rd.OAuth, rd.Generic)
	mw := httpx.Middleware{Log: log, Renderer: rd, Now: func() time.Time { return env.now }}
	env.handler = mw.Wrap(mux, httpx.MaxJSONBody)
	return env
}

// do sends one request; a non-empty body is sent as application/json
// unless contentType says otherwise.
func (e *testEnv) do(t testing.TB, method, path, body string, contentType ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if len(contentType) > 0 {
		req.Header.Set("Content-Type", contentType[0])
	}
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

func decodeClient(t testing.TB, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, rec.Body)
	}
	return m
}

func wantStatus(t testing.TB, rec *httptest.ResponseRecorder, status int) {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateGeneratesIDAndSecretShownOnce(t *testing.T) {
	env := newEnv(t)
	rec := env.do(t, "POST", "/admin/clients", `{"client_name":"app","redirect_uris":["https://app.example/cb"]}`)
	wantStatus(t, rec, http.StatusCreated)
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("a response carrying a secret must be Cache-Control: no-store")
	}
	// The body must parse as the Hydra SDK's model.
	var sdk hydra.OAuth2Client
	if err := json.Unmarshal(rec.Body.Bytes(), &sdk); err != nil {
		t.Fatalf("hydra-client-go cannot parse the response: %v", err)
	}
	id, sec := sdk.GetClientId(), sdk.GetClientSecret()
	if !uuidV4.MatchString(id) {
		t.Errorf("client_id %q is not a UUID v4", id)
	}
	if len(sec) != 43 {
		t.Errorf("client_secret %q is not 256 bits base64url", sec)
	}
	if sdk.GetTokenEndpointAuthMethod() != "client_secret_basic" || sdk.GetScope() != "offline_access offline openid" ||
		!slices.Equal(sdk.GrantTypes, []string{"authorization_code"}) || !slices.Equal(sdk.ResponseTypes, []string{"code"}) {
		t.Errorf("defaults not applied: %s", rec.Body)
	}
	if !sdk.GetCreatedAt().Equal(env.now.Truncate(time.Microsecond)) {
		t.Errorf("created_at %v, want the server clock to the microsecond", sdk.GetCreatedAt())
	}

	stored := env.store.clients[id]
	if env.store.plaintext || stored.Secret != "" {
		t.Fatal("the plaintext secret reached storage")
	}
	if err := env.admin.Hasher.Verify(stored.SecretHash, sec); err != nil {
		t.Fatalf("stored hash does not verify the returned secret: %v", err)
	}

	get := env.do(t, "GET", "/admin/clients/"+id, "")
	wantStatus(t, get, http.StatusOK)
	m := decodeClient(t, get)
	if _, ok := m["client_secret"]; ok {
		t.Error("GET shows the client secret")
	}
	if strings.Contains(get.Body.String(), "pbkdf2") {
		t.Error("GET leaks the secret hash")
	}
	for _, f := range []string{"redirect_uris", "grant_types", "response_types", "audience", "allowed_cors_origins", "contacts"} {
		if _, isList := m[f].([]any); !isList {
			t.Errorf("%s = %v, want a JSON array", f, m[f])
		}
	}
}

func TestCreateRoundTripsEveryField(t *testing.T) {
	env := newEnv(t)
	body := `{"client_id":"full","client_name":"Full","client_secret":"s3cret-value","redirect_uris":["https://a.example/cb","com.example.app:/cb"],
	"grant_types":["authorization_code","refresh_token","implicit"],"response_types":["code","code id_token","token"],
	"scope":"openid offline","audience":["https://api.example"],"owner":"team","policy_uri":"https://a.example/p",
	"allowed_cors_origins":["https://a.example"],"tos_uri":"https://a.example/t","client_uri":"https://a.example",
	"logo_uri":"https://a.example/l.png","contacts":["ops@a.example"],"subject_type":"pairwise",
	"sector_identifier_uri":"https://a.example/s.json","jwks_uri":"https://a.example/jwks","token_endpoint_auth_method":"client_secret_post",
	"request_uris":["https://a.example/r"],"request_object_signing_alg":"RS256","userinfo_signed_response_alg":"ES256",
	"frontchannel_logout_uri":"https://a.example/fl","frontchannel_logout_session_required":true,
	"post_logout_redirect_uris":["https://a.example/bye"],"backchannel_logout_uri":"https://a.example/bl",
	"backchannel_logout_session_required":true,"metadata":{"tier":"gold"},"access_token_strategy":"jwt",
	"skip_consent":true,"skip_logout_consent":true,"implicit_grant_access_token_lifespan":"90s"}`
	wantStatus(t, env.do(t, "POST", "/admin/clients", body), http.StatusCreated)
	got := decodeClient(t, env.do(t, "GET", "/admin/clients/full", ""))
	var sent map[string]any
	_ = json.Unmarshal([]byte(body), &sent)
	delete(sent, "client_secret")
	sent["implicit_grant_access_token_lifespan"] = "1m30s"
	for k, v := range sent {
		gb, _ := json.Marshal(got[k])
		sb, _ := json.Marshal(v)
		if !bytes.Equal(gb, sb) {
			t.Errorf("%s: got %s, sent %s", k, gb, sb)
		}
	}
}

func TestCreateDuplicateIDIsConflict(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"dup"}`), http.StatusCreated)
	before := env.store.snapshot(t)
	rec := env.do(t, "POST", "/admin/clients", `{"client_id":"dup","client_name":"other"}`)
	wantStatus(t, rec, http.StatusConflict)
	if env.store.snapshot(t) != before {
		t.Error("a refused duplicate changed the stored client")
	}
}

func TestCreatePublicClientHasNoSecret(t *testing.T) {
	env := newEnv(t)
	rec := env.do(t, "POST", "/admin/clients", `{"client_id":"spa","token_endpoint_auth_method":"none"}`)
	wantStatus(t, rec, http.StatusCreated)
	if _, ok := decodeClient(t, rec)["client_secret"]; ok || env.store.clients["spa"].SecretHash != "" {
		t.Error("a public client got a secret")
	}
	rec = env.do(t, "POST", "/admin/clients", `{"client_id":"spa2","token_endpoint_auth_method":"none","client_secret":"abcdefgh"}`)
	wantStatus(t, rec, http.StatusBadRequest)
	if !strings.Contains(rec.Body.String(), "client_secret") {
		t.Errorf("error does not name the field: %s", rec.Body)
	}
}

func TestListPaginatesWithLinkHeader(t *testing.T) {
	env := newEnv(t)
	for _, c := range []string{"c1:a:x", "c2:b:x", "c3:a:y", "c4:a:x", "c5:b:y"} {
		p := strings.Split(c, ":")
		wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"`+p[0]+`","client_name":"`+p[1]+`","owner":"`+p[2]+`"}`), http.StatusCreated)
	}
	var seen []string
	next := "/admin/clients?page_size=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		rec := env.do(t, "GET", next, "")
		wantStatus(t, rec, http.StatusOK)
		var list []map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &list)
		for _, c := range list {
			seen = append(seen, c["client_id"].(string))
		}
		links := parseLinks(rec.Header().Get("Link"))
		if links["first"] != "/admin/clients?page_size=2" {
			t.Errorf("rel=first is %q", links["first"])
		}
		next = links["next"]
	}
	if !slices.Equal(seen, []string{"c1", "c2", "c3", "c4", "c5"}) {
		t.Errorf("walking the pages saw %v", seen)
	}

	rec := env.do(t, "GET", "/admin/clients?client_name=a&owner=x&page_size=1", "")
	var list []Client
	_ = json.Unmarshal(rec.Body.Bytes(), &list)
	if len(list) != 1 || list[0].ID != "c1" || !strings.Contains(parseLinks(rec.Header().Get("Link"))["next"], "client_name=a&owner=x") {
		t.Errorf("filtered page: %v, Link %q", list, rec.Header().Get("Link"))
	}

	rec = env.do(t, "GET", "/admin/clients?owner=nobody", "")
	if strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("an empty listing must be [], got %s", rec.Body)
	}
}

func parseLinks(h string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		target, params, _ := strings.Cut(part, ";")
		rel := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(params), `rel="`), `"`)
		out[rel] = strings.Trim(strings.TrimSpace(target), "<>")
	}
	return out
}

func TestListRefusesBadQueries(t *testing.T) {
	env := newEnv(t)
	for _, q := range []string{"page_size=0", "page_size=1001", "page_size=-1", "page_size=ten", "page_size=1&page_size=2",
		"limit=5", "page_token=" + strings.Repeat("x", 2000), "owner=%ff"} {
		t.Run(q, func(t *testing.T) {
			wantStatus(t, env.do(t, "GET", "/admin/clients?"+q, ""), http.StatusBadRequest)
		})
	}
}

func TestUpdateReplacesAndKeepsSecretHash(t *testing.T) {
	env := newEnv(t)
	created := decodeClient(t, env.do(t, "POST", "/admin/clients", `{"client_id":"u","client_name":"one","audience":["a"]}`))
	oldHash := env.store.clients["u"].SecretHash
	env.now = env.now.Add(time.Hour)

	rec := env.do(t, "PUT", "/admin/clients/u", `{"client_name":"two"}`)
	wantStatus(t, rec, http.StatusOK)
	got := decodeClient(t, rec)
	if _, ok := got["client_secret"]; ok {
		t.Error("PUT without a secret returned one")
	}
	stored := env.store.clients["u"]
	if stored.SecretHash != oldHash || stored.Name != "two" || len(stored.Audience) != 0 {
		t.Errorf("PUT is a full replace that keeps the hash: %+v", stored)
	}
	if got["created_at"] != created["created_at"] || got["updated_at"] == created["updated_at"] {
		t.Errorf("timestamps: created %v→%v updated %v→%v", created["created_at"], got["created_at"], created["updated_at"], got["updated_at"])
	}

	rec = env.do(t, "PUT", "/admin/clients/u", `{"client_secret":"new-secret-123"}`)
	wantStatus(t, rec, http.StatusOK)
	if decodeClient(t, rec)["client_secret"] != "new-secret-123" {
		t.Error("PUT with a secret must return it once")
	}
	if env.admin.Hasher.Verify(env.store.clients["u"].SecretHash, "new-secret-123") != nil {
		t.Error("the new secret does not verify against the stored hash")
	}

	before := env.store.snapshot(t)
	wantStatus(t, env.do(t, "PUT", "/admin/clients/u", `{"client_id":"other"}`), http.StatusBadRequest)
	wantStatus(t, env.do(t, "PUT", "/admin/clients/u", `{"client_secret":"short"}`), http.StatusBadRequest)
	wantStatus(t, env.do(t, "PUT", "/admin/clients/missing", `{}`), http.StatusNotFound)
	if env.store.snapshot(t) != before {
		t.Error("refused PUTs changed the store")
	}

	wantStatus(t, env.do(t, "PUT", "/admin/clients/u", `{"token_endpoint_auth_method":"none"}`), http.StatusOK)
	if env.store.clients["u"].SecretHash != "" {
		t.Error("switching to auth method none must drop the secret hash")
	}
}

func TestDeleteThenNotFound(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"gone"}`), http.StatusCreated)
	rec := env.do(t, "DELETE", "/admin/clients/gone", "")
	wantStatus(t, rec, http.StatusNoContent)
	if rec.Body.Len() != 0 {
		t.Errorf("204 with a body: %s", rec.Body)
	}

	rec = env.do(t, "GET", "/admin/clients/gone", "")
	wantStatus(t, rec, http.StatusNotFound)
	if decodeClient(t, rec)["error"] != "not_found" {
		t.Errorf("GET 404 must be errorOAuth2 with error not_found: %s", rec.Body)
	}

	rec = env.do(t, "DELETE", "/admin/clients/gone", "")
	wantStatus(t, rec, http.StatusNotFound)
	if m := decodeClient(t, rec); m["code"] != float64(404) || m["message"] == "" {
		t.Errorf("DELETE 404 must be genericError: %s", rec.Body)
	}
}

func TestSetLifespans(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"l","refresh_token_grant_refresh_token_lifespan":"720h"}`), http.StatusCreated)
	hash := env.store.clients["l"].SecretHash

	rec := env.do(t, "PUT", "/admin/clients/l/lifespans", `{"authorization_code_grant_access_token_lifespan":"1h","client_credentials_grant_access_token_lifespan":"30m"}`)
	wantStatus(t, rec, http.StatusOK)
	m := decodeClient(t, rec)
	if m["authorization_code_grant_access_token_lifespan"] != "1h0m0s" || m["client_credentials_grant_access_token_lifespan"] != "30m0s" {
		t.Errorf("lifespans not set: %s", rec.Body)
	}
	if m["refresh_token_grant_refresh_token_lifespan"] != nil {
		t.Error("PUT lifespans must replace all 13, clearing those not sent")
	}
	if env.store.clients["l"].SecretHash != hash {
		t.Error("setting lifespans touched the secret")
	}

	before := env.store.snapshot(t)
	for _, tc := range []struct{ path, body string }{
		{"/admin/clients/l/lifespans", `{"implicit_grant_id_token_lifespan":"-1h"}`},
		{"/admin/clients/l/lifespans", `{"implicit_grant_id_token_lifespan":3600}`},
		{"/admin/clients/l/lifespans", `{"implicit_grant_id_token_lifespan":"soon"}`},
		{"/admin/clients/l/lifespans", `{"lifespan":"1h"}`},
		{"/admin/clients/nope/lifespans", `{}`},
	} {
		rec := env.do(t, "PUT", tc.path, tc.body)
		if rec.Code < 400 || rec.Code > 499 {
			t.Errorf("%s %s: status %d", tc.path, tc.body, rec.Code)
		}
		if _, ok := decodeClient(t, rec)["message"]; !ok {
			t.Errorf("lifespans errors must be genericError: %s", rec.Body)
		}
	}
	if env.store.snapshot(t) != before {
		t.Error("refused lifespans changed the store")
	}
}

// TestBadInputLeavesStoreUnchanged covers what a stranger with admin
// network access might send: each gets a precise 4xx and no write.
func TestBadInputLeavesStoreUnchanged(t *testing.T) {
	env := newEnv(t)
	wantStatus(t, env.do(t, "POST", "/admin/clients", `{"client_id":"keep"}`), http.StatusCreated)
	huge := `{"client_name":"` + strings.Repeat("a", httpx.MaxJSONBody) + `"}`
	cases := []struct {
		name, method, path, body, ctype string
		status                          int
		fragment                        string
	}{
		{"malformed", "POST", "/admin/clients", `{"client_name":`, "", 400, "not valid JSON"},
		{"not an object", "POST", "/admin/clients", `[1,2]`, "", 400, "not valid JSON"},
		{"trailing data", "POST", "/admin/clients", `{}{}`, "", 400, "after the JSON value"},
		{"wrong content type", "POST", "/admin/clients", `{}`, "text/plain", 415, "Content-Type"},
		{"form content type", "PUT", "/admin/clients/keep", `client_name=x`, "application/x-www-form-urlencoded", 415, "Content-Type"},
		{"oversized", "POST", "/admin/clients", huge, "", 413, "larger than"},
		{"oversized put", "PUT", "/admin/clients/keep", huge, "", 413, "larger than"},
		{"unknown field", "POST", "/admin/clients", `{"client_nmae":"x"}`, "", 400, "client_nmae"},
		{"secret hash smuggled", "PUT", "/admin/clients/keep", `{"SecretHash":"$2a$x"}`, "", 400, "SecretHash"},
		{"wrong type", "POST", "/admin/clients", `{"redirect_uris":"https://a"}`, "", 400, "redirect_uris"},
		{"10k name", "POST", "/admin/clients", `{"client_name":"` + strings.Repeat("n", 10000) + `"}`, "", 400, "client_name"},
		{"long id", "POST", "/admin/clients", `{"client_id":"` + strings.Repeat("i", 300) + `"}`, "", 400, "client_id"},
		{"control char id", "POST", "/admin/clients", `{"client_id":"a\u0000b"}`, "", 400, "client_id"},
		{"invalid utf8", "POST", "/admin/clients", "{\"client_name\":\"\xff\"}", "", 400, "UTF-8"},
		{"long path id", "GET", "/admin/clients/" + strings.Repeat("x", 5000), "", "", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := env.store.snapshot(t)
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/json"
			}
			rec := env.do(t, tc.method, tc.path, tc.body, ctype)
			wantStatus(t, rec, tc.status)
			if !strings.Contains(rec.Body.String(), tc.fragment) {
				t.Errorf("body %s does not mention %q", httpx.Clip(rec.Body.String(), 200), tc.fragment)
			}
			if env.store.snapshot(t) != before {
				t.Error("the store changed")
			}
		})
	}
}

func TestSQLMetacharactersInIDRoundTrip(t *testing.T) {
	env := newEnv(t)
	for _, id := range []string{`'; DROP TABLE clients;--`, `a" OR "1"="1`, `100%_\`, `ünï/cødé`} {
		body, _ := json.Marshal(map[string]string{"client_id": id})
		wantStatus(t, env.do(t, "POST", "/admin/clients", string(body)), http.StatusCreated)
		rec := env.do(t, "GET", "/admin/clients/"+url.PathEscape(id), "")
		wantStatus(t, rec, http.StatusOK)
		if decodeClient(t, rec)["client_id"] != id {
			t.Errorf("id %q did not round-trip: %s", id, rec.Body)
		}
	}
}
