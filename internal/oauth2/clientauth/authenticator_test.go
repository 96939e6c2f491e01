package clientauth

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
	"github.com/signet-oidc/signet/internal/oauth2"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/secret"
)

func authenticate(h *harness, q oauth2test.Req) (string, *httpx.Error) {
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	switch {
	case q.RawAuthz != "":
		r.Header.Set("Authorization", q.RawAuthz)
	case q.User != "":
		r.Header.Set("Authorization", oauth2test.Basic(q.User, q.Pass))
	}
	form, _ := url.ParseQuery(q.Form)
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
		q    oauth2test.Req
		want string
	}{
		{"basic", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine}, "machine"},
		{"basic with matching body client_id", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_id=machine"}, "machine"},
		{"basic lower-case scheme", oauth2test.Req{RawAuthz: "basic " + base64.StdEncoding.EncodeToString([]byte("machine:"+oauth2test.SecretMachine))}, "machine"},
		// RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
		{"basic url-encoded colon id and secret", oauth2test.Req{RawAuthz: "Basic " + base64.StdEncoding.EncodeToString(
			[]byte("a%3Ab:"+url.QueryEscape(oauth2test.SecretColon)))}, "a:b"},
		// Some client libraries always send the field; empty is no second method.
		{"basic with empty body client_secret", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_secret="}, "machine"},
		{"basic with body client_id and empty client_secret", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_id=machine&client_secret="}, "machine"},
		{"post", oauth2test.Req{Form: "client_id=poster&client_secret=poster-secret"}, "poster"},
		{"none", oauth2test.Req{Form: "client_id=public"}, "public"},
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
	long := strings.Repeat("x", MaxSecretLen+1)
	b64 := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	cases := []struct {
		name    string
		q       oauth2test.Req
		code    string
		wwwAuth bool
	}{
		{"nothing", oauth2test.Req{}, "invalid_client", false},
		{"basic and post", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_secret=" + oauth2test.SecretMachine}, "invalid_request", false},
		{"basic and a non-empty body secret among empty ones", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_secret=&client_secret=x"}, "invalid_request", false},
		{"basic and a wrong body secret", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_secret=x"}, "invalid_request", false},
		{"basic and other body id", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine, Form: "client_id=poster"}, "invalid_request", false},
		{"bad base64", oauth2test.Req{RawAuthz: "Basic !!!"}, "invalid_request", false},
		{"no colon", oauth2test.Req{RawAuthz: b64("machine")}, "invalid_request", false},
		{"bad url-encoding", oauth2test.Req{RawAuthz: b64("mach%zzine:x")}, "invalid_request", false},
		{"empty id", oauth2test.Req{RawAuthz: b64(":secret")}, "invalid_request", false},
		{"huge header", oauth2test.Req{RawAuthz: "Basic " + strings.Repeat("A", 8000)}, "invalid_request", false},
		{"colon id not encoded", oauth2test.Req{RawAuthz: b64("a:b:" + oauth2test.SecretColon)}, "invalid_client", true},
		{"wrong secret", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine + "x"}, "invalid_client", true},
		{"empty secret", oauth2test.Req{User: "machine", Pass: ""}, "invalid_client", true},
		{"secret prefix", oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine[:5]}, "invalid_client", true},
		{"unknown client", oauth2test.Req{User: "ghost", Pass: "x"}, "invalid_client", true},
		{"oversized secret", oauth2test.Req{User: "machine", Pass: long}, "invalid_client", true},
		{"oversized id", oauth2test.Req{User: strings.Repeat("m", oauth2.MaxClientIDLen+1), Pass: "x"}, "invalid_client", true},
		{"expired secret", oauth2test.Req{User: "expired", Pass: "old-secret"}, "invalid_client", true},
		{"basic client using post", oauth2test.Req{Form: "client_id=machine&client_secret=" + oauth2test.SecretMachine}, "invalid_client", false},
		{"post client using basic", oauth2test.Req{User: "poster", Pass: "poster-secret"}, "invalid_client", true},
		{"confidential client without secret", oauth2test.Req{Form: "client_id=machine"}, "invalid_client", false},
		{"public client with secret", oauth2test.Req{Form: "client_id=public&client_secret=x"}, "invalid_client", false},
		{"public client via basic", oauth2test.Req{User: "public", Pass: ""}, "invalid_client", true},
		{"client assertion of an unknown type", oauth2test.Req{Form: "client_id=machine&client_assertion_type=x&client_assertion=y"}, "invalid_request", false},
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
	authenticate(h, oauth2test.Req{User: "machine", Pass: strings.Repeat("x", MaxSecretLen+1)})
	authenticate(h, oauth2test.Req{RawAuthz: "Basic !!!"})
	if h.db.Total() != 0 {
		t.Fatalf("malformed or oversized credentials reached storage: %+v", &h.db.Calls)
	}
}

func TestClientAuthCache(t *testing.T) {
	h := newHarness(t)
	if _, err := authenticate(h, oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine}); err != nil {
		t.Fatal(err)
	}
	if h.cache.Len() != 1 || !h.cache.Verified(h.db.Clients["machine"].SecretHash, oauth2test.SecretMachine) {
		t.Fatal("success not cached")
	}
	// Rotating the secret changes the stored hash: the old secret misses the
	// cache and is refused by the hasher; the new one works.
	newHash, _ := h.hasher.Hash("rotated")
	h.db.Clients["machine"].SecretHash = newHash
	if _, err := authenticate(h, oauth2test.Req{User: "machine", Pass: oauth2test.SecretMachine}); err == nil {
		t.Fatal("old secret accepted after rotation")
	}
	if _, err := authenticate(h, oauth2test.Req{User: "machine", Pass: "rotated"}); err != nil {
		t.Fatal(err)
	}
	// A cached secret still fails once it expires.
	h.db.Clients["machine"].SecretExpiresAt = oauth2test.T0.Unix() + 10
	h.clock.Add(11e9)
	if _, err := authenticate(h, oauth2test.Req{User: "machine", Pass: "rotated"}); err == nil {
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
		if cred.id == "" || cred.method != MethodBasic {
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
	h := newHarness(t, func(d *Deps) { d.Hasher = rec })
	h.db.Clients["nohash"] = &client.Client{ID: "nohash"}
	if len(rec.hashed) != 1 {
		t.Fatalf("construction made %d hashes, want the one dummy", len(rec.hashed))
	}
	dummy, machineHash := rec.hashed[0], h.db.Clients["machine"].SecretHash
	cases := []struct {
		name string
		q    oauth2test.Req
		want []string // hashes verified, in order
	}{
		{"unknown client", oauth2test.Req{User: "ghost", Pass: "x"}, []string{dummy}},
		{"unknown client again: dummy results are not cached", oauth2test.Req{User: "ghost", Pass: "x"}, []string{dummy}},
		{"unknown client via post", oauth2test.Req{Form: "client_id=ghost&client_secret=x"}, []string{dummy}},
		{"post client using basic", oauth2test.Req{User: "poster", Pass: "poster-secret"}, []string{dummy}},
		{"basic client using post", oauth2test.Req{Form: "client_id=machine&client_secret=" + oauth2test.SecretMachine}, []string{dummy}},
		{"public client with a secret", oauth2test.Req{User: "public", Pass: "x"}, []string{dummy}},
		{"client without a secret", oauth2test.Req{User: "nohash", Pass: "x"}, []string{dummy}},
		{"expired secret", oauth2test.Req{User: "expired", Pass: "old-secret"}, []string{dummy}},
		{"wrong secret", oauth2test.Req{User: "machine", Pass: "x"}, []string{machineHash}},
		{"empty secret is refused before lookup", oauth2test.Req{User: "machine", Pass: ""}, nil},
		{"unknown client without a secret", oauth2test.Req{Form: "client_id=ghost"}, nil},
		{"confidential client without a secret", oauth2test.Req{Form: "client_id=machine"}, nil},
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
	ok := Deps{Clients: h.db, Hasher: h.hasher, Now: h.clock.Now}
	bad := map[string]func(*Deps){
		"no store":            func(d *Deps) { d.Clients = nil },
		"no hasher":           func(d *Deps) { d.Hasher = nil },
		"no clock":            func(d *Deps) { d.Now = nil },
		"negative slots":      func(d *Deps) { d.MaxConcurrentHashes = -1 },
		"negative wait":       func(d *Deps) { d.HashWait = -time.Second },
		"unusable hasher":     func(d *Deps) { d.Hasher = secret.Hasher{Algorithm: "pbkdf2", Rand: rand.Reader} },
		"unknown algorithm":   func(d *Deps) { d.Hasher = secret.Hasher{Algorithm: "md5"} },
		"bcrypt cost too low": func(d *Deps) { d.Hasher = secret.Hasher{Algorithm: "bcrypt", BCryptCost: 99} },
	}
	for name, mutate := range bad {
		d := ok
		mutate(&d)
		if _, err := New(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := New(ok)
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
	h := newHarness(t, func(d *Deps) { d.Hasher = rec })
	hash := func(s string) string {
		out, err := rec.Hasher.Hash(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	cur, old1, old2 := hash("current"), hash("old-1"), hash("old-2")
	h.db.Clients["rot"] = &client.Client{ID: "rot", SecretHash: cur, Credentials: client.Credentials{
		Rotated: []client.StoredSecret{{Hash: old1}, {Hash: old2}}}}
	h.db.Clients["rot-post"] = &client.Client{ID: "rot-post", SecretHash: cur, TokenEndpointAuthMethod: MethodPost,
		Credentials: client.Credentials{Rotated: []client.StoredSecret{{Hash: old1}}}}
	var many []client.StoredSecret
	bounded := []string{cur} // what a request may cost at most
	for i := range maxRotatedSecrets + 3 {
		many = append(many, client.StoredSecret{Hash: hash(fmt.Sprintf("many-%d", i))})
		if i < maxRotatedSecrets {
			bounded = append(bounded, many[i].Hash)
		}
	}
	h.db.Clients["rot-many"] = &client.Client{ID: "rot-many", SecretHash: cur, Credentials: client.Credentials{Rotated: many}}
	rec.takeVerified()

	cases := []struct {
		name     string
		q        oauth2test.Req
		ok       bool
		verified []string // hashes verified, in order; nil for a cache hit
	}{
		{"current secret: one hash", oauth2test.Req{User: "rot", Pass: "current"}, true, []string{cur}},
		{"current secret again: cached", oauth2test.Req{User: "rot", Pass: "current"}, true, nil},
		{"older rotated secret: current tried first", oauth2test.Req{User: "rot", Pass: "old-2"}, true, []string{cur, old1, old2}},
		{"older rotated secret again: cached", oauth2test.Req{User: "rot", Pass: "old-2"}, true, nil},
		{"rotated secret via post", oauth2test.Req{Form: "client_id=rot-post&client_secret=old-1"}, true, []string{cur, old1}},
		{"wrong secret: every stored hash once", oauth2test.Req{User: "rot", Pass: "wrong"}, false, []string{cur, old1, old2}},
		{"last rotated secret within the bound", oauth2test.Req{User: "rot-many", Pass: fmt.Sprintf("many-%d", maxRotatedSecrets-1)}, true, bounded},
		{"rotated secret beyond the bound", oauth2test.Req{User: "rot-many", Pass: fmt.Sprintf("many-%d", maxRotatedSecrets)}, false, bounded},
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
	h.db.Clients["rot"].Credentials.Rotated = nil
	if _, err := authenticate(h, oauth2test.Req{User: "rot", Pass: "old-2"}); err == nil {
		t.Fatal("a removed rotated secret still authenticates")
	}
}

// TestTokenEndpointClientAuthErrors: the token endpoint answers a refused
// authentication as Authenticate refused it: 401 invalid_client with the
// one hint, a Basic challenge after a Basic attempt, and nothing stored.
func TestTokenEndpointClientAuthErrors(t *testing.T) {
	cases := []struct {
		name string
		q    oauth2test.Req
	}{
		{"wrong secret", oauth2test.Req{Form: "grant_type=client_credentials", User: "machine", Pass: "nope"}},
		{"unknown client", oauth2test.Req{Form: "grant_type=client_credentials", User: "ghost", Pass: "nope"}},
		{"expired secret", oauth2test.Req{Form: "grant_type=client_credentials", User: "expired", Pass: "old-secret"}},
	}
	h := newHarness(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", tc.q)
			m := oauth2test.Decode(t, w)
			if w.Code != 401 || m["error"] != "invalid_client" || m["error_description"] == nil || m["error_hint"] != authFailed {
				t.Fatalf("got %d %v", w.Code, m)
			}
			if got := w.Header().Get("WWW-Authenticate"); got != basicChallenge {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
			if h.db.AccessWrites != 0 {
				t.Fatal("a refused request stored a token")
			}
		})
	}
}

func TestTokenEndpointNoEnumeration(t *testing.T) {
	h := newHarness(t)
	unknown := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials", User: "ghost", Pass: "x"})
	wrong := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials", User: "machine", Pass: "x"})
	post := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials&client_id=machine&client_secret=" + oauth2test.SecretMachine})
	if unknown.Body.String() != wrong.Body.String() || wrong.Body.String() != post.Body.String() {
		t.Fatalf("responses differ:\n%s\n%s\n%s", unknown.Body, wrong.Body, post.Body)
	}
}

// TestTokenEndpointBudget: once the secret cache is warm, a
// client_credentials request is one client read and one token write.
func TestTokenEndpointBudget(t *testing.T) {
	h := newHarness(t)
	oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")
	h.db.Reset()
	for range 3 {
		oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials&scope=read")
	}
	if h.db.ClientReads != 3 || h.db.AccessWrites != 3 || h.db.Total() != 6 {
		t.Fatalf("store calls for 3 requests: %+v", &h.db.Calls)
	}
}

// BenchmarkClientCredentials measures the warm-cache token request path
// (parse, authenticate from cache, mint, record) with in-memory fakes.
func BenchmarkClientCredentials(b *testing.B) {
	h := newHarness(b)
	q := oauth2test.Req{Form: "grant_type=client_credentials&scope=read", User: "machine", Pass: oauth2test.SecretMachine}
	oauth2test.Do(h.tokenH, "POST", "/oauth2/token", q)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", q); w.Code != 200 {
				b.Fatal(w.Body)
			}
		}
	})
}
