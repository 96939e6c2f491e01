package assertion

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/signet-oidc/signet/internal/signettest/jwttest"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }
func newClock() *fakeClock               { return &fakeClock{now: t0} }

// jwksServer serves body (changeable) and counts requests.
type jwksServer struct {
	*httptest.Server
	hits   atomic.Int32
	mu     sync.Mutex
	body   []byte
	status int
}

func newJWKSServer(t *testing.T, body []byte) *jwksServer {
	s := &jwksServer{body: body, status: 200}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.WriteHeader(s.status)
		w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(status int, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status, s.body = status, body
}

func newFetcher(t *testing.T, clock *fakeClock, mutate ...func(*FetcherDeps)) *Fetcher {
	t.Helper()
	d := FetcherDeps{HTTP: &http.Client{}, Now: clock.Now}
	for _, m := range mutate {
		m(&d)
	}
	f, err := NewFetcher(d)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func kids(keys []jose.JSONWebKey) string {
	var out []string
	for _, k := range keys {
		out = append(out, k.KeyID)
	}
	return strings.Join(out, ",")
}

func TestFetcherCachesForTTL(t *testing.T) {
	k := keysOnce()
	srv := newJWKSServer(t, jwttest.PublicJWKS(pub(k.rsa, "a", "")))
	clock := newClock()
	f := newFetcher(t, clock)
	ctx := context.Background()
	for range 3 {
		keys, err := f.Keys(ctx, srv.URL, "a")
		if err != nil || kids(keys) != "a" {
			t.Fatalf("%v %v", kids(keys), err)
		}
	}
	if srv.hits.Load() != 1 {
		t.Fatalf("%d fetches, want 1", srv.hits.Load())
	}
	clock.Add(DefaultJWKSTTL)
	if _, err := f.Keys(ctx, srv.URL, ""); err != nil || srv.hits.Load() != 2 {
		t.Fatalf("after the TTL: %d fetches, %v", srv.hits.Load(), err)
	}
}

// TestFetcherRefetchesUnknownKidAtMostOncePerInterval: a client that
// rotated its key is picked up at once; random kids cost one fetch per
// MinRefresh at most.
func TestFetcherRefetchesUnknownKidAtMostOncePerInterval(t *testing.T) {
	k := keysOnce()
	srv := newJWKSServer(t, jwttest.PublicJWKS(pub(k.rsa, "old", "")))
	clock := newClock()
	f := newFetcher(t, clock)
	ctx := context.Background()
	if _, err := f.Keys(ctx, srv.URL, "old"); err != nil {
		t.Fatal(err)
	}
	clock.Add(DefaultJWKSMinRefresh)
	srv.set(200, jwttest.PublicJWKS(pub(k.rsa, "old", ""), pub(k.rsa2, "new", "")))
	keys, err := f.Keys(ctx, srv.URL, "new")
	if err != nil || kids(keys) != "old,new" || srv.hits.Load() != 2 {
		t.Fatalf("rotation: %q, %d fetches, %v", kids(keys), srv.hits.Load(), err)
	}
	for i := range 20 {
		keys, err := f.Keys(ctx, srv.URL, fmt.Sprintf("random-%d", i))
		if err != nil || kids(keys) != "old,new" {
			t.Fatalf("random kid: %q %v", kids(keys), err)
		}
	}
	if srv.hits.Load() != 2 {
		t.Fatalf("random kids caused %d fetches", srv.hits.Load()-2)
	}
	clock.Add(DefaultJWKSMinRefresh)
	f.Keys(ctx, srv.URL, "random-again")
	if srv.hits.Load() != 3 {
		t.Fatalf("after MinRefresh: %d fetches, want 3", srv.hits.Load())
	}
}

func TestFetcherRemembersFailures(t *testing.T) {
	k := keysOnce()
	srv := newJWKSServer(t, nil)
	srv.set(500, []byte("internal detail"))
	clock := newClock()
	f := newFetcher(t, clock)
	ctx := context.Background()
	for range 3 {
		_, err := f.Keys(ctx, srv.URL, "")
		if !isKind(err, ErrKeysUnavailable) {
			t.Fatalf("got %v", err)
		}
		if m := Message(err); strings.Contains(m, "500") || strings.Contains(m, srv.URL) || strings.Contains(m, "internal") {
			t.Fatalf("message reveals the response: %q", m)
		}
	}
	if srv.hits.Load() != 1 {
		t.Fatalf("a failing jwks_uri was fetched %d times within MinRefresh", srv.hits.Load())
	}
	clock.Add(DefaultJWKSMinRefresh)
	srv.set(200, jwttest.PublicJWKS(pub(k.p256, "a", "")))
	if keys, err := f.Keys(ctx, srv.URL, ""); err != nil || kids(keys) != "a" {
		t.Fatalf("after recovery: %v", err)
	}
}

// TestFetcherServesFreshSetWhenRefetchFails: an unknown kid must not make
// the known keys unusable because the refetch failed.
func TestFetcherServesFreshSetWhenRefetchFails(t *testing.T) {
	k := keysOnce()
	srv := newJWKSServer(t, jwttest.PublicJWKS(pub(k.rsa, "a", "")))
	clock := newClock()
	f := newFetcher(t, clock)
	ctx := context.Background()
	f.Keys(ctx, srv.URL, "a")
	clock.Add(DefaultJWKSMinRefresh)
	srv.set(503, nil)
	keys, err := f.Keys(ctx, srv.URL, "b")
	if err != nil || kids(keys) != "a" || srv.hits.Load() != 2 {
		t.Fatalf("%q %v, %d fetches", kids(keys), err, srv.hits.Load())
	}
	if keys, err := f.Keys(ctx, srv.URL, "a"); err != nil || kids(keys) != "a" {
		t.Fatalf("known kid after a failed refetch: %v", err)
	}
}

// TestFetcherCollapsesConcurrentFetches: while one fetch of a URI runs,
// every other request for it waits for that fetch.
func TestFetcherCollapsesConcurrentFetches(t *testing.T) {
	k := keysOnce()
	started, release := make(chan struct{}), make(chan struct{})
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			close(started)
		}
		<-release
		w.Write(jwttest.PublicJWKS(pub(k.rsa, "a", "")))
	}))
	t.Cleanup(srv.Close)
	f := newFetcher(t, newClock())
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Go(func() {
			keys, err := f.Keys(context.Background(), srv.URL, "a")
			if err == nil && kids(keys) != "a" {
				err = fmt.Errorf("keys %q", kids(keys))
			}
			errs <- err
		})
	}
	<-started
	// A request arriving now joins the running fetch instead of starting one.
	if c, _, _ := f.plan(srv.URL, "a"); c == nil {
		t.Fatal("a request during a fetch did not join it")
	} else {
		close(release)
		<-c.done
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if hits.Load() != 1 {
		t.Fatalf("%d fetches, want 1", hits.Load())
	}
}

