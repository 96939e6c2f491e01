package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/signet-oidc/signet/internal/secret"
)

const (
	resealA = "system-secret-A-0123456789abcdef"
	resealB = "system-secret-B-0123456789abcdef"
)

func resealKeyring(t *testing.T, secrets ...string) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sealedWith(t *testing.T, k *secret.Keyring, id, plain string) []byte {
	t.Helper()
	s, err := SealSecret(k, id, plain)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeCredentials is a ResealStore over a map, comparing as the SQL store
// does; lose makes the next swap of that client fail as if an admin change
// came first.
type fakeCredentials struct {
	rows map[string]Credentials
	lose map[string]bool
}

func (f *fakeCredentials) CredentialsAfter(_ context.Context, id string, limit int) ([]StoredCredentials, error) {
	var ids []string
	for k := range f.rows {
		if k > id {
			ids = append(ids, k)
		}
	}
	slices.Sort(ids)
	var out []StoredCredentials
	for _, k := range ids[:min(limit, len(ids))] {
		out = append(out, StoredCredentials{ClientID: k, Credentials: f.rows[k]})
	}
	return out, nil
}

func (f *fakeCredentials) SwapCredentials(_ context.Context, id string, old, next Credentials) (bool, error) {
	if f.lose[id] || !reflect.DeepEqual(f.rows[id], old) {
		return false, nil
	}
	f.rows[id] = next
	return true, nil
}

func TestResealCredentials(t *testing.T) {
	kA, both := resealKeyring(t, resealA), resealKeyring(t, resealB, resealA)
	in := Credentials{
		SealedSecret: sealedWith(t, kA, "c", "current"),
		Rotated: []StoredSecret{
			{Hash: "h1", Sealed: sealedWith(t, kA, "c", "older"), RotatedAt: time.Now()},
			{Hash: "h2"}, // a rotated secret of a method that keeps only a hash
			{Hash: "h3", Sealed: sealedWith(t, kA, "other-client", "moved")},
		},
		RegistrationTokenDigest: []byte("digest"),
	}
	keep := in.Rotated[0].Sealed
	out, n, err := ResealCredentials(both, "c", in)
	if err != nil {
		t.Fatal(err)
	}
	if n != (secret.ResealCount{Checked: 3, Resealed: 2, Unreadable: 1}) {
		t.Errorf("count %+v", n)
	}
	kB := resealKeyring(t, resealB)
	for i, want := range map[int]string{-1: "current", 0: "older"} {
		sealed := out.SealedSecret
		if i >= 0 {
			sealed = out.Rotated[i].Sealed
		}
		if got, err := OpenSecret(kB, "c", sealed); err != nil || got != want {
			t.Errorf("value %d with B alone: %q, %v", i, got, err)
		}
	}
	if !bytes.Equal(out.Rotated[2].Sealed, in.Rotated[2].Sealed) || out.Rotated[1].Sealed != nil ||
		out.Rotated[0].Hash != "h1" || !bytes.Equal(out.RegistrationTokenDigest, in.RegistrationTokenDigest) {
		t.Errorf("fields other than re-encrypted values changed: %+v", out)
	}
	if !bytes.Equal(in.Rotated[0].Sealed, keep) {
		t.Error("the input was modified")
	}
}

// TestResealClients: every client, page by page; a client changed meanwhile
// is left alone and counted; a second pass completes it.
func TestResealClients(t *testing.T) {
	ctx := context.Background()
	kA, both := resealKeyring(t, resealA), resealKeyring(t, resealB, resealA)
	store := &fakeCredentials{rows: map[string]Credentials{}, lose: map[string]bool{"c3": true}}
	for _, id := range []string{"c1", "c2", "c3", "c4", "c5"} {
		store.rows[id] = Credentials{SealedSecret: sealedWith(t, kA, id, "s-"+id)}
	}
	store.rows["digest-only"] = Credentials{RegistrationTokenDigest: []byte("d")}
	var progress []int
	var unreadable []string
	report := secret.ResealReport{OnProgress: func(c secret.ResealCount) { progress = append(progress, c.Checked) },
		OnUnreadable: func(s string) { unreadable = append(unreadable, s) }}
	got, err := ResealClients(ctx, store, both, 2, report)
	if err != nil {
		t.Fatal(err)
	}
	if got != (secret.ResealCount{Checked: 5, Resealed: 4, Raced: 1}) || !slices.Equal(progress, []int{2, 4, 5}) || unreadable != nil {
		t.Errorf("first pass %+v, progress %v, unreadable %v", got, progress, unreadable)
	}
	store.lose = nil
	if got, err = ResealClients(ctx, store, both, 2, secret.ResealReport{}); err != nil ||
		got != (secret.ResealCount{Checked: 5, Resealed: 1, Current: 4}) {
		t.Errorf("second pass %+v, %v", got, err)
	}
	store.rows["c9"] = Credentials{SealedSecret: []byte("garbage")}
	got, err = ResealClients(ctx, store, both, 100, report)
	if err != nil || got.Unreadable != 1 || len(unreadable) != 1 || !strings.Contains(unreadable[0], `client "c9"`) {
		t.Errorf("unreadable: %+v %v %q", got, err, unreadable)
	}
	if _, err := ResealClients(ctx, store, both, 0, report); err == nil {
		t.Error("batch 0 accepted")
	}
}
