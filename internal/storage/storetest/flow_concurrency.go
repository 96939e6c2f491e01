package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/token"
)

// Single-use operations of issue 3 under contention: a lucky interleaving
// is not proof, so each runs several rounds.

// winners counts nil errors and fails on any error other than allowed.
func winners(t *testing.T, what string, errs []error, allowed error) int {
	t.Helper()
	n := 0
	for _, err := range errs {
		switch {
		case err == nil:
			n++
		case !errors.Is(err, allowed):
			t.Errorf("%s: loser err = %v, want %v", what, err, allowed)
		}
	}
	return n
}

func testConcurrentUseVerifier(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for round := range 5 {
		key := fmt.Sprint("login_verifier:race-", round)
		errs := race(contenders, func(int) error { return s.UseVerifier(c, key, baseTime()) })
		if n := winners(t, "UseVerifier", errs, storage.ErrAlreadyUsed); n != 1 {
			t.Errorf("round %d: %d uses accepted, want 1", round, n)
		}
	}
}

func testConcurrentConsumeCode(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	for round := range 5 {
		raw := fmt.Sprint("race-code-", round)
		if err := s.CreateCode(c, newCode(raw, "app", raw)); err != nil {
			t.Fatal(err)
		}
		errs := race(contenders, func(i int) error {
			rec, err := s.ConsumeCode(c, digest(raw), baseTime().Add(time.Duration(i)*time.Second))
			if rec == nil && err == nil {
				return errors.New("no record")
			}
			return err
		})
		if n := winners(t, "ConsumeCode", errs, storage.ErrAlreadyUsed); n != 1 {
			t.Errorf("round %d: %d consumers won, want 1", round, n)
		}
	}
}

// testConcurrentRotateRefresh: without grace exactly one rotation of a
// token wins; with a reuse count of 3 exactly four do (the first use and
// three reuses); with unlimited reuse all do. Every winner's tokens, and
// only theirs, are stored.
func testConcurrentRotateRefresh(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	mustClient(t, s, "app")
	cases := []struct {
		name string
		g    token.Grace
		want int
	}{
		{"no grace", token.Grace{}, 1},
		{"reuse count 3", token.Grace{Period: time.Minute, ReuseCount: 3}, 4},
		{"unlimited in period", token.Grace{Period: time.Minute}, contenders},
	}
	for ci, tc := range cases {
		for round := range 3 {
			old := fmt.Sprintf("race-rt-%d-%d", ci, round)
			if err := s.CreateRefresh(c, newRefresh(old, "app", old)); err != nil {
				t.Fatal(err)
			}
			errs := race(contenders, func(i int) error {
				return rotate(t, s, old, fmt.Sprint(old, "-next-", i), baseTime(), tc.g)
			})
			if n := winners(t, tc.name, errs, storage.ErrAlreadyUsed); n != tc.want {
				t.Errorf("%s round %d: %d rotations won, want %d", tc.name, round, n, tc.want)
			}
			for i, err := range errs {
				_, gerr := s.GetRefresh(c, digest(fmt.Sprint(old, "-next-", i)))
				_, aerr := s.GetAccess(c, digest(fmt.Sprint("at-", old, "-next-", i)))
				if (gerr == nil) != (err == nil) || (aerr == nil) != (err == nil) {
					t.Errorf("%s: rotation %d returned %v but next stored: %v, access stored: %v", tc.name, i, err, gerr == nil, aerr == nil)
				}
			}
			if rt, err := s.GetRefresh(c, digest(old)); err != nil || rt.UseCount != tc.want {
				t.Errorf("%s: use_count = %+v (%v), want %d", tc.name, rt, err, tc.want)
			}
		}
	}
}