func TestFetcherWaiterLeavesWithItsContext(t *testing.T) {
	k := keysOnce()
	started, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		w.Write(jwttest.PublicJWKS(pub(k.rsa, "a", "")))
	}))
	t.Cleanup(srv.Close)
	f := newFetcher(t, newClock())
	done := make(chan struct{})
	go func() { defer close(done); f.Keys(context.Background(), srv.URL, "") }()
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Keys(ctx, srv.URL, ""); !isKind(err, ErrKeysUnavailable) {
		t.Fatalf("got %v", err)
	}
	close(release)
	<-done
}

func TestFetcherTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(srv.Close)
	f := newFetcher(t, newClock(), func(d *FetcherDeps) { d.Timeout = 20 * time.Millisecond; d.MinRefresh = time.Second })
	if _, err := f.Keys(context.Background(), srv.URL, ""); !isKind(err, ErrKeysUnavailable) {
		t.Fatalf("got %v", err)
	}
}

func TestFetcherEvictsBeyondMaxEntries(t *testing.T) {
	k := keysOnce()
	srv := newJWKSServer(t, jwttest.PublicJWKS(pub(k.rsa, "a", "")))
	clock := newClock()
	f := newFetcher(t, clock, func(d *FetcherDeps) { d.MaxEntries = 2 })
	ctx := context.Background()
	for _, p := range []string{"/1", "/2", "/3"} {
		f.Keys(ctx, srv.URL+p, "")
		clock.Add(time.Second)
	}
	if len(f.entries) != 2 {
		t.Fatalf("%d entries", len(f.entries))
	}
	f.Keys(ctx, srv.URL+"/1", "") // evicted: fetched again
	if srv.hits.Load() != 4 {
		t.Fatalf("%d fetches, want 4", srv.hits.Load())
	}
}

func TestFetcherRefusesBadSets(t *testing.T) {
	k := keysOnce()
	many := make([]jose.JSONWebKey, MaxJWKSKeys+1)
	for i := range many {
		many[i] = pub(k.p256, fmt.Sprint(i), "")
	}
	cases := map[string][]byte{
		"not JSON":         []byte("<html>"),
		"trailing data":    append(jwttest.PublicJWKS(pub(k.rsa, "a", "")), []byte(`{}`)...),
		"no keys member":   []byte(`{"other":[]}`),
		"empty keys":       []byte(`{"keys":[]}`),
		"only oct keys":    []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}]}`),
		"only unknown kty": []byte(`{"keys":[{"kty":"XYZ"}]}`),
		"too many keys":    jwttest.PublicJWKS(many...),
		"too large":        []byte(`{"keys":[],"pad":"` + strings.Repeat("x", DefaultJWKSMaxBody) + `"}`),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			srv := newJWKSServer(t, body)
			if _, err := newFetcher(t, newClock()).Keys(context.Background(), srv.URL, ""); !isKind(err, ErrKeysUnavailable) {
				t.Fatalf("got %v", err)
			}
		})
	}
}

func TestParseKeySetKeepsPublicHalvesOnly(t *testing.T) {
	k := keysOnce()
	priv := jose.JSONWebKey{Key: k.p256, KeyID: "priv", Use: "sig"}
	privJSON, _ := json.Marshal(priv)
	pubJSON, _ := json.Marshal(pub(k.rsa, "pub", "RS256"))
	raw := `{"keys":[` + string(privJSON) + `,` + string(pubJSON) + `,{"kty":"XYZ","kid":"skip"},{"kty":"oct","kid":"oct","k":"c2VjcmV0"}],"extra":1}`
	keys, err := ParseKeySet([]byte(raw))
	if err != nil || kids(keys) != "priv,pub" {
		t.Fatalf("%q %v", kids(keys), err)
	}
	for _, key := range keys {
		if !key.IsPublic() {
			t.Fatalf("kept a private key %q", key.KeyID)
		}
	}
}

func TestNewFetcherChecksDeps(t *testing.T) {
	clock := newClock()
	for name, d := range map[string]FetcherDeps{
		"no HTTP":              {Now: clock.Now},
		"no clock":             {HTTP: &http.Client{}},
		"negative TTL":         {HTTP: &http.Client{}, Now: clock.Now, TTL: -1},
		"refresh beyond TTL":   {HTTP: &http.Client{}, Now: clock.Now, TTL: time.Second, MinRefresh: time.Minute},
		"negative max entries": {HTTP: &http.Client{}, Now: clock.Now, MaxEntries: -1},
	} {
		if _, err := NewFetcher(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
