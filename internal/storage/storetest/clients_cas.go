package storetest

// UpdateClient is a compare-and-swap on the version read (its updated_at
// and credentials): these tests prove a stale write is refused and changes
// nothing, that of many writers from one read exactly one wins, and that
// SwapCredentials and UpdateClient see each other's writes.

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

// updateClient stores next over the client as stored now, the way every
// caller of UpdateClient works (read, change, write), with updated_at one
// microsecond later than read's if next's is not after it.
func updateClient(c context.Context, s *sqlstore.Store, next *client.Client) error {
	read, err := s.GetClient(c, next.ID)
	if err != nil {
		return err
	}
	n := *next
	if floor := read.UpdatedAt.Add(time.Microsecond); n.UpdatedAt.Before(floor) {
		n.UpdatedAt = floor
	}
	return s.UpdateClient(c, &n, read)
}

func testClientUpdateStale(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	in := newClient("cas")
	in.Credentials = client.Credentials{SealedSecret: []byte("sealed-1")}
	if err := s.CreateClient(c, in); err != nil {
		t.Fatal(err)
	}
	read, err := s.GetClient(c, "cas")
	if err != nil {
		t.Fatal(err)
	}
	first := *read
	first.Name, first.UpdatedAt = "first", read.UpdatedAt.Add(time.Microsecond)
	if err := s.UpdateClient(c, &first, read); err != nil {
		t.Fatalf("update from the current version: %v", err)
	}
	// The same read again: stale, whatever it would write. A frozen clock
	// (the same updated_at as the winner) is no excuse.
	for name, edit := range map[string]func(*client.Client){
		"same updated_at": func(n *client.Client) { n.Name = "stale" },
		"later":           func(n *client.Client) { n.Name, n.UpdatedAt = "stale", read.UpdatedAt.Add(time.Hour) },
		"credentials":     func(n *client.Client) { n.Credentials.SealedSecret = []byte("stale") },
	} {
		n := *read
		n.UpdatedAt = first.UpdatedAt
		edit(&n)
		if err := s.UpdateClient(c, &n, read); !errors.Is(err, storage.ErrConflict) {
			t.Errorf("%s: stale update: err = %v, want ErrConflict", name, err)
		}
	}
	got, err := s.GetClient(c, "cas")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "first" || string(got.Credentials.SealedSecret) != "sealed-1" {
		t.Errorf("after stale updates: name %q, sealed %q; want the first update's", got.Name, got.Credentials.SealedSecret)
	}
	sameTime(t, "updated_at", got.UpdatedAt, first.UpdatedAt)

	// A version must move forward: an update that keeps (or moves back)
	// updated_at is refused before anything is written.
	for _, at := range []time.Time{got.UpdatedAt, got.UpdatedAt.Add(-time.Second), got.UpdatedAt.Add(time.Nanosecond)} {
		n := *got
		n.Name, n.UpdatedAt = "not moved", at
		if err := s.UpdateClient(c, &n, got); err == nil || errors.Is(err, storage.ErrConflict) {
			t.Errorf("update at %v from %v: err = %v, want a refusal that is not ErrConflict", at, got.UpdatedAt, err)
		}
	}

	// A re-encryption (SwapCredentials, which keeps updated_at) is a new
	// version too: an update from before it is stale.
	if ok, err := s.SwapCredentials(c, "cas", got.Credentials, client.Credentials{SealedSecret: []byte("resealed")}); !ok || err != nil {
		t.Fatalf("swap: %v %v", ok, err)
	}
	n := *got
	n.Name, n.UpdatedAt = "after swap", got.UpdatedAt.Add(time.Second)
	if err := s.UpdateClient(c, &n, got); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("update from before a swap: err = %v, want ErrConflict", err)
	}
	if now, _ := s.GetClient(c, "cas"); now.Name != "first" || string(now.Credentials.SealedSecret) != "resealed" {
		t.Errorf("after the swap and a stale update: name %q, sealed %q", now.Name, now.Credentials.SealedSecret)
	}

	// Deleted since the read: ErrNotFound, not ErrConflict.
	if err := s.DeleteClient(c, "cas"); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateClient(c, &n, got); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("update of a deleted client: err = %v, want ErrNotFound", err)
	}
}

// testConcurrentClientUpdates releases many writers that read the same
// version at once: exactly one update wins and is what is stored.
func testConcurrentClientUpdates(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for round := range 5 { // several rounds: a lucky interleaving is not proof
		id := fmt.Sprint("cas-race-", round)
		in := newClient(id)
		if round%2 == 1 {
			in.Credentials = client.Credentials{SealedSecret: []byte("sealed")}
		}
		if err := s.CreateClient(c, in); err != nil {
			t.Fatal(err)
		}
		read, err := s.GetClient(c, id)
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		winner := -1
		errs := race(contenders, func(i int) error {
			n := *read
			// The same updated_at for every writer: a frozen clock.
			n.Name, n.UpdatedAt = fmt.Sprint("writer-", i), read.UpdatedAt.Add(time.Microsecond)
			n.Credentials = client.Credentials{SealedSecret: fmt.Appendf(nil, "sealed-%d", i)}
			err := s.UpdateClient(c, &n, read)
			if err == nil {
				mu.Lock()
				winner = i
				mu.Unlock()
			}
			return err
		})
		wins := 0
		for i, err := range errs {
			switch {
			case err == nil:
				wins++
			case !errors.Is(err, storage.ErrConflict):
				t.Errorf("round %d writer %d: err = %v, want ErrConflict", round, i, err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d updates from one read succeeded, want exactly 1", round, wins)
		}
		got, err := s.GetClient(c, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint("writer-", winner); got.Name != want || string(got.Credentials.SealedSecret) != fmt.Sprint("sealed-", winner) {
			t.Errorf("round %d: stored name %q, sealed %q; want the winner's (%s)", round, got.Name, got.Credentials.SealedSecret, want)
		}
	}
}
