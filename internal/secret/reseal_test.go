package secret_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/signet-oidc/signet/internal/secret"
)

// TestReseal is one system-secret rotation: sealed with A, resealed under
// [B, A], then opened with B alone.
func TestReseal(t *testing.T) {
	aad := []byte("jwk\x00set\x00kid")
	sealedA, err := keyring(t, oldSecret).Seal([]byte("private"), aad)
	if err != nil {
		t.Fatal(err)
	}
	both := keyring(t, newSecret, oldSecret)
	resealed, changed, err := both.Reseal(sealedA, aad)
	if err != nil || !changed || bytes.Equal(resealed, sealedA) {
		t.Fatalf("Reseal under [B, A] = changed %v, %v; want a new value", changed, err)
	}
	if got, err := keyring(t, newSecret).Open(resealed, aad); err != nil || string(got) != "private" {
		t.Fatalf("B alone opens the resealed value: %q, %v", got, err)
	}
	// A second pass finds it current and writes nothing.
	again, changed, err := both.Reseal(resealed, aad)
	if err != nil || changed || !bytes.Equal(again, resealed) {
		t.Errorf("second Reseal = changed %v, %v; want the value unchanged", changed, err)
	}
}

func TestResealRefusals(t *testing.T) {
	aad := []byte("aad")
	sealedA, err := keyring(t, oldSecret).Seal([]byte("x"), aad)
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealedA)
	tampered[len(tampered)-1] ^= 1
	underB, err := keyring(t, newSecret).Seal([]byte("x"), aad)
	if err != nil {
		t.Fatal(err)
	}
	forgedID := bytes.Clone(underB) // B's key id on a value B did not seal
	copy(forgedID[5:], sealedA[5:])
	for name, tc := range map[string]struct {
		k      *secret.Keyring
		sealed []byte
		aad    []byte
	}{
		"old secret already removed": {keyring(t, newSecret), sealedA, aad},
		"tampered":                   {keyring(t, newSecret, oldSecret), tampered, aad},
		"other associated data":      {keyring(t, newSecret, oldSecret), sealedA, []byte("other")},
		"first secret's id, forged":  {keyring(t, newSecret, oldSecret), forgedID[:len(sealedA)], aad},
		"truncated":                  {keyring(t, newSecret, oldSecret), sealedA[:4], aad},
	} {
		if _, changed, err := tc.k.Reseal(tc.sealed, tc.aad); !errors.Is(err, secret.ErrOpen) || changed {
			t.Errorf("%s: changed %v, err %v; want ErrOpen", name, changed, err)
		}
	}
}

func TestResealCountAdd(t *testing.T) {
	a := secret.ResealCount{Checked: 3, Resealed: 1, Current: 1, Raced: 1}
	b := secret.ResealCount{Checked: 2, Resealed: 1, Unreadable: 1}
	if got := a.Add(b); got != (secret.ResealCount{Checked: 5, Resealed: 2, Current: 1, Raced: 1, Unreadable: 1}) {
		t.Errorf("Add = %+v", got)
	}
}
