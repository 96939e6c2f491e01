package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/jwk"
	"github.com/signet-oidc/signet/internal/storage"
	"github.com/signet-oidc/signet/internal/storage/sqlstore"
)

func newKey(set, kid string, age time.Duration) *jwk.Record {
	return &jwk.Record{Set: set, KID: kid,
		Public:        []byte(fmt.Sprintf(`{"kty":"OKP","crv":"Ed25519","kid":%q,"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`, kid)),
		SealedPrivate: []byte{0, 1, 2, 0xff, 'x'},
		CreatedAt:     baseTime().Add(-age)}
}

func sameKey(t *testing.T, got, want *jwk.Record) {
	t.Helper()
	if got.Set != want.Set || got.KID != want.KID || !bytes.Equal(got.Public, want.Public) ||
		!bytes.Equal(got.SealedPrivate, want.SealedPrivate) || (got.SealedPrivate == nil) != (want.SealedPrivate == nil) {
		t.Errorf("key = %+v, want %+v", got, want)
	}
	sameTime(t, "key created_at", got.CreatedAt, want.CreatedAt)
}

func testKeysCRUD(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	const set = jwk.SetIDToken
	old, mid, public := newKey(set, "old", 2*time.Hour), newKey(set, "'; --", time.Hour), newKey(set, "pub", 0)
	public.SealedPrivate = nil // an imported public-only key
	for _, k := range []*jwk.Record{mid, old, public, newKey("other", "old", 0)} {
		if err := s.AddKey(c, k); err != nil {
			t.Fatalf("add %s/%s: %v", k.Set, k.KID, err)
		}
	}
	if err := s.AddKey(c, newKey(set, "old", 0)); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("duplicate kid: err = %v, want ErrConflict", err)
	}
	got, err := s.GetKey(c, set, "pub")
	if err != nil {
		t.Fatal(err)
	}
	sameKey(t, got, public)
	list, err := s.ListKeys(c, set)
	if err != nil || len(list) != 3 {
		t.Fatalf("list: %d keys, %v", len(list), err)
	}
	for i, want := range []*jwk.Record{public, mid, old} { // newest first
		sameKey(t, list[i], want)
	}
	replaced := newKey(set, "old", 0)
	replaced.Public = []byte(`{"kty":"OKP","kid":"old","replaced":true}`)
	if err := s.ReplaceKey(c, replaced); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetKey(c, set, "old"); got == nil || !bytes.Equal(got.Public, replaced.Public) {
		t.Errorf("after replace: %+v", got)
	}
	if err := s.ReplaceKey(c, newKey(set, "new-by-put", 0)); err != nil {
		t.Errorf("replace inserting: %v", err)
	}
	if err := s.DeleteKey(c, set, "pub"); err != nil {
		t.Fatal(err)
	}
	notFound(t, "get deleted", errOnly(s.GetKey(c, set, "pub")))
	notFound(t, "delete deleted", s.DeleteKey(c, set, "pub"))
	if err := s.DeleteSet(c, set); err != nil {
		t.Fatal(err)
	}
	notFound(t, "list deleted set", errOnly(s.ListKeys(c, set)))
	notFound(t, "delete empty set", s.DeleteSet(c, set))
	notFound(t, "list unknown set", errOnly(s.ListKeys(c, "unknown")))
	if _, err := s.GetKey(c, "other", "old"); err != nil {
		t.Errorf("DeleteSet touched another set: %v", err)
	}
}

func notFound(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("%s: err = %v, want ErrNotFound", what, err)
	}
}

