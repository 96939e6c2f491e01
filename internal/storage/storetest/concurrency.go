package storetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/storage"
)

// contenders is the benchmark's number of concurrent writers.
const contenders = 16

// race runs fn(i) in n goroutines released together and returns their errors.
func race(n int, fn func(i int) error) []error {
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testConcurrentAddKeyIfSetEmpty(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for round := range 5 { // several rounds: a lucky interleaving is not proof
		set := fmt.Sprint("first-start-", round)
		var mu sync.Mutex
		winners := 0
		errs := race(contenders, func(i int) error {
			added, err := s.AddKeyIfSetEmpty(c, newKey(set, fmt.Sprint("k", i), 0))
			if added {
				mu.Lock()
				winners++
				mu.Unlock()
			}
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		keys, err := s.ListKeys(c, set)
		if winners != 1 || err != nil || len(keys) != 1 {
			t.Errorf("round %d: %d winners, %d keys (%v); want exactly one", round, winners, len(keys), err)
		}
	}
}

func testConcurrentCreateClient(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	errs := race(contenders, func(int) error { return s.CreateClient(c, newClient("same-id")) })
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("loser: err = %v, want ErrConflict", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want 1", ok)
	}
}

// testConcurrentWriters is the benchmark's shape: 16 writers each creating
// a client, tokens, keys and revocations at once. No error is acceptable,
// "database is locked" least of all.
func testConcurrentWriters(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	const perWriter = 20
	errs := race(contenders, func(i int) error {
		id := fmt.Sprint("writer-", i)
		if err := s.CreateClient(c, newClient(id)); err != nil {
			return err
		}
		for j := range perWriter {
			if err := s.CreateAccess(c, newAccess(fmt.Sprint(id, "-", j), id)); err != nil {
				return err
			}
			if _, err := s.GetAccess(c, digest(fmt.Sprint(id, "-", j))); err != nil {
				return err
			}
		}
		if err := s.AddKey(c, newKey("shared", id, 0)); err != nil {
			return err
		}
		if err := s.RevokeByClient(c, id, baseTime().Add(time.Minute)); err != nil {
			return err
		}
		return updateClient(c, s, newClient(id))
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if keys, err := s.ListKeys(c, "shared"); err != nil || len(keys) != contenders {
		t.Errorf("shared set has %d keys (%v), want %d", len(keys), err, contenders)
	}
}

// testConcurrentCreateAccess sends many token writes at once, some for a
// client that does not exist. Concurrent writes may share one statement,
// and a bad row must fail alone: every good token is stored, every bad one
// is ErrNotFound, and each caller learns its own outcome.
func testConcurrentCreateAccess(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "batch-client")
	const n = 4 * contenders
	errs := race(n, func(i int) error {
		owner := "batch-client"
		if i%5 == 0 {
			owner = "no-such-client"
		}
		return s.CreateAccess(c, newAccess(fmt.Sprint("batched-", i), owner))
	})
	for i, err := range errs {
		want := i%5 == 0
		if got := errors.Is(err, storage.ErrNotFound); got != want || (!want && err != nil) {
			t.Errorf("token %d: err = %v, want ErrNotFound %v", i, err, want)
		}
		_, gerr := s.GetAccess(c, digest(fmt.Sprint("batched-", i)))
		if stored := gerr == nil; stored == want {
			t.Errorf("token %d: stored = %v, want %v (%v)", i, stored, !want, gerr)
		}
	}
}

// testConcurrentReplaceSet: many PUTs of a whole set at once. Each must
// succeed, and the set must end holding exactly one caller's keys, never a
// mix. The first round starts from a set that does not exist yet, the
// others from one that does.
func testConcurrentReplaceSet(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	const set, perCaller = "replaced", 3
	for round := range 3 {
		errs := race(contenders, func(i int) error {
			recs := make([]*jwk.Record, perCaller)
			for j := range recs {
				recs[j] = newKey(set, fmt.Sprintf("r%d-c%d-k%d", round, i, j), time.Duration(j)*time.Second)
			}
			return s.ReplaceSet(c, set, recs)
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d caller %d: %v", round, i, err)
			}
		}
		kids := kidsOf(t, s, set)
		if len(kids) != perCaller {
			t.Fatalf("round %d: set holds %q, want %d keys of one caller", round, kids, perCaller)
		}
		owner, _, _ := strings.Cut(kids[0], "-k")
		for j, kid := range kids {
			if want := fmt.Sprintf("%s-k%d", owner, j); kid != want {
				t.Errorf("round %d: set holds %q, a mix of callers", round, kids)
				break
			}
		}
	}
}
