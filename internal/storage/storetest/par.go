package storetest

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Pushed authorization requests (RFC 9126): stored once, consumed once,
// only by the client that pushed them and only before they expire.

// RunPushed runs the pushed-request cases alone, for a store whose consume
// takes another form than the one Run and RunConcurrency see.
func RunPushed(t *testing.T, open Opener) {
	for name, fn := range map[string]func(*testing.T, Opener){
		"PushedRoundTrip": testPushedRoundTrip, "PushedExpiry": testPushedExpiry,
		"PushedDeleteClientCascades": testPushedDeleteClientCascades, "ConsumePushedOneWinner": testConcurrentConsumePushed,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, open)
		})
	}
}

func testPushedRoundTrip(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app", "other")
	now := baseTime()
	digest := token.Digest("par-1")
	params := "client_id=app&scope=openid+%C3%A9t%C3%A9&state=" + strings.Repeat("s", 4000) + "&x=%27%3B--"
	if err := s.CreatePushedRequest(c, digest, "app", params, now.Add(90*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePushedRequest(c, digest, "app", params, now.Add(time.Minute)); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("a second request with the same digest: %v, want ErrConflict", err)
	}
	if err := s.CreatePushedRequest(c, token.Digest("par-2"), "nobody", params, now.Add(time.Minute)); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a request of an unknown client: %v, want ErrNotFound", err)
	}
	if _, err := s.ConsumePushedRequest(c, digest, "other", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("consumed by another client: %v, want ErrNotFound", err)
	}
	if _, err := s.ConsumePushedRequest(c, token.Digest("unknown"), "app", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("an unknown digest: %v, want ErrNotFound", err)
	}
	got, err := s.ConsumePushedRequest(c, digest, "app", now)
	if err != nil || got != params {
		t.Fatalf("consume = %q, %v; want the stored parameters", got, err)
	}
	if _, err := s.ConsumePushedRequest(c, digest, "app", now); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a second use: %v, want ErrNotFound", err)
	}
}

func testPushedExpiry(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	exp := baseTime().Add(90 * time.Second)
	digest := token.Digest("par-exp")
	if err := s.CreatePushedRequest(c, digest, "app", "client_id=app", exp); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ConsumePushedRequest(c, digest, "app", exp); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("used at its expiry: %v, want ErrNotFound", err)
	}
	if _, err := s.ConsumePushedRequest(c, digest, "app", exp.Add(-time.Microsecond)); err != nil {
		t.Errorf("used a microsecond before expiry: %v", err)
	}
}

func testPushedDeleteClientCascades(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	digest := token.Digest("par-cascade")
	if err := s.CreatePushedRequest(c, digest, "app", "client_id=app", baseTime().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteClient(c, "app"); err != nil {
		t.Fatal(err)
	}
	mustClient(t, s, "app") // a new client of the same id must not inherit it
	if _, err := s.ConsumePushedRequest(c, digest, "app", baseTime()); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("a deleted client's pushed request: %v, want ErrNotFound", err)
	}
}

func testConcurrentConsumePushed(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	for round := range 5 {
		digest := token.Digest("par-race-" + string(rune('a'+round)))
		if err := s.CreatePushedRequest(c, digest, "app", "client_id=app", baseTime().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		var wins atomic.Int32
		errs := race(contenders, func(int) error {
			_, err := s.ConsumePushedRequest(c, digest, "app", baseTime())
			if err == nil {
				wins.Add(1)
				return nil
			}
			if errors.Is(err, storage.ErrNotFound) {
				return nil
			}
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if wins.Load() != 1 {
			t.Errorf("round %d: %d callers consumed the request, want exactly 1", round, wins.Load())
		}
	}
}
