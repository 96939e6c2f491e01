package assertion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Fetcher fetches and caches the JWK Sets (RFC 7517 section 5) that
// clients publish at their jwks_uri (RFC 7591 section 2, OIDC Core section
// 10.1.1). The URLs are chosen by whoever registers a client, so:
//
//   - requests go through the *http.Client given, which in production is
//     httpx.NewOutboundClient (no redirects, internal addresses refused
//     when clients.http.disallow_private_ip_ranges is set);
//   - each fetch has a timeout and a bound on the body, and the body must
//     be one JSON object with a "keys" array;
//   - a set is cached per URI for TTL, and the cache holds at most
//     MaxEntries URIs (the least recently fetched is evicted);
//   - an assertion naming a kid the cached set lacks triggers a refetch
//     (the client rotated its keys), but at most once per MinRefresh per
//     URI, so random kids cannot make us hammer the client's server; a
//     failed fetch is likewise remembered for MinRefresh;
//   - concurrent requests for one URI share a single fetch.
//
// Error messages are the same for every network failure and status code,
// so that a jwks_uri pointing inside our network cannot be used to map it.
type Fetcher struct {
	http       *http.Client
	now        func() time.Time
	ttl        time.Duration
	minRefresh time.Duration
	timeout    time.Duration
	maxBody    int64
	maxEntries int

	mu      sync.Mutex
	entries map[string]*jwksEntry
}

// FetcherDeps are the inputs of NewFetcher. HTTP and Now are required;
// zero limits take the defaults below.
type FetcherDeps struct {
	HTTP       *http.Client
	Now        func() time.Time
	TTL        time.Duration // DefaultJWKSTTL
	MinRefresh time.Duration // DefaultJWKSMinRefresh
	Timeout    time.Duration // DefaultJWKSTimeout
	MaxBody    int64         // DefaultJWKSMaxBody
	MaxEntries int           // DefaultJWKSMaxEntries
}

// Defaults of FetcherDeps.
const (
	DefaultJWKSTTL        = 5 * time.Minute
	DefaultJWKSMinRefresh = 30 * time.Second
	DefaultJWKSTimeout    = 5 * time.Second
	// DefaultJWKSMaxBody matches the bound on an inline jwks.
	DefaultJWKSMaxBody    = 256 << 10
	DefaultJWKSMaxEntries = 1000
	// MaxJWKSKeys bounds the keys kept from one set.
	MaxJWKSKeys = 100
)

// jwksEntry is the cache state of one URI.
type jwksEntry struct {
	keys    []jose.JSONWebKey // the last set fetched; nil before the first success
	fetched time.Time         // when keys were fetched
	attempt time.Time         // when the last fetch started
	err     error             // the last fetch's failure, nil after a success
	call    *jwksCall         // the fetch in progress, if any
}

// jwksCall is one fetch that concurrent callers wait for.
type jwksCall struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

