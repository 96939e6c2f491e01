package secret_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/signet-oidc/signet/internal/secret"
)

const (
	oldSecret = "old-system-secret-0123456789"
	newSecret = "new-system-secret-9876543210"
)

func keyring(t *testing.T, secrets ...string) *secret.Keyring {
	t.Helper()
	k, err := secret.NewKeyring(secrets, rand.Reader)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := keyring(t, oldSecret)
	for _, pt := range [][]byte{nil, []byte("x"), []byte(`{"kty":"RSA","d":"private half"}`), bytes.Repeat([]byte{0}, 4096)} {
		sealed, err := k.Seal(pt, []byte("jwk:hydra.openid.id-token:kid-1"))
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(pt) > 8 && bytes.Contains(sealed, pt) {
			t.Fatalf("sealed data contains the plaintext")
		}
		got, err := k.Open(sealed, []byte("jwk:hydra.openid.id-token:kid-1"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k := keyring(t, oldSecret)
	a, _ := k.Seal([]byte("same"), nil)
	b, _ := k.Seal([]byte("same"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("sealing the same plaintext twice gave the same bytes")
	}
}

func TestSealFailsWithoutRandomness(t *testing.T) {
	k, err := secret.NewKeyring([]string{oldSecret}, bytes.NewReader(nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Seal([]byte("x"), nil); err == nil {
		t.Fatal("Seal succeeded with an exhausted nonce source")
	}
}

func TestOpenRefuses(t *testing.T) {
	k := keyring(t, oldSecret)
	aad := []byte("login_challenge")
	sealed, err := k.Seal([]byte("flow state"), aad)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		c := bytes.Clone(sealed)
		c[i] ^= 0x01
		return c
	}
	cases := []struct {
		name   string
		sealed []byte
		aad    []byte
	}{
		{"wrong aad (purpose confusion)", sealed, []byte("consent_challenge")},
		{"missing aad", sealed, nil},
		{"version byte", flip(0), aad},
		{"key id", flip(2), aad},
		{"nonce", flip(10), aad},
		{"ciphertext", flip(20), aad},
		{"tag", flip(len(sealed) - 1), aad},
		{"truncated tag", sealed[:len(sealed)-1], aad},
		{"header only", sealed[:17], aad},
		{"shorter than the header", sealed[:16], aad},
		{"empty", nil, aad},
		{"appended byte", append(bytes.Clone(sealed), 0), aad},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := k.Open(tc.sealed, tc.aad)
			if !errors.Is(err, secret.ErrOpen) || pt != nil {
				t.Fatalf("Open = %q, %v; want ErrOpen", pt, err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	before := keyring(t, oldSecret)
	sealedOld, err := before.Seal([]byte("sealed before rotation"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}

	// Rotation prepends the new secret: it seals, the old one still opens.
	after := keyring(t, newSecret, oldSecret)
	if got, err := after.Open(sealedOld, []byte("aad")); err != nil || string(got) != "sealed before rotation" {
		t.Fatalf("after rotation, Open(old) = %q, %v", got, err)
	}
	sealedNew, err := after.Seal([]byte("sealed after rotation"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	// The old deployment (not yet rotated) cannot read what the new secret sealed.
	if _, err := before.Open(sealedNew, []byte("aad")); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("a keyring without the sealing secret opened it: %v", err)
	}
	// Once the old secret is retired, what it sealed is unreadable.
	retired := keyring(t, newSecret)
	if _, err := retired.Open(sealedOld, []byte("aad")); !errors.Is(err, secret.ErrOpen) {
		t.Fatalf("retired secret still opens: %v", err)
	}
	if got, err := retired.Open(sealedNew, []byte("aad")); err != nil || string(got) != "sealed after rotation" {
		t.Fatalf("Open(new) = %q, %v", got, err)
	}
}

func TestNewKeyringRefuses(t *testing.T) {
	cases := map[string][]string{
		"no secrets":              nil,
		"empty secret":            {""},
		"short secret":            {strings.Repeat("a", secret.MinSecretLen-1)},
		"short second secret":     {oldSecret, "short"},
		"short secret among many": {oldSecret, newSecret, "0123456789"},
	}
	for name, secrets := range cases {
		t.Run(name, func(t *testing.T) {
			if k, err := secret.NewKeyring(secrets, rand.Reader); err == nil {
				t.Fatalf("NewKeyring(%q) = %v, want an error", secrets, k)
			}
		})
	}
	if _, err := secret.NewKeyring([]string{strings.Repeat("a", secret.MinSecretLen)}, rand.Reader); err != nil {
		t.Fatalf("a secret of exactly MinSecretLen was refused: %v", err)
	}
}

func TestNewKeyringErrorDoesNotEchoSecret(t *testing.T) {
	_, err := secret.NewKeyring([]string{oldSecret, "tooshort-xyz"}, rand.Reader)
	if err == nil || strings.Contains(err.Error(), "tooshort-xyz") {
		t.Fatalf("error = %v; want one that names the index, not the secret", err)
	}
}

func TestMACKeys(t *testing.T) {
	k := keyring(t, newSecret, oldSecret)
	access := k.MACKeys("opaque access token")
	refresh := k.MACKeys("opaque refresh token")
	if len(access) != 2 || len(refresh) != 2 {
		t.Fatalf("got %d and %d keys, want one per secret", len(access), len(refresh))
	}
	for i := range access {
		if len(access[i]) != 32 {
			t.Errorf("key %d is %d bytes, want 32", i, len(access[i]))
		}
		if bytes.Equal(access[i], refresh[i]) {
			t.Errorf("purposes share key %d: a token of one kind would verify as the other", i)
		}
	}
	if bytes.Equal(access[0], access[1]) {
		t.Error("both secrets derive the same key")
	}
	// Deterministic: a restart (or another replica) derives the same keys,
	// and the old secret's key is the same before and after rotation.
	again := keyring(t, oldSecret).MACKeys("opaque access token")
	if !bytes.Equal(again[0], access[1]) {
		t.Error("MAC keys are not a pure function of secret and purpose")
	}
}
