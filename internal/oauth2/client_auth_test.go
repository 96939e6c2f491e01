package oauth2

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/secret"
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
		// Some client libraries always send the field; empty is no second method.
		{"basic with empty body client_secret", req{user: "machine", pass: secretMachine, form: "client_secret="}, "machine"},
		{"basic with body client_id and empty client_secret", req{user: "machine", pass: secretMachine, form: "client_id=machine&client_secret="}, "machine"},
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
		{"basic and a non-empty body secret among empty ones", req{user: "machine", pass: secretMachine, form: "client_secret=&client_secret=x"}, "invalid_request", false},
		{"basic and a wrong body secret", req{user: "machine", pass: secretMachine, form: "client_secret=x"}, "invalid_request", false},
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
		{"client assertion of an unknown type", req{form: "client_id=machine&client_assertion_type=x&client_assertion=y"}, "invalid_request", false},
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
	newHash, _ := h.hasher.Hash("rotated")
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

// recordingHasher notes the hash behind every Verify call.
type recordingHasher struct {
	secret.Hasher
	mu       sync.Mutex
	hashed   []string // outputs of Hash: the dummy hash made at construction
	verified []string
}

func (r *recordingHasher) Hash(s string) (string, error) {
	out, err := r.Hasher.Hash(s)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hashed = append(r.hashed, out)
	return out, err
}

func (r *recordingHasher) Verify(hash, s string) error {
	r.mu.Lock()
	r.verified = append(r.verified, hash)
	r.mu.Unlock()
	return r.Hasher.Verify(hash, s)
}

// takeVerified returns and forgets the hashes verified so far.
func (r *recordingHasher) takeVerified() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.verified
	r.verified = nil
	return out
}

// TestClientAuthRefusalsCostOneHash: every refusal of a request that
// presented a secret costs exactly one slow verification, against the dummy
// hash when there is no real one to use, so timing does not tell which
// client ids exist. Requests without a secret never hash.
func TestClientAuthRefusalsCostOneHash(t *testing.T) {
	rec := &recordingHasher{Hasher: secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}}
	h := newHarness(t, func(d *ClientAuthDeps) { d.Hasher = rec })
	h.db.clients["nohash"] = &client.Client{ID: "nohash"}
	if len(rec.hashed) != 1 {
		t.Fatalf("construction made %d hashes, want the one dummy", len(rec.hashed))
	}
	dummy, machineHash := rec.hashed[0], h.db.clients["machine"].SecretHash
	cases := []struct {
		name string
		q    req
		want []string // hashes verified, in order
	}{
		{"unknown client", req{user: "ghost", pass: "x"}, []string{dummy}},
		{"unknown client again: dummy results are not cached", req{user: "ghost", pass: "x"}, []string{dummy}},
		{"unknown client via post", req{form: "client_id=ghost&client_secret=x"}, []string{dummy}},
		{"post client using basic", req{user: "poster", pass: "poster-secret"}, []string{dummy}},
		{"basic client using post", req{form: "client_id=machine&client_secret=" + secretMachine}, []string{dummy}},
		{"public client with a secret", req{user: "public", pass: "x"}, []string{dummy}},
		{"client without a secret", req{user: "nohash", pass: "x"}, []string{dummy}},
		{"expired secret", req{user: "expired", pass: "old-secret"}, []string{dummy}},
		{"wrong secret", req{user: "machine", pass: "x"}, []string{machineHash}},
		{"empty secret is refused before lookup", req{user: "machine", pass: ""}, nil},
		{"unknown client without a secret", req{form: "client_id=ghost"}, nil},
		{"confidential client without a secret", req{form: "client_id=machine"}, nil},
	}
	for _, tc := range cases {
		if _, err := authenticate(h, tc.q); err == nil || err.Code != "invalid_client" {
			t.Fatalf("%s: got %v, want invalid_client", tc.name, err)
		}
		if got := rec.takeVerified(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: verified %d hashes (dummy: %v), want %d", tc.name, len(got), slices.Equal(got, []string{dummy}), len(tc.want))
		}
	}
	if h.cache.Len() != 0 {
		t.Fatal("a refusal was cached")
	}
}

