package trust

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
)

// adminEnv is the admin API on a ServeMux, rendering errors as the app
// does, over a fake store and a fixed clock.
type adminEnv struct {
	store   *fakeStore
	now     time.Time
	handler http.Handler
	keys    testKeys
}

func newAdminEnv(t *testing.T) *adminEnv {
	t.Helper()
	env := &adminEnv{store: newFakeStore(), now: time.Date(2030, 1, 2, 3, 4, 5, 678901234, time.UTC), keys: newTestKeys(t)}
	a := &Admin{Store: env.store, Now: func() time.Time { return env.now }, Rand: rand.Reader}
	mux := http.NewServeMux()
	a.Routes(mux, httpx.Renderer{Log: slog.New(slog.DiscardHandler)}.Generic)
	env.handler = mux
	return env
}

// body is a create request for subject sub with an RSA key named kid.
func (e *adminEnv) body(t *testing.T, issuer, sub, kid string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"issuer": issuer, "subject": sub, "scope": []string{"read"},
		"jwk":        jwkJSON(t, &e.keys.rsa.PublicKey, kid, "RS256", "sig"),
		"expires_at": e.now.Add(24 * time.Hour).Format(time.RFC3339Nano),
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (e *adminEnv) do(t *testing.T, method, target, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, r)
	return w
}