func testKeysAddIfSetEmpty(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for i, want := range []bool{true, false, false} {
		added, err := s.AddKeyIfSetEmpty(c, newKey("s", fmt.Sprint("k", i), 0))
		if err != nil || added != want {
			t.Errorf("call %d: added=%v err=%v, want %v", i, added, err, want)
		}
	}
	if list, _ := s.ListKeys(c, "s"); len(list) != 1 || list[0].KID != "k0" {
		t.Errorf("set holds %d keys, want only k0", len(list))
	}
	if err := s.DeleteSet(c, "s"); err != nil {
		t.Fatal(err)
	}
	if added, err := s.AddKeyIfSetEmpty(c, newKey("s", "again", 0)); !added || err != nil {
		t.Errorf("after DeleteSet: added=%v err=%v", added, err)
	}
}

func testKeysVersion(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	seen := map[string]string{}
	step := func(name string, change bool, fn func() error) {
		t.Helper()
		before := version(t, s)
		if err := fn(); err != nil && change {
			t.Fatalf("%s: %v", name, err)
		}
		after := version(t, s)
		if change && (after == before || seen[after] != "") {
			t.Errorf("%s: version %q -> %q, want a new value (seen after %q)", name, before, after, seen[after])
		}
		if !change && after != before {
			t.Errorf("%s: version moved %q -> %q without a key change", name, before, after)
		}
		seen[after] = name
	}
	step("add", true, func() error { return s.AddKey(c, newKey("a", "1", 0)) })
	step("add to another set", true, func() error { return s.AddKey(c, newKey("b", "1", 0)) })
	step("replace", true, func() error { return s.ReplaceKey(c, newKey("a", "1", 0)) })
	step("add first key", true, func() error { return errOnly(s.AddKeyIfSetEmpty(c, newKey("c", "1", 0))) })
	step("delete key", true, func() error { return s.DeleteKey(c, "a", "1") })
	step("delete set", true, func() error { return s.DeleteSet(c, "b") })
	step("re-add", true, func() error { return s.AddKey(c, newKey("a", "1", 0)) })
	step("failed add", false, func() error { return s.AddKey(c, newKey("a", "1", 0)) })
	step("no-op add first key", false, func() error { return errOnly(s.AddKeyIfSetEmpty(c, newKey("c", "2", 0))) })
	step("failed delete", false, func() error { return s.DeleteKey(c, "a", "missing") })
	step("replace set", true, func() error { return s.ReplaceSet(c, "a", []*jwk.Record{newKey("a", "2", 0)}) })
	step("failed replace set", false, func() error {
		return s.ReplaceSet(c, "a", []*jwk.Record{newKey("a", "3", 0), newKey("a", "3", 0)})
	})
	step("reads", false, func() error { _, err := s.ListKeys(c, "a"); return err })
}