func TestNewClientAuthChecksDeps(t *testing.T) {
	h := newHarness(t)
	ok := ClientAuthDeps{Clients: h.db, Hasher: h.hasher, Now: h.clock.Now}
	bad := map[string]func(*ClientAuthDeps){
		"no store":            func(d *ClientAuthDeps) { d.Clients = nil },
		"no hasher":           func(d *ClientAuthDeps) { d.Hasher = nil },
		"no clock":            func(d *ClientAuthDeps) { d.Now = nil },
		"negative slots":      func(d *ClientAuthDeps) { d.MaxConcurrentHashes = -1 },
		"negative wait":       func(d *ClientAuthDeps) { d.HashWait = -time.Second },
		"unusable hasher":     func(d *ClientAuthDeps) { d.Hasher = secret.Hasher{Algorithm: "pbkdf2", Rand: rand.Reader} },
		"unknown algorithm":   func(d *ClientAuthDeps) { d.Hasher = secret.Hasher{Algorithm: "md5"} },
		"bcrypt cost too low": func(d *ClientAuthDeps) { d.Hasher = secret.Hasher{Algorithm: "bcrypt", BCryptCost: 99} },
	}
	for name, mutate := range bad {
		d := ok
		mutate(&d)
		if _, err := NewClientAuth(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := NewClientAuth(ok)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cap(a.gate.slots), max(1, runtime.GOMAXPROCS(0)/2); got != want || a.gate.wait != DefaultHashWait {
		t.Fatalf("defaults: %d slots, wait %v; want %d, %v", got, a.gate.wait, want, DefaultHashWait)
	}
	if a.hasher.Verify(a.dummyHash, dummySecret) != nil {
		t.Fatal("the dummy hash was not made by the configured hasher")
	}
}

// TestClientAuthRotatedSecrets: after a rotation the earlier secrets keep
// working (basic and post), the current one is tried first, successes are
// cached per matched hash, and a wrong secret costs one hash per stored
// secret, never more than the current plus maxRotatedSecrets.
func TestClientAuthRotatedSecrets(t *testing.T) {
	rec := &recordingHasher{Hasher: secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader}}
	h := newHarness(t, func(d *ClientAuthDeps) { d.Hasher = rec })
	hash := func(s string) string {
		out, err := rec.Hasher.Hash(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cur, old1, old2 := hash("current"), hash("old-1"), hash("old-2")
	h.db.clients["rot"] = &client.Client{ID: "rot", SecretHash: cur, Credentials: client.Credentials{
		Rotated: []client.StoredSecret{{Hash: old1}, {Hash: old2}}}}
	h.db.clients["rot-post"] = &client.Client{ID: "rot-post", SecretHash: cur, TokenEndpointAuthMethod: AuthMethodPost,
		Credentials: client.Credentials{Rotated: []client.StoredSecret{{Hash: old1}}}}
	var many []client.StoredSecret
	bounded := []string{cur} // what a request may cost at most
	for i := range maxRotatedSecrets + 3 {
		many = append(many, client.StoredSecret{Hash: hash(fmt.Sprintf("many-%d", i))})
		if i < maxRotatedSecrets {
			bounded = append(bounded, many[i].Hash)
		}
	}
	h.db.clients["rot-many"] = &client.Client{ID: "rot-many", SecretHash: cur, Credentials: client.Credentials{Rotated: many}}
	rec.takeVerified()

	cases := []struct {
		name     string
		q        req
		ok       bool
		verified []string // hashes verified, in order; nil for a cache hit
	}{
		{"current secret: one hash", req{user: "rot", pass: "current"}, true, []string{cur}},
		{"current secret again: cached", req{user: "rot", pass: "current"}, true, nil},
		{"older rotated secret: current tried first", req{user: "rot", pass: "old-2"}, true, []string{cur, old1, old2}},
		{"older rotated secret again: cached", req{user: "rot", pass: "old-2"}, true, nil},
		{"rotated secret via post", req{form: "client_id=rot-post&client_secret=old-1"}, true, []string{cur, old1}},
		{"wrong secret: every stored hash once", req{user: "rot", pass: "wrong"}, false, []string{cur, old1, old2}},
		{"last rotated secret within the bound", req{user: "rot-many", pass: fmt.Sprintf("many-%d", maxRotatedSecrets-1)}, true, bounded},
		{"rotated secret beyond the bound", req{user: "rot-many", pass: fmt.Sprintf("many-%d", maxRotatedSecrets)}, false, bounded},
	}
	for _, tc := range cases {
		_, err := authenticate(h, tc.q)
		if (err == nil) != tc.ok {
			t.Fatalf("%s: got %v", tc.name, err)
		}
		if got := rec.takeVerified(); !slices.Equal(got, tc.verified) {
			t.Errorf("%s: verified %d hashes, want these %d in order", tc.name, len(got), len(tc.verified))
		}
	}
	// Removing the rotated secrets ends them, cached or not.
	h.db.clients["rot"].Credentials.Rotated = nil
	if _, err := authenticate(h, req{user: "rot", pass: "old-2"}); err == nil {
		t.Fatal("a removed rotated secret still authenticates")
	}
}