func (e *adminEnv) create(t *testing.T, issuer, sub, kid string) GrantView {
	t.Helper()
	w := e.do(t, http.MethodPost, issuersPath, "application/json", e.body(t, issuer, sub, kid))
	if w.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", w.Code, w.Body)
	}
	var v GrantView
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// genericError is the contract's error shape of this API.
type genericError struct {
	Code    int    `json:"code"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func wantError(t *testing.T, w *httptest.ResponseRecorder, status int, fragment string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d: %s", w.Code, status, w.Body)
	}
	var e genericError
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code != status || e.Status != http.StatusText(status) {
		t.Fatalf("body is not a genericError for %d: %s", status, w.Body)
	}
	if !strings.Contains(e.Message, fragment) {
		t.Errorf("message %q does not say %q", e.Message, fragment)
	}
}

func TestAdminCreate(t *testing.T) {
	env := newAdminEnv(t)
	w := env.do(t, http.MethodPost, issuersPath, "application/json", env.body(t, "https://iss", "alice", "k1"))
	if w.Code != http.StatusCreated {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	// The contract's trustedOAuth2JwtGrantIssuer, exactly.
	for _, k := range []string{"id", "issuer", "subject", "allow_any_subject", "scope", "public_key", "expires_at", "created_at"} {
		if _, ok := got[k]; !ok {
			t.Errorf("response lacks %q: %s", k, w.Body)
		}
	}
	if len(got) != 8 {
		t.Errorf("response has extra members: %s", w.Body)
	}
	pk, _ := got["public_key"].(map[string]any)
	if pk["set"] != "https://iss" || pk["kid"] != "k1" || len(pk) != 2 {
		t.Errorf("public_key = %v, want {set: issuer, kid}", pk)
	}
	if got["created_at"] != "2030-01-02T03:04:05.678901Z" || got["expires_at"] != "2030-01-03T03:04:05.678901Z" {
		t.Errorf("times = %v, %v", got["created_at"], got["expires_at"])
	}
	id, _ := got["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("id %q is not a random UUID", id)
	}
	stored, _ := env.store.GetTrustGrant(t.Context(), id)
	if stored == nil || bytes.Contains(stored.PublicKey, []byte(`"d"`)) || stored.KeyID != "k1" {
		t.Errorf("stored = %+v", stored)
	}
}

func TestAdminCreateRefusals(t *testing.T) {
	env := newAdminEnv(t)
	env.create(t, "https://iss", "alice", "k1")
	cases := []struct {
		name, contentType, body string
		status                  int
		fragment                string
	}{
		{"duplicate issuer, subject and kid", "application/json", env.body(t, "https://iss", "alice", "k1"), http.StatusConflict, "already exists"},
		{"wrong content type", "application/x-www-form-urlencoded", env.body(t, "https://iss", "bob", "k1"), http.StatusUnsupportedMediaType, "application/json"},
		{"malformed JSON", "application/json", `{"issuer":`, http.StatusBadRequest, "not valid JSON"},
		{"unknown field", "application/json", `{"issuer":"x","isuer":"y"}`, http.StatusBadRequest, "isuer"},
		{"wrong type", "application/json", `{"issuer":1}`, http.StatusBadRequest, `"issuer"`},
		{"bad time", "application/json", `{"expires_at":"tomorrow"}`, http.StatusBadRequest, "not valid JSON"},
		{"null body", "application/json", `null`, http.StatusBadRequest, "not null"},
		{"trailing data", "application/json", `{} {}`, http.StatusBadRequest, "after the JSON value"},
		{"validation", "application/json", `{"subject":"a"}`, http.StatusBadRequest, "'issuer' is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, env.do(t, http.MethodPost, issuersPath, tc.contentType, tc.body), tc.status, tc.fragment)
		})
	}
	// Another subject, or any subject, with the same kid is a separate
	// relationship.
	env.create(t, "https://iss", "bob", "k1")
	w := env.do(t, http.MethodPost, issuersPath, "application/json", strings.Replace(env.body(t, "https://iss", "", "k1"),
		`"subject":""`, `"allow_any_subject":true`, 1))
	if w.Code != http.StatusCreated {
		t.Errorf("any-subject grant beside subject grants: %d %s", w.Code, w.Body)
	}
}

func TestAdminGetAndDelete(t *testing.T) {
	env := newAdminEnv(t)
	v := env.create(t, "https://iss", "alice", "k1")
	path := issuersPath + "/" + v.ID

	w := env.do(t, http.MethodGet, path, "", "")
	if w.Code != http.StatusOK {
		t.Fatalf("get: %d %s", w.Code, w.Body)
	}
	var got GrantView
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || got.ID != v.ID || got.Subject != "alice" || got.PublicKey.KeyID != "k1" {
		t.Fatalf("get = %+v %v", got, err)
	}

	// Expired relationships stay visible until deleted.
	env.now = env.now.Add(48 * time.Hour)
	if w := env.do(t, http.MethodGet, path, "", ""); w.Code != http.StatusOK {
		t.Errorf("get expired: %d", w.Code)
	}

	if w := env.do(t, http.MethodDelete, path, "", ""); w.Code != http.StatusNoContent || w.Body.Len() != 0 {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	wantError(t, env.do(t, http.MethodGet, path, "", ""), http.StatusNotFound, "does not exist")
	wantError(t, env.do(t, http.MethodDelete, path, "", ""), http.StatusNotFound, "does not exist")
	long := issuersPath + "/" + strings.Repeat("x", 300)
	wantError(t, env.do(t, http.MethodGet, long, "", ""), http.StatusNotFound, "does not exist")
	wantError(t, env.do(t, http.MethodDelete, long, "", ""), http.StatusNotFound, "does not exist")
}

func TestAdminList(t *testing.T) {
	env := newAdminEnv(t)
	ids := map[string]bool{}
	for _, sub := range []string{"a", "b", "c", "d", "e"} {
		ids[env.create(t, "https://one", sub, "k1").ID] = true
	}
	other := env.create(t, "https://two", "a", "k1")

	// Follow rel="next" from the first page to the end.
	seen := map[string]bool{}
	next := issuersPath + "?issuer=" + url.QueryEscape("https://one") + "&page_size=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("pagination does not end")
		}
		w := env.do(t, http.MethodGet, next, "", "")
		if w.Code != http.StatusOK {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		var page []GrantView
		if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || len(page) > 2 {
			t.Fatalf("page = %s", w.Body)
		}
		for _, g := range page {
			if g.Issuer != "https://one" || seen[g.ID] {
				t.Errorf("unexpected or repeated %+v", g)
			}
			seen[g.ID] = true
		}
		next = relNext(w.Header().Get("Link"))
		if !strings.Contains(w.Header().Get("Link"), `rel="first"`) {
			t.Errorf("Link lacks rel=first: %s", w.Header().Get("Link"))
		}
	}
	if len(seen) != len(ids) {
		t.Errorf("walked %d grants, want %d", len(seen), len(ids))
	}

	w := env.do(t, http.MethodGet, issuersPath, "", "")
	var all []GrantView
	if err := json.Unmarshal(w.Body.Bytes(), &all); err != nil || len(all) != 6 {
		t.Errorf("unfiltered list: %s", w.Body)
	}
	w = env.do(t, http.MethodGet, issuersPath+"?issuer=https://two", "", "")
	if err := json.Unmarshal(w.Body.Bytes(), &all); err != nil || len(all) != 1 || all[0].ID != other.ID {
		t.Errorf("filtered list: %s", w.Body)
	}
	// hydra-client-go v2.2 names the page size MaxItems; page_size wins.
	for query, want := range map[string]int{"MaxItems=4": 4, "DefaultItems=3": 3, "MaxItems=4&page_size=1": 1} {
		w = env.do(t, http.MethodGet, issuersPath+"?"+query, "", "")
		if err := json.Unmarshal(w.Body.Bytes(), &all); err != nil || len(all) != want {
			t.Errorf("%s: %d grants, want %d: %s", query, len(all), want, w.Body)
		}
	}
	w = env.do(t, http.MethodGet, issuersPath+"?issuer="+strings.Repeat("x", 300), "", "")
	if w.Code != http.StatusOK || strings.TrimSpace(w.Body.String()) != "[]" {
		t.Errorf("list for an impossible issuer: %d %s", w.Code, w.Body)
	}
}

func TestAdminListRefusals(t *testing.T) {
	env := newAdminEnv(t)
	for _, tc := range []struct{ query, fragment string }{
		{"page_size=0", "page_size must be an integer from 1 to 1000"},
		{"page_size=1001", "page_size must be an integer"},
		{"page_size=x", "page_size must be an integer"},
		{"MaxItems=0", "MaxItems must be an integer"},
		{"DefaultItems=2000", "DefaultItems must be an integer"},
		{"page_token=" + strings.Repeat("t", 1025), "not a token this server issued"},
		{"page_token=forged", "not one this server issued"},
		{"issuer=a&issuer=b", "more than once"},
		{"isuer=a", `"isuer" is not supported`},
		{"issuer=%zz", "not correctly URL-encoded"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			wantError(t, env.do(t, http.MethodGet, issuersPath+"?"+tc.query, "", ""), http.StatusBadRequest, tc.fragment)
		})
	}
}

// relNext returns the target of the rel="next" link, or "".
func relNext(link string) string {
	for _, part := range strings.Split(link, ",") {
		if strings.HasSuffix(part, `rel="next"`) {
			return strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(part, ">", 2)[0], "<"), ">")
		}
	}
	return ""
}