func version(t *testing.T, s *sqlstore.Store) string {
	t.Helper()
	v, err := s.KeysVersion(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func kidsOf(t *testing.T, s *sqlstore.Store, set string) []string {
	t.Helper()
	recs, err := s.ListKeys(ctx(t), set)
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		t.Fatal(err)
	}
	kids := make([]string, 0, len(recs))
	for _, r := range recs {
		kids = append(kids, r.KID)
	}
	return kids
}

func testKeysReplaceSet(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for _, k := range []*jwk.Record{newKey("s", "a", time.Hour), newKey("s", "b", 0), newKey("other", "a", 0)} {
		if err := s.AddKey(c, k); err != nil {
			t.Fatal(err)
		}
	}
	// "b" is kept under the same kid with new content; "a" goes.
	kept, added := newKey("s", "b", 2*time.Hour), newKey("s", "c", time.Minute)
	kept.SealedPrivate = nil
	if err := s.ReplaceSet(c, "s", []*jwk.Record{kept, added}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListKeys(c, "s")
	if err != nil || len(list) != 2 {
		t.Fatalf("after replace: %d keys, %v; want c and b", len(list), err)
	}
	sameKey(t, list[0], added)
	sameKey(t, list[1], kept)
	if got := kidsOf(t, s, "other"); len(got) != 1 {
		t.Errorf("ReplaceSet touched another set: %q", got)
	}

	// A refused replacement changes nothing, even after some inserts.
	for name, recs := range map[string][]*jwk.Record{
		"duplicate kid": {newKey("s", "x", 0), newKey("s", "x", 0)},
		"foreign set":   {newKey("s", "y", 0), newKey("other", "z", 0)},
	} {
		if err := s.ReplaceSet(c, "s", recs); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "duplicate kid" && !errors.Is(err, storage.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrConflict", name, err)
		}
		if got := kidsOf(t, s, "s"); !slices.Equal(got, []string{"c", "b"}) {
			t.Errorf("%s: set holds %q after a refused replacement", name, got)
		}
	}

	if err := s.ReplaceSet(c, "fresh", []*jwk.Record{newKey("fresh", "1", 0)}); err != nil {
		t.Errorf("replacing a set that never existed: %v", err)
	}
	if err := s.ReplaceSet(c, "s", nil); err != nil {
		t.Fatalf("replacing with nothing: %v", err)
	}
	notFound(t, "set replaced with nothing", errOnly(s.ListKeys(c, "s")))

	s.ResetStats()
	if err := s.ReplaceSet(c, "s", []*jwk.Record{newKey("s", "1", 0), newKey("s", "2", 0)}); err != nil {
		t.Fatal(err)
	}
	if st := s.Stats(); st.Transactions != 1 || st.Queries != 4 {
		t.Errorf("ReplaceSet of 2 keys: %+v, want 1 transaction of 4 statements", st)
	}
}

// testKeysAddIfNoneAfter: the conditional insert of automatic rotation.
// The cutoff is exclusive: a key created exactly at it does not block.
func testKeysAddIfNoneAfter(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	cutoff := baseTime().Add(-time.Hour)
	add := func(kid string, age time.Duration) bool {
		t.Helper()
		added, err := s.AddKeyIfNoneAfter(c, newKey("s", kid, age), cutoff)
		if err != nil {
			t.Fatalf("add %s: %v", kid, err)
		}
		return added
	}
	if !add("first", 2*time.Hour) {
		t.Error("an empty set refused its first key")
	}
	if !add("at-cutoff", time.Hour) {
		t.Error("refused although every key is older than the cutoff")
	}
	// A key in the future (rotation's pending key) blocks the next.
	if !add("pending", -time.Hour) {
		t.Error("refused although the newest key was created at the cutoff")
	}
	before := version(t, s)
	if add("second-pending", -2*time.Hour) {
		t.Error("inserted although a key newer than the cutoff exists")
	}
	if after := version(t, s); after != before {
		t.Errorf("a refused insert moved KeysVersion %q -> %q", before, after)
	}
	if got := kidsOf(t, s, "s"); !slices.Equal(got, []string{"pending", "at-cutoff", "first"}) {
		t.Errorf("set holds %q", got)
	}
	if _, err := s.AddKeyIfNoneAfter(c, newKey("s", "first", 3*time.Hour), baseTime().Add(100*time.Hour)); !errors.Is(err, storage.ErrConflict) {
		t.Errorf("a kid taken: err = %v, want ErrConflict", err)
	}
}

// testConcurrentAddKeyIfNoneAfter: instances rotating at once with the same
// cutoff insert exactly one successor.
func testConcurrentAddKeyIfNoneAfter(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	for round := range 5 {
		set := fmt.Sprint("rotating-", round)
		if err := s.AddKey(c, newKey(set, "signing", 10*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		winners := 0
		errs := race(contenders, func(i int) error {
			// Each contender's successor signs in the future, as rotation's do.
			added, err := s.AddKeyIfNoneAfter(c, newKey(set, fmt.Sprint("k", i), -time.Hour), baseTime().Add(-time.Hour))
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
		if keys := kidsOf(t, s, set); winners != 1 || len(keys) != 2 {
			t.Errorf("round %d: %d winners, keys %q; want exactly one successor", round, winners, keys)
		}
	}
}
