package oauth2

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/httpx"
)

func authenticate(h *harness, q req) (string, *httpx.Error) {
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	switch {
	case q.rawAuthz != "":
		r.Header.Set("Authorization", q.rawAuthz)
	case q.user != "":
		r.Header.Set("Authorization", basic(q.user, q.pass))
	}
	form, _ := url.ParseQuery(q.form)
	c, err := h.auth.Authenticate(context.Background(), r, form)
	if err != nil {
		var he *httpx.Error
		if !errors.As(err, &he) {
			panic(err)
		}
		return "", he
	}
	return c.ID, nil
}

func TestClientAuthAccepts(t *testing.T) {
	cases := []struct {
		name string
		q    req
		want string
	}{
		{"basic", req{user: "machine", pass: secretMachine}, "machine"},
		{"basic with matching body client_id", req{user: "machine", pass: secretMachine, form: "client_id=machine"}, "machine"},
		{"basic lower-case scheme", req{rawAuthz: "basic " + base64.StdEncoding.EncodeToString([]byte("machine:"+secretMachine))}, "machine"},
		// RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
		{"basic url-encoded colon id and secret", req{rawAuthz: "Basic " + base64.StdEncoding.EncodeToString(
			[]byte("a%3Ab:"+url.QueryEscape(secretColon)))}, "a:b"},
		{"post", req{form: "client_id=poster&client_secret=poster-secret"}, "poster"},
		{"none", req{form: "client_id=public"}, "public"},
	}
	h := newHarness(t)
	for _, tc := range cases {
		got, err := authenticate(h, tc.q)
		if err != nil || got != tc.want {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
	}
}

func TestClientAuthRefuses(t *testing.T) {
	long := strings.Repeat("x", MaxClientSecretLen+1)
	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name    string
		q       req
		code    string
		wwwAuth bool
	}{
		{"nothing", req{}, "invalid_client", false},
		{"basic and post", req{user: "machine", pass: secretMachine, form: "client_secret=" + secretMachine}, "invalid_request", false},
		{"basic and other body id", req{user: "machine", pass: secretMachine, form: "client_id=poster"}, "invalid_request", false},
		{"bad base64", req{rawAuthz: "Basic !!!"}, "invalid_request", false},
		{"no colon", req{rawAuthz: b64("machine")}, "invalid_request", false},
		{"bad url-encoding", req{rawAuthz: b64("mach%zzine:x")}, "invalid_request", false},
		{"empty id", req{rawAuthz: b64(":secret")}, "invalid_request", false},
		{"huge header", req{rawAuthz: "Basic " + strings.Repeat("A", 8000)}, "invalid_request", false},
		{"colon id not encoded", req{rawAuthz: b64("a:b:" + secretColon)}, "invalid_client", true},
		{"wrong secret", req{user: "machine", pass: secretMachine + "x"}, "invalid_client", true},
		{"empty secret", req{user: "machine", pass: ""}, "invalid_client", true},
		{"secret prefix", req{user: "machine", pass: secretMachine[:5]}, "invalid_client", true},
		{"unknown client", req{user: "ghost", pass: "x"}, "invalid_client", true},
		{"oversized secret", req{user: "machine", pass: long}, "invalid_client", true},
		{"oversized id", req{user: strings.Repeat("m", MaxClientIDLen+1), pass: "x"}, "invalid_client", true},
		{"expired secret", req{user: "expired", pass: "old-secret"}, "invalid_client", true},
		{"basic client using post", req{form: "client_id=machine&client_secret=" + secretMachine}, "invalid_client", false},
		{"post client using basic", req{user: "poster", pass: "poster-secret"}, "invalid_client", true},
		{"confidential client without secret", req{form: "client_id=machine"}, "invalid_client", false},
		{"public client with secret", req{form: "client_id=public&client_secret=x"}, "invalid_client", false},
		{"public client via basic", req{user: "public", pass: ""}, "invalid_client", true},
		{"client assertion", req{form: "client_id=machine&client_assertion_type=x&client_assertion=y"}, "invalid_client", false},
	}
	h := newHarness(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, err := authenticate(h, tc.q)
			if err == nil {
				t.Fatalf("authenticated as %q", id)
			}
			if err.Code != tc.code {
				t.Fatalf("code %s, want %s (%v)", err.Code, tc.code, err)
			}
			if got := err.Header.Get("WWW-Authenticate"); (got == basicChallenge) != tc.wwwAuth {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
			if tc.code == "invalid_client" && err.Status != 401 || tc.code == "invalid_request" && err.Status != 400 {
				t.Fatalf("status %d", err.Status)
			}
			if h.cache.Len() != 0 {
				t.Fatal("a failed authentication was cached")
			}
		})
	}
}

func TestClientAuthBoundsSkipStorage(t *testing.T) {
	h := newHarness(t)
	authenticate(h, req{user: "machine", pass: strings.Repeat("x", MaxClientSecretLen+1)})
	authenticate(h, req{rawAuthz: "Basic !!!"})
	if h.db.total() != 0 {
		t.Fatalf("malformed or oversized credentials reached storage: %+v", &h.db.calls)
	}
}

func TestClientAuthCache(t *testing.T) {
	h := newHarness(t)
	if _, err := authenticate(h, req{user: "machine", pass: secretMachine}); err != nil {
		t.Fatal(err)
	}
	if h.cache.Len() != 1 || !h.cache.Verified(h.db.clients["machine"].SecretHash, secretMachine) {
		t.Fatal("success not cached")
	}
	// Rotating the secret changes the stored hash: the old secret misses the
	// cache and is refused by the hasher; the new one works.
	newHash, _ := h.auth.Hasher.Hash("rotated")
	h.db.clients["machine"].SecretHash = newHash
	if _, err := authenticate(h, req{user: "machine", pass: secretMachine}); err == nil {
		t.Fatal("old secret accepted after rotation")
	}
	if _, err := authenticate(h, req{user: "machine", pass: "rotated"}); err != nil {
		t.Fatal(err)
	}
	// A cached secret still fails once it expires.
	h.db.clients["machine"].SecretExpiresAt = t0.Unix() + 10
	h.clock.Add(11e9)
	if _, err := authenticate(h, req{user: "machine", pass: "rotated"}); err == nil {
		t.Fatal("expired secret accepted from the cache")
	}
}

// FuzzBasicAuth: the Basic parser never panics, and whatever it accepts
// round-trips: re-encoding the credentials yields an equivalent header.
func FuzzBasicAuth(f *testing.F) {
	for _, s := range []string{
		"bWFjaGluZTpzZWNyZXQ=", "YSUzQWI6cCU0MHNz", "!!!", "", "Og==", "YQ==", "JXp6OiV6eg==",
		base64.StdEncoding.EncodeToString([]byte("é:ü")), strings.Repeat("QUFB", 3000),
	} {
		f.Add(s, "")
	}
	f.Add("bWFjaGluZTpzZWNyZXQ=", "client_id=other")
	f.Fuzz(func(t *testing.T, payload, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		cred, err := parseBasic(payload, form)
		if err != nil {
			var he *httpx.Error
			if !errors.As(err, &he) || he.Status != 400 {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if cred.id == "" || cred.method != AuthMethodBasic {
			t.Fatalf("accepted %+v", cred)
		}
		again, err := parseBasic(base64.StdEncoding.EncodeToString(
			[]byte(url.QueryEscape(cred.id)+":"+url.QueryEscape(cred.secret))), nil)
		if err != nil || again != cred {
			t.Fatalf("round trip: %+v vs %+v (%v)", cred, again, err)
		}
	})
}
