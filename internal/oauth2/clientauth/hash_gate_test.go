package clientauth

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/httpx"
	"github.com/signet-oidc/signet/internal/oauth2/oauth2test"
	"github.com/signet-oidc/signet/internal/secret"
)

// blockingHasher holds every verification until release is closed, and
// reports on entered (buffered) when one starts, that is once it holds a
// gate slot.
type blockingHasher struct {
	secret.Hasher
	entered chan string
	release chan struct{}
}

func newBlockingHasher() blockingHasher {
	return blockingHasher{
		Hasher:  secret.Hasher{Algorithm: "pbkdf2", PBKDF2Iterations: 1000, Rand: rand.Reader},
		entered: make(chan string, 16),
		release: make(chan struct{}),
	}
}

func (b blockingHasher) Verify(hash, s string) error {
	b.entered <- hash
	<-b.release
	return b.Hasher.Verify(hash, s)
}

// fillGate starts one token request per user with a wrong secret and
// returns once each holds a verification slot.
func fillGate(h *harness, bh blockingHasher, users ...string) <-chan *httptest.ResponseRecorder {
	done := make(chan *httptest.ResponseRecorder, len(users))
	for _, u := range users {
		go func() {
			done <- oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials", User: u, Pass: "wrong"})
		}()
	}
	for range users {
		<-bh.entered
	}
	return done
}

func TestHashGateFullAnswers503(t *testing.T) {
	bh := newBlockingHasher()
	h := newHarness(t, func(d *Deps) {
		d.Hasher, d.MaxConcurrentHashes, d.HashWait = bh, 2, time.Millisecond
	})
	// machine authenticated before the attack: its secret is cached.
	h.cache.Remember(h.db.Clients["machine"].SecretHash, oauth2test.SecretMachine)
	// One real (known client) and one dummy (unknown client) verification
	// take both slots.
	held := fillGate(h, bh, "ghost", "jwtc")

	for _, q := range []oauth2test.Req{
		{Form: "grant_type=client_credentials", User: "jwtc", Pass: "jwt-secret"}, // right but uncached
		{Form: "grant_type=client_credentials", User: "ghost", Pass: "x"},         // dummy needs a slot too
	} {
		w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", q)
		m := oauth2test.Decode(t, w)
		if w.Code != 503 || m["error"] != "temporarily_unavailable" {
			t.Fatalf("%s with the gate full: %d %v", q.User, w.Code, m)
		}
		if got := w.Header().Values("Retry-After"); len(got) != 1 || got[0] != "1" {
			t.Fatalf("Retry-After = %q", got)
		}
		if d, _ := m["error_description"].(string); !strings.Contains(d, "retry") {
			t.Fatalf("description %q does not say to retry", d)
		}
		if w.Header().Get("WWW-Authenticate") != "" {
			t.Fatal("a 503 asked for credentials")
		}
	}

	// A cached client does not wait for the gate (it would time out if it did).
	oauth2test.Issue(t, h.tokenH, "grant_type=client_credentials")

	close(bh.release)
	for range 2 {
		if w := <-held; w.Code != 401 {
			t.Fatalf("held request: %d %s", w.Code, w.Body)
		}
	}
	if n := len(h.auth.gate.slots); n != 0 {
		t.Fatalf("%d slots still taken", n)
	}
	if w := oauth2test.Do(h.tokenH, "POST", "/oauth2/token", oauth2test.Req{Form: "grant_type=client_credentials", User: "jwtc", Pass: "jwt-secret"}); w.Code != 200 {
		t.Fatalf("after the burst: %d %s", w.Code, w.Body)
	}
}

// TestHashGateRevocationCarriesRetryAfter: the revocation endpoint shares
// client authentication, so it shares the 503 too.
func TestHashGateRevocationCarriesRetryAfter(t *testing.T) {
	bh := newBlockingHasher()
	h := newHarness(t, func(d *Deps) {
		d.Hasher, d.MaxConcurrentHashes, d.HashWait = bh, 1, time.Millisecond
	})
	held := fillGate(h, bh, "ghost")
	w := oauth2test.Do(h.revoke, "POST", "/oauth2/revoke", oauth2test.Req{Form: "token=x", User: "machine", Pass: oauth2test.SecretMachine})
	if w.Code != 503 || w.Header().Get("Retry-After") != "1" || oauth2test.Decode(t, w)["error"] != "temporarily_unavailable" {
		t.Fatalf("revocation with the gate full: %d %v %s", w.Code, w.Header(), w.Body)
	}
	close(bh.release)
	<-held
}

// TestHashGateGivesUpWithTheContext: a caller that goes away stops waiting
// at once, however long the configured wait.
func TestHashGateGivesUpWithTheContext(t *testing.T) {
	bh := newBlockingHasher()
	h := newHarness(t, func(d *Deps) {
		d.Hasher, d.MaxConcurrentHashes, d.HashWait = bh, 1, time.Hour
	})
	held := fillGate(h, bh, "ghost")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("POST", "/oauth2/token", nil)
	r.Header.Set("Authorization", oauth2test.Basic("jwtc", "jwt-secret"))
	_, err := h.auth.Authenticate(ctx, r, nil)
	var he *httpx.Error
	if !errors.As(err, &he) || he.Status != 503 || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v", err)
	}
	close(bh.release)
	<-held
}

// TestHashGateBound: however many callers, no more than the slot count
// hold the gate at once, and every caller eventually gets through.
func TestHashGateBound(t *testing.T) {
	const slots, callers = 3, 50
	g := newHashGate(slots, time.Hour)
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.acquire(context.Background()); err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			inside.Add(-1)
			g.release()
		}()
	}
	wg.Wait()
	if m := most.Load(); m < 1 || m > slots {
		t.Fatalf("%d callers inside at once, bound %d", m, slots)
	}
	if len(g.slots) != 0 {
		t.Fatal("slots leaked")
	}
}
