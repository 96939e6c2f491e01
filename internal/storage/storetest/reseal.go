package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/client"
)

// Re-encryption after a secrets.system rotation walks the stored sealed
// values in batches and swaps each only if it is unchanged, while the
// server keeps serving.

// testSealedKeysWalk: every key with a private half, once, in (set, kid)
// order, page by page; public-only keys are not listed.
func testSealedKeysWalk(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	var want []string
	for _, set := range []string{"b", "a", "a2"} {
		for i := range 3 {
			k := newKey(set, fmt.Sprint("k", i), time.Duration(i)*time.Minute)
			if err := s.AddKey(c, k); err != nil {
				t.Fatal(err)
			}
			want = append(want, set+"/"+k.KID)
		}
	}
	public := newKey("a", "public-only", 0)
	public.SealedPrivate = nil
	if err := s.AddKey(c, public); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	var got []string
	set, kid := "", ""
	for page := 0; ; page++ {
		recs, err := s.SealedKeysAfter(c, set, kid, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			got = append(got, r.Set+"/"+r.KID)
			if r.SealedPrivate == nil {
				t.Errorf("listed %s/%s without a private half", r.Set, r.KID)
			}
		}
		if len(recs) < 4 {
			break
		}
		set, kid = recs[3].Set, recs[3].KID
		if page > 5 {
			t.Fatal("the walk does not end")
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("walk = %q, want %q", got, want)
	}
}

// testSwapSealedKey: the compare-and-swap of one key's private half.
func testSwapSealedKey(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	k := newKey("s", "k", time.Hour)
	if err := s.AddKey(c, k); err != nil {
		t.Fatal(err)
	}
	resealed := []byte("resealed\x00\xff")
	before := version(t, s)
	if ok, err := s.SwapSealedKey(c, "s", "k", []byte("stale"), resealed); ok || err != nil {
		t.Errorf("swap from a stale value: %v, %v; want no swap", ok, err)
	}
	if v := version(t, s); v != before {
		t.Errorf("a failed swap moved KeysVersion")
	}
	if ok, err := s.SwapSealedKey(c, "s", "missing", k.SealedPrivate, resealed); ok || err != nil {
		t.Errorf("swap of a missing key: %v, %v", ok, err)
	}
	if ok, err := s.SwapSealedKey(c, "s", "k", k.SealedPrivate, resealed); !ok || err != nil {
		t.Fatalf("swap: %v, %v", ok, err)
	}
	if v := version(t, s); v == before {
		t.Error("a swap did not move KeysVersion; other instances would not reload")
	}
	got, err := s.GetKey(c, "s", "k")
	if err != nil {
		t.Fatal(err)
	}
	want := *k
	want.SealedPrivate = resealed
	sameKey(t, got, &want) // public half and created_at untouched
	if ok, _ := s.SwapSealedKey(c, "s", "k", k.SealedPrivate, []byte("again")); ok {
		t.Error("a second swap from the old value succeeded")
	}
}

// testClientCredentialsSwap: clients with credentials are walked in ID
// order; a swap from what was read succeeds once and touches nothing else.
func testClientCredentialsSwap(t *testing.T, open Opener) {
	s, c := open(t), ctx(t)
	creds := func(sealed byte) client.Credentials {
		return client.Credentials{SealedSecret: []byte{sealed, 0, 255},
			Rotated: []client.StoredSecret{
				// Nanoseconds and a zone: what is read back must still compare equal.
				{Hash: "$2a$04$h", Sealed: []byte{sealed, 1}, RotatedAt: baseTime()},
				{Hash: "$2a$04$g", RotatedAt: baseTime().Add(-time.Hour)},
			}}
	}
	for _, id := range []string{"c3", "c1", "plain", "c2"} {
		cl := newClient(id)
		if id != "plain" {
			cl.Credentials = creds(id[1])
		}
		if err := s.CreateClient(c, cl); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.CredentialsAfter(c, "", 2)
	if err != nil || len(first) != 2 || first[0].ClientID != "c1" || first[1].ClientID != "c2" {
		t.Fatalf("first page %+v, %v; want c1, c2", first, err)
	}
	rest, err := s.CredentialsAfter(c, "c2", 2)
	if err != nil || len(rest) != 1 || rest[0].ClientID != "c3" {
		t.Fatalf("second page %+v, %v; want c3 only (plain has no credentials)", rest, err)
	}
	sameCredentials(t, first[0].Credentials, creds('1'))

	next := creds('9')
	if ok, err := s.SwapCredentials(c, "c1", creds('x'), next); ok || err != nil {
		t.Errorf("swap from stale credentials: %v, %v; want no swap", ok, err)
	}
	if ok, err := s.SwapCredentials(c, "c1", first[0].Credentials, next); !ok || err != nil {
		t.Fatalf("swap from what was read: %v, %v", ok, err)
	}
	got, err := s.GetClient(c, "c1")
	if err != nil {
		t.Fatal(err)
	}
	sameCredentials(t, got.Credentials, next)
	sameTime(t, "updated_at after a swap", got.UpdatedAt, baseTime())
	if got.Name != "name-c1" || got.SecretHash != newClient("c1").SecretHash {
		t.Errorf("a swap changed other fields: %+v", got)
	}
	if ok, _ := s.SwapCredentials(c, "c1", first[0].Credentials, creds('8')); ok {
		t.Error("a second swap from the old credentials succeeded")
	}
	if other, _ := s.GetClient(c, "c2"); !bytes.Equal(other.Credentials.SealedSecret, creds('2').SealedSecret) {
		t.Error("a swap touched another client")
	}
	if ok, err := s.SwapCredentials(c, "plain", client.Credentials{}, next); ok || err != nil {
		t.Errorf("swap on a client without credentials: %v, %v", ok, err)
	}
}