// NewFetcher checks d and fills in defaults.
func NewFetcher(d FetcherDeps) (*Fetcher, error) {
	if d.HTTP == nil || d.Now == nil {
		return nil, errors.New("assertion: the JWKS fetcher needs HTTP and Now")
	}
	if d.TTL < 0 || d.MinRefresh < 0 || d.Timeout < 0 || d.MaxBody < 0 || d.MaxEntries < 0 {
		return nil, errors.New("assertion: JWKS fetcher limits must not be negative")
	}
	f := &Fetcher{http: d.HTTP, now: d.Now,
		ttl: orDefault(d.TTL, DefaultJWKSTTL), minRefresh: orDefault(d.MinRefresh, DefaultJWKSMinRefresh),
		timeout: orDefault(d.Timeout, DefaultJWKSTimeout), maxBody: orDefault(d.MaxBody, DefaultJWKSMaxBody),
		maxEntries: orDefault(d.MaxEntries, DefaultJWKSMaxEntries), entries: map[string]*jwksEntry{}}
	if f.minRefresh > f.ttl {
		return nil, errors.New("assertion: JWKS MinRefresh must not exceed TTL")
	}
	return f, nil
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Keys returns the public keys published at uri. kid is the assertion's
// key id, or "": when the cached set lacks it, Keys refetches if the last
// fetch of uri started at least MinRefresh ago. The caller's ctx bounds its
// own wait; the fetch itself runs to its timeout even if that caller
// leaves, because others may be waiting for it.
func (f *Fetcher) Keys(ctx context.Context, uri, kid string) ([]jose.JSONWebKey, error) {
	c, keys, err := f.plan(uri, kid)
	if c == nil {
		return keys, err
	}
	select {
	case <-c.done:
	case <-ctx.Done():
		return nil, refuse(ErrKeysUnavailable, "The key set at jwks_uri could not be fetched in time.").because(ctx.Err())
	}
	return c.keys, c.err
}

// plan decides, under the lock, whether to answer from the cache, wait for
// a fetch in progress, or start one (which the caller then runs).
func (f *Fetcher) plan(uri, kid string) (*jwksCall, []jose.JSONWebKey, error) {
	f.mu.Lock()
	now := f.now()
	e := f.entries[uri]
	if e == nil {
		f.evictIfFull()
		e = &jwksEntry{}
		f.entries[uri] = e
	}
	fresh := e.keys != nil && now.Sub(e.fetched) < f.ttl
	if fresh && (kid == "" || hasKeyID(e.keys, kid)) {
		defer f.mu.Unlock()
		return nil, e.keys, nil
	}
	if c := e.call; c != nil {
		f.mu.Unlock()
		return c, nil, nil
	}
	if !e.attempt.IsZero() && now.Sub(e.attempt) < f.minRefresh {
		defer f.mu.Unlock()
		if fresh {
			return nil, e.keys, nil // unknown kid, refetch throttled: Verify says "no key"
		}
		return nil, nil, e.err
	}
	c := &jwksCall{done: make(chan struct{})}
	e.call, e.attempt = c, now
	f.mu.Unlock()

	f.run(uri, e, c, fresh)
	return c, nil, nil
}

// run fetches uri, records the outcome in e and wakes the waiters. When a
// refetch for an unknown kid fails, the still-fresh old set is served.
func (f *Fetcher) run(uri string, e *jwksEntry, c *jwksCall, hadFresh bool) {
	keys, err := f.fetch(uri)
	f.mu.Lock()
	defer f.mu.Unlock()
	e.call = nil
	switch {
	case err == nil:
		e.keys, e.fetched, e.err = keys, f.now(), nil
		c.keys = keys
	case hadFresh:
		e.err = err
		c.keys = e.keys
	default:
		e.err = err
		c.err = err
	}
	close(c.done)
}

// evictIfFull drops the entry whose last fetch started longest ago (never
// one being fetched). Called with f.mu held, before an insert.
func (f *Fetcher) evictIfFull() {
	if len(f.entries) < f.maxEntries {
		return
	}
	var oldest string
	var at time.Time
	for uri, e := range f.entries {
		if e.call == nil && (oldest == "" || e.attempt.Before(at)) {
			oldest, at = uri, e.attempt
		}
	}
	if oldest != "" {
		delete(f.entries, oldest)
	}
}

func hasKeyID(keys []jose.JSONWebKey, kid string) bool {
	for i := range keys {
		if keys[i].KeyID == kid {
			return true
		}
	}
	return false
}

// fetch makes one GET with its own timeout, detached from any caller.
func (f *Fetcher) fetch(uri string) ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), f.timeout)
	defer cancel()
	unavailable := func(cause error) error {
		return refuse(ErrKeysUnavailable, "The key set at jwks_uri could not be fetched or is not a valid JWK Set.").because(cause)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, uri, nil)
	if err != nil {
		return nil, unavailable(err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, unavailable(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, unavailable(fmt.Errorf("status %d", resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.maxBody+1))
	if err != nil {
		return nil, unavailable(err)
	}
	if int64(len(body)) > f.maxBody {
		return nil, unavailable(fmt.Errorf("body exceeds %d bytes", f.maxBody))
	}
	keys, err := ParseKeySet(body)
	if err != nil {
		return nil, unavailable(err)
	}
	return keys, nil
}

// ParseKeySet decodes a JWK Set strictly: one JSON object with a "keys"
// array, nothing after it. Keys of a type go-jose does not understand are
// skipped (RFC 7517 section 5: "Implementations SHOULD ignore JWKs within a
// JWK Set that use "kty" (key type) values that are not understood by
// them"), symmetric keys are dropped, private keys are reduced to their
// public halves, certificates are dropped (nothing here uses them). At
// least one and at most MaxJWKSKeys usable keys are required.
func ParseKeySet(raw []byte) ([]jose.JSONWebKey, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&set); err != nil {
		return nil, fmt.Errorf("decoding JWK Set: %w", err)
	}
	if dec.More() {
		return nil, errors.New("data after the JWK Set")
	}
	if len(set.Keys) > MaxJWKSKeys {
		return nil, fmt.Errorf("JWK Set holds %d keys, more than %d", len(set.Keys), MaxJWKSKeys)
	}
	var out []jose.JSONWebKey
	for _, r := range set.Keys {
		var k jose.JSONWebKey
		if k.UnmarshalJSON(r) != nil {
			continue
		}
		pub := k.Public()
		if !pub.Valid() {
			continue
		}
		pub.Certificates, pub.CertificatesURL = nil, nil
		out = append(out, pub)
	}
	if len(out) == 0 {
		return nil, errors.New("JWK Set holds no usable public key")
	}
	return out, nil
}
